-- The pull request's own conversation on GitHub, for the request page: comments on the pull
-- request (`issue_comment`), comments on its files (`pull_request_review_comment`) and reviews
-- (`pull_request_review`) with their text. One row per GitHub comment or review, keyed by
-- GitHub's id: a redelivery or an edit updates the row, never adds one; a deletion marks it.
-- Comments Infradesk posted itself are not stored (they are in the audit trail already).
-- Kept column-for-column identical to migrations/sqlite/0009_github_comments.sql.
CREATE TABLE github_comments (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      BIGINT  NOT NULL REFERENCES requests (id),
    -- issue_comment | review_comment | review
    kind            TEXT    NOT NULL,
    -- GitHub's id of the comment or review
    github_id       BIGINT  NOT NULL,
    -- the author's GitHub login, and the Infradesk user it is mapped to when there is one
    author_login    TEXT    NOT NULL,
    user_id         BIGINT  REFERENCES users (id),
    -- reviews: approved | changes_requested | commented | dismissed; NULL for comments
    state           TEXT,
    -- plain text as written on GitHub (never rendered as HTML), cut to a bounded length with
    -- a marker saying so
    body            TEXT    NOT NULL,
    -- the file a review comment is on
    path            TEXT,
    url             TEXT,
    -- reviews: what the review did in Infradesk, e.g. why it does not count
    note            TEXT,
    -- the request's current revision when the comment was first seen
    revision        BIGINT  NOT NULL,
    -- GitHub's creation time (the conversation's order)
    created_at_ms   BIGINT  NOT NULL,
    -- GitHub's updated_at (RFC 3339, UTC, so it sorts as text): an older event never
    -- overwrites a newer one
    host_updated_at TEXT,
    edited_at_ms    BIGINT,
    deleted_at_ms   BIGINT,
    UNIQUE (kind, github_id)
);
CREATE INDEX github_comments_request ON github_comments (request_id, created_at_ms);
