-- Where a request's audit events belong (team, environment, module), so the audit page can
-- filter 10 million events by any of them through an index. Written by backend::audit::append
-- in the same transaction as the event; not part of the hash chain (it is derived from the
-- request). Kept column-for-column identical to migrations/sqlite/0005_audit_scope.sql.
CREATE TABLE audit_request_scope (
    seq         BIGINT PRIMARY KEY,
    request_id  BIGINT NOT NULL,
    team        TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    module      TEXT   NOT NULL
);
CREATE INDEX audit_request_scope_team ON audit_request_scope (team, seq);
CREATE INDEX audit_request_scope_environment ON audit_request_scope (environment, seq);
CREATE INDEX audit_request_scope_module ON audit_request_scope (module, seq);

CREATE FUNCTION append_only_table() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_request_scope_no_update BEFORE UPDATE ON audit_request_scope
    FOR EACH ROW EXECUTE FUNCTION append_only_table();
CREATE TRIGGER audit_request_scope_no_delete BEFORE DELETE ON audit_request_scope
    FOR EACH ROW EXECUTE FUNCTION append_only_table();
