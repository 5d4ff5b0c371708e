"""Writing the demo project: data files, cdp.yml, segments, README, and the ground truth."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from cdp.demo.crm import write_hubspot
from cdp.demo.mailchimp import write_mailchimp
from cdp.demo.people import People, make_people
from cdp.demo.shop import write_shop
from cdp.demo.social import write_facebook
from cdp.demo.web import write_web_events
from cdp.demo.writers import Export, write_csv

__all__ = ["SOURCES", "DemoResult", "write_demo"]

Writer = Callable[[np.random.Generator, People, int, Path], "Export | list[Export]"]

#: cdp.yml source name -> export kind (a files preset, or web_events with its own mapping).
SOURCES = {
    "shop_customers": "shopify_customers",
    "shop_orders": "shopify_orders",
    "crm_contacts": "hubspot_contacts",
    "email_audience": "mailchimp_audience",
    "email_activity": "mailchimp_activity",
    "fb_leads": "facebook_leads",
    "fb_page": "facebook_page_activity",
    "web_events": "web_events",
}
WEB_EVENT_COLUMNS = {
    "event_id": "message_id",
    "anonymous_id": "anonymous_id",
    "email": "email",
    "event": "event",
    "timestamp": "timestamp",
}


@dataclass
class DemoResult:
    dir: Path
    people: int
    seed: int
    as_of: date
    exports: dict[str, Export] = field(default_factory=dict)
    """Source name -> what was written for it."""
    truth_rows: int = 0
    households: int = 0
    seconds: float = 0.0


def _as_epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def write_demo(dir: Path, people: int, seed: int = 42, as_of: date | None = None) -> DemoResult:
    """Write the demo project into ``dir`` (data, cdp.yml, segments, truth); no sync.

    Args:
        dir: the project folder (created if missing; existing demo files are overwritten).
        people: the number of real people behind all sources.
        seed: the same seed and ``as_of`` give byte-identical files.
        as_of: the reference day all history ends at (default: today, UTC).
    """
    started = time.perf_counter()
    as_of = as_of or datetime.now(UTC).date()
    end = _as_epoch(as_of)
    dir.mkdir(parents=True, exist_ok=True)
    data = dir / "data"
    pop = make_people(people, seed, end)
    writers: tuple[Writer, ...] = (
        write_shop,
        write_hubspot,
        write_mailchimp,
        write_facebook,
        write_web_events,
    )
    exports: list[Export] = []
    for i, writer in enumerate(writers):
        # One random stream per writer, so changing one export leaves the others as they were.
        out = writer(np.random.default_rng([seed, i + 1]), pop, end, data)
        exports.extend(out if isinstance(out, list) else [out])
    by_kind = {e.preset: e for e in exports}
    result = DemoResult(
        dir, people, seed, as_of, {name: by_kind[kind] for name, kind in SOURCES.items()}
    )
    result.truth_rows, result.households = _write_truth(dir / "truth", pop, result.exports)
    _write_project(dir, result)
    result.seconds = time.perf_counter() - started
    return result


def _write_truth(folder: Path, pop: People, exports: dict[str, Export]) -> tuple[int, int]:
    """``records.csv``: which person each customer record is; ``households.csv``: the pairs
    sharing an email, who must stay two people."""
    parts = []
    for name, export in exports.items():
        if export.record_ids is None or export.persons is None:
            continue
        parts.append(
            pa.table(
                {
                    "source": pa.array([name] * len(export.record_ids)),
                    "record_id": export.record_ids,
                    "person_id": pop.person_id.take(pa.array(export.persons)),
                }
            )
        )
    records = pa.concat_tables(parts)
    write_csv(records, folder / "records.csv")
    partners = np.flatnonzero(pop.partner_of >= 0)
    owners = pop.partner_of[partners]
    write_csv(
        pa.table(
            {
                "person_id": pop.person_id.take(pa.array(owners)),
                "partner_person_id": pop.person_id.take(pa.array(partners)),
                "shared_email": pop.email.take(pa.array(partners)),
            }
        ),
        folder / "households.csv",
    )
    write_csv(
        pa.table(
            {
                "person_id": pop.person_id,
                "first_name": pop.first,
                "last_name": pop.last,
                "email": pop.email,
                "country": pop.country,
                "city": pop.city,
            }
        ),
        folder / "people.csv",
    )
    return records.num_rows, len(partners)


def _rel(dir: Path, files: list[Path]) -> str:
    paths = [f.relative_to(dir).as_posix() for f in files]
    return paths[0] if len(paths) == 1 else "[" + ", ".join(paths) + "]"


def _cdp_yml(dir: Path, result: DemoResult) -> str:
    lines = [
        "# The cdp demo project: a clothing store's customers seen through five tools (eight exports).",
        f"# Written by `cdp demo --customers {result.people} --seed {result.seed}` "
        f"(history up to {result.as_of.isoformat()}).",
        "name: demo",
        "warehouse: {engine: duckdb, path: .cdp/warehouse.duckdb}",
        "sources:",
    ]
    for name, export in result.exports.items():
        path = _rel(dir, export.files)
        if export.preset == "web_events":
            columns = ", ".join(f"{k}: {v}" for k, v in WEB_EVENT_COLUMNS.items())
            lines.append(
                f"  {name}: {{connector: files, config: {{path: {path}, entity: events, format: jsonl, "
                f"columns: {{{columns}}}}}}}"
            )
        else:
            lines.append(
                f"  {name}: {{connector: files, config: {{path: {path}, preset: {export.preset}}}}}"
            )
    lines += [
        "segments: segments/",
        "# Syncs write files here, so the demo runs offline; a real project points them at",
        "# Mailchimp, HubSpot, Klaviyo, Meta audiences, a webhook or PostgreSQL.",
        "destinations:",
        "  exports: {connector: files, config: {path: exports, format: csv, write: both}}",
        "  newsletter: {connector: files, kind: email, config: {path: exports/newsletter, format: csv}}",
        "syncs:",
        "  - {segment: rfm_champions, destination: exports, mode: mirror,",
        "     fields: {email: email, first_name: first_name, last_name: last_name, country: country}}",
        "  - {segment: engaged_email_subscribers, destination: newsletter, mode: mirror,",
        "     fields: {email: email, FNAME: first_name, LNAME: last_name}}",
        "",
    ]
    return "\n".join(lines)


EXAMPLE_SEGMENT = """\
-- name: repeat_buyers
-- description: People with at least two completed orders in the store.
-- owner: demo
SELECT p.profile_id, p.email, p.first_name
FROM profiles.profiles AS p
JOIN identity.record_profiles AS r ON r.profile_id = p.profile_id
JOIN staging.events AS e ON e.source = r.source AND e.record_id = r.record_id
WHERE e.event = 'Order Completed'
GROUP BY p.profile_id, p.email, p.first_name
HAVING count(*) >= 2
"""


def _write_segments(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        library = importlib.import_module("warehouse.segments.library")
    except ModuleNotFoundError:
        library = None
    if library is not None and hasattr(library, "write_starter_segments"):
        library.write_starter_segments(folder)
    else:
        (folder / "repeat_buyers.sql").write_text(EXAMPLE_SEGMENT, encoding="utf-8")
    return len(list(folder.glob("*.sql")))


def _write_project(dir: Path, result: DemoResult) -> None:
    from cdp.demo.readme import readme_text

    (dir / "cdp.yml").write_text(_cdp_yml(dir, result), encoding="utf-8")
    _write_segments(dir / "segments")
    (dir / "README.md").write_text(readme_text(result), encoding="utf-8")
    (dir / ".env.example").write_text(
        "# The demo reads local files only: no secrets are needed.\n"
        "# A real project puts connector secrets here as CDP__SOURCES__<NAME>__<KEY>=...,\n"
        "# e.g. CDP__SOURCES__SHOP__ACCESS_TOKEN=shpat_...\n",
        encoding="utf-8",
    )
    (dir / ".gitignore").write_text(".cdp/\n.env\n", encoding="utf-8")
