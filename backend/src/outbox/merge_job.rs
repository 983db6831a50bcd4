//! The merge job: an approved request's pull request is brought up to date with the base
//! and merged at exactly the head Infradesk knows; a real conflict needs a person.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::worker::{JobError, Worker};
use super::{Claimed, pull_request_title};
use crate::db::DbError;
use crate::pulls;
use crate::requests::change::{self, Change, ChangeError};
use crate::vcs::VcsError;

impl Worker {
    /// An approved request: bring the branch up to date with the base (a real merge of the
    /// base into it when the base moved), then merge the pull request at exactly that head.
    /// A real conflict marks the pull request "needs attention" with the reason and fails the
    /// job, so an admin retries it once a person resolved the conflict on the branch.
    pub(super) async fn merge_pr(&self, job: &Claimed) -> Result<(), JobError> {
        let detail = self.detail(job.request_id).await?;
        let Some(record) = pulls::of_request(&self.db, job.request_id).await? else {
            return Err(JobError::Vcs(VcsError::Rejected(format!(
                "request #{} has no pull request to merge",
                job.request_id
            ))));
        };
        if detail.summary.status != Status::Approved || record.state != crate::vcs::PrState::Open {
            // Cancelled, merged on GitHub meanwhile, …: nothing to merge.
            let (tx, _) = self.finishing(job).await?;
            tx.commit().await.map_err(DbError::from)?;
            return Ok(());
        }
        let checks_green = record.checks_status.as_deref() == Some("success");
        if !self.config.merge_on_approval || (self.config.require_green_checks && !checks_green) {
            // Someone merges on GitHub, or a green check queues this again (webhooks::observe).
            let (tx, _) = self.finishing(job).await?;
            tx.commit().await.map_err(DbError::from)?;
            return Ok(());
        }
        let unpushed = sqlx::query(
            "SELECT 1 AS one FROM outbox_jobs WHERE request_id = $1 AND kind = 'update_pr' AND state = 'failed'",
        )
        .bind(job.request_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        if unpushed.is_some() {
            return self.needs_attention(job, "the approved revision was never pushed to the branch").await;
        }
        if record.changed_outside || record.head_sha != record.rendered_head {
            return self.needs_attention(job, "the branch changed outside Infradesk after the approval").await;
        }
        let number = u64::try_from(record.number).unwrap_or_default();
        let head = match self.vcs.update_branch(number).await {
            Ok(head) => head,
            Err(VcsError::Conflict(reason)) => return self.needs_attention(job, &reason).await,
            Err(e) => return Err(e.into()),
        };
        if self.holds_other_changes(&head, &detail.revision.path).await? {
            return self.needs_attention(job, "the branch holds changes besides the request's file").await;
        }
        if head != record.head_sha {
            let mut tx = self.db.begin_write().await?;
            pulls::record_push(&mut tx, self.clock.now_ms(), job.request_id, &head, false).await?;
            tx.commit().await.map_err(DbError::from)?;
        }
        self.fault("after_update_branch")?;
        // GitHub does not let Infradesk approve a pull request it opened: say on the pull
        // request who approved, for which revision.
        let approvers: Vec<String> = sqlx::query(
            "SELECT u.login FROM approvals a JOIN users u ON u.id = a.user_id \
             WHERE a.request_id = $1 AND a.revision = $2 ORDER BY a.id",
        )
        .bind(job.request_id)
        .bind(detail.revision.number)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?
        .iter()
        .filter_map(|r| sqlx::Row::try_get::<String, _>(r, "login").ok())
        .collect();
        let summary = if approvers.is_empty() {
            format!("Approved in Infradesk (revision {}) by its routing rule; merging.", detail.revision.number)
        } else {
            format!("Approved in Infradesk (revision {}) by {}; merging.", detail.revision.number, approvers.join(", "))
        };
        self.comment_once(job, number, &summary).await?;
        let message = format!("{} (#{})", pull_request_title(&detail), record.number);
        let merge = match self.vcs.merge_pull_request(number, &head, self.config.merge_method, &message).await {
            Ok(sha) => sha,
            // The branch moved between the two calls: start over.
            Err(VcsError::Conflict(reason)) => return Err(VcsError::transient(reason).into()),
            Err(e) => return Err(e.into()),
        };
        self.fault("before_record")?;
        let (mut tx, now) = self.finishing(job).await?;
        let update = pulls::Update {
            state: Some(crate::vcs::PrState::Merged),
            merge_commit: Some(&merge),
            ..Default::default()
        };
        pulls::update(&mut tx, now, job.request_id, update).await?;
        pulls::set_attention(&mut tx, now, job.request_id, None).await?;
        let change = Change {
            number: job.request_id,
            event: Event::Merged,
            role: Role::System,
            actor: &Actor::System,
            expected_version: None,
            details: json!({ "pull_request": record.number, "merge_commit": merge, "head": head }),
        };
        match change::apply(&mut tx, self.db.dialect(), now, change).await {
            Ok(_) => {}
            // Cancelled after the merge was queued: the host merged all the same.
            Err(ChangeError::Refused(why)) => {
                let note = format!("request not moved: {why}");
                let details =
                    json!({ "pull_request": record.number, "merge_commit": merge, "head": head, "note": note });
                self.audit(&mut tx, now, job, "pull_request.merged", details).await?;
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    async fn needs_attention(&self, job: &Claimed, reason: &str) -> Result<(), JobError> {
        let now = self.clock.now_ms();
        let why = format!("{reason}; resolve it on the branch, then retry the merge");
        let mut tx = self.db.begin_write().await?;
        if !super::fail(&mut tx, now, job, &why).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Err(JobError::Crash("claim lost".into()));
        }
        pulls::set_attention(&mut tx, now, job.request_id, Some(&why)).await?;
        self.audit(&mut tx, now, job, "request.needs_attention", json!({ "reason": why, "job": job.id })).await?;
        tx.commit().await.map_err(DbError::from)?;
        tracing::warn!(request = job.request_id, %reason, "merge needs attention");
        Ok(())
    }
}
