-- The approval queue's own table: one row per open request (in review or changes requested)
-- and routed team whose approvals are still incomplete, kept by the code that changes a
-- request's status, routing or approvals (backend/src/requests/queue_rows.rs), in the same
-- transaction. The queue, its filters and its counts then read only open work, however many
-- closed requests there are (docs/BENCHMARKS.md: 1,000,000 requests).
-- Kept identical to migrations/sqlite/0008_review_queue.sql.
CREATE TABLE review_queue (
    request_id    BIGINT NOT NULL REFERENCES requests (id),
    team_slug     TEXT    NOT NULL,
    -- in_review | changes_requested
    status        TEXT    NOT NULL,
    environment   TEXT    NOT NULL,
    module_id     TEXT    NOT NULL,
    created_at_ms BIGINT NOT NULL,
    -- Approvals this team still has to give for the current revision (always > 0).
    needed        BIGINT NOT NULL,
    -- ",id,id," of the users who cannot or need not approve the current revision: the
    -- requester, every author of a revision and everyone who approved it. "Needs me" is a
    -- NOT LIKE on it, answered from the facets index without reading approvals.
    done_by       TEXT    NOT NULL,
    PRIMARY KEY (request_id, team_slug)
);
-- Pages, oldest first: by team and status, or by team, status and environment or module.
CREATE INDEX review_queue_order ON review_queue (team_slug, status, created_at_ms, request_id);
CREATE INDEX review_queue_environment ON review_queue (team_slug, status, environment, created_at_ms, request_id);
CREATE INDEX review_queue_module ON review_queue (team_slug, status, module_id, created_at_ms, request_id);
-- The counts per filter, read from this index alone.
CREATE INDEX review_queue_facets ON review_queue (team_slug, status, environment, module_id, done_by);

-- review_queue replaces the routes table (0004), which kept rows of closed requests too.
DROP TABLE request_routes;

-- One-off work a migration asks the application to do (what SQL alone cannot compute, such
-- as counting approvals with four eyes). Each row is done and deleted at the next start.
CREATE TABLE maintenance_tasks (
    name TEXT PRIMARY KEY
);
INSERT INTO maintenance_tasks (name) VALUES ('rebuild_review_queue');
