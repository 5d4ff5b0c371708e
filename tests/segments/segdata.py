"""Test data for segments: golden records, record links and events filled with SQL."""

from __future__ import annotations

from pathlib import Path

from warehouse.connection import connect, ensure_layout

NOW = "2026-01-31T00:00:00+00:00"

GOLDEN_SQL = """
CREATE OR REPLACE TABLE identity.golden_records AS
SELECT 'p' || i AS profile_id, 'user' || i || '@example.com' AS email, NULL::VARCHAR AS phone,
       'First' || i AS first_name, 'Last' || i AS last_name, NULL::VARCHAR AS street,
       NULL::VARCHAR AS city, NULL::VARCHAR AS postcode, NULL::VARCHAR AS region,
       CASE WHEN i % 2 = 0 THEN 'US' ELSE 'DE' END AS country, NULL::DATE AS date_of_birth,
       true AS consent_email, false AS consent_sms, MAP {}::MAP(VARCHAR, VARCHAR) AS external_ids,
       ['shop'] AS sources, 1 AS record_count, '{}'::JSON AS field_sources,
       TIMESTAMPTZ '2025-01-01' AS first_seen_at, TIMESTAMPTZ '2025-01-01' AS updated_at
FROM range(?) AS t(i)
"""
LINKS_SQL = """
CREATE OR REPLACE TABLE identity.record_profiles AS
SELECT 'shop' AS source, 'c' || i AS record_id, 'p' || i AS profile_id FROM range(?) AS t(i)
"""
# The customer records behind those profiles, so that a real identity run finds them again
# (and, as records keep their profile, under the same ids).
RECORDS_SQL = """
INSERT INTO staging.customer_records (source, record_id, email, first_name, last_name, country,
                                      consent_email, consent_sms, created_at, updated_at)
SELECT 'shop', 'c' || i, 'user' || i || '@example.com', 'First' || i, 'Last' || i,
       CASE WHEN i % 2 = 0 THEN 'US' ELSE 'DE' END, true, false,
       TIMESTAMPTZ '2025-01-01', TIMESTAMPTZ '2025-01-01'
FROM range(?) AS t(i)
"""
# profile i (i < n) orders i % 5 times, the last one (i % 40) days before NOW, 100 each
ORDERS_SQL = """
INSERT INTO staging.events (source, event_id, record_id, email, event, "timestamp", revenue)
SELECT 'shop', 'o' || i || '-' || k, 'c' || i, NULL, 'Order Completed',
       TIMESTAMPTZ '2026-01-31' - to_days((i % 40)::INTEGER + k), 100
FROM range(?) AS t(i), range(5) AS r(k) WHERE k < i % 5
"""


def fill(db: Path, profiles: int = 50) -> None:
    con = connect(db)
    try:
        ensure_layout(con)
        con.execute(GOLDEN_SQL, [profiles])
        con.execute(LINKS_SQL, [profiles])
        con.execute("DELETE FROM staging.customer_records")
        con.execute(RECORDS_SQL, [profiles])
        con.execute("DELETE FROM staging.events")
        con.execute(ORDERS_SQL, [profiles])
    finally:
        con.close()


def query(project: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = connect(project / ".cdp" / "warehouse.duckdb", read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
