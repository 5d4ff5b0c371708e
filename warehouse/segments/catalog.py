"""The tables a segment may read and their columns: the warehouse contract, plus what the
warehouse actually holds when it is open (``raw_<source>`` tables, extra columns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdp.connector import CUSTOMER_RECORD_COLUMNS, EVENT_COLUMNS
from warehouse.segments.rules import ALLOWED_SCHEMAS
from warehouse.traits import PROFILE_COLUMNS

if TYPE_CHECKING:
    import duckdb

__all__ = ["MEMBER_COLUMNS", "Catalog", "contract_catalog", "warehouse_catalog"]

#: schema -> table -> column -> type
Catalog = dict[str, dict[str, dict[str, str]]]

MEMBERSHIP_COLUMNS = {
    "segment": "VARCHAR",
    "profile_id": "VARCHAR",
    "entered_at": "TIMESTAMPTZ",
    "exited_at": "TIMESTAMPTZ",
    "cdp_holdout": "BOOLEAN",
}
RUNS_COLUMNS = {
    "run_id": "VARCHAR",
    "segment": "VARCHAR",
    "started_at": "TIMESTAMPTZ",
    "members": "BIGINT",
    "holdout": "BIGINT",
    "entered": "BIGINT",
    "exited": "BIGINT",
    "skipped_rows": "BIGINT",
    "status": "VARCHAR",
    "error": "VARCHAR",
    "seconds": "DOUBLE",
}
#: The first columns of every ``segments.<name>`` table.
MEMBER_COLUMNS = {"profile_id": "VARCHAR", "cdp_holdout": "BOOLEAN"}


def contract_catalog() -> Catalog:
    """The tables every warehouse has (or will have) by contract."""
    return {
        "staging": {
            "customer_records": dict(CUSTOMER_RECORD_COLUMNS),
            "events": dict(EVENT_COLUMNS),
        },
        "identity": {
            "record_profiles": {
                "source": "VARCHAR",
                "record_id": "VARCHAR",
                "profile_id": "VARCHAR",
            },
        },
        "profiles": {"profiles": dict(PROFILE_COLUMNS)},
        "segments": {"membership": dict(MEMBERSHIP_COLUMNS), "runs": dict(RUNS_COLUMNS)},
    }


def warehouse_catalog(con: duckdb.DuckDBPyConnection | None) -> Catalog:
    """The contract, with the warehouse's own tables laid over it (segment tables excluded:
    a segment's columns come from its file, so a deleted file is not a readable segment)."""
    catalog = contract_catalog()
    if con is None:
        return catalog
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND (table_schema IN ('staging', 'identity', 'profiles') "
        "OR table_schema LIKE 'raw\\_%' ESCAPE '\\') ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, type_ in rows:
        seen.setdefault((schema, table), {})[column] = type_
    for (schema, table), columns in seen.items():
        catalog.setdefault(schema, {})[table] = columns
    return catalog


def allowed_schema(schema: str) -> bool:
    return schema in ALLOWED_SCHEMAS or schema.startswith("raw_")
