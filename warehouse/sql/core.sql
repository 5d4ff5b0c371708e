-- Schemas of the warehouse layout (SPEC.md) and the tables cdp itself keeps.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS identity;
CREATE SCHEMA IF NOT EXISTS profiles;
CREATE SCHEMA IF NOT EXISTS segments;
CREATE SCHEMA IF NOT EXISTS sync;
CREATE SCHEMA IF NOT EXISTS cdp;

-- Every `cdp sync`: one row, inserted as 'running' when it starts and updated when it ends.
-- status: running | succeeded | partial | failed | interrupted (killed before it could finish)
CREATE TABLE IF NOT EXISTS cdp.runs (
    run_id      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,
    command     VARCHAR,
    stages      JSON,
    error       VARCHAR,
    cdp_version VARCHAR,
    host        VARCHAR,
    pid         INTEGER
);

-- Rows a source could not read, kept with where they came from and why.
CREATE TABLE IF NOT EXISTS staging.rejected_rows (
    source VARCHAR,
    file   VARCHAR,
    line   BIGINT,
    reason VARCHAR,
    raw    VARCHAR
);
