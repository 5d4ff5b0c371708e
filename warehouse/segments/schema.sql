-- Tables the segments stage keeps next to the segments.<name> member tables.

-- One row per stay of a profile in a segment: entered_at when it joined, exited_at when it
-- left (NULL while still a member). cdp_holdout: it is in the segment's control group.
CREATE TABLE IF NOT EXISTS segments.membership (
    segment     VARCHAR NOT NULL,
    profile_id  VARCHAR NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL,
    exited_at   TIMESTAMPTZ,
    cdp_holdout BOOLEAN NOT NULL DEFAULT false
);

-- One row per segment per run: sizes for trends, and what went wrong.
-- status: succeeded | failed | skipped (an upstream segment failed) | retired (file removed)
CREATE TABLE IF NOT EXISTS segments.runs (
    run_id       VARCHAR NOT NULL,
    segment      VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    members      BIGINT,
    holdout      BIGINT,
    entered      BIGINT,
    exited       BIGINT,
    skipped_rows BIGINT,
    status       VARCHAR NOT NULL,
    error        VARCHAR,
    seconds      DOUBLE
);
