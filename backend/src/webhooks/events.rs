//! GitHub's webhook payloads, read as far as Infradesk needs them (unknown fields ignored),
//! and turned into observations.

use serde::Deserialize;

use super::observe::{ObservedCheck, ObservedPull};
use crate::vcs::PrState;

#[derive(Deserialize)]
pub struct Repository {
    pub full_name: String,
}

/// Just the repository, to refuse deliveries for other repositories before storing them.
#[derive(Deserialize)]
pub struct AnyEvent {
    pub repository: Option<Repository>,
}

#[derive(Deserialize)]
pub struct Head {
    pub sha: String,
}

#[derive(Deserialize)]
pub struct Pull {
    pub number: i64,
    pub state: String,
    #[serde(default)]
    pub merged: Option<bool>,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub head: Head,
    pub updated_at: Option<String>,
}

impl Pull {
    pub fn observed(&self) -> ObservedPull<'_> {
        let merged = self.merged.unwrap_or(false) || self.merged_at.is_some();
        let state = match (self.state.as_str(), merged) {
            (_, true) => PrState::Merged,
            ("closed", false) => PrState::Closed,
            _ => PrState::Open,
        };
        ObservedPull {
            number: self.number,
            state,
            head_sha: &self.head.sha,
            merge_commit: if merged { self.merge_commit_sha.as_deref() } else { None },
            updated_at: self.updated_at.as_deref(),
        }
    }
}

#[derive(Deserialize)]
pub struct PullRequestEvent {
    pub action: String,
    pub pull_request: Pull,
}

#[derive(Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Deserialize)]
pub struct Review {
    /// GitHub's id of the review (the conversation keeps one entry per review).
    #[serde(default)]
    pub id: Option<i64>,
    pub user: User,
    pub state: String,
    pub commit_id: Option<String>,
    pub html_url: Option<String>,
    /// The review's text (`null` for a review without one).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<String>,
}

#[derive(Deserialize)]
pub struct ReviewEvent {
    pub action: String,
    pub review: Review,
    pub pull_request: Pull,
}

/// A comment on the pull request (`issue_comment`) or on one of its files
/// (`pull_request_review_comment`).
#[derive(Deserialize)]
pub struct Comment {
    pub id: i64,
    /// `null` for a deleted GitHub account.
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    /// The file a review comment is on.
    #[serde(default)]
    pub path: Option<String>,
}

/// The issue an `issue_comment` is on; `pull_request` is present when it is a pull request.
#[derive(Deserialize)]
pub struct Issue {
    pub number: i64,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub struct IssueCommentEvent {
    pub action: String,
    pub issue: Issue,
    pub comment: Comment,
}

#[derive(Deserialize)]
pub struct PullNumber {
    pub number: i64,
}

#[derive(Deserialize)]
pub struct ReviewCommentEvent {
    pub action: String,
    pub pull_request: PullNumber,
    pub comment: Comment,
}

#[derive(Deserialize)]
pub struct CheckRun {
    pub head_sha: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
}

#[derive(Deserialize)]
pub struct CheckRunEvent {
    pub check_run: CheckRun,
}

#[derive(Deserialize)]
pub struct App {
    pub name: String,
}

#[derive(Deserialize)]
pub struct CheckSuite {
    pub head_sha: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub app: Option<App>,
}

#[derive(Deserialize)]
pub struct CheckSuiteEvent {
    pub check_suite: CheckSuite,
}

#[derive(Deserialize)]
pub struct StatusEvent {
    pub sha: String,
    pub state: String,
    pub context: String,
}

/// A check's status and conclusion as pending / success / failure. Neutral and skipped do
/// not block; everything else that completed without success fails.
pub fn check_outcome(status: Option<&str>, conclusion: Option<&str>) -> &'static str {
    match (status, conclusion) {
        (Some("completed"), Some("success" | "neutral" | "skipped"))
        | (None, Some("success" | "neutral" | "skipped")) => "success",
        (Some("completed"), Some(_)) | (None, Some(_)) => "failure",
        _ => "pending",
    }
}

impl CheckRunEvent {
    pub fn observed(&self) -> ObservedCheck<'_> {
        let run = &self.check_run;
        ObservedCheck {
            head_sha: &run.head_sha,
            name: &run.name,
            outcome: check_outcome(Some(&run.status), run.conclusion.as_deref()),
        }
    }
}

impl CheckSuiteEvent {
    pub fn observed(&self) -> ObservedCheck<'_> {
        let suite = &self.check_suite;
        ObservedCheck {
            head_sha: &suite.head_sha,
            name: suite.app.as_ref().map_or("check suite", |a| a.name.as_str()),
            outcome: check_outcome(suite.status.as_deref(), suite.conclusion.as_deref()),
        }
    }
}

impl StatusEvent {
    pub fn observed(&self) -> ObservedCheck<'_> {
        let outcome = match self.state.as_str() {
            "success" => "success",
            "pending" => "pending",
            _ => "failure",
        };
        ObservedCheck { head_sha: &self.sha, name: &self.context, outcome }
    }
}
