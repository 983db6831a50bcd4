//! [`Vcs`] on GitHub (or GitHub Enterprise Server) through its REST API, with octocrab for
//! authentication and the HTTP client. See `docs/GITHUB.md` for the calls each operation
//! makes, the permissions they need and how failures are classified.
//!
//! - [`config`]: [`GitHubConfig`], [`GitHubAuth`] (token, or GitHub App installation).
//! - `auth`: the octocrab client (timeouts, no retry layer, installation tokens).
//! - `api`: one call, its answer or its classified failure (`errors`).
//! - `contents`: `commit_change`; `pulls`: everything about pull requests.
//!
//! Nothing here re-sends a request that may have been applied: the outbox worker above
//! retries whole operations, and every operation is safe to repeat (see [`crate::vcs`]).

mod api;
mod auth;
pub mod config;
mod contents;
mod errors;
pub mod heads;
mod models;
mod pulls;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

pub use self::auth::BuildError;
pub use self::config::{GitHubAuth, GitHubConfig};
pub use self::contents::git_blob_sha;
use super::{ChangeSet, Commit, MergeMethod, PullRequest, PullRequestDraft, Vcs, VcsError};
use crate::clock::{SharedClock, SystemClock};

/// The GitHub implementation of [`Vcs`]. Cheap to clone.
#[derive(Clone)]
pub struct GitHubVcs {
    inner: Arc<Inner>,
}

struct Inner {
    api: api::Api,
    heads: heads::KnownHeads,
    api_url: url::Url,
    merge_method: MergeMethod,
}

impl GitHubVcs {
    /// Builds the client; nothing is sent until the first call. Must be called inside a
    /// Tokio runtime.
    pub fn new(config: GitHubConfig) -> Result<Self, BuildError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`GitHubVcs::new`], with the clock used when an answer has no `Date` header (for
    /// rate-limit waits).
    pub fn with_clock(config: GitHubConfig, clock: SharedClock) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError)?;
        let client = auth::build_client(&config)?;
        let secret: Option<SecretString> = match &config.auth {
            GitHubAuth::Token(token) => Some(token.clone()),
            GitHubAuth::App { .. } => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                api: api::Api::new(client, clock, secret, &config.owner, &config.repo),
                heads: heads::KnownHeads::default(),
                api_url: config.api_url,
                merge_method: config.merge_method,
            }),
        })
    }

    /// The configured merge method, for callers choosing the `method` of
    /// [`Vcs::merge_pull_request`].
    pub fn merge_method(&self) -> MergeMethod {
        self.inner.merge_method
    }
}

impl fmt::Debug for GitHubVcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubVcs")
            .field("api_url", &self.inner.api_url.as_str())
            .field("repository", &self.inner.api.repo_path(""))
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Vcs for GitHubVcs {
    fn kind(&self) -> &'static str {
        "github"
    }

    async fn commit_change(&self, change: &ChangeSet) -> Result<Commit, VcsError> {
        contents::commit_change(&self.inner.api, &self.inner.heads, change).await
    }

    async fn refresh_branch_head(&self, branch: &str) -> Result<(), VcsError> {
        contents::read_base(&self.inner.api, &self.inner.heads, branch).await.map(drop)
    }

    async fn find_pull_request(&self, branch: &str) -> Result<Option<PullRequest>, VcsError> {
        pulls::find(&self.inner.api, branch, "all").await
    }

    async fn open_pull_request(&self, draft: &PullRequestDraft) -> Result<PullRequest, VcsError> {
        pulls::open(&self.inner.api, draft).await
    }

    async fn get_pull_request(&self, number: u64) -> Result<PullRequest, VcsError> {
        pulls::get(&self.inner.api, number).await
    }

    async fn update_pull_request(&self, number: u64, title: &str, body: &str) -> Result<(), VcsError> {
        pulls::update(&self.inner.api, number, title, body).await
    }

    async fn request_reviewers(&self, number: u64, teams: &[String]) -> Result<(), VcsError> {
        pulls::request_reviewers(&self.inner.api, number, teams).await
    }

    async fn comment(&self, number: u64, body: &str) -> Result<(), VcsError> {
        pulls::comment(&self.inner.api, number, body).await
    }

    async fn has_comment(&self, number: u64, marker: &str) -> Result<bool, VcsError> {
        pulls::has_comment(&self.inner.api, number, marker).await
    }

    async fn close_pull_request(&self, number: u64) -> Result<(), VcsError> {
        pulls::close(&self.inner.api, number).await
    }

    async fn delete_branch(&self, branch: &str) -> Result<(), VcsError> {
        pulls::delete_branch(&self.inner.api, branch).await
    }

    async fn update_branch(&self, number: u64) -> Result<String, VcsError> {
        pulls::update_branch(&self.inner.api, number).await
    }

    async fn merge_pull_request(
        &self,
        number: u64,
        expected_head: &str,
        method: MergeMethod,
        message: &str,
    ) -> Result<String, VcsError> {
        pulls::merge(&self.inner.api, number, expected_head, method, message).await
    }

    async fn list_open_pull_requests(&self) -> Result<Vec<PullRequest>, VcsError> {
        pulls::list_open(&self.inner.api).await
    }

    async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, VcsError> {
        pulls::changed_files(&self.inner.api, base, head).await
    }
}
