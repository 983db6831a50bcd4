-- Requests and their revisions. Kept column-for-column identical to
-- migrations/postgres/0002_requests.sql (flags 0/1, times in Unix milliseconds, JSON as TEXT).

-- Every module definition a request was made with, by content digest, so an open request
-- keeps the version it was made with when the catalog is reloaded.
CREATE TABLE module_versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    module_id     TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    definition    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (module_id, digest)
);

-- The request number is the id.
CREATE TABLE requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id          INTEGER NOT NULL REFERENCES teams (id),
    requester_id     INTEGER NOT NULL REFERENCES users (id),
    module_id        TEXT    NOT NULL,
    environment      TEXT    NOT NULL,
    instance_name    TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    current_revision INTEGER NOT NULL,
    -- Optimistic locking: every change sets version = version + 1 WHERE version = <read>.
    version          INTEGER NOT NULL DEFAULT 1,
    -- One request per form submission, however often the form is sent.
    idempotency_key  TEXT    NOT NULL UNIQUE,
    created_at_ms    INTEGER NOT NULL,
    updated_at_ms    INTEGER NOT NULL
);
-- An instance name is taken in an environment while a request for it is live or pending;
-- a cancelled or rejected request gives it back.
CREATE UNIQUE INDEX requests_live_instance ON requests (environment, instance_name)
    WHERE status NOT IN ('cancelled', 'rejected');
CREATE INDEX requests_team ON requests (team_id, id);
CREATE INDEX requests_requester ON requests (requester_id, id);
CREATE INDEX requests_status ON requests (status, id);

CREATE TABLE request_revisions (
    request_id        INTEGER NOT NULL REFERENCES requests (id),
    revision          INTEGER NOT NULL,
    module_version_id INTEGER NOT NULL REFERENCES module_versions (id),
    -- Typed inputs in declaration order: [[name, value], ...].
    inputs            TEXT    NOT NULL,
    -- The form's controls, to edit the revision later.
    form              TEXT    NOT NULL,
    rendered          TEXT    NOT NULL,
    content_hash      TEXT    NOT NULL,
    path              TEXT    NOT NULL,
    routing           TEXT    NOT NULL,
    checks            TEXT    NOT NULL,
    justification     TEXT    NOT NULL,
    author_id         INTEGER NOT NULL REFERENCES users (id),
    created_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (request_id, revision)
);
