//! GitHub webhooks: verified ([`signature`]), stored once per delivery id (a redelivery is a
//! no-op), acknowledged, then processed in order by [`process_pending`] — outside the HTTP
//! request, so GitHub gets its answer at once.
//!
//! Processing a delivery and recording its outcome (on the delivery and as a
//! `webhook.processed` audit event naming it) is one transaction: a delivery is applied
//! exactly once even with several server replicas (`FOR UPDATE SKIP LOCKED`).

pub mod comments;
pub mod events;
pub mod observe;
pub mod reconcile;
pub mod signature;

use domain::audit::Actor;
use serde_json::json;
use sqlx::Row;

use crate::audit::{self, Entry};
use crate::db::{Db, DbError, Dialect};
use observe::{Applied, observe_check, observe_pull};

/// Stores a verified delivery. False when this delivery id was stored before.
pub async fn receive(
    db: &Db,
    now_ms: i64,
    delivery_id: &str,
    event: &str,
    action: Option<&str>,
    body: &str,
) -> Result<bool, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO webhook_deliveries (delivery_id, event, action, body, received_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id) DO NOTHING",
    )
    .bind(delivery_id)
    .bind(event)
    .bind(action)
    .bind(body)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Processes stored deliveries, oldest first, until none is left; returns how many.
pub async fn process_pending(db: &Db, now_ms: i64) -> Result<usize, DbError> {
    let mut done = 0;
    while process_one(db, now_ms).await? {
        done += 1;
    }
    Ok(done)
}

async fn process_one(db: &Db, now_ms: i64) -> Result<bool, DbError> {
    let skip_locked = match db.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&format!(
        "SELECT delivery_id, event, action, body FROM webhook_deliveries WHERE processed_at_ms IS NULL \
         ORDER BY received_at_ms, delivery_id LIMIT 1{skip_locked}"
    ))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(false);
    };
    let delivery_id: String = row.try_get("delivery_id")?;
    let event: String = row.try_get("event")?;
    let body: String = row.try_get("body")?;
    let delivery = Delivery { id: &delivery_id, event: &event, action: row.try_get("action")? };
    let actor = Actor::GitHub { delivery_id: delivery_id.clone() };
    let (outcome, detail) = match apply(&mut tx, db.dialect(), now_ms, &actor, &event, &body).await {
        Ok(Applied::Changed(d)) => ("applied", d),
        Ok(Applied::Ignored(d)) => ("ignored", d),
        Err(Problem::Payload(d)) => ("failed", d),
        Err(Problem::Db(DbError::Sql(sqlx::Error::Database(e)))) => {
            // The database refused what this delivery would change (a constraint): it will
            // refuse it every time. Record it as failed and go on with the next delivery.
            tx.rollback().await?;
            let detail = format!("refused by the database: {e}");
            tracing::warn!(delivery = %delivery_id, %event, %detail, "webhook delivery failed");
            let mut tx = db.begin_write().await?;
            mark(&mut tx, db.dialect(), now_ms, &delivery, "failed", &detail).await?;
            tx.commit().await?;
            return Ok(true);
        }
        Err(Problem::Db(e)) => {
            // Undo this delivery's partial effects; it stays unprocessed and is tried again.
            tx.rollback().await?;
            return Err(e);
        }
    };
    mark(&mut tx, db.dialect(), now_ms, &delivery, outcome, &detail).await?;
    tx.commit().await?;
    tracing::info!(delivery = %delivery_id, %event, outcome, %detail, "webhook processed");
    Ok(true)
}

/// A stored delivery being processed.
struct Delivery<'a> {
    id: &'a str,
    event: &'a str,
    action: Option<String>,
}

/// Records the delivery's outcome on it and in the audit trail (`webhook.processed`, naming
/// the delivery), in the transaction that applied it.
async fn mark(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    now_ms: i64,
    delivery: &Delivery<'_>,
    outcome: &str,
    detail: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE webhook_deliveries SET processed_at_ms = $1, outcome = $2, detail = $3 WHERE delivery_id = $4")
        .bind(now_ms)
        .bind(outcome)
        .bind(detail)
        .bind(delivery.id)
        .execute(&mut **tx)
        .await?;
    let entry = Entry {
        actor: &Actor::GitHub { delivery_id: delivery.id.to_owned() },
        action: "webhook.processed",
        subject: &format!("webhook:{}", delivery.id),
        details: json!({
            "delivery": delivery.id,
            "event": delivery.event,
            "action": delivery.action,
            "outcome": outcome,
            "detail": detail,
        }),
    };
    audit::append(tx, dialect, now_ms, entry).await?;
    Ok(())
}

enum Problem {
    Payload(String),
    Db(DbError),
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        Problem::Db(e)
    }
}

fn parse<'a, T: serde::Deserialize<'a>>(event: &str, body: &'a str) -> Result<T, Problem> {
    serde_json::from_str(body).map_err(|e| Problem::Payload(format!("{event} payload not understood: {e}")))
}

async fn apply(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    event: &str,
    body: &str,
) -> Result<Applied, Problem> {
    Ok(match event {
        "pull_request" => {
            let e: events::PullRequestEvent = parse(event, body)?;
            match e.action.as_str() {
                "opened" | "reopened" | "closed" | "synchronize" | "edited" | "ready_for_review" => {
                    observe_pull(tx, dialect, now_ms, actor, &e.pull_request.observed()).await?
                }
                other => Applied::Ignored(format!("pull_request action {other} is not used")),
            }
        }
        "pull_request_review" => {
            let e: events::ReviewEvent = parse(event, body)?;
            review(tx, dialect, now_ms, actor, &e).await?
        }
        "issue_comment" => {
            let e: events::IssueCommentEvent = parse(event, body)?;
            if e.issue.pull_request.is_none() {
                Applied::Ignored(format!("issue #{} is not a pull request", e.issue.number))
            } else {
                let kind = comments::Kind::IssueComment;
                comments::observe_comment(tx, dialect, now_ms, actor, e.issue.number, kind, &e.action, &e.comment)
                    .await?
            }
        }
        "pull_request_review_comment" => {
            let e: events::ReviewCommentEvent = parse(event, body)?;
            let (number, kind) = (e.pull_request.number, comments::Kind::ReviewComment);
            comments::observe_comment(tx, dialect, now_ms, actor, number, kind, &e.action, &e.comment).await?
        }
        "check_run" => {
            let e: events::CheckRunEvent = parse(event, body)?;
            observe_check(tx, dialect, now_ms, &e.observed()).await?
        }
        "check_suite" => {
            let e: events::CheckSuiteEvent = parse(event, body)?;
            observe_check(tx, dialect, now_ms, &e.observed()).await?
        }
        "status" => {
            let e: events::StatusEvent = parse(event, body)?;
            observe_check(tx, dialect, now_ms, &e.observed()).await?
        }
        other => Applied::Ignored(format!("event {other} is not used")),
    })
}

/// A review on GitHub is recorded on the request's timeline (with its text) and in its
/// conversation. Whether it counts — as an approval or as requested changes — is decided by
/// the approval rules (four eyes, [`crate::requests::github_review`]), not here.
async fn review(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    e: &events::ReviewEvent,
) -> Result<Applied, Problem> {
    let Some(record) = crate::pulls::by_number(tx, e.pull_request.number).await? else {
        return Ok(Applied::Ignored(format!("pull request #{} is not one Infradesk opened", e.pull_request.number)));
    };
    let entry = Entry {
        actor,
        action: "pull_request.review",
        subject: &format!("request:{}", record.request_id),
        details: json!({
            "action": e.action,
            "reviewer": e.review.user.login,
            "state": e.review.state.to_ascii_lowercase(),
            "commit": e.review.commit_id,
            "url": e.review.html_url,
            "current_head": e.review.commit_id.as_deref() == Some(record.head_sha.as_str()),
            "review": e.review.id,
            "body": comments::bounded(e.review.body.as_deref().unwrap_or("")),
        }),
    };
    audit::append(tx, dialect, now_ms, entry).await?;
    let outcome = crate::requests::github_review(
        tx,
        dialect,
        now_ms,
        actor,
        record.request_id,
        &e.review.user.login,
        &e.action,
        &e.review.state,
        e.review.commit_id.as_deref(),
        &record.head_sha,
        e.review.body.as_deref().unwrap_or(""),
    )
    .await;
    let (what, note) = match outcome {
        Ok(r) => (format!("{r:?}"), r.note()),
        Err(crate::requests::DecideError::Change(crate::requests::change::ChangeError::Db(e))) => {
            return Err(Problem::Db(e));
        }
        Err(e) => (format!("not counted: {e}"), Some(format!("not counted: {e}"))),
    };
    comments::record_review(tx, dialect, now_ms, record.request_id, &e.action, &e.review, note.as_deref()).await?;
    Ok(Applied::Changed(format!(
        "review {} by {} on request #{}: {what}",
        e.review.state.to_ascii_lowercase(),
        e.review.user.login,
        record.request_id
    )))
}

/// How long a processed delivery is kept: GitHub redelivers (by hand or API) deliveries of
/// the past 3 days, so a week catches every redelivery as a duplicate. What a delivery did
/// stays in the audit trail (its events carry the delivery id).
pub const KEEP_PROCESSED_MS: i64 = 7 * 24 * 3600 * 1000;

/// Deletes deliveries processed more than `keep_ms` before `now_ms`; never an unprocessed
/// one. Returns how many went.
pub async fn prune(db: &Db, now_ms: i64, keep_ms: i64) -> Result<u64, DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("DELETE FROM webhook_deliveries WHERE processed_at_ms IS NOT NULL AND processed_at_ms < $1")
        .bind(now_ms - keep_ms)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Counts of stored deliveries (the last week's) by outcome, for `/metrics`.
pub async fn outcome_counts(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT COALESCE(outcome, 'pending') AS outcome, COUNT(*) AS n FROM webhook_deliveries GROUP BY outcome",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("outcome")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}
