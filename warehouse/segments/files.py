"""Segment files: ``segments/<name>.sql`` = an optional ``-- key: value`` header + one SELECT.

```sql
-- name: vip_customers
-- description: Customers who spent over 1,000
-- owner: crm-team
-- dialect: duckdb        # or snowflake, bigquery, postgres, ... (transpiled to DuckDB)
-- refresh: every_run
-- holdout: 10%           # control group, recorded but never synced
-- timeout: 120           # seconds before the query is stopped (default 300)
SELECT profile_id, email FROM profiles.profiles WHERE total_revenue > 1000
```
The header is the run of ``--`` comment lines at the top of the file; a line of the form
``-- key: value`` whose key is not known is an error (with the closest key). Without a header
the file name is the segment name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cdp.config import closest
from warehouse.segments.errors import Problem

__all__ = ["HEADER_KEYS", "SegmentFile", "discover", "read_segment"]

HEADER_KEYS = ("name", "description", "owner", "dialect", "refresh", "holdout", "timeout")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_NAMES = frozenset({"membership", "runs"})
DEFAULT_TIMEOUT = 300.0
_HEADER_LINE = re.compile(r"^--\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$")


@dataclass
class SegmentFile:
    """A parsed segment file; ``problems`` holds what is wrong with its header."""

    path: Path
    name: str
    sql: str
    """The whole file text (the header is SQL comments), so positions are file positions."""
    description: str = ""
    owner: str = ""
    dialect: str = "duckdb"
    refresh: str = "every_run"
    holdout: float = 0.0
    """Fraction 0..1 of members put in the control group."""
    timeout: float = DEFAULT_TIMEOUT
    problems: list[Problem] = field(default_factory=list)


def _holdout(value: str) -> float:
    text = value.strip()
    number = float(text.rstrip("%").strip())
    fraction = number / 100 if text.endswith("%") or number > 1 else number
    if not 0 <= fraction < 1:
        raise ValueError
    return fraction


def read_segment(path: Path) -> SegmentFile:
    """Read one file; header mistakes become problems on the result, not exceptions."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        seg = SegmentFile(path=path, name=path.stem, sql="")
        seg.problems.append(Problem(path, f"not UTF-8 text ({exc.reason})"))
        return seg
    seg = SegmentFile(path=path, name=path.stem, sql=text)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("--"):
            break
        match = _HEADER_LINE.match(line)
        if not match:
            continue  # a plain comment
        key, value = match.group(1).lower(), match.group(2)
        value = re.sub(r"\s+#.*$", "", value)
        if key not in HEADER_KEYS:
            seg.problems.append(
                Problem(
                    path,
                    f"unknown header key '{key}'; known: {', '.join(HEADER_KEYS)}",
                    number,
                    1,
                    closest(key, HEADER_KEYS),
                )
            )
            continue
        try:
            if key == "holdout":
                seg.holdout = _holdout(value)
            elif key == "timeout":
                seg.timeout = float(value.rstrip("s"))
                if seg.timeout <= 0:
                    raise ValueError
            elif key == "dialect":
                seg.dialect = value.lower() or "duckdb"
            else:
                setattr(seg, key, value)
        except ValueError:
            hint = "a percentage below 100, e.g. 10%" if key == "holdout" else "a number of seconds"
            seg.problems.append(
                Problem(path, f"header '{key}: {value}' is not valid; use {hint}", number, 1)
            )
    if not NAME_PATTERN.match(seg.name):
        seg.problems.append(
            Problem(
                path,
                f"segment name '{seg.name}' must be lowercase letters, digits and "
                "underscores, starting with a letter (rename the file or set '-- name:')",
                1,
                1,
            )
        )
    elif seg.name in RESERVED_NAMES or seg.name.startswith("cdp_"):
        seg.problems.append(
            Problem(path, f"segment name '{seg.name}' is reserved by cdp; pick another", 1, 1)
        )
    return seg


def discover(segments_dir: Path) -> list[SegmentFile]:
    """Every ``*.sql`` directly in ``segments_dir`` (sorted); two files with one name is a problem."""
    if not segments_dir.is_dir():
        return []
    found = [read_segment(p) for p in sorted(segments_dir.glob("*.sql")) if p.is_file()]
    seen: dict[str, Path] = {}
    for seg in found:
        if seg.name in seen:
            seg.problems.append(
                Problem(seg.path, f"segment '{seg.name}' is also defined in {seen[seg.name]}", 1, 1)
            )
        else:
            seen[seg.name] = seg.path
    return found
