//! [`Vcs`] over a real git repository on disk: the embedded default, standing in for GitHub.
//!
//! Branches and commits are real (`git log` shows what GitHub would); "pull requests" are
//! kept by Infradesk in `.git/infradesk/pulls.json` beside the repository's objects. Commits
//! are made with plumbing (`hash-object`, a private index, `commit-tree`, `update-ref` with
//! the expected old value), so the working copy is never used for a branch; when the base
//! branch is checked out, a merge into it also updates the working copy (`read-tree -m -u`).
//! Every operation holds one lock: git's index and the pulls file are not shared safely.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

mod repo;

use super::git_cli::GitError;
use super::{ChangeSet, Commit, MergeMethod, PrState, PullRequest, PullRequestDraft, Vcs, VcsError};
use repo::{Repo, StoredPull, find_mut};

#[derive(Clone)]
pub struct LocalGitVcs {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock: Mutex<()>,
}

impl LocalGitVcs {
    /// Over the repository at `path` (see [`crate::infra_repo::ensure`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { inner: Arc::new(Inner { path: path.into(), lock: Mutex::new(()) }) }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a blocking thread under the repository lock.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Repo<'_>) -> Result<T, VcsError> + Send + 'static,
    ) -> Result<T, VcsError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves nothing half-written that the next call
            // cannot see (refs move atomically), so a poisoned lock is still usable.
            let _guard = inner.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&Repo { dir: &inner.path })
        })
        .await
        .map_err(|e| VcsError::transient(format!("local git task failed: {e}")))?
    }
}

impl std::fmt::Debug for LocalGitVcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalGitVcs").field("path", &self.inner.path).finish()
    }
}

impl From<GitError> for VcsError {
    fn from(e: GitError) -> Self {
        match e {
            GitError::Missing(_) => VcsError::Rejected(e.to_string()),
            // A failed git command in our own repository is not fixed by waiting, but it is
            // not the request's fault either: retry a few times, then show it to an admin.
            GitError::Failed { .. } => VcsError::transient(e.to_string()),
        }
    }
}

#[async_trait]
impl Vcs for LocalGitVcs {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn commit_change(&self, change: &ChangeSet) -> Result<Commit, VcsError> {
        let change = change.clone();
        self.with(move |repo| {
            let existing = repo.branch_head(&change.branch)?;
            let parent = match &existing {
                Some(head) => head.clone(),
                None => repo.require_branch(&change.base)?,
            };
            let tree = repo.tree_with(&parent, &change.files)?;
            if tree == repo.tree_of(&parent)? {
                if existing.is_none() {
                    repo.move_branch(&change.branch, &parent, None)?;
                }
                return Ok(Commit { sha: parent, created: false });
            }
            let sha = repo.commit_tree(&tree, &[&parent], &change.message, Some(&change.author))?;
            repo.move_branch(&change.branch, &sha, existing.as_deref())?;
            Ok(Commit { sha, created: true })
        })
        .await
    }

    async fn find_pull_request(&self, branch: &str) -> Result<Option<PullRequest>, VcsError> {
        let branch = branch.to_owned();
        self.with(move |repo| {
            let pulls = repo.load()?;
            pulls.pulls.iter().rev().find(|p| p.branch == branch).map(|p| repo.view(p)).transpose()
        })
        .await
    }

    async fn open_pull_request(&self, draft: &PullRequestDraft) -> Result<PullRequest, VcsError> {
        let draft = draft.clone();
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            if let Some(open) = pulls.pulls.iter().find(|p| p.branch == draft.branch && p.state == PrState::Open) {
                return Err(VcsError::AlreadyExists(format!(
                    "a pull request already exists for {}: #{}",
                    draft.branch, open.number
                )));
            }
            repo.require_branch(&draft.branch)?;
            repo.require_branch(&draft.base)?;
            let number = pulls.pulls.iter().map(|p| p.number).max().unwrap_or(0) + 1;
            let pull = StoredPull {
                number,
                branch: draft.branch,
                base: draft.base,
                title: draft.title,
                body: draft.body,
                labels: draft.labels,
                team_reviewers: draft.team_reviewers,
                state: PrState::Open,
                merge_commit: None,
                final_head: None,
                comments: Vec::new(),
            };
            let view = repo.view(&pull)?;
            pulls.pulls.push(pull);
            repo.save(&pulls)?;
            Ok(view)
        })
        .await
    }

    async fn get_pull_request(&self, number: u64) -> Result<PullRequest, VcsError> {
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            let pull = find_mut(&mut pulls, number)?;
            repo.view(pull)
        })
        .await
    }

    async fn update_pull_request(&self, number: u64, title: &str, body: &str) -> Result<(), VcsError> {
        let (title, body) = (title.to_owned(), body.to_owned());
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            let pull = find_mut(&mut pulls, number)?;
            pull.title = title;
            pull.body = body;
            repo.save(&pulls)
        })
        .await
    }

    async fn request_reviewers(&self, number: u64, teams: &[String]) -> Result<(), VcsError> {
        let teams = teams.to_vec();
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            let pull = find_mut(&mut pulls, number)?;
            for team in teams {
                if !pull.team_reviewers.contains(&team) {
                    pull.team_reviewers.push(team);
                }
            }
            repo.save(&pulls)
        })
        .await
    }

    async fn comment(&self, number: u64, body: &str) -> Result<(), VcsError> {
        let body = body.to_owned();
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            find_mut(&mut pulls, number)?.comments.push(body);
            repo.save(&pulls)
        })
        .await
    }

    async fn has_comment(&self, number: u64, marker: &str) -> Result<bool, VcsError> {
        let marker = marker.to_owned();
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            Ok(find_mut(&mut pulls, number)?.comments.iter().any(|c| c.contains(&marker)))
        })
        .await
    }

    async fn close_pull_request(&self, number: u64) -> Result<(), VcsError> {
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            let head = {
                let pull = find_mut(&mut pulls, number)?;
                if pull.state != PrState::Open {
                    return Ok(());
                }
                repo.branch_head(&pull.branch)?
            };
            let pull = find_mut(&mut pulls, number)?;
            pull.state = PrState::Closed;
            pull.final_head = head;
            repo.save(&pulls)
        })
        .await
    }

    async fn delete_branch(&self, branch: &str) -> Result<(), VcsError> {
        let branch = branch.to_owned();
        self.with(move |repo| {
            if repo.branch_head(&branch)?.is_some() {
                repo.git(&["update-ref", "-d", &format!("refs/heads/{branch}")])?;
            }
            Ok(())
        })
        .await
    }

    async fn update_branch(&self, number: u64) -> Result<String, VcsError> {
        self.with(move |repo| {
            let pull = repo.load()?.pulls.into_iter().find(|p| p.number == number);
            let pull = pull.ok_or_else(|| VcsError::NotFound(format!("pull request #{number}")))?;
            let head = repo.require_branch(&pull.branch)?;
            let base = repo.require_branch(&pull.base)?;
            if repo.is_ancestor(&base, &head)? {
                return Ok(head);
            }
            let tree = repo.merge_tree(&head, &base)?;
            let message = format!("Merge branch '{}' into {}", pull.base, pull.branch);
            let sha = repo.commit_tree(&tree, &[&head, &base], &message, None)?;
            repo.move_branch(&pull.branch, &sha, Some(&head))?;
            Ok(sha)
        })
        .await
    }

    async fn merge_pull_request(
        &self,
        number: u64,
        expected_head: &str,
        method: MergeMethod,
        message: &str,
    ) -> Result<String, VcsError> {
        let (expected_head, message) = (expected_head.to_owned(), message.to_owned());
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            let pull = find_mut(&mut pulls, number)?.clone();
            match pull.state {
                PrState::Merged => return Ok(pull.merge_commit.unwrap_or_default()),
                PrState::Closed => return Err(VcsError::Rejected(format!("pull request #{number} is closed"))),
                PrState::Open => {}
            }
            let head = repo.require_branch(&pull.branch)?;
            if head != expected_head {
                return Err(VcsError::Conflict(format!(
                    "the branch {} moved: its head is {head}, not {expected_head}",
                    pull.branch
                )));
            }
            let base = repo.require_branch(&pull.base)?;
            let tree = repo.merge_tree(&base, &head)?;
            let merge = match method {
                MergeMethod::Merge => repo.commit_tree(&tree, &[&base, &head], &message, None)?,
                // One commit with the merged result on top of the base (rebase is not
                // replayed commit by commit: Infradesk's branches hold one change).
                MergeMethod::Squash | MergeMethod::Rebase => repo.commit_tree(&tree, &[&base], &message, None)?,
            };
            repo.move_branch(&pull.base, &merge, Some(&base))?;
            let stored = find_mut(&mut pulls, number)?;
            stored.state = PrState::Merged;
            stored.merge_commit = Some(merge.clone());
            stored.final_head = Some(head);
            repo.save(&pulls)?;
            Ok(merge)
        })
        .await
    }

    async fn list_open_pull_requests(&self) -> Result<Vec<PullRequest>, VcsError> {
        self.with(move |repo| {
            let pulls = repo.load()?;
            pulls.pulls.iter().filter(|p| p.state == PrState::Open).map(|p| repo.view(p)).collect()
        })
        .await
    }

    async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, VcsError> {
        let range = format!("{base}...{head}");
        self.with(move |repo| {
            let out = repo.git(&["diff", "--name-only", "--no-renames", &range])?;
            Ok(out.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect())
        })
        .await
    }
}
