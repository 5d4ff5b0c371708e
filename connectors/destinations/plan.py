"""Diffing a sync: what to add, update and remove at its destination since the last delivery.

The rows a sync wants at its destination are the segment's members (never the holdout control
group; for email and ad destinations only people with consent), each reduced to its mapped
fields as JSON and hashed. Comparing them with ``sync.delivered_state`` (what was delivered)
gives the plan: a temp table of ``profile_id, op, row_hash, payload, retry, fields`` (upserts
first, then removals; its ``rowid`` numbers the rows for batching).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from cdp.config import closest
from connectors.destinations.base import SyncSpec
from connectors.destinations.consent import CONSENT_KINDS, blocked_condition

if TYPE_CHECKING:
    import duckdb

    from cdp.config import Project, SyncConfig

__all__ = ["SyncPlan", "build_plan", "resolve_spec"]


def q(name: str) -> str:
    """A quoted DuckDB identifier."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def lit(value: str) -> str:
    return exp.Literal.string(value).sql("duckdb")


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


@dataclass
class SyncPlan:
    spec: SyncSpec
    kind: str
    table: str
    """The temp table holding the plan."""
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (
            self.counts.get("add", 0) + self.counts.get("update", 0) + self.counts.get("remove", 0)
        )


def resolve_spec(
    con: duckdb.DuckDBPyConnection, project: Project, index: int, sync: SyncConfig, run_id: str
) -> tuple[SyncSpec, dict[str, str], dict[str, str]]:
    """Check the sync's segment and field mapping; return the spec and the two column sets."""
    seg_cols = _columns(con, "segments", sync.segment)
    if not seg_cols:
        existing = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'segments'"
            ).fetchall()
        ]
        raise project.error(
            ("syncs", index, "segment"),
            f"no segment '{sync.segment}' in the warehouse (segments.{sync.segment}); "
            "add segments/<name>.sql and run `cdp sync --only segments`",
            suggestion=closest(sync.segment, existing),
        )
    prof_cols = _columns(con, "profiles", "profiles")
    if not sync.fields:
        raise project.error(
            ("syncs", index, "fields"), "map at least one field: fields: {email: email}"
        )
    types: dict[str, str] = {}
    for dest_field, column in sync.fields.items():
        if column in seg_cols:
            types[dest_field] = seg_cols[column]
        elif column in prof_cols:
            types[dest_field] = prof_cols[column]
        else:
            raise project.error(
                ("syncs", index, "fields", dest_field),
                f"'{column}' is neither a column of segments.{sync.segment} nor of profiles.profiles",
                suggestion=closest(column, [*seg_cols, *prof_cols]),
            )
    spec = SyncSpec(
        key=sync.key,
        index=index,
        segment=sync.segment,
        destination=sync.destination,
        mode=sync.mode,
        fields=dict(sync.fields),
        types=types,
        run_id=run_id,
    )
    return spec, seg_cols, prof_cols


_KEEP_TYPES = ("VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE")


def _json_safe(expr: str, duckdb_type: str) -> str:
    """``expr`` as a value every destination can serialize: text, number, boolean or NULL."""
    t = duckdb_type.upper()
    if t in _KEEP_TYPES:
        return expr
    if t.startswith("DECIMAL") or t in ("HUGEINT", "UBIGINT", "REAL"):
        return f"CAST({expr} AS DOUBLE)"
    if t.startswith(("STRUCT", "MAP")) or t.endswith("]") or t == "JSON":
        return f"CAST(to_json({expr}) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"


def _effective_state(key: str) -> str:
    """What the destination holds (one row per member: batches replace their members' rows)."""
    return (
        "SELECT profile_id, row_hash, payload FROM sync.delivered_state "
        f"WHERE sync_key = {lit(key)} AND NOT removed"
    )


def build_plan(
    con: duckdb.DuckDBPyConnection,
    spec: SyncSpec,
    kind: str,
    seg_cols: dict[str, str],
    prof_cols: dict[str, str],
    *,
    full_refresh: bool = False,
    slot: int = 0,
    samples: int = 3,
) -> SyncPlan:
    """Compute the plan of one sync into a temp table (nothing is sent or written for good)."""
    has_profiles = bool(prof_cols)
    exprs = []
    for dest_field, column in spec.fields.items():
        source = "s" if column in seg_cols else "p"
        exprs.append(
            f"{lit(dest_field)}: {_json_safe(f'{source}.{q(column)}', spec.types.get(dest_field, ''))}"
        )
    join = "LEFT JOIN profiles.profiles p ON p.profile_id = s.profile_id" if has_profiles else ""
    holdout = "coalesce(s.cdp_holdout, false)" if "cdp_holdout" in seg_cols else "false"
    needs_consent = kind in CONSENT_KINDS
    blocked = (
        (blocked_condition("p", set(prof_cols)) if has_profiles else "TRUE")
        if needs_consent
        else "FALSE"
    )
    cur, plan, st = f"_cdp_current_{slot}", f"_cdp_plan_{slot}", f"_cdp_state_{slot}"
    key = lit(spec.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {cur} AS "
        "SELECT *, md5(payload) AS row_hash FROM ("
        "  SELECT *, CAST(to_json(fields) AS VARCHAR) AS payload FROM ("
        f"    SELECT CAST(s.profile_id AS VARCHAR) AS profile_id, {holdout} AS holdout, "
        f"    coalesce({blocked}, TRUE) AS blocked, {{{', '.join(exprs)}}} AS fields "
        f"    FROM segments.{q(spec.segment)} s {join} WHERE s.profile_id IS NOT NULL))"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {st} AS {_effective_state(spec.key)}")
    upd = "FALSE" if spec.mode == "add" else "TRUE" if full_refresh else "c.row_hash <> s.row_hash"
    terminal_join = (
        ""
        if full_refresh
        else "LEFT JOIN (SELECT profile_id, row_hash FROM sync.failures "
        f"WHERE sync_key = {key} AND terminal) t ON t.profile_id = c.profile_id AND t.row_hash = c.row_hash "
    )
    retry_join = (
        "LEFT JOIN (SELECT DISTINCT profile_id FROM sync.failures "
        f"WHERE sync_key = {key} AND NOT terminal) r ON r.profile_id = {{alias}}.profile_id"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {plan} AS "
        "SELECT c.profile_id, CASE WHEN s.profile_id IS NULL THEN 'add' ELSE 'update' END AS op, "
        "c.row_hash, c.payload, r.profile_id IS NOT NULL AS retry, c.fields, false AS withdrawn "
        f"FROM {cur} c LEFT JOIN {st} s ON s.profile_id = c.profile_id {terminal_join}"
        f"{retry_join.format(alias='c')} "
        f"WHERE NOT c.holdout AND NOT c.blocked AND (s.profile_id IS NULL OR {upd})"
        + ("" if full_refresh else " AND t.profile_id IS NULL")
    )
    if spec.mode == "mirror":
        remove_when = "TRUE"
    elif needs_consent:  # people who withdrew consent leave email and ad tools in every mode
        remove_when = f"s.profile_id IN (SELECT profile_id FROM {cur} WHERE blocked)"
    else:
        remove_when = "FALSE"
    con.execute(
        f"INSERT INTO {plan} SELECT s.profile_id, 'remove', NULL, s.payload, r.profile_id IS NOT NULL, NULL, "
        f"s.profile_id IN (SELECT profile_id FROM {cur} WHERE blocked) "
        f"FROM {st} s LEFT JOIN (SELECT profile_id FROM {cur} WHERE NOT holdout AND NOT blocked) c "
        f"ON c.profile_id = s.profile_id {retry_join.format(alias='s')} "
        f"WHERE c.profile_id IS NULL AND ({remove_when})"
    )
    result = SyncPlan(spec=spec, kind=kind, table=plan)
    for op, n in con.execute(f"SELECT op, count(*) FROM {plan} GROUP BY op").fetchall():
        result.counts[op] = int(n)
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE holdout), count(*) FILTER (WHERE blocked AND NOT holdout), "
        f"count(*) FILTER (WHERE NOT holdout AND NOT blocked) FROM {cur}"
    ).fetchall()[0]
    result.counts.update(
        excluded_holdout=int(row[0]), excluded_consent=int(row[1]), members=int(row[2])
    )
    result.counts["retried"] = int(
        con.execute(f"SELECT count(*) FROM {plan} WHERE retry").fetchall()[0][0]
    )
    if samples:
        for op, pid, payload in con.execute(
            " UNION ALL ".join(
                f"(SELECT op, profile_id, payload FROM {plan} WHERE op = '{op}' ORDER BY profile_id LIMIT {int(samples)})"
                for op in ("add", "update", "remove")
            )
        ).fetchall():
            result.samples.setdefault(op, []).append((pid, payload))
    con.execute(f"DROP TABLE {cur}")
    con.execute(f"DROP TABLE {st}")
    return result


def read_chunk(
    con: duckdb.DuckDBPyConnection, plan: SyncPlan, start: int, size: int
) -> list[tuple[Any, ...]]:
    """Plan rows ``start < rn <= start + size`` as (rn, profile_id, op, payload bytes, retry,
    fields, removed_payload, withdrawn).

    ``fields`` is a dict for rows to add or update; removals have None there and carry the
    JSON last delivered (what to remove) in ``removed_payload``."""
    return con.execute(
        f"SELECT rowid + 1 AS rn, profile_id, op, strlen(payload), retry, fields, "
        f"CASE WHEN op = 'remove' THEN payload END, withdrawn FROM {plan.table} "
        "WHERE rowid >= ? AND rowid < ? ORDER BY rowid",
        [start, start + size],
    ).fetchall()
