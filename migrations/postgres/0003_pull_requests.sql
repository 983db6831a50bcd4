-- Pull requests, the outbox that opens and changes them, and GitHub webhook deliveries.
-- Kept column-for-column identical to migrations/sqlite/0003_pull_requests.sql.

-- Work for the version-control host, committed in the same transaction as the state change
-- that asks for it. A worker claims a due job by setting locked_until_ms (a claim that
-- lapses is taken again: the worker died), calls the host, and records the outcome.
CREATE TABLE outbox_jobs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      BIGINT  NOT NULL REFERENCES requests (id),
    -- open_pr | update_pr | merge_pr | close_pr
    kind            TEXT    NOT NULL,
    -- pending (waiting or running) | done | failed (gave up; an admin may retry)
    state           TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    run_at_ms       BIGINT  NOT NULL,
    locked_until_ms BIGINT,
    locked_by       TEXT,
    last_error      TEXT,
    created_at_ms   BIGINT  NOT NULL,
    updated_at_ms   BIGINT  NOT NULL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (state, run_at_ms);
CREATE INDEX outbox_jobs_request ON outbox_jobs (request_id, id);

-- The pull request of a request (one per request; its branch carries the request number).
CREATE TABLE pull_requests (
    request_id      BIGINT  PRIMARY KEY REFERENCES requests (id),
    number          BIGINT  NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    branch          TEXT    NOT NULL UNIQUE,
    -- The head Infradesk last made, and the head the host last reported.
    rendered_head   TEXT    NOT NULL,
    head_sha        TEXT    NOT NULL,
    -- open | closed | merged
    state           TEXT    NOT NULL,
    -- The plan status from checks on head_sha: pending | success | failure (NULL: none yet).
    checks_status   TEXT,
    checks_detail   TEXT,
    -- A head pushed by someone else: approvals wait until re-rendered or accepted.
    changed_outside BIGINT  NOT NULL DEFAULT 0,
    merged_without_approval BIGINT  NOT NULL DEFAULT 0,
    -- Why the pull request needs a person before it can merge (a merge conflict); NULL: fine.
    attention       TEXT,
    merge_commit    TEXT,
    -- GitHub's updated_at of the newest pull_request event applied: older events are ignored.
    host_updated_at TEXT,
    opened_at_ms    BIGINT  NOT NULL,
    updated_at_ms   BIGINT  NOT NULL
);

-- Every accepted GitHub webhook delivery; a redelivery (same id) is a no-op.
CREATE TABLE webhook_deliveries (
    delivery_id     TEXT    PRIMARY KEY,
    event           TEXT    NOT NULL,
    action          TEXT,
    body            TEXT    NOT NULL,
    received_at_ms  BIGINT  NOT NULL,
    processed_at_ms BIGINT,
    -- applied | ignored | failed, and why
    outcome         TEXT,
    detail          TEXT
);
CREATE INDEX webhook_deliveries_unprocessed ON webhook_deliveries (processed_at_ms, received_at_ms);
