"""Reading profiles back: find a profile by email, phone or id; explain it; record overrides.

Library functions returning plain data; ``cdp profiles`` and ``cdp identity`` render them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import combinations
from typing import TYPE_CHECKING, Any

from cdp.errors import CdpError
from identity import normalize as nz
from identity.features import cache_kind
from identity.store import ensure_tables

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "add_override",
    "explain",
    "find_profile",
    "parse_record_ref",
    "profile_details",
    "unmerge",
]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
    )


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _current_id(con: duckdb.DuckDBPyConnection, profile_id: str) -> str:
    """Follow retired ids to the profile they were merged into."""
    seen = set()
    while profile_id not in seen:
        seen.add(profile_id)
        row = con.execute(
            "SELECT retired_into FROM identity.profile_ids WHERE profile_id = ?", [profile_id]
        ).fetchall()
        if not row or row[0][0] is None:
            return profile_id
        profile_id = row[0][0]
    return profile_id


def find_profile(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The profile id for an email, a phone number or a profile id (retired ids follow their
    merge). Raises :class:`CdpError` when nothing matches."""
    if not _exists(con, "identity", "record_profiles"):
        raise CdpError("no profiles yet; run 'cdp sync' (or 'cdp sync --only identity') first")
    text = query.strip()
    if text.startswith("p_"):
        pid = _current_id(con, text)
        if con.execute(
            "SELECT 1 FROM identity.record_profiles WHERE profile_id = ? LIMIT 1", [pid]
        ).fetchall():
            return pid
    candidates: list[tuple[str, str]] = []
    email = nz.normalize_email(text)
    if email:
        candidates.append(("email", email))
    phone = nz.normalize_phone(text)
    if phone and not email:
        candidates.append(("phone", phone))
    for column, value in candidates:
        rows = con.execute(
            f"SELECT profile_id, count(*) FROM identity.golden_records WHERE {column} = ? GROUP BY 1 ORDER BY 2 DESC",
            [value],
        ).fetchall()
        if rows:
            return str(rows[0][0])
        # Any record with that identifier, through the normalized-value cache.
        kind = cache_kind("email_clean" if column == "email" else "phone")
        rows = con.execute(
            f"""SELECT rp.profile_id, count(*) FROM staging.customer_records c
            JOIN identity.normalized_values n ON n.kind = ? AND n.raw = CAST(c.{column} AS VARCHAR)
            JOIN identity.record_profiles rp ON rp.source = c.source AND rp.record_id = c.record_id
            WHERE n.value = ? GROUP BY 1 ORDER BY 2 DESC, 1""",
            [kind, value],
        ).fetchall()
        if rows:
            return str(rows[0][0])
    raise CdpError(
        f"no profile found for '{query}' (looked it up as a profile id, an email and a phone)"
    )


def profile_details(
    con: duckdb.DuckDBPyConnection, profile_id: str, events: int = 10
) -> dict[str, Any]:
    """Golden record (with traits when ``profiles.profiles`` exists), linked records,
    current segments and recent events of one profile."""
    table = (
        "profiles.profiles" if _exists(con, "profiles", "profiles") else "identity.golden_records"
    )
    golden = _rows(con, f"SELECT * FROM {table} WHERE profile_id = ?", [profile_id])
    records = _rows(
        con,
        """SELECT c.source, c.record_id, c.email, c.phone, c.first_name, c.last_name, c.city,
                  c.country, c.external_ids, c.updated_at
        FROM identity.record_profiles rp
        JOIN staging.customer_records c ON c.source = rp.source AND c.record_id = rp.record_id
        WHERE rp.profile_id = ? ORDER BY c.source, c.record_id""",
        [profile_id],
    )
    segments: list[dict[str, Any]] = []
    if _exists(con, "segments", "membership"):
        segments = _rows(
            con,
            "SELECT segment, entered_at, cdp_holdout FROM segments.membership "
            "WHERE profile_id = ? AND exited_at IS NULL ORDER BY segment",
            [profile_id],
        )
    recent = _rows(
        con,
        """SELECT e.timestamp, e.event, e.source, e.revenue, e.currency FROM staging.events e
        WHERE EXISTS (SELECT 1 FROM identity.record_profiles rp
                      WHERE rp.profile_id = ? AND rp.source = e.source AND rp.record_id = e.record_id)
           OR (e.record_id IS NULL AND e.email IS NOT NULL AND lower(trim(e.email)) IN (
                SELECT lower(trim(c.email)) FROM identity.record_profiles rp
                JOIN staging.customer_records c ON c.source = rp.source AND c.record_id = rp.record_id
                WHERE rp.profile_id = ? AND c.email IS NOT NULL))
        ORDER BY e.timestamp DESC NULLS LAST LIMIT ?""",
        [profile_id, profile_id, events],
    )
    return {"profile_id": profile_id, "golden": golden[0] if golden else {}, "records": records,
            "segments": segments, "events": recent}  # fmt: skip


def explain(con: duckdb.DuckDBPyConnection, profile_id: str) -> dict[str, Any]:
    """Each record of the profile with the links that hold it in (rule, evidence, score),
    and the profile's history from the merge journal."""
    records = _rows(
        con,
        "SELECT source, record_id FROM identity.record_profiles WHERE profile_id = ? ORDER BY source, record_id",
        [profile_id],
    )
    if not records:
        raise CdpError(f"no profile '{profile_id}'; look one up with 'cdp profiles show EMAIL'")
    links = _rows(
        con,
        "SELECT source_a, record_id_a, source_b, record_id_b, rule, score, evidence FROM identity.links "
        "WHERE profile_id = ? ORDER BY rule, source_a, record_id_a, source_b, record_id_b",
        [profile_id],
    )
    for link in links:
        if isinstance(link["evidence"], str):
            link["evidence"] = json.loads(link["evidence"])
    history = _rows(
        con,
        "SELECT logged_at, action, profile_id, other_profile_id, source, record_id, rule FROM identity.merge_journal "
        "WHERE profile_id = ? OR other_profile_id = ? ORDER BY logged_at, action",
        [profile_id, profile_id],
    )
    return {"profile_id": profile_id, "records": records, "links": links, "history": history}


def parse_record_ref(ref: str) -> tuple[str, str]:
    source, sep, record_id = ref.partition(":")
    if not sep or not source or not record_id:
        raise CdpError(f"'{ref}' is not a record reference; write SOURCE:RECORD_ID, e.g. shop:1042")
    return source, record_id


def add_override(
    con: duckdb.DuckDBPyConnection, kind: str, a: str, b: str, note: str | None = None
) -> None:
    """Store a never_merge / always_merge between two records (applied on every later run)."""
    ensure_tables(con)
    (sa, ra), (sb, rb) = parse_record_ref(a), parse_record_ref(b)
    for source, record_id in ((sa, ra), (sb, rb)):
        if not con.execute(
            "SELECT 1 FROM staging.customer_records WHERE source = ? AND record_id = ? LIMIT 1",
            [source, record_id],
        ).fetchall():
            raise CdpError(f"no customer record {source}:{record_id} in staging.customer_records")
    if (sa, ra) == (sb, rb):
        raise CdpError("an override needs two different records")
    con.execute(
        "INSERT INTO identity.overrides VALUES (?, ?, ?, ?, ?, ?, ?)",
        [kind, sa, ra, sb, rb, datetime.now(UTC), note],
    )


def unmerge(con: duckdb.DuckDBPyConnection, profile_id: str) -> int:
    """Split a profile back into its records for good: a never_merge between every two of them.
    Returns how many records the profile had."""
    ensure_tables(con)
    records = con.execute(
        "SELECT source, record_id FROM identity.record_profiles WHERE profile_id = ? ORDER BY 1, 2",
        [profile_id],
    ).fetchall()
    if not records:
        raise CdpError(f"no profile '{profile_id}'")
    now = datetime.now(UTC)
    rows = [
        ("never_merge", a[0], a[1], b[0], b[1], now, f"unmerge {profile_id}")
        for a, b in combinations(records, 2)
    ]
    if rows:
        con.executemany("INSERT INTO identity.overrides VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(records)
