//! What admins do with the queue: put a failed job back.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::JobKind;
use crate::db::{Db, DbError};
use crate::requests::change::{self, Change, ChangeError};

/// An admin puts a failed job back in the queue. A failed request goes back to "waiting for
/// the pull request" (`request.retried`); every retry is audited.
pub async fn retry(db: &Db, now_ms: i64, job_id: i64, admin: &Actor) -> Result<bool, ChangeError> {
    let Some(job) = super::job(db, job_id).await? else { return Ok(false) };
    let mut tx = db.begin_write().await?;
    if !super::requeue(&mut tx, now_ms, job_id).await? {
        tx.rollback().await.map_err(DbError::from)?;
        return Ok(false);
    }
    let (status, _) = change::status_for_update(&mut tx, db.dialect(), job.request_id).await?;
    if job.kind == JobKind::OpenPr.as_str() && status == Status::Failed {
        let change = Change {
            number: job.request_id,
            event: Event::Retried,
            role: Role::Admin,
            actor: admin,
            expected_version: None,
            details: json!({ "job": job_id, "last_error": job.last_error }),
        };
        change::apply(&mut tx, db.dialect(), now_ms, change).await?;
    } else {
        crate::audit::append(
            &mut tx,
            db.dialect(),
            now_ms,
            crate::audit::Entry {
                actor: admin,
                action: "outbox.retried",
                subject: &format!("request:{}", job.request_id),
                details: json!({ "job": job_id, "kind": job.kind, "last_error": job.last_error }),
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}
