//! The pull request of each request, as Infradesk last saw it (`pull_requests`).

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use crate::db::{Db, DbError, flag};
use crate::vcs::{PrState, PullRequest};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    pub request_id: i64,
    pub number: i64,
    pub url: String,
    pub branch: String,
    pub rendered_head: String,
    pub head_sha: String,
    pub state: PrState,
    pub checks_status: Option<String>,
    pub checks_detail: Option<String>,
    pub changed_outside: bool,
    pub merged_without_approval: bool,
    /// Why it needs a person before it can merge (a merge conflict).
    pub attention: Option<String>,
    pub merge_commit: Option<String>,
    pub opened_at_ms: i64,
    pub updated_at_ms: i64,
}

const COLUMNS: &str = "request_id, number, url, branch, rendered_head, head_sha, state, checks_status, checks_detail, \
                       changed_outside, merged_without_approval, attention, merge_commit, opened_at_ms, updated_at_ms";

fn from_row(row: &sqlx::any::AnyRow) -> Result<PullRecord, DbError> {
    let state: String = row.try_get("state")?;
    Ok(PullRecord {
        request_id: row.try_get("request_id")?,
        number: row.try_get("number")?,
        url: row.try_get("url")?,
        branch: row.try_get("branch")?,
        rendered_head: row.try_get("rendered_head")?,
        head_sha: row.try_get("head_sha")?,
        state: PrState::parse(&state)
            .ok_or_else(|| DbError::Sql(sqlx::Error::Decode(format!("unknown pull request state {state:?}").into())))?,
        checks_status: row.try_get("checks_status")?,
        checks_detail: row.try_get("checks_detail")?,
        changed_outside: row.try_get::<i64, _>("changed_outside")? != 0,
        merged_without_approval: row.try_get::<i64, _>("merged_without_approval")? != 0,
        attention: row.try_get("attention")?,
        merge_commit: row.try_get("merge_commit")?,
        opened_at_ms: row.try_get("opened_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// Records the pull request opened (or adopted) for a request; a second record for the same
/// request keeps the first.
pub async fn record_opened(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    request_id: i64,
    pr: &PullRequest,
) -> Result<(), DbError> {
    let number = i64::try_from(pr.number).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
         changed_outside, merged_without_approval, merge_commit, opened_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, 0, 0, $7, $8, $8) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(number)
    .bind(&pr.url)
    .bind(&pr.branch)
    .bind(&pr.head_sha)
    .bind(pr.state.as_str())
    .bind(&pr.merge_commit)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn of_request(db: &Db, request_id: i64) -> Result<Option<PullRecord>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pull_requests WHERE request_id = $1"))
        .bind(request_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A request's pull request, read in the caller's transaction.
pub async fn of_request_in(tx: &mut Transaction<'static, Any>, request_id: i64) -> Result<Option<PullRecord>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pull_requests WHERE request_id = $1"))
        .bind(request_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// By pull request number, read in the caller's transaction.
pub async fn by_number(tx: &mut Transaction<'static, Any>, number: i64) -> Result<Option<PullRecord>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pull_requests WHERE number = $1"))
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// By pull request number, locked for the rest of the caller's transaction (PostgreSQL:
/// `FOR UPDATE`, so two replicas applying events about one pull request take turns; SQLite's
/// write transactions are exclusive already).
pub async fn by_number_for_update(
    tx: &mut Transaction<'static, Any>,
    dialect: crate::db::Dialect,
    number: i64,
) -> Result<Option<PullRecord>, DbError> {
    let lock = match dialect {
        crate::db::Dialect::Postgres => " FOR UPDATE",
        crate::db::Dialect::Sqlite => "",
    };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pull_requests WHERE number = $1{lock}"))
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Open pull requests Infradesk knows of (for reconciling).
pub async fn open(db: &Db) -> Result<Vec<PullRecord>, DbError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM pull_requests WHERE state = 'open' ORDER BY number"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Pull request numbers are the host's, so records from one host (or repository) cannot be
/// mixed with another's. How many recorded pull requests belong to the local repository
/// (`local:` URLs), and up to three URLs of those that do not contain `remote_marker` (e.g.
/// `/acme/infra/pull/`; `None` when the local repository is configured, so every remote one
/// is foreign).
pub async fn foreign_records(db: &Db, remote_marker: Option<&str>) -> Result<(i64, Vec<String>), DbError> {
    let local: i64 = sqlx::query("SELECT COUNT(*) AS n FROM pull_requests WHERE url LIKE 'local:%'")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let rows = sqlx::query("SELECT url FROM pull_requests WHERE url NOT LIKE 'local:%' ORDER BY number")
        .fetch_all(db.pool())
        .await?;
    let mut foreign = Vec::new();
    for row in &rows {
        let url: String = row.try_get("url")?;
        if remote_marker.is_none_or(|m| !url.contains(m)) && foreign.len() < 3 {
            foreign.push(url);
        }
    }
    Ok((local, foreign))
}

/// What changed about a pull request; `None` fields stay as they are.
#[derive(Default)]
pub struct Update<'a> {
    pub state: Option<PrState>,
    pub head_sha: Option<&'a str>,
    pub rendered_head: Option<&'a str>,
    pub checks: Option<(&'a str, &'a str)>,
    pub changed_outside: Option<bool>,
    pub merged_without_approval: Option<bool>,
    pub merge_commit: Option<&'a str>,
}

pub async fn update(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    request_id: i64,
    u: Update<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE pull_requests SET state = COALESCE($1, state), head_sha = COALESCE($2, head_sha), \
         rendered_head = COALESCE($3, rendered_head), checks_status = COALESCE($4, checks_status), \
         checks_detail = COALESCE($5, checks_detail), changed_outside = COALESCE($6, changed_outside), \
         merged_without_approval = COALESCE($7, merged_without_approval), merge_commit = COALESCE($8, merge_commit), \
         updated_at_ms = $9 WHERE request_id = $10",
    )
    .bind(u.state.map(PrState::as_str))
    .bind(u.head_sha)
    .bind(u.rendered_head)
    .bind(u.checks.map(|c| c.0))
    .bind(u.checks.map(|c| c.1))
    .bind(u.changed_outside.map(flag))
    .bind(u.merged_without_approval.map(flag))
    .bind(u.merge_commit)
    .bind(now_ms)
    .bind(request_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Infradesk pushed `head` to the branch: it is the rendered head and the current head, with
/// no checks yet. `outside`: the branch still holds changes besides Infradesk's file (pushed
/// by someone else), so it stays marked until a reviewer accepts it.
pub async fn record_push(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    request_id: i64,
    head: &str,
    outside: bool,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE pull_requests SET rendered_head = $1, head_sha = $1, checks_status = NULL, checks_detail = NULL, \
         changed_outside = $2, updated_at_ms = $3 WHERE request_id = $4",
    )
    .bind(head)
    .bind(crate::db::flag(outside))
    .bind(now_ms)
    .bind(request_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the pull request as needing a person (`Some(why)`) or clears the mark.
pub async fn set_attention(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    request_id: i64,
    why: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE pull_requests SET attention = $1, updated_at_ms = $2 WHERE request_id = $3")
        .bind(why)
        .bind(now_ms)
        .bind(request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
