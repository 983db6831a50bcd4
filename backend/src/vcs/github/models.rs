//! The parts of GitHub's payloads Infradesk reads. Our own small structs rather than
//! octocrab's full models: every field here is one GitHub documents as always present, so a
//! new or missing optional field elsewhere in a payload never fails a call.

use serde::{Deserialize, Serialize};

use crate::vcs::{Author, PrState, PullRequest};

/// `GET /repos/{o}/{r}/git/ref/heads/{branch}`, `POST /repos/{o}/{r}/git/refs`.
#[derive(Debug, Deserialize)]
pub(crate) struct GitRef {
    pub object: GitObject,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GitObject {
    pub sha: String,
}

/// `GET /repos/{o}/{r}/contents/{path}` for a file (a directory is an array).
#[derive(Debug, Deserialize)]
pub(crate) struct ContentEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
}

/// `PUT` / `DELETE /repos/{o}/{r}/contents/{path}`.
#[derive(Debug, Deserialize)]
pub(crate) struct FileCommit {
    pub commit: CommitSha,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CommitSha {
    pub sha: String,
}

/// The body of `PUT /repos/{o}/{r}/contents/{path}` (create or update a file).
#[derive(Debug, Serialize)]
pub(crate) struct PutFile<'a> {
    pub message: &'a str,
    /// Base64.
    pub content: String,
    pub branch: &'a str,
    /// The blob being replaced; absent when the file is new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha: Option<&'a str>,
    pub author: &'a Author,
}

/// The body of `DELETE /repos/{o}/{r}/contents/{path}`.
#[derive(Debug, Serialize)]
pub(crate) struct DeleteFile<'a> {
    pub message: &'a str,
    pub sha: &'a str,
    pub branch: &'a str,
    pub author: &'a Author,
}

/// A pull request in `GET /pulls`, `GET /pulls/{n}`, `POST /pulls`, `PATCH /pulls/{n}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Pull {
    pub number: u64,
    pub html_url: String,
    pub state: String,
    pub merged_at: Option<String>,
    /// Only in the single-pull-request payloads.
    #[serde(default)]
    pub merged: Option<bool>,
    pub merge_commit_sha: Option<String>,
    pub head: PullRef,
    pub base: PullRef,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PullRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

impl Pull {
    pub fn is_merged(&self) -> bool {
        self.merged == Some(true) || self.merged_at.is_some()
    }

    pub fn into_pull_request(self) -> PullRequest {
        let state = if self.is_merged() {
            PrState::Merged
        } else if self.state == "open" {
            PrState::Open
        } else {
            PrState::Closed
        };
        PullRequest {
            number: self.number,
            url: self.html_url,
            branch: self.head.name,
            base: self.base.name,
            head_sha: self.head.sha,
            state,
            // Before the merge GitHub puts its test merge commit here; it means nothing then.
            merge_commit: if state == PrState::Merged { self.merge_commit_sha } else { None },
            updated_at: self.updated_at,
        }
    }
}

/// `PUT /repos/{o}/{r}/pulls/{n}/merge`.
#[derive(Debug, Deserialize)]
pub(crate) struct MergeResult {
    pub sha: String,
    pub merged: bool,
    #[serde(default)]
    pub message: String,
}
