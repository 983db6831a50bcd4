-- Where a request's audit events belong (team, environment, module), so the audit page can
-- filter 10 million events by any of them through an index. Written by backend::audit::append
-- in the same transaction as the event; not part of the hash chain (it is derived from the
-- request). Kept column-for-column identical to
-- migrations/postgres/0005_audit_scope.sql.
CREATE TABLE audit_request_scope (
    seq         INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL,
    team        TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    module      TEXT    NOT NULL
);
CREATE INDEX audit_request_scope_team ON audit_request_scope (team, seq);
CREATE INDEX audit_request_scope_environment ON audit_request_scope (environment, seq);
CREATE INDEX audit_request_scope_module ON audit_request_scope (module, seq);

CREATE TRIGGER audit_request_scope_no_update BEFORE UPDATE ON audit_request_scope
BEGIN
    SELECT RAISE(ABORT, 'audit_request_scope is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER audit_request_scope_no_delete BEFORE DELETE ON audit_request_scope
BEGIN
    SELECT RAISE(ABORT, 'audit_request_scope is append-only: DELETE is not allowed');
END;
