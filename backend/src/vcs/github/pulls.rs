//! Pull requests: open (with labels and team reviewers), find, read, edit, comment, close,
//! bring up to date with the base, merge, list.

use http::{Method, StatusCode};
use serde_json::json;

use super::api::{Api, encode_path, query};
use super::models::{CommitSha, MergeResult, Pull};
use crate::vcs::{MergeMethod, PrState, PullRequest, PullRequestDraft, VcsError};

/// Pages of `GET /pulls` read at most (100 each) before giving up on listing.
const MAX_PAGES: u32 = 100;

/// The newest pull request (any state) whose head is `branch` in our repository.
pub(crate) async fn find(api: &Api, branch: &str, state: &str) -> Result<Option<PullRequest>, VcsError> {
    let head = format!("{}:{branch}", api.owner());
    let q =
        query(&[("head", &head), ("state", state), ("sort", "created"), ("direction", "desc"), ("per_page", "100")]);
    let pulls: Vec<Pull> = api.get(&api.repo_path(&format!("/pulls?{q}"))).await?;
    // GitHub ignores a `head` it cannot parse and lists everything: filter again.
    Ok(pulls.into_iter().filter(|p| p.head.name == branch).max_by_key(|p| p.number).map(Pull::into_pull_request))
}

/// `POST /pulls`, then labels and team reviewers. When the pull request exists already, the
/// labels and reviewers are applied to it (both calls add, so repeating them is harmless)
/// before answering [`VcsError::AlreadyExists`]: a first try that opened the pull request
/// but failed before labelling it is completed by the retry.
pub(crate) async fn open(api: &Api, draft: &PullRequestDraft) -> Result<PullRequest, VcsError> {
    if draft.title.trim().is_empty() {
        return Err(VcsError::Rejected("a pull request needs a title".to_string()));
    }
    let body = json!({
        "title": draft.title,
        "head": draft.branch,
        "base": draft.base,
        "body": draft.body,
    });
    match api.json::<Pull, _>(Method::POST, &api.repo_path("/pulls"), Some(&body)).await {
        Ok(pull) => {
            decorate(api, pull.number, draft).await?;
            Ok(pull.into_pull_request())
        }
        Err(f) if matches!(f.error, VcsError::AlreadyExists(_)) => {
            let reason = match find(api, &draft.branch, "open").await? {
                Some(existing) => {
                    decorate(api, existing.number, draft).await?;
                    format!("pull request #{} for branch {} is already open", existing.number, draft.branch)
                }
                None => f.error.to_string(),
            };
            Err(VcsError::AlreadyExists(reason))
        }
        Err(f) => Err(f.into()),
    }
}

/// Labels, then team reviewers, each skipped when empty. A transient failure is returned
/// (the caller retries `open`, which lands on the already-exists path above); anything else
/// (an unknown team, a label GitHub refuses) is logged and the pull request stands.
async fn decorate(api: &Api, number: u64, draft: &PullRequestDraft) -> Result<(), VcsError> {
    if !draft.labels.is_empty() {
        let path = api.repo_path(&format!("/issues/{number}/labels"));
        let body = json!({ "labels": draft.labels });
        tolerate(api.call(Method::POST, &path, Some(&body)).await.map(drop).map_err(VcsError::from), number)?;
    }
    request_reviewers(api, number, &draft.team_reviewers).await
}

/// Team reviewers, skipped when there are none; only adds (teams asked before stay asked).
pub(crate) async fn request_reviewers(api: &Api, number: u64, teams: &[String]) -> Result<(), VcsError> {
    if teams.is_empty() {
        return Ok(());
    }
    let path = api.repo_path(&format!("/pulls/{number}/requested_reviewers"));
    let body = json!({ "team_reviewers": teams });
    tolerate(api.call(Method::POST, &path, Some(&body)).await.map(drop).map_err(VcsError::from), number)
}

fn tolerate(result: Result<(), VcsError>, number: u64) -> Result<(), VcsError> {
    match result {
        Err(e) if !e.is_transient() => {
            tracing::warn!(pull_request = number, error = %e, "pull request opened without all its labels or reviewers");
            Ok(())
        }
        other => other,
    }
}

#[derive(serde::Deserialize)]
struct Comparison {
    #[serde(default)]
    files: Vec<ComparedFile>,
}

#[derive(serde::Deserialize)]
struct ComparedFile {
    filename: String,
    previous_filename: Option<String>,
}

/// `GET /compare/{base}...{head}`: one call. GitHub lists at most 300 files, which is far
/// more than an Infradesk branch should ever hold; any file beyond the first is what matters.
pub(crate) async fn changed_files(api: &Api, base: &str, head: &str) -> Result<Vec<String>, VcsError> {
    let path = api.repo_path(&format!("/compare/{base}...{head}"));
    let comparison: Comparison = api.get(&path).await?;
    let mut files = Vec::new();
    for f in comparison.files {
        files.extend(f.previous_filename);
        files.push(f.filename);
    }
    files.sort();
    files.dedup();
    Ok(files)
}

pub(crate) async fn get(api: &Api, number: u64) -> Result<PullRequest, VcsError> {
    Ok(get_raw(api, number).await?.into_pull_request())
}

async fn get_raw(api: &Api, number: u64) -> Result<Pull, VcsError> {
    Ok(api.get::<Pull>(&api.repo_path(&format!("/pulls/{number}"))).await?)
}

pub(crate) async fn update(api: &Api, number: u64, title: &str, body: &str) -> Result<(), VcsError> {
    let payload = json!({ "title": title, "body": body });
    api.call(Method::PATCH, &api.repo_path(&format!("/pulls/{number}")), Some(&payload)).await?;
    Ok(())
}

pub(crate) async fn comment(api: &Api, number: u64, body: &str) -> Result<(), VcsError> {
    let payload = json!({ "body": body });
    api.call(Method::POST, &api.repo_path(&format!("/issues/{number}/comments")), Some(&payload)).await?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct IssueComment {
    #[serde(default)]
    body: Option<String>,
}

/// `GET /issues/{n}/comments`, page by page, until a comment contains `marker`.
pub(crate) async fn has_comment(api: &Api, number: u64, marker: &str) -> Result<bool, VcsError> {
    for page in 1..=MAX_PAGES {
        let q = query(&[("per_page", "100"), ("page", &page.to_string())]);
        let path = api.repo_path(&format!("/issues/{number}/comments?{q}"));
        let reply = api.call(Method::GET, &path, None::<&()>).await?;
        let comments: Vec<IssueComment> = reply.parse(&Method::GET, &path)?;
        if comments.iter().any(|c| c.body.as_deref().is_some_and(|b| b.contains(marker))) {
            return Ok(true);
        }
        if comments.is_empty() || !reply.has_next_page() {
            return Ok(false);
        }
    }
    Ok(false)
}

/// `PATCH state=closed`: GitHub answers 200 for a closed one too; a 422 (a merged one) is
/// fine when the pull request is no longer open.
pub(crate) async fn close(api: &Api, number: u64) -> Result<(), VcsError> {
    let payload = json!({ "state": "closed" });
    match api.call(Method::PATCH, &api.repo_path(&format!("/pulls/{number}")), Some(&payload)).await {
        Ok(_) => Ok(()),
        Err(f) if f.is(StatusCode::UNPROCESSABLE_ENTITY) => {
            if get(api, number).await?.state == PrState::Open {
                Err(f.into())
            } else {
                Ok(())
            }
        }
        Err(f) => Err(f.into()),
    }
}

/// `DELETE git/refs/heads/{branch}`; a branch that is gone already (404, or 422 "Reference
/// does not exist") is fine.
pub(crate) async fn delete_branch(api: &Api, branch: &str) -> Result<(), VcsError> {
    let path = api.repo_path(&format!("/git/refs/heads/{}", encode_path(branch)));
    match api.call(Method::DELETE, &path, None::<&()>).await {
        Ok(_) => Ok(()),
        Err(f) if f.is(StatusCode::NOT_FOUND) => Ok(()),
        Err(f) if f.is(StatusCode::UNPROCESSABLE_ENTITY) && f.says("reference does not exist") => Ok(()),
        Err(f) => Err(f.into()),
    }
}

/// Merges the base into the pull request's branch with `POST /merges` (synchronous, and it
/// answers the new head; `PUT /pulls/{n}/update-branch` only queues the update). 204 means
/// the branch has the base already. 409 is a merge conflict.
pub(crate) async fn update_branch(api: &Api, number: u64) -> Result<String, VcsError> {
    let pull = get_raw(api, number).await?;
    let payload = json!({
        "base": pull.head.name,
        "head": pull.base.name,
        "commit_message": format!("Merge branch '{}' into {}", pull.base.name, pull.head.name),
    });
    let reply = api.call(Method::POST, &api.repo_path("/merges"), Some(&payload)).await?;
    if reply.status == StatusCode::NO_CONTENT {
        return Ok(pull.head.sha);
    }
    let commit: CommitSha = reply.parse(&Method::POST, &api.repo_path("/merges"))?;
    Ok(commit.sha)
}

/// `PUT /pulls/{n}/merge` with `sha` = the head we expect. GitHub answers 405 when it cannot
/// merge (conflict, checks, reviews) and 409 when the head moved: both become `Conflict`,
/// unless the pull request turns out to be merged already (a repeated call).
pub(crate) async fn merge(
    api: &Api,
    number: u64,
    expected_head: &str,
    method: MergeMethod,
    message: &str,
) -> Result<String, VcsError> {
    let (title, rest) = match message.split_once('\n') {
        Some((t, r)) => (t.trim(), r.trim()),
        None => (message.trim(), ""),
    };
    let mut payload = json!({ "sha": expected_head, "merge_method": method.as_str() });
    if !title.is_empty() {
        payload["commit_title"] = json!(title);
    }
    if !rest.is_empty() {
        payload["commit_message"] = json!(rest);
    }
    let path = api.repo_path(&format!("/pulls/{number}/merge"));
    match api.json::<MergeResult, _>(Method::PUT, &path, Some(&payload)).await {
        Ok(r) if r.merged => Ok(r.sha),
        Ok(r) => Err(VcsError::Conflict(format!("GitHub did not merge pull request #{number}: {}", r.message))),
        Err(f)
            if f.is(StatusCode::METHOD_NOT_ALLOWED)
                || f.is(StatusCode::CONFLICT)
                || f.is(StatusCode::UNPROCESSABLE_ENTITY) =>
        {
            let pull = get_raw(api, number).await?;
            match (pull.is_merged(), pull.merge_commit_sha) {
                (true, Some(sha)) => Ok(sha),
                _ => Err(f.into()),
            }
        }
        Err(f) => Err(f.into()),
    }
}

/// Every open pull request, following `Link: rel="next"` page by page.
pub(crate) async fn list_open(api: &Api) -> Result<Vec<PullRequest>, VcsError> {
    let mut all = Vec::new();
    for page in 1..=MAX_PAGES {
        let q = query(&[("state", "open"), ("per_page", "100"), ("page", &page.to_string())]);
        let path = api.repo_path(&format!("/pulls?{q}"));
        let reply = api.call(Method::GET, &path, None::<&()>).await?;
        let pulls: Vec<Pull> = reply.parse(&Method::GET, &path)?;
        let done = pulls.is_empty() || !reply.has_next_page();
        all.extend(pulls.into_iter().map(Pull::into_pull_request));
        if done {
            return Ok(all);
        }
    }
    Err(VcsError::Rejected(format!("more than {MAX_PAGES} pages of open pull requests")))
}
