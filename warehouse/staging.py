"""Rebuilds the canonical model (``staging.*``) from every source's mapping.

Each source's SELECTs are wrapped so that every canonical column is present and cast to its
canonical type, and ``source`` is set. A source's rows are replaced when it loaded something
or its mapping changed; all sources' changes land in one transaction, so readers see the old
tables or the new ones, never a mix.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from cdp.connector import (
    CUSTOMER_RECORD_COLUMNS,
    EVENT_COLUMNS,
    FILES_TABLE,
    REJECTED_TABLE,
    MappingContext,
    SourceConnector,
)
from cdp.errors import ConnectorError
from warehouse.connection import create_table_sql, table_columns

__all__ = ["MappedSource", "rebuild_staging"]


@dataclass(frozen=True)
class MappedSource:
    name: str
    connector: SourceConnector
    config: object


def _wrap(
    source: str, sql: str, columns: dict[str, str], con: duckdb.DuckDBPyConnection, what: str
) -> str:
    """``sql`` with every canonical column, cast, and ``source`` filled in."""
    try:
        produced = [row[0] for row in con.execute(f"DESCRIBE {sql}").fetchall()]
    except duckdb.Error as exc:
        raise ConnectorError(
            f"source '{source}'", f"its {what} mapping does not run: {str(exc).splitlines()[0]}"
        ) from None
    unknown = sorted(set(produced) - set(columns))
    if unknown:
        raise ConnectorError(
            f"source '{source}'",
            f"its {what} mapping returns non-canonical column(s) {', '.join(unknown)}; "
            f"canonical columns are: {', '.join(columns)}",
        )
    inner = typing.cast(exp.Query, sqlglot.parse_one(sql, read="duckdb")).subquery("m")
    projection = []
    for name, type_ in columns.items():
        if name == "source":
            value: exp.Expr = exp.Literal.string(source)
        elif name in produced:
            value = exp.column(name, table="m", quoted=True)
            value = exp.TryCast(this=value, to=exp.DataType.build(type_, dialect="duckdb"))
        else:
            value = exp.Null()
        projection.append(
            exp.cast(value, exp.DataType.build(type_, dialect="duckdb")).as_(name, quoted=True)
        )
    return exp.select(*projection).from_(inner).sql("duckdb")


def _loads(con: duckdb.DuckDBPyConnection, schema: str, tables: dict[str, tuple[str, ...]]) -> str:
    """The latest completed dlt load of a raw schema: any new load changes it."""
    if "_dlt_loads" not in tables:
        return ""
    rows = con.execute(f'SELECT max(load_id), count(*) FROM "{schema}"."_dlt_loads"').fetchall()
    return f"{schema}:{rows[0][0]}:{rows[0][1]}"


REJECTED_COLUMNS = {
    "source": "VARCHAR",
    "file": "VARCHAR",
    "line": "BIGINT",
    "reason": "VARCHAR",
    "raw": "VARCHAR",
}
STAGING_TABLES = {
    "staging.customer_records": CUSTOMER_RECORD_COLUMNS,
    "staging.events": EVENT_COLUMNS,
    "staging.rejected_rows": REJECTED_COLUMNS,
}


@dataclass(frozen=True)
class _Plan:
    """One source's part of the staging tables: its SELECTs and their fingerprint."""

    source: str
    customers: list[str]
    events: list[str]
    rejects: list[str]
    fingerprint: str


def _plan(con: duckdb.DuckDBPyConnection, src: MappedSource) -> _Plan | None:
    schema = f"raw_{src.name}"
    tables = table_columns(con, schema)
    if not tables:
        return None
    mapping = src.connector.mapping(MappingContext(src.name, schema, src.config, tables))
    customers = [
        _wrap(src.name, sql, CUSTOMER_RECORD_COLUMNS, con, "customer records")
        for sql in mapping.customer_records
    ]
    events = [_wrap(src.name, sql, EVENT_COLUMNS, con, "events") for sql in mapping.events]
    rejects = []
    if REJECTED_TABLE in tables:
        current = ""
        if FILES_TABLE in tables and "_cdp_sha256" in tables[REJECTED_TABLE]:
            # Only the rejects of each file's currently loaded version.
            current = (
                f' WHERE (r."_cdp_file", r."_cdp_sha256") IN '
                f'(SELECT ("_cdp_file", "_cdp_sha256") FROM "{schema}"."{FILES_TABLE}")'
            )
        file_col = 'r."_cdp_file"' if "_cdp_file" in tables[REJECTED_TABLE] else "NULL"
        rejects.append(
            f"SELECT '{src.name}' AS source, CAST({file_col} AS VARCHAR) AS file, CAST(r.line AS BIGINT) AS line, "
            f'CAST(r.reason AS VARCHAR) AS reason, CAST(r.raw AS VARCHAR) AS raw FROM "{schema}"."{REJECTED_TABLE}" r{current}'
        )
    text = "\n".join([*customers, "--", *events, "--", *rejects, _loads(con, schema, tables)])
    return _Plan(src.name, customers, events, rejects, hashlib.sha256(text.encode()).hexdigest())


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The staging tables with the canonical columns; a table of another shape (written by an
    older cdp) is recreated empty, and every source is then rebuilt into it."""
    build = {"source": "VARCHAR", "fingerprint": "VARCHAR", "built_at": "TIMESTAMPTZ"}
    shapes = {"staging._cdp_build": build, **STAGING_TABLES}
    existing = table_columns(con, "staging")
    for table, columns in shapes.items():
        if existing.get(table.split(".")[1]) != tuple(columns):
            con.execute(create_table_sql(table, columns, replace=True))
            if table != "staging._cdp_build":
                con.execute("DELETE FROM staging._cdp_build")


def _forget(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remove source ``name``'s rows from the staging tables and its build record."""
    for table in [*STAGING_TABLES, "staging._cdp_build"]:
        con.execute(f"DELETE FROM {table} WHERE source = ?", [name])


def _rebuild_source(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """Replace one source's rows in the staging tables (inside the caller's transaction)."""
    name = plan.source
    _forget(con, name)
    records = "staging.customer_records"
    if plan.customers:
        con.execute(f"INSERT INTO {records} BY NAME " + "\nUNION ALL\n".join(plan.customers))
        # A record without an id cannot be tracked: it is kept aside as a rejected row.
        con.execute(
            "INSERT INTO staging.rejected_rows SELECT source, NULL, NULL, "
            "'the mapping gave this record no record_id', CAST(to_json(r) AS VARCHAR) "
            f"FROM {records} r WHERE source = ? AND record_id IS NULL",
            [name],
        )
        con.execute(f"DELETE FROM {records} WHERE source = ? AND record_id IS NULL", [name])
        # A record the source holds twice (in two files, say) keeps its latest version. The
        # check reads one column; the window only runs when there is something to remove.
        if con.execute(
            f"SELECT 1 FROM {records} WHERE source = ? GROUP BY record_id HAVING count(*) > 1 LIMIT 1",
            [name],
        ).fetchall():
            con.execute(
                f"DELETE FROM {records} WHERE rowid IN (SELECT rowid FROM {records} "
                "WHERE source = ? QUALIFY row_number() OVER (PARTITION BY record_id "
                "ORDER BY updated_at DESC NULLS LAST, created_at DESC NULLS LAST) > 1)",
                [name],
            )
    if plan.events:
        con.execute("INSERT INTO staging.events BY NAME " + "\nUNION ALL\n".join(plan.events))
    for sql in plan.rejects:
        con.execute(f"INSERT INTO staging.rejected_rows BY NAME {sql}")


def rebuild_staging(
    con: duckdb.DuckDBPyConnection, sources: Sequence[MappedSource], *, force: bool = False
) -> dict[str, int]:
    """Bring staging.customer_records, staging.events and staging.rejected_rows up to date.

    Source by source: only the rows of a source that loaded something since the last rebuild,
    or whose mapping changed (every source with ``force``), are replaced, so an hourly run that
    loaded one source does not rewrite the others' records. Sources no longer in the project
    are removed. All of it is one transaction: readers see the old tables or the new ones.
    """
    _ensure_tables(con)
    built = dict(con.execute("SELECT source, fingerprint FROM staging._cdp_build").fetchall())
    plans = [plan for src in sources if (plan := _plan(con, src)) is not None]
    stale = [p for p in plans if force or built.get(p.source) != p.fingerprint]
    gone = sorted(set(built) - {p.source for p in plans})
    if not stale and not gone:
        return {**_counts(con), "staging_rebuilt": 0}
    con.execute("BEGIN TRANSACTION")
    try:
        for name in gone:
            _forget(con, name)
        for plan in stale:
            _rebuild_source(con, plan)
            con.execute(
                "INSERT INTO staging._cdp_build VALUES (?, ?, now())",
                [plan.source, plan.fingerprint],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {**_counts(con), "staging_rebuilt": len(stale) + len(gone)}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = con.execute(
        "SELECT (SELECT count(*) FROM staging.customer_records), (SELECT count(*) FROM staging.events), "
        "(SELECT count(*) FROM staging.rejected_rows)"
    ).fetchall()[0]
    return {"customer_records": counts[0], "events": counts[1], "rejected_rows": counts[2]}
