//! The jobs the worker runs: open a pull request, push a new revision to it, close it
//! (merging: `merge_job`).
//! Each step is safe to repeat (see the worker's module docs); fault points mark where a
//! crash is simulated in tests. Each outcome is audited in the transaction that records it:
//! a transition when the request moves, a `pull_request.*` event when only the pull request does.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::worker::{JobError, Worker};
use super::{Claimed, JobKind, branch_name, pull_request_body, pull_request_title};
use crate::db::DbError;
use crate::pulls;
use crate::requests::change::{self, Change, ChangeError};
use crate::requests::{self, RequestDetail};
use crate::vcs::{Author, ChangeSet, FileChange, PullRequest, PullRequestDraft, VcsError};

impl Worker {
    /// A write transaction in which `job` is already marked done; the caller adds the
    /// outcome and commits. A claim that lapsed (the job runs elsewhere now) stops here.
    pub(super) async fn finishing(
        &self,
        job: &Claimed,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Any>, i64), JobError> {
        let now = self.clock.now_ms();
        let mut tx = self.db.begin_write().await?;
        if !super::finish(&mut tx, now, job).await? {
            tx.rollback().await.map_err(DbError::from)?;
            return Err(JobError::Crash("claim lost".into()));
        }
        Ok((tx, now))
    }

    /// Records what `job` did that no transition names, in the job's transaction.
    pub(super) async fn audit(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        now: i64,
        job: &Claimed,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), DbError> {
        let subject = format!("request:{}", job.request_id);
        let entry = crate::audit::Entry { actor: &Actor::System, action, subject: &subject, details };
        crate::audit::append(tx, self.db.dialect(), now, entry).await.map(|_| ())
    }

    /// Whether the branch at `head` changes anything besides the request's own file (someone
    /// pushed other files to it): such a branch is not Infradesk's to vouch for.
    pub(super) async fn holds_other_changes(&self, head: &str, path: &str) -> Result<bool, JobError> {
        let files = self.vcs.changed_files(&self.config.base_branch, head).await?;
        Ok(files.iter().any(|f| f != path))
    }

    /// The current revision's file on `branch`, authored by the revision's author.
    fn change_set(&self, detail: &RequestDetail, branch: String, message: String) -> ChangeSet {
        let r = &detail.revision;
        ChangeSet {
            branch,
            base: self.config.base_branch.clone(),
            message,
            author: Author { name: r.author.clone(), email: format!("{}@users.infradesk", r.author) },
            files: vec![FileChange { path: r.path.clone(), content: Some(r.rendered.clone()) }],
        }
    }

    /// Comments once per job: the comment carries the job's marker, and a retry (whose earlier
    /// attempt may have posted it before its answer was lost) looks for it first.
    pub(super) async fn comment_once(&self, job: &Claimed, number: u64, body: &str) -> Result<(), JobError> {
        let marker = format!("<!-- infradesk:job:{} -->", job.id);
        if job.attempts > 1 && self.vcs.has_comment(number, &marker).await? {
            return Ok(());
        }
        self.vcs.comment(number, &format!("{body}\n\n{marker}")).await?;
        Ok(())
    }

    pub(super) async fn detail(&self, number: i64) -> Result<RequestDetail, JobError> {
        requests::get(&self.db, number)
            .await?
            .ok_or_else(|| JobError::Vcs(VcsError::Rejected(format!("request #{number} does not exist"))))
    }

    pub(super) async fn open_pr(&self, job: &Claimed) -> Result<(), JobError> {
        let detail = self.detail(job.request_id).await?;
        if detail.summary.status != Status::PrPending {
            // Cancelled (or otherwise moved on) while waiting: nothing to open.
            let (tx, _) = self.finishing(job).await?;
            tx.commit().await.map_err(DbError::from)?;
            return Ok(());
        }
        let s = &detail.summary;
        let branch = branch_name(s.number, &s.instance_name);
        let change_set = self.change_set(
            &detail,
            branch.clone(),
            format!(
                "{}\n\nInfradesk request #{}, revision {}.",
                pull_request_title(&detail),
                s.number,
                detail.revision.number
            ),
        );
        self.vcs.commit_change(&change_set).await?;
        self.fault("after_commit")?;

        // Always ask to open: when the pull request exists already (an earlier attempt whose
        // answer was lost), the host says so and makes sure its labels and reviewers are
        // set, and it is adopted. Finding it first would skip that.
        let draft = self.draft(&detail, branch.clone()).await?;
        let pr =
            match self.vcs.open_pull_request(&draft).await {
                Ok(pr) => pr,
                Err(VcsError::AlreadyExists(_)) => self.vcs.find_pull_request(&branch).await?.ok_or_else(|| {
                    VcsError::transient(format!("a pull request for {branch} exists but was not found"))
                })?,
                Err(e) => return Err(e.into()),
            };
        self.fault("after_open")?;
        self.record_opened(job, &pr).await
    }

    /// The pull request for `detail`. Reviewers are the routed teams' GitHub team slugs
    /// (`teams.github_team_slug`; teams without one are not asked on GitHub).
    pub(super) async fn draft(&self, detail: &RequestDetail, branch: String) -> Result<PullRequestDraft, JobError> {
        let teams = crate::accounts::list_teams(&self.db)
            .await
            .map_err(|e| JobError::Db(DbError::Sql(sqlx::Error::Protocol(e.to_string()))))?;
        let github_slug = |team: &str| teams.iter().find(|t| t.slug == team).and_then(|t| t.github_team_slug.clone());
        let s = &detail.summary;
        let request_url = format!("{}/requests/{}", self.config.public_url, s.number);
        let environment_line =
            self.config.environment_lines.get(&s.environment).cloned().unwrap_or_else(|| s.environment.clone());
        let routing: Option<domain::routing::RoutingOutcome> =
            serde_json::from_value(detail.revision.routing.clone()).ok();
        let team_reviewers =
            routing.map(|r| r.reviewers.iter().filter_map(|req| github_slug(&req.team)).collect()).unwrap_or_default();
        Ok(PullRequestDraft {
            branch,
            base: self.config.base_branch.clone(),
            title: pull_request_title(detail),
            body: pull_request_body(detail, &request_url, &environment_line),
            labels: vec!["infradesk".into(), format!("env:{}", s.environment), format!("module:{}", s.module_id)],
            team_reviewers,
        })
    }

    pub(super) async fn record_opened(&self, job: &Claimed, pr: &PullRequest) -> Result<(), JobError> {
        self.fault("before_record")?;
        let (mut tx, now) = self.finishing(job).await?;
        pulls::record_opened(&mut tx, now, job.request_id, pr).await?;
        let change = Change {
            number: job.request_id,
            event: Event::PrOpened,
            role: Role::System,
            actor: &Actor::System,
            expected_version: None,
            details: json!({ "pull_request": pr.number, "url": pr.url, "branch": pr.branch, "head": pr.head_sha }),
        };
        match change::apply(&mut tx, self.db.dialect(), now, change).await {
            Ok(_) => self.auto_approve(&mut tx, now, job.request_id).await?,
            // Cancelled while the pull request was being opened: close it again.
            Err(ChangeError::Refused(why)) => {
                let note = format!("request not moved: {why}; closing the pull request again");
                let details = json!({ "pull_request": pr.number, "url": pr.url, "branch": pr.branch, "note": note });
                self.audit(&mut tx, now, job, "pull_request.opened", details).await?;
                super::enqueue(&mut tx, now, job.request_id, JobKind::ClosePr).await?;
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    /// A request whose routing rule approves it automatically is approved as soon as its
    /// pull request is open, and its merge is queued.
    async fn auto_approve(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        now: i64,
        number: i64,
    ) -> Result<(), JobError> {
        let routing: String = sqlx::query(
            "SELECT v.routing FROM requests r JOIN request_revisions v ON v.request_id = r.id \
             AND v.revision = r.current_revision WHERE r.id = $1",
        )
        .bind(number)
        .fetch_one(&mut **tx)
        .await
        .and_then(|row| sqlx::Row::try_get(&row, "routing"))
        .map_err(DbError::from)?;
        let outcome: Option<domain::routing::RoutingOutcome> = serde_json::from_str(&routing).ok();
        let Some(outcome) = outcome.filter(|o| o.auto_approve) else { return Ok(()) };
        let change = Change {
            number,
            event: Event::AutoApproved,
            role: Role::System,
            actor: &Actor::System,
            expected_version: None,
            details: json!({ "rule": outcome.rule }),
        };
        change::apply(tx, self.db.dialect(), now, change).await?;
        super::enqueue(tx, now, number, JobKind::MergePr).await?;
        Ok(())
    }

    /// After an edit: the re-rendered file as a new commit on the same branch, and the
    /// description rewritten for the new revision.
    pub(super) async fn update_pr(&self, job: &Claimed) -> Result<(), JobError> {
        let detail = self.detail(job.request_id).await?;
        if !matches!(detail.summary.status, Status::InReview | Status::ChangesRequested) {
            // Cancelled or decided meanwhile: the branch is not to be touched any more.
            let (tx, _) = self.finishing(job).await?;
            tx.commit().await.map_err(DbError::from)?;
            return Ok(());
        }
        let Some(record) = pulls::of_request(&self.db, job.request_id).await? else {
            return Err(JobError::Vcs(VcsError::Rejected(format!(
                "request #{} has no pull request to update",
                job.request_id
            ))));
        };
        let s = &detail.summary;
        let change_set = self.change_set(
            &detail,
            record.branch.clone(),
            format!("Revision {} of Infradesk request #{}", detail.revision.number, s.number),
        );
        let commit = self.vcs.commit_change(&change_set).await?;
        self.fault("after_commit")?;
        // Re-rendering restores the file; anything else someone pushed stays marked.
        let outside = self.holds_other_changes(&commit.sha, &detail.revision.path).await?;
        let draft = self.draft(&detail, record.branch.clone()).await?;
        let number = u64::try_from(record.number).unwrap_or_default();
        self.vcs.update_pull_request(number, &draft.title, &draft.body).await?;
        // The new revision may be routed to more teams; those asked before stay asked.
        self.vcs.request_reviewers(number, &draft.team_reviewers).await?;
        self.fault("before_record")?;
        let (mut tx, now) = self.finishing(job).await?;
        pulls::record_push(&mut tx, now, job.request_id, &commit.sha, outside).await?;
        // The mark may be set or cleared: the queue rows follow it.
        requests::queue_rows::refresh(&mut tx, job.request_id).await?;
        let details = json!({
            "pull_request": record.number, "revision": detail.revision.number, "head": commit.sha, "changed_outside": outside,
        });
        self.audit(&mut tx, now, job, "pull_request.updated", details).await?;
        if record.changed_outside && !outside {
            // The re-render cleared the mark that held back approvals given meanwhile: count
            // them now, as accepting the change would, so a complete count approves.
            let recount = requests::approve_if_complete(
                &mut tx,
                self.db.dialect(),
                now,
                &Actor::System,
                Role::Reviewer,
                job.request_id,
                "rerender",
            )
            .await;
            match recount {
                Ok(_) => {}
                Err(requests::DecideError::Change(e)) => return Err(e.into()),
                Err(e) => return Err(JobError::Vcs(VcsError::Rejected(e.to_string()))),
            }
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    pub(super) async fn close_pr(&self, job: &Claimed) -> Result<(), JobError> {
        let detail = self.detail(job.request_id).await?;
        let branch = branch_name(detail.summary.number, &detail.summary.instance_name);
        let known = pulls::of_request(&self.db, job.request_id).await?;
        let pr = match &known {
            Some(record) => Some(u64::try_from(record.number).unwrap_or_default()),
            None => self.vcs.find_pull_request(&branch).await?.map(|pr| pr.number),
        };
        let mut closed_now = false;
        if let Some(number) = pr {
            let current = self.vcs.get_pull_request(number).await?;
            closed_now = current.state == crate::vcs::PrState::Open;
            if closed_now {
                let comment = format!(
                    "Infradesk request #{} was {}; closing this pull request.",
                    detail.summary.number,
                    detail.summary.status.label()
                );
                self.comment_once(job, number, &comment).await?;
                self.vcs.close_pull_request(number).await?;
            }
        }
        self.vcs.delete_branch(&branch).await?;
        self.fault("before_record")?;
        let (mut tx, now) = self.finishing(job).await?;
        if known.is_some() {
            pulls::update(
                &mut tx,
                now,
                job.request_id,
                pulls::Update { state: Some(crate::vcs::PrState::Closed), ..Default::default() },
            )
            .await?;
        }
        if let Some(number) = pr {
            let details = json!({ "pull_request": number, "closed_now": closed_now, "branch_deleted": branch });
            self.audit(&mut tx, now, job, "pull_request.closed", details).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}
