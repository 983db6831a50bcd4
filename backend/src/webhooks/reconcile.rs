//! Repairs missed webhooks: re-reads every pull request Infradesk believes open from the
//! host and applies what it finds exactly as a webhook would. Runs at start and on a
//! schedule. Each pull request it changed is recorded (`pull_request.reconciled`, with what
//! changed) in the transaction that changed it.

use domain::audit::Actor;
use serde_json::json;

use super::observe::{Applied, ObservedPull, observe_pull};
use crate::audit::{self, Entry};
use crate::db::{Db, DbError};
use crate::pulls;
use crate::vcs::{Vcs, VcsError};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub checked: usize,
    pub changed: usize,
    /// Pull requests the host could not tell about (tried again next time).
    pub errors: Vec<String>,
}

pub async fn reconcile(db: &Db, vcs: &dyn Vcs, now_ms: i64) -> Result<Reconciled, DbError> {
    let mut out = Reconciled::default();
    for record in pulls::open(db).await? {
        out.checked += 1;
        let number = u64::try_from(record.number).unwrap_or_default();
        let pr = match vcs.get_pull_request(number).await {
            Ok(pr) => pr,
            Err(VcsError::NotFound(_)) => {
                out.errors.push(format!("pull request #{number} no longer exists on the host"));
                continue;
            }
            Err(e) => {
                out.errors.push(format!("pull request #{number}: {e}"));
                continue;
            }
        };
        let seen = ObservedPull {
            number: record.number,
            state: pr.state,
            head_sha: &pr.head_sha,
            merge_commit: pr.merge_commit.as_deref(),
            // An answer older than a webhook applied meanwhile is ignored, as a webhook would be.
            updated_at: pr.updated_at.as_deref(),
        };
        let mut tx = db.begin_write().await?;
        let applied = observe_pull(&mut tx, db.dialect(), now_ms, &Actor::System, &seen).await?;
        if let Applied::Changed(what) = &applied {
            let entry = Entry {
                actor: &Actor::System,
                action: "pull_request.reconciled",
                subject: &format!("request:{}", record.request_id),
                details: json!({ "pull_request": record.number, "note": what }),
            };
            audit::append(&mut tx, db.dialect(), now_ms, entry).await?;
        }
        tx.commit().await?;
        if let Applied::Changed(what) = applied {
            tracing::info!(pull_request = number, %what, "reconciled a change the webhooks missed");
            out.changed += 1;
        }
    }
    Ok(out)
}
