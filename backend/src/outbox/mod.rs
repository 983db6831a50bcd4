//! The transactional outbox: work for the version-control host (open a pull request, close
//! it) is a row committed in the same transaction as the state change that asks for it. The
//! [`worker::Worker`] claims due rows, calls the [`crate::vcs::Vcs`] port outside any
//! transaction, and records the outcome. A claim is a lease (`locked_until_ms`): a worker
//! that dies lets it lapse and the job runs again, which the port's idempotency makes safe.
//!
//! Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL (several server replicas take
//! different jobs) and a single `UPDATE … RETURNING` in SQLite's one-writer transaction.
//! Jobs of one request run in order: a job waits while an older one of the same request is
//! pending.

mod admin;
pub mod backoff;
mod jobs;
mod merge_job;
pub mod pacing;
mod pull_text;
pub mod worker;

pub use admin::retry;
pub use pull_text::{branch_name, pull_request_body, pull_request_title};

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::db::{Db, DbError, Dialect};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    OpenPr,
    /// Push the current revision to the branch and update the description (after an edit).
    UpdatePr,
    /// Merge an approved request's pull request (the base merged into the branch first).
    MergePr,
    ClosePr,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::OpenPr => "open_pr",
            JobKind::UpdatePr => "update_pr",
            JobKind::MergePr => "merge_pr",
            JobKind::ClosePr => "close_pr",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open_pr" => JobKind::OpenPr,
            "update_pr" => JobKind::UpdatePr,
            "merge_pr" => JobKind::MergePr,
            "close_pr" => JobKind::ClosePr,
            _ => return None,
        })
    }

    /// Content-creating host calls the job makes at most (for pacing).
    pub fn cost(self) -> u32 {
        match self {
            JobKind::OpenPr => 5,
            JobKind::UpdatePr => 2,
            JobKind::MergePr => 2,
            JobKind::ClosePr => 3,
        }
    }
}

/// Wakes the worker after a job was enqueued, so it does not wait for its next poll.
#[derive(Clone, Debug, Default)]
pub struct Wake(std::sync::Arc<tokio::sync::Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub async fn woken(&self) {
        self.0.notified().await;
    }
}

/// A claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub request_id: i64,
    pub kind: JobKind,
    /// Including this one.
    pub attempts: u32,
    /// Identifies this claim; outcomes are recorded only while the claim is still ours.
    pub token: String,
}

/// A job as the admin page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct JobView {
    pub id: i64,
    pub request_id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub run_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Adds a job in the caller's transaction, due at once.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    request_id: i64,
    kind: JobKind,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO outbox_jobs (request_id, kind, state, attempts, run_at_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, 'pending', 0, $3, $3, $3) RETURNING id",
    )
    .bind(request_id)
    .bind(kind.as_str())
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Claims the next due job for `lease_ms`, counting an attempt.
pub async fn claim(db: &Db, now_ms: i64, lease_ms: i64) -> Result<Option<Claimed>, DbError> {
    let skip_locked = match db.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let token = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "UPDATE outbox_jobs SET locked_until_ms = $1, locked_by = $2, attempts = attempts + 1, updated_at_ms = $3 \
         WHERE id = (SELECT j.id FROM outbox_jobs j WHERE j.state = 'pending' AND j.run_at_ms <= $3 \
           AND (j.locked_until_ms IS NULL OR j.locked_until_ms <= $3) \
           AND NOT EXISTS (SELECT 1 FROM outbox_jobs e WHERE e.request_id = j.request_id \
                           AND e.state = 'pending' AND e.id < j.id) \
           ORDER BY j.run_at_ms, j.id LIMIT 1{skip_locked}) \
         RETURNING id, request_id, kind, attempts"
    );
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&sql).bind(now_ms + lease_ms).bind(&token).bind(now_ms).fetch_optional(&mut *tx).await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Some(Claimed {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        kind: JobKind::parse(&kind)
            .ok_or_else(|| DbError::Sql(sqlx::Error::Decode(format!("unknown outbox job kind {kind:?}").into())))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        token,
    }))
}

/// Marks the claimed job done in the caller's transaction. False when the claim was lost
/// (it lapsed and another worker took the job): the caller must roll back.
pub async fn finish(tx: &mut Transaction<'static, Any>, now_ms: i64, job: &Claimed) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = 'done', locked_until_ms = NULL, last_error = NULL, updated_at_ms = $1 \
         WHERE id = $2 AND locked_by = $3 AND state = 'pending'",
    )
    .bind(now_ms)
    .bind(job.id)
    .bind(&job.token)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Releases the claim; the job runs again at `run_at_ms`. `count_attempt: false` gives the
/// attempt back (the job was paced, not tried).
pub async fn reschedule(
    db: &Db,
    now_ms: i64,
    job: &Claimed,
    run_at_ms: i64,
    error: Option<&str>,
    count_attempt: bool,
) -> Result<(), DbError> {
    let give_back = if count_attempt { 0 } else { 1 };
    sqlx::query(
        "UPDATE outbox_jobs SET run_at_ms = $1, locked_until_ms = NULL, attempts = attempts - $2, \
         last_error = COALESCE($3, last_error), updated_at_ms = $4 \
         WHERE id = $5 AND locked_by = $6 AND state = 'pending'",
    )
    .bind(run_at_ms)
    .bind(give_back)
    .bind(error)
    .bind(now_ms)
    .bind(job.id)
    .bind(&job.token)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Gives up on the claimed job in the caller's transaction (it waits for an admin).
pub async fn fail(
    tx: &mut Transaction<'static, Any>,
    now_ms: i64,
    job: &Claimed,
    error: &str,
) -> Result<bool, DbError> {
    let failed = sqlx::query(
        "UPDATE outbox_jobs SET state = 'failed', locked_until_ms = NULL, last_error = $1, updated_at_ms = $2 \
         WHERE id = $3 AND locked_by = $4 AND state = 'pending'",
    )
    .bind(error)
    .bind(now_ms)
    .bind(job.id)
    .bind(&job.token)
    .execute(&mut **tx)
    .await?;
    Ok(failed.rows_affected() == 1)
}

/// Puts a failed job back in the queue, in the caller's transaction. False when the job is
/// not failed (someone retried it already).
pub async fn requeue(tx: &mut Transaction<'static, Any>, now_ms: i64, job_id: i64) -> Result<bool, DbError> {
    let requeued = sqlx::query(
        "UPDATE outbox_jobs SET state = 'pending', attempts = 0, run_at_ms = $1, locked_until_ms = NULL, \
         locked_by = NULL, updated_at_ms = $1 WHERE id = $2 AND state = 'failed'",
    )
    .bind(now_ms)
    .bind(job_id)
    .execute(&mut **tx)
    .await?;
    Ok(requeued.rows_affected() == 1)
}

const JOB_COLUMNS: &str = "id, request_id, kind, state, attempts, run_at_ms, last_error, created_at_ms, updated_at_ms";

fn job_from_row(row: &sqlx::any::AnyRow) -> Result<JobView, DbError> {
    Ok(JobView {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        run_at_ms: row.try_get("run_at_ms")?,
        last_error: row.try_get("last_error")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// Pending and failed jobs, oldest first, at most `limit`.
pub async fn open_jobs(db: &Db, limit: i64) -> Result<Vec<JobView>, DbError> {
    let sql =
        format!("SELECT {JOB_COLUMNS} FROM outbox_jobs WHERE state IN ('pending', 'failed') ORDER BY id LIMIT $1");
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db.pool()).await?;
    rows.iter().map(job_from_row).collect()
}

/// A request's jobs, newest first.
pub async fn jobs_of(db: &Db, request_id: i64) -> Result<Vec<JobView>, DbError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM outbox_jobs WHERE request_id = $1 ORDER BY id DESC");
    let rows = sqlx::query(&sql).bind(request_id).fetch_all(db.pool()).await?;
    rows.iter().map(job_from_row).collect()
}

pub async fn job(db: &Db, id: i64) -> Result<Option<JobView>, DbError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM outbox_jobs WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(job_from_row).transpose()
}

/// Counts and the oldest creation time per state, for `/metrics`.
pub async fn stats(db: &Db) -> Result<Vec<(String, i64, Option<i64>)>, DbError> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n, MIN(created_at_ms) AS oldest FROM outbox_jobs \
         WHERE state IN ('pending', 'failed') GROUP BY state",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?, r.try_get("oldest")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
