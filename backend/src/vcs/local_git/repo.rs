//! The git plumbing under [`super::LocalGitVcs`], and the pulls file it keeps.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::git_cli::{GitError, Run, git, git_with, output};
use super::super::{Author, FileChange, PrState, PullRequest, VcsError};

const ZERO_OID: &str = "0000000000000000000000000000000000000000";

/// A pull request as Infradesk keeps it for the local repository.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct StoredPull {
    pub(super) number: u64,
    pub(super) branch: String,
    pub(super) base: String,
    pub(super) title: String,
    pub(super) body: String,
    pub(super) labels: Vec<String>,
    pub(super) team_reviewers: Vec<String>,
    pub(super) state: PrState,
    pub(super) merge_commit: Option<String>,
    /// The branch head when it was closed or merged (the branch may be gone since).
    pub(super) final_head: Option<String>,
    pub(super) comments: Vec<String>,
}

#[derive(Default, Serialize, Deserialize)]
pub(super) struct Pulls {
    pub(super) pulls: Vec<StoredPull>,
}

pub(super) struct Repo<'a> {
    pub(super) dir: &'a Path,
}

impl Repo<'_> {
    pub(super) fn git(&self, args: &[&str]) -> Result<String, VcsError> {
        Ok(git(self.dir, args)?)
    }

    pub(super) fn branch_head(&self, branch: &str) -> Result<Option<String>, VcsError> {
        let out =
            output(self.dir, &["rev-parse", "--verify", "--quiet", &format!("refs/heads/{branch}")], &Run::default())?;
        Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }

    pub(super) fn require_branch(&self, branch: &str) -> Result<String, VcsError> {
        self.branch_head(branch)?.ok_or_else(|| VcsError::NotFound(format!("branch {branch}")))
    }

    pub(super) fn tree_of(&self, commit: &str) -> Result<String, VcsError> {
        self.git(&["rev-parse", &format!("{commit}^{{tree}}")])
    }

    pub(super) fn is_ancestor(&self, ancestor: &str, of: &str) -> Result<bool, VcsError> {
        let out = output(self.dir, &["merge-base", "--is-ancestor", ancestor, of], &Run::default())?;
        Ok(out.status.success())
    }

    /// The tree of `parent` with `files` applied, built in a private index.
    pub(super) fn tree_with(&self, parent: &str, files: &[FileChange]) -> Result<String, VcsError> {
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

    pub(super) fn commit_tree(
        &self,
        tree: &str,
        parents: &[&str],
        message: &str,
        author: Option<&Author>,
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
    pub(super) fn move_branch(&self, branch: &str, new: &str, old: Option<&str>) -> Result<(), VcsError> {
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
    pub(super) fn merge_tree(&self, ours: &str, theirs: &str) -> Result<String, VcsError> {
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

    pub(super) fn pulls_path(&self) -> Result<PathBuf, VcsError> {
        let git_dir = self.git(&["rev-parse", "--absolute-git-dir"])?;
        Ok(Path::new(&git_dir).join("infradesk").join("pulls.json"))
    }

    pub(super) fn load(&self) -> Result<Pulls, VcsError> {
        let path = self.pulls_path()?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| VcsError::Rejected(format!("{} is not readable: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pulls::default()),
            Err(e) => Err(VcsError::transient(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the pulls file atomically (temporary file + rename).
    pub(super) fn save(&self, pulls: &Pulls) -> Result<(), VcsError> {
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

    pub(super) fn view(&self, pull: &StoredPull) -> Result<PullRequest, VcsError> {
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
            updated_at: None,
        })
    }
}

pub(super) fn find_mut(pulls: &mut Pulls, number: u64) -> Result<&mut StoredPull, VcsError> {
    pulls
        .pulls
        .iter_mut()
        .find(|p| p.number == number)
        .ok_or_else(|| VcsError::NotFound(format!("pull request #{number}")))
}
