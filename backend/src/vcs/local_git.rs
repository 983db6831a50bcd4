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
use serde::{Deserialize, Serialize};

use super::git_cli::{GitError, Run, git, git_with, output};
use super::{ChangeSet, Commit, FileChange, MergeMethod, PrState, PullRequest, PullRequestDraft, Vcs, VcsError};

const ZERO_OID: &str = "0000000000000000000000000000000000000000";

#[derive(Clone)]
pub struct LocalGitVcs {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock: Mutex<()>,
}

/// A pull request as Infradesk keeps it for the local repository.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredPull {
    number: u64,
    branch: String,
    base: String,
    title: String,
    body: String,
    labels: Vec<String>,
    team_reviewers: Vec<String>,
    state: PrState,
    merge_commit: Option<String>,
    /// The branch head when it was closed or merged (the branch may be gone since).
    final_head: Option<String>,
    comments: Vec<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Pulls {
    pulls: Vec<StoredPull>,
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

struct Repo<'a> {
    dir: &'a Path,
}

impl Repo<'_> {
    fn git(&self, args: &[&str]) -> Result<String, VcsError> {
        Ok(git(self.dir, args)?)
    }

    fn branch_head(&self, branch: &str) -> Result<Option<String>, VcsError> {
        let out =
            output(self.dir, &["rev-parse", "--verify", "--quiet", &format!("refs/heads/{branch}")], &Run::default())?;
        Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }

    fn require_branch(&self, branch: &str) -> Result<String, VcsError> {
        self.branch_head(branch)?.ok_or_else(|| VcsError::NotFound(format!("branch {branch}")))
    }

    fn tree_of(&self, commit: &str) -> Result<String, VcsError> {
        self.git(&["rev-parse", &format!("{commit}^{{tree}}")])
    }

    fn is_ancestor(&self, ancestor: &str, of: &str) -> Result<bool, VcsError> {
        let out = output(self.dir, &["merge-base", "--is-ancestor", ancestor, of], &Run::default())?;
        Ok(out.status.success())
    }

    /// The tree of `parent` with `files` applied, built in a private index.
    fn tree_with(&self, parent: &str, files: &[FileChange]) -> Result<String, VcsError> {
        let index = tempfile::NamedTempFile::new()
            .map_err(|e| VcsError::transient(format!("cannot create a temporary index: {e}")))?;
        let index_path = index.path().display().to_string();
        let env = [("GIT_INDEX_FILE", index_path.as_str())];
        let run = |args: &[&str], stdin: Option<&[u8]>| git_with(self.dir, args, Run { env: &env, stdin });
        run(&["read-tree", parent], None)?;
        for file in files {
            match &file.content {
                Some(content) => {
                    let blob = run(&["hash-object", "-w", "--stdin"], Some(content.as_bytes()))?;
                    run(&["update-index", "--add", "--cacheinfo", &format!("100644,{blob},{}", file.path)], None)?;
                }
                None => {
                    run(&["update-index", "--force-remove", &file.path], None)?;
                }
            }
        }
        Ok(run(&["write-tree"], None)?)
    }

    fn commit_tree(
        &self,
        tree: &str,
        parents: &[&str],
        message: &str,
        author: Option<&super::Author>,
    ) -> Result<String, VcsError> {
        let mut args = vec!["commit-tree", tree];
        for parent in parents {
            args.extend(["-p", parent]);
        }
        let env: Vec<(&str, &str)> = match author {
            Some(a) => vec![("GIT_AUTHOR_NAME", a.name.as_str()), ("GIT_AUTHOR_EMAIL", a.email.as_str())],
            None => vec![],
        };
        Ok(git_with(self.dir, &args, Run { env: &env, stdin: Some(message.as_bytes()) })?)
    }

    /// Moves `branch` from `old` (None: must not exist) to `new`, atomically.
    fn move_branch(&self, branch: &str, new: &str, old: Option<&str>) -> Result<(), VcsError> {
        let reference = format!("refs/heads/{branch}");
        git(self.dir, &["update-ref", &reference, new, old.unwrap_or(ZERO_OID)]).map_err(|e| match e {
            GitError::Failed { stderr, .. } => VcsError::Conflict(format!("branch {branch} moved meanwhile: {stderr}")),
            other => other.into(),
        })?;
        // A checked-out branch that moved: bring the working copy along (fails harmlessly
        // when someone has local edits there; the branch itself is right either way).
        if let (Some(old), Ok(head)) = (old, git(self.dir, &["symbolic-ref", "--quiet", "HEAD"]))
            && head == reference
            && let Err(e) = git(self.dir, &["read-tree", "-m", "-u", old, new])
        {
            tracing::warn!(branch, error = %e, "the infra repository's working copy was not updated");
        }
        Ok(())
    }

    /// A merge of `theirs` into `ours` as a tree, or the conflicting paths.
    fn merge_tree(&self, ours: &str, theirs: &str) -> Result<String, VcsError> {
        let out = output(
            self.dir,
            &["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs],
            &Run::default(),
        )?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let tree = lines.next().unwrap_or_default().trim().to_owned();
        match out.status.code() {
            Some(0) => Ok(tree),
            Some(1) => {
                let files: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
                Err(VcsError::Conflict(format!("merge conflict in {}", files.join(", "))))
            }
            _ => Err(VcsError::transient(format!(
                "git merge-tree failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
        }
    }

    fn pulls_path(&self) -> Result<PathBuf, VcsError> {
        let git_dir = self.git(&["rev-parse", "--absolute-git-dir"])?;
        Ok(Path::new(&git_dir).join("infradesk").join("pulls.json"))
    }

    fn load(&self) -> Result<Pulls, VcsError> {
        let path = self.pulls_path()?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| VcsError::Rejected(format!("{} is not readable: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pulls::default()),
            Err(e) => Err(VcsError::transient(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the pulls file atomically (temporary file + rename).
    fn save(&self, pulls: &Pulls) -> Result<(), VcsError> {
        let path = self.pulls_path()?;
        let io = |e: std::io::Error| VcsError::transient(format!("cannot write {}: {e}", path.display()));
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let bytes = serde_json::to_vec_pretty(pulls).map_err(|e| VcsError::Rejected(e.to_string()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, &bytes).map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    fn view(&self, pull: &StoredPull) -> Result<PullRequest, VcsError> {
        let head = match (&pull.final_head, pull.state) {
            (Some(head), PrState::Closed | PrState::Merged) => head.clone(),
            _ => self.branch_head(&pull.branch)?.unwrap_or_default(),
        };
        Ok(PullRequest {
            number: pull.number,
            url: format!("local:{}#pull/{}", self.dir.display(), pull.number),
            branch: pull.branch.clone(),
            base: pull.base.clone(),
            head_sha: head,
            state: pull.state,
            merge_commit: pull.merge_commit.clone(),
        })
    }
}

fn find_mut(pulls: &mut Pulls, number: u64) -> Result<&mut StoredPull, VcsError> {
    pulls
        .pulls
        .iter_mut()
        .find(|p| p.number == number)
        .ok_or_else(|| VcsError::NotFound(format!("pull request #{number}")))
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

    async fn comment(&self, number: u64, body: &str) -> Result<(), VcsError> {
        let body = body.to_owned();
        self.with(move |repo| {
            let mut pulls = repo.load()?;
            find_mut(&mut pulls, number)?.comments.push(body);
            repo.save(&pulls)
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
}
