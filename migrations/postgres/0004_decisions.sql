-- Review decisions. Kept column-for-column identical to migrations/sqlite/0004_decisions.sql.

-- One row per person, revision and place of approval; whether it counts is decided when
-- counting (domain::approval::tally: current revision, four eyes, distinct people).
CREATE TABLE approvals (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    BIGINT  NOT NULL REFERENCES requests (id),
    revision      BIGINT  NOT NULL,
    user_id       BIGINT  NOT NULL REFERENCES users (id),
    -- infradesk | github
    source        TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    UNIQUE (request_id, revision, user_id, source)
);
CREATE INDEX approvals_request ON approvals (request_id, revision);

-- The conversation: comments, requested changes, rejections and approvals with what was said.
CREATE TABLE review_comments (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    BIGINT  NOT NULL REFERENCES requests (id),
    revision      BIGINT  NOT NULL,
    author_id     BIGINT  NOT NULL REFERENCES users (id),
    -- comment | approved | changes_requested | rejected
    kind          TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL
);
CREATE INDEX review_comments_request ON review_comments (request_id, id);

-- The teams the current revision is routed to (from its routing), for the approval queue:
-- rewritten with every revision.
CREATE TABLE request_routes (
    request_id BIGINT  NOT NULL REFERENCES requests (id),
    team_slug  TEXT    NOT NULL,
    approvals  BIGINT  NOT NULL,
    PRIMARY KEY (request_id, team_slug)
);
CREATE INDEX request_routes_team ON request_routes (team_slug, request_id);
