//! The version-control port: what Infradesk needs from the infra repository's host, in our
//! own types. Two implementations: [`local_git::LocalGitVcs`] (a real git repository on disk,
//! the embedded default) and `github::GitHubVcs` (octocrab). Everything above the port (the
//! outbox worker, webhooks) speaks only these types.
//!
//! Every call is safe to repeat: a change that is already on the branch is not committed
//! again, and opening a pull request that exists fails with [`VcsError::AlreadyExists`] so
//! the caller adopts it. That is what makes the outbox exactly-once.

pub mod git_cli;
pub mod github;
pub mod instrumented;
pub mod local_git;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who a commit is by (the requester, or Infradesk itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    pub email: String,
}

/// One file of a change: `content: None` deletes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub content: Option<String>,
}

/// Makes `branch` hold `files`: the branch is created from `base` when missing, and one
/// commit is added when (and only when) the files differ from the branch's head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSet {
    pub branch: String,
    pub base: String,
    pub message: String,
    pub author: Author,
    pub files: Vec<FileChange>,
}

/// The branch's head after [`Vcs::commit_change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    /// False when the branch already held the files (a repeated call).
    pub created: bool,
}

/// What to open a pull request with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestDraft {
    pub branch: String,
    pub base: String,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    /// GitHub team slugs (without the organisation) asked to review.
    pub team_reviewers: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

impl PrState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Closed => "closed",
            PrState::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => PrState::Open,
            "closed" => PrState::Closed,
            "merged" => PrState::Merged,
            _ => return None,
        })
    }
}

/// A pull request as the host reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    /// Where people open it (GitHub's `html_url`).
    pub url: String,
    pub branch: String,
    pub base: String,
    pub head_sha: String,
    pub state: PrState,
    pub merge_commit: Option<String>,
    /// When the host last changed it (GitHub's `updated_at`, RFC 3339 UTC), so an older read
    /// never overrides a newer webhook; `None` where the host does not say (local git).
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    #[default]
    Merge,
    Squash,
    Rebase,
}

impl MergeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}

/// Why a call failed, sorted by what the caller should do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VcsError {
    /// Worth retrying later: 5xx, timeouts, connection resets, rate limits. `retry_after`
    /// is the host's own hint (`Retry-After`, `x-ratelimit-reset`), which wins over backoff.
    #[error("{reason}")]
    Transient { reason: String, retry_after: Option<Duration> },
    /// The branch or pull request exists already: find it and adopt it.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A merge conflict, or the branch moved since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Retrying will not help (permissions, validation, configuration).
    #[error("{0}")]
    Rejected(String),
}

impl VcsError {
    pub fn transient(reason: impl Into<String>) -> Self {
        VcsError::Transient { reason: reason.into(), retry_after: None }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, VcsError::Transient { .. })
    }
}

/// The infra repository's host. See the module docs for the idempotency contract.
#[async_trait]
pub trait Vcs: Send + Sync + 'static {
    /// `"github"` or `"local"`, for logs and metrics.
    fn kind(&self) -> &'static str;

    /// See [`ChangeSet`]. Repeating the call with the same files returns the same head with
    /// `created: false`.
    async fn commit_change(&self, change: &ChangeSet) -> Result<Commit, VcsError>;

    /// Reads `branch`'s head now, so the next [`Vcs::commit_change`] from it needs no read of
    /// its own (GitHub remembers it for a while; the local repository has nothing to do).
    async fn refresh_branch_head(&self, branch: &str) -> Result<(), VcsError> {
        let _ = branch;
        Ok(())
    }

    /// The newest pull request whose head is `branch` (open, closed or merged).
    async fn find_pull_request(&self, branch: &str) -> Result<Option<PullRequest>, VcsError>;

    /// Opens a pull request with its labels and reviewers. An open pull request for the same
    /// branch gives [`VcsError::AlreadyExists`].
    async fn open_pull_request(&self, draft: &PullRequestDraft) -> Result<PullRequest, VcsError>;

    async fn get_pull_request(&self, number: u64) -> Result<PullRequest, VcsError>;

    async fn update_pull_request(&self, number: u64, title: &str, body: &str) -> Result<(), VcsError>;

    /// Asks these teams (GitHub team slugs) to review; teams asked before stay asked. A team
    /// the host refuses is logged, not an error.
    async fn request_reviewers(&self, number: u64, teams: &[String]) -> Result<(), VcsError>;

    async fn comment(&self, number: u64, body: &str) -> Result<(), VcsError>;

    /// Whether a comment containing `marker` is on the pull request: a job retried after a
    /// lost answer asks before commenting again.
    async fn has_comment(&self, number: u64, marker: &str) -> Result<bool, VcsError>;

    /// Closes without merging. Closing a closed pull request is not an error.
    async fn close_pull_request(&self, number: u64) -> Result<(), VcsError>;

    /// Deleting a branch that is gone is not an error.
    async fn delete_branch(&self, branch: &str) -> Result<(), VcsError>;

    /// Merges the base branch into the pull request's branch when the base moved; returns
    /// the branch's head. A real conflict is [`VcsError::Conflict`].
    async fn update_branch(&self, number: u64) -> Result<String, VcsError>;

    /// Merges when the head is still `expected_head`; returns the merge commit. Merging a
    /// merged pull request returns its merge commit.
    async fn merge_pull_request(
        &self,
        number: u64,
        expected_head: &str,
        method: MergeMethod,
        message: &str,
    ) -> Result<String, VcsError>;

    /// Every open pull request (for reconciling missed webhooks).
    async fn list_open_pull_requests(&self) -> Result<Vec<PullRequest>, VcsError>;

    /// The paths `head` changes against its merge base with `base` (what a pull request from
    /// `head` into `base` shows), e.g. to tell whether a branch holds anything but
    /// Infradesk's file.
    async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, VcsError>;
}
