//! The rows of a batch of seeded requests and their multi-row `INSERT`s: up to 1,000 rows per
//! statement, fewer when the bind-parameter limit requires it (SQLite: 32,766 per statement;
//! PostgreSQL: 65,535 — the smaller one is used for both, so the statements are the same).

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};

use crate::db::{DbError, Dialect};

/// SQLite's limit on parameters in one statement (since 3.32); PostgreSQL allows 65,535.
const MAX_PARAMS: usize = 32_766;
/// Longer statements are no faster, and each stays well under sqlx's one-second
/// slow-statement warning (which would print the whole statement).
const MAX_ROWS: usize = 1_000;

pub(super) struct RequestRow {
    pub id: i64,
    pub team_id: i64,
    pub requester_id: i64,
    pub module_id: String,
    pub environment: String,
    pub instance_name: String,
    pub status: &'static str,
    pub current_revision: i64,
    pub version: i64,
    pub idempotency_key: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

pub(super) struct RevisionRow {
    pub request_id: i64,
    pub revision: i64,
    pub module_version_id: i64,
    pub inputs: String,
    pub form: String,
    pub rendered: String,
    pub content_hash: String,
    pub path: String,
    pub routing: String,
    pub checks: std::sync::Arc<str>,
    pub justification: &'static str,
    pub author_id: i64,
    pub created_at_ms: i64,
}

pub(super) struct PullRow {
    pub request_id: i64,
    pub number: i64,
    pub url: String,
    pub branch: String,
    pub head_sha: String,
    /// open | closed | merged
    pub state: &'static str,
    pub merge_commit: Option<String>,
    pub opened_at_ms: i64,
    pub updated_at_ms: i64,
}

pub(super) struct ApprovalRow {
    pub request_id: i64,
    pub revision: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
}

pub(super) struct CommentRow {
    pub request_id: i64,
    pub revision: i64,
    pub author_id: i64,
    /// comment | approved | changes_requested | rejected
    pub kind: &'static str,
    pub body: &'static str,
    pub created_at_ms: i64,
}

pub(super) struct JobRow {
    pub request_id: i64,
    /// open_pr | update_pr | merge_pr | close_pr
    pub kind: &'static str,
    /// pending | done
    pub state: &'static str,
    pub attempts: i64,
    /// The claim token of the worker that ran it (`None`: never claimed).
    pub locked_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Everything but the audit events of a batch of requests.
#[derive(Default)]
pub(super) struct Rows {
    pub requests: Vec<RequestRow>,
    pub revisions: Vec<RevisionRow>,
    pub pulls: Vec<PullRow>,
    pub approvals: Vec<ApprovalRow>,
    pub comments: Vec<CommentRow>,
    pub jobs: Vec<JobRow>,
}

type Q<'q> = Query<'q, Any, AnyArguments<'q>>;

impl Rows {
    pub(super) fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Inserts every row, parents first.
    pub(super) async fn write(&self, tx: &mut Transaction<'static, Any>, dialect: Dialect) -> Result<(), DbError> {
        // Request numbers are chosen by the seeder (events name them before the rows exist).
        let overriding = match dialect {
            Dialect::Postgres => " OVERRIDING SYSTEM VALUE",
            Dialect::Sqlite => "",
        };
        let head = format!(
            "INSERT INTO requests (id, team_id, requester_id, module_id, environment, instance_name, status, \
             current_revision, version, idempotency_key, created_at_ms, updated_at_ms){overriding}"
        );
        insert(tx, dialect, &head, 12, &self.requests, |q, r| {
            q.bind(r.id)
                .bind(r.team_id)
                .bind(r.requester_id)
                .bind(r.module_id.as_str())
                .bind(r.environment.as_str())
                .bind(r.instance_name.as_str())
                .bind(r.status)
                .bind(r.current_revision)
                .bind(r.version)
                .bind(r.idempotency_key.as_str())
                .bind(r.created_at_ms)
                .bind(r.updated_at_ms)
        })
        .await?;
        let head = "INSERT INTO request_revisions (request_id, revision, module_version_id, inputs, form, rendered, \
                    content_hash, path, routing, checks, justification, author_id, created_at_ms)";
        insert(tx, dialect, head, 13, &self.revisions, |q, r| {
            q.bind(r.request_id)
                .bind(r.revision)
                .bind(r.module_version_id)
                .bind(r.inputs.as_str())
                .bind(r.form.as_str())
                .bind(r.rendered.as_str())
                .bind(r.content_hash.as_str())
                .bind(r.path.as_str())
                .bind(r.routing.as_str())
                .bind(&*r.checks)
                .bind(r.justification)
                .bind(r.author_id)
                .bind(r.created_at_ms)
        })
        .await?;
        let head = "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
                    changed_outside, merged_without_approval, merge_commit, opened_at_ms, updated_at_ms)";
        insert(tx, dialect, head, 12, &self.pulls, |q, p| {
            q.bind(p.request_id)
                .bind(p.number)
                .bind(p.url.as_str())
                .bind(p.branch.as_str())
                .bind(p.head_sha.as_str())
                .bind(p.head_sha.as_str())
                .bind(p.state)
                .bind(0_i64)
                .bind(0_i64)
                .bind(p.merge_commit.as_deref())
                .bind(p.opened_at_ms)
                .bind(p.updated_at_ms)
        })
        .await?;
        let head = "INSERT INTO approvals (request_id, revision, user_id, source, created_at_ms)";
        insert(tx, dialect, head, 5, &self.approvals, |q, a| {
            q.bind(a.request_id).bind(a.revision).bind(a.user_id).bind("infradesk").bind(a.created_at_ms)
        })
        .await?;
        let head = "INSERT INTO review_comments (request_id, revision, author_id, kind, body, source, created_at_ms)";
        insert(tx, dialect, head, 7, &self.comments, |q, c| {
            q.bind(c.request_id)
                .bind(c.revision)
                .bind(c.author_id)
                .bind(c.kind)
                .bind(c.body)
                .bind("infradesk")
                .bind(c.created_at_ms)
        })
        .await?;
        let head = "INSERT INTO outbox_jobs (request_id, kind, state, attempts, run_at_ms, locked_by, created_at_ms, \
                    updated_at_ms)";
        insert(tx, dialect, head, 8, &self.jobs, |q, j| {
            q.bind(j.request_id)
                .bind(j.kind)
                .bind(j.state)
                .bind(j.attempts)
                .bind(j.created_at_ms)
                .bind(j.locked_by.as_deref())
                .bind(j.created_at_ms)
                .bind(j.updated_at_ms)
        })
        .await?;
        Ok(())
    }
}

/// `head VALUES (…), (…), …` for all of `rows`, in as few statements as the parameter limit
/// allows. `bind` binds one row's `columns` values in column order.
pub(super) async fn insert<T>(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    head: &str,
    columns: usize,
    rows: &[T],
    bind: for<'q> fn(Q<'q>, &'q T) -> Q<'q>,
) -> Result<(), DbError> {
    let per_statement = (MAX_PARAMS / columns).min(MAX_ROWS);
    let mut full: Option<String> = None;
    for chunk in rows.chunks(per_statement) {
        let sql = if chunk.len() == per_statement {
            full.get_or_insert_with(|| values_sql(dialect, head, columns, per_statement)).clone()
        } else {
            values_sql(dialect, head, columns, chunk.len())
        };
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Placeholders are `?` on SQLite: sqlx looks each `$n` up by name, and SQLite's lookup walks
/// the list of names, which makes binding a statement with thousands of `$n` quadratic (it
/// was 80 % of seeding time).
fn values_sql(dialect: Dialect, head: &str, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 8 + rows * columns * 8);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_numbered_in_order() {
        use crate::db::Dialect;
        let sql = |d| super::values_sql(d, "INSERT INTO t (a, b)", 2, 2);
        assert_eq!(sql(Dialect::Postgres), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(sql(Dialect::Sqlite), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }
}
