//! Cancelling a request: the transition, its audit event and the job that closes the pull
//! request (with a comment) and deletes the branch, in one transaction.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::change::{self, Change, ChangeError};
use crate::db::{Db, DbError};
use crate::outbox::{self, JobKind};

/// Cancels request `number` as `actor` in `role` (the requester's team or an admin), if it
/// still has `expected_version`. Returns the status it had.
pub async fn cancel(
    db: &Db,
    now_ms: i64,
    number: i64,
    actor: &Actor,
    role: Role,
    expected_version: Option<i64>,
    reason: &str,
) -> Result<Status, ChangeError> {
    let mut tx = db.begin_write().await?;
    let change =
        Change { number, event: Event::Cancelled, role, actor, expected_version, details: json!({ "reason": reason }) };
    let transition = match change::apply(&mut tx, db.dialect(), now_ms, change).await {
        Ok(t) => t,
        Err(e) => {
            let _ = tx.rollback().await;
            return Err(e);
        }
    };
    // Before the pull request was asked for there is nothing to close.
    if transition.from != Status::Submitted {
        outbox::enqueue(&mut tx, now_ms, number, JobKind::ClosePr).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(transition.from)
}
