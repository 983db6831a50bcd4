//! The outbox worker: claims due jobs, calls the version-control port, records outcomes.
//!
//! Exactly-once: opening a pull request is "commit the file to the request's branch (no new
//! commit when it is there already), find a pull request for the branch or open one (an
//! `AlreadyExists` answer is adopted), record it". A crash between any two steps leaves the
//! job claimed; the claim lapses, the job runs again and every step finds its earlier effect.
//! Tests inject such crashes through [`FaultHook`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use domain::audit::Actor;
use domain::request::transition::{Event, Role};
use serde_json::json;

use super::backoff::{Backoff, Pacer};
use super::{Claimed, JobKind, Wake};
use crate::clock::SharedClock;
use crate::db::{Db, DbError};
use crate::requests::change::{self, Change, ChangeError};
use crate::vcs::{Vcs, VcsError};

/// Called at named points of a job; an `Err` stops the job there as if the process died.
pub type FaultHook = Arc<dyn Fn(&'static str) -> Result<(), String> + Send + Sync>;

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub base_branch: String,
    /// Infradesk's public URL, for the link in the pull request body.
    pub public_url: String,
    /// Per environment: how the body names it, e.g. "prod (AWS 123456789012, eu-west-1)".
    pub environment_lines: BTreeMap<String, String>,
    /// How approved pull requests are merged.
    pub merge_method: crate::vcs::MergeMethod,
    /// Infradesk merges approved pull requests (false: someone merges on GitHub).
    pub merge_on_approval: bool,
    /// Merge only when the checks on the head are green; a green check later queues the merge.
    pub require_green_checks: bool,
    pub lease: Duration,
    /// How often to look for due jobs when nothing wakes the worker.
    pub poll: Duration,
    pub backoff: Backoff,
}

impl WorkerConfig {
    pub fn new(base_branch: &str, public_url: &str) -> Self {
        Self {
            base_branch: base_branch.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            environment_lines: BTreeMap::new(),
            merge_method: crate::vcs::MergeMethod::default(),
            merge_on_approval: true,
            require_green_checks: false,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(2),
            backoff: Backoff::default(),
        }
    }
}

/// What happened to one claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// A transient failure; runs again at the time given.
    Retrying {
        at_ms: i64,
        error: String,
    },
    /// Given up: the request shows the reason and an admin can retry.
    Failed(String),
    /// Not tried: the host's content limits; runs at the time given.
    Paced(i64),
    /// Stopped by an injected fault (tests only); the claim lapses.
    Crashed(String),
}

pub(super) enum JobError {
    Vcs(VcsError),
    Db(DbError),
    Crash(String),
}

impl From<VcsError> for JobError {
    fn from(e: VcsError) -> Self {
        JobError::Vcs(e)
    }
}
impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::Db(e)
    }
}
impl From<ChangeError> for JobError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Db(e) => JobError::Db(e),
            other => JobError::Vcs(VcsError::Rejected(other.to_string())),
        }
    }
}

pub struct Worker {
    pub(super) db: Db,
    pub(super) vcs: Arc<dyn Vcs>,
    pub(super) clock: SharedClock,
    pub(super) config: WorkerConfig,
    /// Limits of the host; what was spent is in the database, shared by every replica.
    pacer: Pacer,
    wake: Wake,
    faults: Option<FaultHook>,
}

impl Worker {
    pub fn new(db: Db, vcs: Arc<dyn Vcs>, clock: SharedClock, config: WorkerConfig) -> Self {
        let pacer = if vcs.kind() == "github" { Pacer::github() } else { Pacer::unlimited() };
        Self { db, vcs, clock, config, pacer, wake: Wake::default(), faults: None }
    }

    pub fn with_pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = pacer;
        self
    }

    pub fn with_faults(mut self, hook: FaultHook) -> Self {
        self.faults = Some(hook);
        self
    }

    /// Wake the worker (after enqueuing a job) instead of waiting for the next poll.
    pub fn waker(&self) -> Wake {
        self.wake.clone()
    }

    pub fn vcs(&self) -> &Arc<dyn Vcs> {
        &self.vcs
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Runs until `shutdown` turns true: every due job, then waits for a wake-up or the poll.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(vcs = self.vcs.kind(), "outbox worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.run_due().await {
                tracing::error!(error = %e, "outbox worker cannot read its jobs; trying again shortly");
            }
            tokio::select! {
                _ = self.wake.woken() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Runs jobs until none is due; returns how many ran.
    pub async fn run_due(&self) -> Result<usize, DbError> {
        let mut ran = 0;
        while self.run_once().await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    /// Claims and runs one due job.
    pub async fn run_once(&self) -> Result<Option<(Claimed, Outcome)>, DbError> {
        let now = self.clock.now_ms();
        let lease = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let Some(job) = super::claim(&self.db, now, lease).await? else { return Ok(None) };
        let outcome = self.handle(&job).await?;
        match &outcome {
            Outcome::Done => {
                tracing::info!(job = job.id, request = job.request_id, kind = job.kind.as_str(), "outbox job done")
            }
            Outcome::Retrying { at_ms, error } => tracing::warn!(
                job = job.id, request = job.request_id, attempt = job.attempts, retry_in_ms = at_ms - now, %error,
                "outbox job failed; will retry"
            ),
            Outcome::Failed(error) => tracing::error!(
                job = job.id, request = job.request_id, attempts = job.attempts, %error,
                "outbox job gave up; an admin can retry it"
            ),
            Outcome::Paced(at_ms) => tracing::info!(job = job.id, wait_ms = at_ms - now, "outbox job paced"),
            Outcome::Crashed(point) => tracing::warn!(job = job.id, point, "outbox job stopped by an injected fault"),
        }
        Ok(Some((job, outcome)))
    }

    async fn handle(&self, job: &Claimed) -> Result<Outcome, DbError> {
        let now = self.clock.now_ms();
        let reserved = super::pacing::reserve(&self.db, &self.pacer, now, job.kind.cost()).await?;
        if let Err(at_ms) = reserved {
            super::reschedule(&self.db, now, job, at_ms, None, false).await?;
            return Ok(Outcome::Paced(at_ms));
        }
        let result = match job.kind {
            JobKind::OpenPr => self.open_pr(job).await,
            JobKind::UpdatePr => self.update_pr(job).await,
            JobKind::MergePr => self.merge_pr(job).await,
            JobKind::ClosePr => self.close_pr(job).await,
        };
        match result {
            Ok(()) => Ok(Outcome::Done),
            Err(JobError::Crash(point)) => Ok(Outcome::Crashed(point)),
            Err(JobError::Db(e)) => {
                // The database refused or failed: back off like any failure and count the
                // attempt, so a job the database keeps refusing ends in front of an admin
                // instead of calling the host every few seconds forever.
                let now = self.clock.now_ms();
                let delay = self.config.backoff.delay(job.attempts, rand::random(), None);
                let at = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
                let error = format!("database: {e}");
                if job.attempts >= self.config.backoff.max_attempts {
                    let _ = self.give_up(job, now, &error).await;
                } else {
                    let _ = super::reschedule(&self.db, now, job, at, Some(&error), true).await;
                }
                Err(e)
            }
            Err(JobError::Vcs(e)) => self.failed(job, e).await,
        }
    }

    async fn failed(&self, job: &Claimed, error: VcsError) -> Result<Outcome, DbError> {
        let now = self.clock.now_ms();
        let reason = format!("{} ({})", error, self.vcs.kind());
        if let VcsError::Transient { retry_after, .. } = &error
            && job.attempts < self.config.backoff.max_attempts
        {
            let jitter: f64 = rand::random();
            let delay = self.config.backoff.delay(job.attempts, jitter, *retry_after);
            let at_ms = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
            super::reschedule(&self.db, now, job, at_ms, Some(&reason), true).await?;
            return Ok(Outcome::Retrying { at_ms, error: reason });
        }
        let reason =
            if error.is_transient() { format!("gave up after {} attempts: {reason}", job.attempts) } else { reason };
        if !self.give_up(job, now, &reason).await? {
            return Ok(Outcome::Crashed("claim lost".into()));
        }
        Ok(Outcome::Failed(reason))
    }

    /// Fails `job` with its audit event in one transaction: a pull request that could not be
    /// opened fails its request (`request.pr_failed`); any other job, or a request that moved
    /// on meanwhile, records `outbox.failed`. False when the claim was lost.
    async fn give_up(&self, job: &Claimed, now: i64, reason: &str) -> Result<bool, DbError> {
        let mut tx = self.db.begin_write().await?;
        if !super::fail(&mut tx, now, job, reason).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let details = json!({ "reason": reason, "attempts": job.attempts, "job": job.id, "kind": job.kind.as_str() });
        let mut moved = false;
        if job.kind == JobKind::OpenPr {
            let change = Change {
                number: job.request_id,
                event: Event::PrFailed,
                role: Role::System,
                actor: &Actor::System,
                expected_version: None,
                details: details.clone(),
            };
            match change::apply(&mut tx, self.db.dialect(), now, change).await {
                Ok(_) => moved = true,
                Err(ChangeError::Db(e)) => return Err(e),
                Err(e) => tracing::warn!(error = %e, "failed job's request not marked failed"),
            }
        }
        if !moved {
            let subject = format!("request:{}", job.request_id);
            let entry =
                crate::audit::Entry { actor: &Actor::System, action: "outbox.failed", subject: &subject, details };
            crate::audit::append(&mut tx, self.db.dialect(), now, entry).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) fn fault(&self, point: &'static str) -> Result<(), JobError> {
        match &self.faults {
            Some(hook) => hook(point).map_err(|_| JobError::Crash(point.to_owned())),
            None => Ok(()),
        }
    }
}
