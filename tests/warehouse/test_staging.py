"""The staging rebuild: canonical columns and types, and nothing silently dropped."""

from __future__ import annotations

import duckdb
import pytest

from cdp.connector import CanonicalMapping, SourceConnector
from cdp.errors import ConnectorError
from warehouse.connection import ensure_layout
from warehouse.staging import MappedSource, rebuild_staging


def _source(*sql: str, events: tuple[str, ...] = ()) -> MappedSource:
    connector = SourceConnector(
        name="t",
        description="",
        build=lambda ctx: [],
        mapping=lambda ctx: CanonicalMapping(customer_records=list(sql), events=list(events)),
    )
    return MappedSource("crm", connector, None)


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_layout(con)
    con.execute(
        "CREATE SCHEMA raw_crm; CREATE TABLE raw_crm.people (id VARCHAR, mail VARCHAR, seen VARCHAR)"
    )
    con.execute(
        "INSERT INTO raw_crm.people VALUES ('1', 'a@x.com', '2024-01-01'), (NULL, 'b@x.com', NULL), "
        "('1', 'a2@x.com', '2024-02-01')"
    )
    yield con
    con.close()


def test_records_without_an_id_are_rejected_not_dropped_and_duplicates_keep_the_latest(con):
    sql = "SELECT id AS record_id, mail AS email, seen AS updated_at FROM raw_crm.people"
    counts = rebuild_staging(con, [_source(sql)])
    assert counts["customer_records"] == 1 and counts["rejected_rows"] == 1
    assert con.execute(
        "SELECT source, record_id, email, updated_at::DATE::VARCHAR FROM staging.customer_records"
    ).fetchall() == [("crm", "1", "a2@x.com", "2024-02-01")]
    (reason, raw) = con.execute("SELECT reason, raw FROM staging.rejected_rows").fetchall()[0]
    assert "no record_id" in reason and "b@x.com" in raw


def test_a_non_canonical_column_is_an_error_naming_it(con):
    with pytest.raises(ConnectorError, match="non-canonical column.*e_mail"):
        rebuild_staging(
            con, [_source("SELECT id AS record_id, mail AS e_mail FROM raw_crm.people")]
        )


def test_a_mapping_that_does_not_run_names_its_source(con):
    with pytest.raises(ConnectorError, match="source 'crm'.*customer records mapping does not run"):
        rebuild_staging(con, [_source("SELECT nope AS record_id FROM raw_crm.people")])


def test_json_columns_are_stored_with_zstd_and_read_back_as_written(con):
    sql = (
        "SELECT id AS record_id, seen AS updated_at, json_object('seen', seen) AS attributes "
        "FROM raw_crm.people WHERE id IS NOT NULL"
    )
    event = "SELECT mail AS event_id, 'Seen' AS event, json_object('mail', mail) AS properties FROM raw_crm.people"
    rebuild_staging(con, [_source(sql, events=(event,))], force=True)
    con.execute("CHECKPOINT")
    for table, column in (("customer_records", "attributes"), ("events", "properties")):
        assert con.execute(
            f"SELECT DISTINCT compression FROM pragma_storage_info('staging.{table}') "
            f"WHERE column_name = '{column}' AND segment_type = 'JSON'"
        ).fetchall() == [("ZSTD",)]
    assert con.execute(
        "SELECT attributes->>'seen', typeof(attributes) FROM staging.customer_records"
    ).fetchall() == [("2024-02-01", "JSON")]
    assert con.execute("SELECT properties->>'mail' FROM staging.events ORDER BY 1").fetchall() == [
        ("a2@x.com",),
        ("a@x.com",),
        ("b@x.com",),
    ]
