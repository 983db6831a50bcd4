-- Content-creating calls to the infra repository's host in the last hour, shared by every
-- replica's outbox worker so together they keep to GitHub's limits (80 a minute, 500 an
-- hour). Rows older than the longest window are deleted as reservations are made.
-- Kept identical to migrations/sqlite/0007_host_pacing.sql.
CREATE TABLE host_writes (
    id    BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    cost  BIGINT NOT NULL
);
CREATE INDEX host_writes_at ON host_writes (at_ms);
