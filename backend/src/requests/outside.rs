//! A pull request changed outside Infradesk (someone pushed to its branch): approvals wait
//! until the requester's team re-renders (Infradesk pushes its file again) or a reviewer
//! accepts the difference. Both are recorded in the audit trail with the head they concern.
//!
//! Approvals can complete while they wait (a review on GitHub counts for the pushed head):
//! accepting the change counts them again and approves the request when they are complete,
//! as the last approval would have ([`super::github_review::approve_if_complete`]).
//! Meanwhile the queue lists such a request for its routed teams as waiting on that
//! acceptance ([`super::queue_rows`]); accepting rewrites its rows in the same transaction
//! (`approve_if_complete` approves it, or refreshes them).

use domain::audit::Actor;
use domain::request::Status;
use serde_json::json;

use domain::request::transition::Role;

use super::change::{ChangeError, status_for_update};
use super::decide::DecideError;
use super::github_review::approve_if_complete;
use crate::audit::{self, Entry};
use crate::db::{Db, DbError};
use crate::outbox::{self, JobKind};
use crate::pulls;

#[derive(Debug, thiserror::Error)]
pub enum OutsideError {
    #[error("request #{0} has no change from outside Infradesk to resolve")]
    NothingToResolve(i64),
    #[error("request #{number} is {}; this is possible while it is in review", .status.label())]
    NotInReview { number: i64, status: Status },
    #[error("the branch moved again (its head is now {now}); reload the request and look at the new head")]
    HeadMoved { now: String },
    #[error("the approvals could not be counted: {0}")]
    Count(String),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

impl From<DecideError> for OutsideError {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::Change(e) => OutsideError::Change(e),
            other => OutsideError::Count(other.to_string()),
        }
    }
}

impl From<DbError> for OutsideError {
    fn from(e: DbError) -> Self {
        OutsideError::Change(ChangeError::Db(e))
    }
}

/// Checks the request is in review with an outside change, in `tx`; returns the head.
async fn outside_head(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    db: &Db,
    number: i64,
) -> Result<String, OutsideError> {
    let (status, _) = status_for_update(tx, db.dialect(), number).await?;
    if !matches!(status, Status::InReview | Status::ChangesRequested) {
        return Err(OutsideError::NotInReview { number, status });
    }
    let record = pulls::of_request_in(tx, number).await?;
    match record {
        Some(r) if r.changed_outside => Ok(r.head_sha),
        _ => Err(OutsideError::NothingToResolve(number)),
    }
}

/// The requester's team asks Infradesk to push its rendered file again.
pub async fn rerender(db: &Db, now_ms: i64, number: i64, actor: &Actor) -> Result<(), OutsideError> {
    let mut tx = db.begin_write().await?;
    let result = async {
        let head = outside_head(&mut tx, db, number).await?;
        outbox::enqueue(&mut tx, now_ms, number, JobKind::UpdatePr).await?;
        let entry = Entry {
            actor,
            action: "request.rerender_requested",
            subject: &format!("request:{number}"),
            details: json!({ "outside_head": head }),
        };
        audit::append(&mut tx, db.dialect(), now_ms, entry).await?;
        Ok(())
    }
    .await;
    finish(tx, result).await
}

/// A reviewer accepts the pushed head they saw (`expected_head`) as it is: it becomes the
/// head approvals are for. A head that moved since is refused. When the approvals of the
/// current revision are complete (they were given while the change waited), the request is
/// approved and its merge queued in the same transaction.
pub async fn accept_outside_change(
    db: &Db,
    now_ms: i64,
    number: i64,
    actor: &Actor,
    expected_head: &str,
) -> Result<String, OutsideError> {
    let mut tx = db.begin_write().await?;
    let result = async {
        let head = outside_head(&mut tx, db, number).await?;
        if head != expected_head {
            return Err(OutsideError::HeadMoved { now: head });
        }
        let updated = sqlx::query(
            "UPDATE pull_requests SET rendered_head = $1, changed_outside = 0, updated_at_ms = $2 \
             WHERE request_id = $3 AND head_sha = $1",
        )
        .bind(&head)
        .bind(now_ms)
        .bind(number)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if updated.rows_affected() != 1 {
            return Err(OutsideError::HeadMoved { now: "a newer one".to_owned() });
        }
        let entry = Entry {
            actor,
            action: "request.outside_change_accepted",
            subject: &format!("request:{number}"),
            details: json!({ "head": head }),
        };
        audit::append(&mut tx, db.dialect(), now_ms, entry).await?;
        approve_if_complete(&mut tx, db.dialect(), now_ms, actor, Role::Reviewer, number, "outside_change_accepted")
            .await?;
        Ok(head)
    }
    .await;
    finish(tx, result).await
}

async fn finish<T>(
    tx: sqlx::Transaction<'static, sqlx::Any>,
    result: Result<T, OutsideError>,
) -> Result<T, OutsideError> {
    match result {
        Ok(v) => {
            tx.commit().await.map_err(DbError::from)?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}
