//! `commit_change` over the branch and contents APIs.
//!
//! A new branch takes two calls for one file when the base's head is known (see
//! [`super::heads`]; otherwise a read of it first): create the branch there, write the file (`PUT contents` without a `sha`, because on a branch just
//! made from the base a file is new unless the base has it; if it does, GitHub answers 422
//! and we fetch the blob sha and compare or update). An existing branch (a repeated call)
//! costs a read of each file, and a write only when the blob differs: content is compared
//! by git blob sha, computed here as `sha1("blob {len}\0{content}")`, against the `sha` the
//! contents API reports, so an identical file is never committed again.
//!
//! The contents API makes one commit per file; a change of N files is N commits on the
//! branch (Infradesk's changes are one file).

use base64::Engine as _;
use http::{Method, StatusCode};
use sha1::{Digest, Sha1};

use super::api::{Api, encode_path, query};
use super::errors::Failure;
use super::heads::KnownHeads;
use super::models::{ContentEntry, DeleteFile, FileCommit, GitRef, PutFile};
use crate::vcs::{ChangeSet, Commit, FileChange, VcsError};

/// Git's object id of a blob with these bytes.
pub fn git_blob_sha(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn commit_change(api: &Api, heads: &KnownHeads, change: &ChangeSet) -> Result<Commit, VcsError> {
    check_branch_name(&change.branch)?;
    check_branch_name(&change.base)?;
    for file in &change.files {
        check_file_path(&file.path)?;
    }

    let (base_sha, fresh) = match heads.fresh(&change.base, api.now_ms()) {
        Some(sha) => match create_branch(api, &change.branch, &sha).await {
            Err(f) if f.is(StatusCode::UNPROCESSABLE_ENTITY) && f.says("Object does not exist") => {
                // The remembered head is gone (the base was force-pushed): read it again.
                heads.forget(&change.base);
                let sha = read_base(api, heads, &change.base).await?;
                let fresh = create_branch(api, &change.branch, &sha).await?;
                (sha, fresh)
            }
            created => (sha, created?),
        },
        None => {
            let sha = read_base(api, heads, &change.base).await?;
            let fresh = create_branch(api, &change.branch, &sha).await?;
            (sha, fresh)
        }
    };

    let mut head = None;
    for file in &change.files {
        if let Some(sha) = apply_file(api, change, file, fresh).await? {
            head = Some(sha);
        }
    }
    match head {
        Some(sha) => Ok(Commit { sha, created: true }),
        None if fresh => Ok(Commit { sha: base_sha, created: false }),
        None => {
            let sha = branch_head(api, &change.branch)
                .await?
                .ok_or_else(|| VcsError::NotFound(format!("branch {} disappeared", change.branch)))?;
            Ok(Commit { sha, created: false })
        }
    }
}

/// Reads the base branch's head and remembers it for the next pull requests.
pub(crate) async fn read_base(api: &Api, heads: &KnownHeads, base: &str) -> Result<String, VcsError> {
    let sha = branch_head(api, base)
        .await?
        .ok_or_else(|| VcsError::NotFound(format!("the base branch {base} does not exist on GitHub")))?;
    heads.remember(base, &sha, api.now_ms());
    Ok(sha)
}

/// The branch's head commit, `None` when there is no such branch.
pub(crate) async fn branch_head(api: &Api, branch: &str) -> Result<Option<String>, VcsError> {
    let path = api.repo_path(&format!("/git/ref/heads/{}", encode_path(branch)));
    match api.get::<GitRef>(&path).await {
        Ok(r) => Ok(Some(r.object.sha)),
        Err(f) if f.is(StatusCode::NOT_FOUND) => Ok(None),
        Err(f) => Err(f.into()),
    }
}

/// Creates `branch` at `sha`; `false` when it exists already.
async fn create_branch(api: &Api, branch: &str, sha: &str) -> Result<bool, Failure> {
    let body = serde_json::json!({ "ref": format!("refs/heads/{branch}"), "sha": sha });
    match api.call(Method::POST, &api.repo_path("/git/refs"), Some(&body)).await {
        Ok(_) => Ok(true),
        Err(f) if f.is(StatusCode::UNPROCESSABLE_ENTITY) && f.says("already exists") => Ok(false),
        Err(f) => Err(f),
    }
}

/// Makes one file on the branch what the change says; the new head when it committed.
async fn apply_file(api: &Api, change: &ChangeSet, file: &FileChange, fresh: bool) -> Result<Option<String>, VcsError> {
    let path = api.repo_path(&format!("/contents/{}", encode_path(&file.path)));
    let Some(content) = &file.content else {
        let Some(sha) = current_blob(api, &path, &change.branch).await? else {
            return Ok(None);
        };
        let body = DeleteFile { message: &change.message, sha: &sha, branch: &change.branch, author: &change.author };
        return match api.json::<FileCommit, _>(Method::DELETE, &path, Some(&body)).await {
            Ok(c) => Ok(Some(c.commit.sha)),
            Err(f) if f.is(StatusCode::NOT_FOUND) => Ok(None),
            Err(f) => Err(f.into()),
        };
    };

    let wanted = git_blob_sha(content.as_bytes());
    // On a branch just created from the base, try the write first: the file is new unless
    // the base has it, and then GitHub asks for its sha (422) and we look it up.
    let existing = if fresh { None } else { current_blob(api, &path, &change.branch).await? };
    if existing.as_deref() == Some(wanted.as_str()) {
        return Ok(None);
    }
    match put_file(api, &path, change, content, existing.as_deref()).await {
        Ok(sha) => Ok(Some(sha)),
        Err(f) if fresh && f.is(StatusCode::UNPROCESSABLE_ENTITY) => {
            match current_blob(api, &path, &change.branch).await? {
                Some(sha) if sha == wanted => Ok(None),
                Some(sha) => put_file(api, &path, change, content, Some(&sha)).await.map(Some).map_err(VcsError::from),
                None => Err(f.into()),
            }
        }
        Err(f) => Err(f.into()),
    }
}

async fn put_file(
    api: &Api,
    path: &str,
    change: &ChangeSet,
    content: &str,
    sha: Option<&str>,
) -> Result<String, Failure> {
    let body = PutFile {
        message: &change.message,
        content: base64::engine::general_purpose::STANDARD.encode(content.as_bytes()),
        branch: &change.branch,
        sha,
        author: &change.author,
    };
    api.json::<FileCommit, _>(Method::PUT, path, Some(&body)).await.map(|c| c.commit.sha)
}

/// The blob sha of the file on the branch, `None` when there is no such file.
async fn current_blob(api: &Api, contents_path: &str, branch: &str) -> Result<Option<String>, VcsError> {
    let path = format!("{contents_path}?{}", query(&[("ref", branch)]));
    let value = match api.get::<serde_json::Value>(&path).await {
        Ok(v) => v,
        Err(f) if f.is(StatusCode::NOT_FOUND) => return Ok(None),
        Err(f) => return Err(f.into()),
    };
    match serde_json::from_value::<ContentEntry>(value) {
        Ok(entry) if entry.kind == "file" => Ok(Some(entry.sha)),
        Ok(entry) => Err(VcsError::Rejected(format!("{contents_path} on {branch} is a {}, not a file", entry.kind))),
        Err(_) => Err(VcsError::Rejected(format!("{contents_path} on {branch} is a directory, not a file"))),
    }
}

fn check_branch_name(name: &str) -> Result<(), VcsError> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.ends_with('/')
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name.chars().any(|c| c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'));
    if bad { Err(VcsError::Rejected(format!("{name:?} is not a valid branch name"))) } else { Ok(()) }
}

fn check_file_path(path: &str) -> Result<(), VcsError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.split('/').any(|s| s.is_empty() || s == "." || s == "..")
        || path.chars().any(|c| c.is_ascii_control());
    if bad { Err(VcsError::Rejected(format!("{path:?} is not a valid repository path"))) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_sha_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(git_blob_sha(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
        // The empty blob.
        assert_eq!(git_blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn names() {
        assert!(check_branch_name("infradesk/req-12").is_ok());
        assert!(check_branch_name("a..b").is_err());
        assert!(check_branch_name("a b").is_err());
        assert!(check_file_path("envs/prod/s3.tf").is_ok());
        assert!(check_file_path("../x").is_err());
        assert!(check_file_path("/x").is_err());
    }
}
