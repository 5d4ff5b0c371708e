"""Helpers: a project folder with a cdp.yml, and records put into staging.customer_records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cdp.config import Project, load_project
from cdp.connector import CUSTOMER_RECORD_COLUMNS
from warehouse.connection import connect, ensure_layout

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def rec(source: str, record_id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in CUSTOMER_RECORD_COLUMNS}
    row.update(source=source, record_id=record_id, deleted=False, updated_at=NOW, created_at=NOW)
    row.update(fields)
    return row


def insert(con: duckdb.DuckDBPyConnection, rows: Iterable[dict[str, Any]]) -> None:
    ensure_layout(con)
    cols = list(CUSTOMER_RECORD_COLUMNS)
    for row in rows:
        con.execute(
            "DELETE FROM staging.customer_records WHERE source = ? AND record_id = ?",
            [row["source"], row["record_id"]],
        )
        values = [row.get(c) for c in cols]
        placeholders = ", ".join("?" for _ in cols)
        con.execute(
            f"INSERT INTO staging.customer_records ({', '.join(cols)}) VALUES ({placeholders})",
            values,
        )


def write_project(root: Path, identity_yaml: str = "") -> Project:
    (root / "cdp.yml").write_text("name: test\n" + identity_yaml, encoding="utf-8")
    return load_project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path)


@pytest.fixture
def warehouse(project: Project):  # type: ignore[no-untyped-def]
    con = connect(project.warehouse_path)
    ensure_layout(con)
    yield con
    con.close()
