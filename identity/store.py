"""The identity schema's tables: created on demand, written in one transaction per run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["ensure_tables"]

# (JSON columns are stored with zstd: see warehouse.connection.create_table_sql.)
DDL = """
CREATE SCHEMA IF NOT EXISTS identity;
-- Which profile each live customer record belongs to.
CREATE TABLE IF NOT EXISTS identity.record_profiles (
    source VARCHAR NOT NULL, record_id VARCHAR NOT NULL, profile_id VARCHAR NOT NULL
);
-- The links that hold each profile together now: rule, evidence, score.
CREATE TABLE IF NOT EXISTS identity.links (
    profile_id VARCHAR, source_a VARCHAR, record_id_a VARCHAR, source_b VARCHAR,
    record_id_b VARCHAR, rule VARCHAR, score DOUBLE, evidence JSON USING COMPRESSION zstd
);
-- Append-only history: new profiles, records joining, merges, splits, moves, removals.
CREATE TABLE IF NOT EXISTS identity.merge_journal (
    run_id VARCHAR, logged_at TIMESTAMPTZ, action VARCHAR, profile_id VARCHAR,
    other_profile_id VARCHAR, source VARCHAR, record_id VARCHAR, rule VARCHAR,
    evidence JSON USING COMPRESSION zstd, score DOUBLE
);
-- Every profile id ever issued: when, and into which profile it was merged if retired.
CREATE TABLE IF NOT EXISTS identity.profile_ids (
    profile_id VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ, retired_into VARCHAR
);
-- A user's corrections: never_merge / always_merge (two records), unmerge (a profile).
CREATE TABLE IF NOT EXISTS identity.overrides (
    kind VARCHAR NOT NULL, source_a VARCHAR, record_id_a VARCHAR, source_b VARCHAR,
    record_id_b VARCHAR, created_at TIMESTAMPTZ, note VARCHAR
);
CREATE TABLE IF NOT EXISTS identity.golden_records (
    profile_id VARCHAR, email VARCHAR, phone VARCHAR, first_name VARCHAR, last_name VARCHAR,
    street VARCHAR, city VARCHAR, postcode VARCHAR, region VARCHAR, country VARCHAR,
    date_of_birth DATE, consent_email BOOLEAN, consent_sms BOOLEAN,
    external_ids MAP(VARCHAR, VARCHAR), sources VARCHAR[], record_count INTEGER,
    field_sources JSON USING COMPRESSION zstd, first_seen_at TIMESTAMPTZ, updated_at TIMESTAMPTZ
);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    from identity.golden import GOLDEN_HASHES_DDL
    from identity.state import STATE_DDL

    con.execute(DDL)
    con.execute(STATE_DDL)
    con.execute(GOLDEN_HASHES_DDL)
