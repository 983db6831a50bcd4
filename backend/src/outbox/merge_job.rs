//! The merge job: an approved request's pull request is brought up to date with the base
//! and merged at exactly the head Infradesk knows; a real conflict needs a person. Whether or
//! not Infradesk merges, the pull request gets one summary of the approval per approved
//! revision: who counted, for which team, and what happens next.

use domain::approval::Tally;
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
        let number = u64::try_from(record.number).unwrap_or_default();
        let next = NextStep::of(
            self.config.merge_on_approval,
            self.config.require_green_checks,
            record.checks_status.as_deref(),
        );
        if next != NextStep::Merging {
            // Someone merges on GitHub, or a green check queues this again (webhooks::observe):
            // the pull request says who approved all the same.
            self.summary_once(job, number, detail.revision.number, next).await?;
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
        self.summary_once(job, number, detail.revision.number, NextStep::Merging).await?;
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

    /// Posts the approval summary of `revision` unless the pull request has it already. The
    /// marker names the request and revision, not the job: a merge queued again by a green
    /// check, or a retry after a lost answer, finds the summary an earlier run posted.
    async fn summary_once(&self, job: &Claimed, number: u64, revision: i64, next: NextStep) -> Result<(), JobError> {
        let marker = summary_marker(job.request_id, revision);
        // The host is asked only when an earlier run may have posted it.
        let earlier = sqlx::query(
            "SELECT 1 AS one FROM outbox_jobs WHERE request_id = $1 AND kind = 'merge_pr' AND id < $2 LIMIT 1",
        )
        .bind(job.request_id)
        .bind(job.id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        if (job.attempts > 1 || earlier.is_some()) && self.vcs.has_comment(number, &marker).await? {
            return Ok(());
        }
        // Counted exactly as the approval was: `domain::approval::tally` over the current
        // revision (the requester, editors, other teams and the same person twice never show).
        let review = crate::requests::review_state(&self.db, job.request_id).await?;
        let body = approval_summary(revision, &review.tally, next);
        self.vcs.comment(number, &format!("{body}\n\n{marker}")).await?;
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

/// What happens to an approved request's pull request after the approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Infradesk merges it now.
    Merging,
    /// Infradesk merges it once the checks on its head are green.
    WaitingForChecks,
    /// Infradesk does not merge (`merge_on_approval = false`): someone merges it on GitHub.
    MergeOnGitHub,
}

impl NextStep {
    /// From the worker's configuration and the pull request's check status.
    pub fn of(merge_on_approval: bool, require_green_checks: bool, checks_status: Option<&str>) -> Self {
        if !merge_on_approval {
            NextStep::MergeOnGitHub
        } else if require_green_checks && checks_status != Some("success") {
            NextStep::WaitingForChecks
        } else {
            NextStep::Merging
        }
    }

    fn says(self) -> &'static str {
        match self {
            NextStep::Merging => "merging",
            NextStep::WaitingForChecks => "waiting for the plan check to pass, then Infradesk merges it",
            NextStep::MergeOnGitHub => "Infradesk does not merge it: merge it on GitHub",
        }
    }
}

/// The marker of the approval summary of `request`'s `revision`.
fn summary_marker(request: i64, revision: i64) -> String {
    format!("<!-- infradesk:approved:{request}:revision:{revision} -->")
}

/// "Approved in Infradesk (revision 2) by riley (sre), dee (dba); merging." — the approvals
/// that counted, each person once with the team they counted for, in routing order.
fn approval_summary(revision: i64, tally: &Tally, next: NextStep) -> String {
    let counted: Vec<String> =
        tally.teams.iter().flat_map(|t| t.counted.iter().map(move |login| format!("{login} ({})", t.team))).collect();
    let by = if counted.is_empty() { "its routing rule (no approvals needed)".to_owned() } else { counted.join(", ") };
    format!("Approved in Infradesk (revision {revision}) by {by}; {}.", next.says())
}

#[cfg(test)]
mod tests {
    use domain::approval::{NotCounted, TeamTally};

    use super::*;

    #[test]
    fn the_summary_names_who_counted_once_with_their_team_and_what_happens_next() {
        let tally = Tally {
            teams: vec![
                TeamTally { team: "sre".into(), needed: 1, counted: vec!["riley".into()] },
                TeamTally { team: "dba".into(), needed: 1, counted: vec!["sam".into()] },
            ],
            not_counted: vec![("dana".into(), NotCounted::Requester), ("sam".into(), NotCounted::NotNeeded)],
        };
        assert_eq!(
            approval_summary(2, &tally, NextStep::Merging),
            "Approved in Infradesk (revision 2) by riley (sre), sam (dba); merging."
        );
        assert_eq!(
            approval_summary(2, &tally, NextStep::MergeOnGitHub),
            "Approved in Infradesk (revision 2) by riley (sre), sam (dba); Infradesk does not merge it: merge it on GitHub."
        );
        let auto = Tally { teams: vec![], not_counted: vec![] };
        assert_eq!(
            approval_summary(1, &auto, NextStep::WaitingForChecks),
            "Approved in Infradesk (revision 1) by its routing rule (no approvals needed); waiting for the plan check \
             to pass, then Infradesk merges it."
        );
    }

    #[test]
    fn the_next_step_follows_the_configuration_and_the_checks() {
        assert_eq!(NextStep::of(false, true, Some("success")), NextStep::MergeOnGitHub);
        assert_eq!(NextStep::of(true, true, None), NextStep::WaitingForChecks);
        assert_eq!(NextStep::of(true, true, Some("failure")), NextStep::WaitingForChecks);
        assert_eq!(NextStep::of(true, true, Some("success")), NextStep::Merging);
        assert_eq!(NextStep::of(true, false, None), NextStep::Merging);
    }
}
