"""The second wall: with the validator bypassed, the engine still refuses hostile SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from segdata import fill

from warehouse.connection import connect
from warehouse.segments.errors import SegmentError
from warehouse.segments.sandbox import Sandbox

HOSTILE = [
    "DROP TABLE profiles.profiles",
    "DELETE FROM identity.golden_records",
    "INSERT INTO identity.golden_records (profile_id) VALUES ('x')",
    "CREATE TABLE segments.evil AS SELECT 1",
    "COPY identity.golden_records TO '{tmp}/stolen.csv'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "EXPORT DATABASE '{tmp}/export'",
    "SELECT 1 AS profile_id; DROP TABLE identity.golden_records",
    "SELECT * FROM read_csv('{tmp}/secret.csv')",
    "SELECT * FROM '{tmp}/secret.csv'",
    "SELECT * FROM read_text('{tmp}/secret.csv')",
    "SELECT * FROM glob('{tmp}/*')",
    "SELECT * FROM query('DROP TABLE identity.golden_records')",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM pandas_frame",
]


@pytest.fixture
def box(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "secret.csv").write_text("a\n1\n")
    fill(tmp_path / "wh.duckdb", profiles=10)
    con = connect(tmp_path / "wh.duckdb")
    sandbox = Sandbox(con)
    yield sandbox
    sandbox.close()
    con.close()


@pytest.mark.parametrize("sql", HOSTILE)
def test_engine_refuses_hostile_sql(box: Sandbox, tmp_path: Path, sql: str) -> None:
    pandas_frame = {"a": [1]}  # noqa: F841  (a Python variable a replacement scan could find)
    with pytest.raises(SegmentError):
        box.query(sql.format(tmp=tmp_path), timeout=10)
    assert not (tmp_path / "stolen.csv").exists()
    assert box.cur.execute("SELECT count(*) FROM identity.golden_records").fetchall() == [(10,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "SET memory_limit = '100GB'",
        "COPY identity.golden_records TO '{tmp}/stolen.csv'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "INSTALL httpfs",
        "SELECT * FROM read_csv('{tmp}/secret.csv')",
    ],
)
def test_duckdb_itself_refuses_behind_the_gate(box: Sandbox, tmp_path: Path, sql: str) -> None:
    """Even raw execute on the sandbox cursor (no gate) cannot reach files or change settings."""
    with pytest.raises(duckdb.Error):
        box.cur.execute(sql.format(tmp=tmp_path)).fetchall()
    assert not (tmp_path / "stolen.csv").exists()


def test_a_select_runs(box: Sandbox) -> None:
    names, rows = box.query(
        "SELECT profile_id FROM identity.golden_records ORDER BY 1", timeout=10, limit=2
    )
    assert names == ["profile_id"] and rows == [("p0",), ("p1",)]


def test_runaway_query_is_stopped_at_the_time_limit(box: Sandbox) -> None:
    with pytest.raises(SegmentError, match="time limit"):
        box.query(
            "SELECT profile_id FROM identity.golden_records, range(1000000000000) AS t(i) "
            "WHERE hash(i + length(profile_id)) = 42",
            timeout=0.5,
        )
    # the cursor is still usable afterwards
    assert box.cur.execute("SELECT count(*) FROM identity.golden_records").fetchall() == [(10,)]
