//! A [`Vcs`] that counts and times every call of the one it wraps (for `/metrics` and the
//! log), whichever host that is.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{ChangeSet, Commit, MergeMethod, PullRequest, PullRequestDraft, Vcs, VcsError};
use crate::metrics::Metrics;

pub struct Instrumented {
    inner: Arc<dyn Vcs>,
    metrics: Arc<Metrics>,
}

impl Instrumented {
    pub fn new(inner: Arc<dyn Vcs>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    fn record<T>(&self, operation: &'static str, started: Instant, result: &Result<T, VcsError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(VcsError::Transient { .. }) => "transient",
            Err(VcsError::AlreadyExists(_)) => "already_exists",
            Err(VcsError::NotFound(_)) => "not_found",
            Err(VcsError::Conflict(_)) => "conflict",
            Err(VcsError::Rejected(_)) => "rejected",
        };
        let took = started.elapsed();
        self.metrics.vcs_call(self.inner.kind(), operation, outcome, took);
        tracing::debug!(host = self.inner.kind(), operation, outcome, ms = took.as_millis() as u64, "vcs call");
    }
}

macro_rules! timed {
    ($self:ident, $op:literal, $call:expr) => {{
        let started = Instant::now();
        let result = $call.await;
        $self.record($op, started, &result);
        result
    }};
}

#[async_trait]
impl Vcs for Instrumented {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    async fn commit_change(&self, c: &ChangeSet) -> Result<Commit, VcsError> {
        timed!(self, "commit_change", self.inner.commit_change(c))
    }
    async fn find_pull_request(&self, b: &str) -> Result<Option<PullRequest>, VcsError> {
        timed!(self, "find_pull_request", self.inner.find_pull_request(b))
    }
    async fn open_pull_request(&self, d: &PullRequestDraft) -> Result<PullRequest, VcsError> {
        timed!(self, "open_pull_request", self.inner.open_pull_request(d))
    }
    async fn refresh_branch_head(&self, b: &str) -> Result<(), VcsError> {
        timed!(self, "refresh_branch_head", self.inner.refresh_branch_head(b))
    }
    async fn get_pull_request(&self, n: u64) -> Result<PullRequest, VcsError> {
        timed!(self, "get_pull_request", self.inner.get_pull_request(n))
    }
    async fn update_pull_request(&self, n: u64, t: &str, b: &str) -> Result<(), VcsError> {
        timed!(self, "update_pull_request", self.inner.update_pull_request(n, t, b))
    }
    async fn request_reviewers(&self, n: u64, teams: &[String]) -> Result<(), VcsError> {
        timed!(self, "request_reviewers", self.inner.request_reviewers(n, teams))
    }
    async fn comment(&self, n: u64, b: &str) -> Result<(), VcsError> {
        timed!(self, "comment", self.inner.comment(n, b))
    }
    async fn has_comment(&self, n: u64, m: &str) -> Result<bool, VcsError> {
        timed!(self, "has_comment", self.inner.has_comment(n, m))
    }
    async fn close_pull_request(&self, n: u64) -> Result<(), VcsError> {
        timed!(self, "close_pull_request", self.inner.close_pull_request(n))
    }
    async fn delete_branch(&self, b: &str) -> Result<(), VcsError> {
        timed!(self, "delete_branch", self.inner.delete_branch(b))
    }
    async fn update_branch(&self, n: u64) -> Result<String, VcsError> {
        timed!(self, "update_branch", self.inner.update_branch(n))
    }
    async fn merge_pull_request(&self, n: u64, h: &str, m: MergeMethod, msg: &str) -> Result<String, VcsError> {
        timed!(self, "merge_pull_request", self.inner.merge_pull_request(n, h, m, msg))
    }
    async fn list_open_pull_requests(&self) -> Result<Vec<PullRequest>, VcsError> {
        timed!(self, "list_open_pull_requests", self.inner.list_open_pull_requests())
    }
    async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, VcsError> {
        timed!(self, "changed_files", self.inner.changed_files(base, head))
    }
}
