-- The syncs' own tables (schema sync). Created if missing at the start of the destinations stage.

-- What each sync has delivered to its destination: one row per member, replaced in the same
-- transaction as each batch's outcome (so a killed run keeps exactly what it sent).
CREATE TABLE IF NOT EXISTS sync.delivered_state (
    sync_key     VARCHAR NOT NULL,
    profile_id   VARCHAR NOT NULL,
    row_hash     VARCHAR,
    payload      VARCHAR,       -- the fields as sent (JSON), used to remove the member later
    removed      BOOLEAN NOT NULL,
    delivered_at TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR,
    seq          BIGINT NOT NULL
);

-- One row per sync per run: what was planned and what happened.
CREATE TABLE IF NOT EXISTS sync.runs (
    run_id           VARCHAR NOT NULL,
    sync_key         VARCHAR NOT NULL,
    segment          VARCHAR,
    destination      VARCHAR,
    mode             VARCHAR,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    status           VARCHAR,     -- succeeded | partial | failed
    planned_add      BIGINT,
    planned_update   BIGINT,
    planned_remove   BIGINT,
    added            BIGINT,
    updated          BIGINT,
    removed          BIGINT,
    failed           BIGINT,
    terminal         BIGINT,
    retried          BIGINT,
    requests         BIGINT,
    retried_requests BIGINT,
    excluded_holdout BIGINT,
    excluded_consent BIGINT,
    error            VARCHAR
);

-- Every row a run tried to deliver: action add | update | remove, status sent | failed | terminal.
CREATE TABLE IF NOT EXISTS sync.changelog (
    run_id      VARCHAR NOT NULL,
    sync_key    VARCHAR NOT NULL,
    destination VARCHAR,
    profile_id  VARCHAR,
    action      VARCHAR,
    status      VARCHAR,
    reason      VARCHAR,
    logged_at   TIMESTAMPTZ
);

-- Rows whose last delivery failed. Non-terminal ones are retried by the next run; terminal
-- ones are not retried until the row itself changes (another row_hash).
CREATE TABLE IF NOT EXISTS sync.failures (
    sync_key    VARCHAR NOT NULL,
    profile_id  VARCHAR NOT NULL,
    row_hash    VARCHAR,
    action      VARCHAR,
    reason      VARCHAR,
    terminal    BOOLEAN,
    attempts    INTEGER,
    last_run_id VARCHAR,
    failed_at   TIMESTAMPTZ
);
