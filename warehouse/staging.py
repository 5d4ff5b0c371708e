"""Rebuilds the canonical model (``staging.*``) from every source's mapping.

Each source's SELECTs are wrapped so that every canonical column is present and cast to its
canonical type, and ``source`` is set; the union replaces the staging tables in one
transaction, so readers see the old tables or the new ones, never a mix.
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
from warehouse.connection import table_columns

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


def _union(parts: list[str], columns: dict[str, str]) -> str:
    if not parts:
        empty = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns.items())
        return f"SELECT {empty} WHERE false"
    return "\nUNION ALL\n".join(parts)


def _loads(con: duckdb.DuckDBPyConnection, schema: str, tables: dict[str, tuple[str, ...]]) -> str:
    """The latest completed dlt load of a raw schema: any new load changes it."""
    if "_dlt_loads" not in tables:
        return ""
    rows = con.execute(f'SELECT max(load_id), count(*) FROM "{schema}"."_dlt_loads"').fetchall()
    return f"{schema}:{rows[0][0]}:{rows[0][1]}"


def rebuild_staging(
    con: duckdb.DuckDBPyConnection, sources: Sequence[MappedSource], *, force: bool = False
) -> dict[str, int]:
    """Replace staging.customer_records, staging.events and staging.rejected_rows.

    Skipped (the tables are already right) when no source has loaded anything since the last
    rebuild and no mapping changed, unless ``force``: an hourly run with nothing new does not
    rewrite every record.
    """
    customers: list[str] = []
    events: list[str] = []
    rejects: list[str] = []
    loads: list[str] = []
    for src in sources:
        schema = f"raw_{src.name}"
        tables = table_columns(con, schema)
        if not tables:
            continue
        loads.append(_loads(con, schema, tables))
        mapping = src.connector.mapping(MappingContext(src.name, schema, src.config, tables))
        customers += [
            _wrap(src.name, sql, CUSTOMER_RECORD_COLUMNS, con, "customer records")
            for sql in mapping.customer_records
        ]
        events += [_wrap(src.name, sql, EVENT_COLUMNS, con, "events") for sql in mapping.events]
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
    customer_sql = (
        "SELECT * FROM cdp_mapped_records WHERE record_id IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY source, record_id "
        "ORDER BY updated_at DESC NULLS LAST, created_at DESC NULLS LAST) = 1"
    )
    # A record without an id cannot be tracked: it is kept aside as a rejected row, not dropped.
    rejects.append(
        "SELECT source, CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS line, "
        "'the mapping gave this record no record_id' AS reason, "
        "CAST(to_json(r) AS VARCHAR) AS raw FROM cdp_mapped_records r WHERE record_id IS NULL"
    )
    reject_sql = "\nUNION ALL\n".join(rejects)
    union = _union(customers, CUSTOMER_RECORD_COLUMNS)
    fingerprint = hashlib.sha256(
        "\n".join([union, *events, reject_sql, *loads]).encode()
    ).hexdigest()
    con.execute(
        "CREATE TABLE IF NOT EXISTS staging._cdp_build (fingerprint VARCHAR, built_at TIMESTAMPTZ)"
    )
    built = con.execute("SELECT fingerprint FROM staging._cdp_build").fetchall()
    rebuilt = force or built != [(fingerprint,)]
    con.execute("BEGIN TRANSACTION")
    try:
        if not rebuilt:
            con.execute("ROLLBACK")
            return {**_counts(con), "staging_rebuilt": 0}
        con.execute(f"CREATE OR REPLACE TEMP TABLE cdp_mapped_records AS {union}")
        con.execute(f"CREATE OR REPLACE TABLE staging.customer_records AS {customer_sql}")
        con.execute(f"CREATE OR REPLACE TABLE staging.events AS {_union(events, EVENT_COLUMNS)}")
        con.execute(f"CREATE OR REPLACE TABLE staging.rejected_rows AS {reject_sql}")
        con.execute("DROP TABLE cdp_mapped_records")
        con.execute("DELETE FROM staging._cdp_build")
        con.execute("INSERT INTO staging._cdp_build VALUES (?, now())", [fingerprint])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {**_counts(con), "staging_rebuilt": 1}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = con.execute(
        "SELECT (SELECT count(*) FROM staging.customer_records), (SELECT count(*) FROM staging.events), "
        "(SELECT count(*) FROM staging.rejected_rows)"
    ).fetchall()[0]
    return {"customer_records": counts[0], "events": counts[1], "rejected_rows": counts[2]}
