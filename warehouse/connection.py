"""Opening the project's DuckDB file and laying out its schemas."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import duckdb

from cdp.connector import CUSTOMER_RECORD_COLUMNS, EVENT_COLUMNS
from cdp.errors import WarehouseError

__all__ = [
    "RESERVED_SCHEMAS",
    "connect",
    "create_table_sql",
    "ensure_layout",
    "table_columns",
    "table_exists",
]

RESERVED_SCHEMAS = ("staging", "identity", "profiles", "segments", "sync", "cdp")


def connect(
    path: Path,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating it and its folder when writing).

    A file locked by another process is a :class:`WarehouseError` saying which one.
    """
    if path.stem in RESERVED_SCHEMAS or path.stem.startswith("raw_"):
        raise WarehouseError(
            f"{path}: the warehouse file may not be named after a schema ('{path.stem}'); "
            "pick another name in warehouse.path"
        )
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no warehouse yet; run 'cdp sync' first")
    path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
        # cdp draws its own progress display; DuckDB's bar would print over it.
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise WarehouseError(
                f"{path} is in use by another process ({text.split('Conflicting lock is held in')[-1].strip()}); "
                "wait for it to finish"
            ) from None
        raise WarehouseError(f"{path}: cannot open the warehouse: {text}") from None


def create_table_sql(name: str, columns: dict[str, str], *, replace: bool = False) -> str:
    """``CREATE TABLE`` of ``name`` with ``columns`` (name -> type); kept if it exists, unless
    ``replace``.

    JSON columns are stored with zstd: for the long, key-repeating text of a JSON object it
    writes about 2.5x faster than DuckDB's default (dict_fsst) into a file about 3x smaller,
    and reads as fast (1M customer records: 0.45 CPU-s less to write, 65 -> 40 MiB).
    """
    body = ", ".join(
        f'"{col}" {type_}{" USING COMPRESSION zstd" if type_ == "JSON" else ""}'
        for col, type_ in columns.items()
    )
    create = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
    return f"{create} {name} ({body})"


def ensure_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SPEC's schemas and cdp's own tables if they are missing (idempotent)."""
    con.execute(files("warehouse.sql").joinpath("core.sql").read_text(encoding="utf-8"))
    con.execute(create_table_sql("staging.customer_records", CUSTOMER_RECORD_COLUMNS))
    con.execute(create_table_sql("staging.events", EVENT_COLUMNS))


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(rows)


def table_columns(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, tuple[str, ...]]:
    """Every table of ``schema`` with its column names, in order."""
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [schema],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return {t: tuple(c) for t, c in out.items()}
