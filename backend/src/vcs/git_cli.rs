//! Running the git CLI: the one place that spawns `git`, for the local infra repository and
//! [`super::local_git::LocalGitVcs`]. Commits never depend on the operator's git identity or
//! configuration.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git ({0}); install git and make sure it is on PATH")]
    Missing(#[source] std::io::Error),
    #[error("git {args} failed in {path}: {stderr}")]
    Failed { args: String, path: String, stderr: String, stdout: String, code: Option<i32> },
}

/// Options for one git invocation beyond its arguments.
#[derive(Default)]
pub struct Run<'a> {
    pub env: &'a [(&'a str, &'a str)],
    pub stdin: Option<&'a [u8]>,
}

/// Runs `git -C dir args…` and returns its trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    git_with(dir, args, Run::default())
}

pub fn git_with(dir: &Path, args: &[&str], run: Run<'_>) -> Result<String, GitError> {
    let out = output(dir, args, &run)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            path: dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            stdout: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            code: out.status.code(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs git and returns whatever it did, success or not (for commands whose exit code is an
/// answer, like `merge-base --is-ancestor`).
pub fn output(dir: &Path, args: &[&str], run: &Run<'_>) -> Result<Output, GitError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Infradesk")
        .env("GIT_AUTHOR_EMAIL", "infradesk@localhost")
        .env("GIT_COMMITTER_NAME", "Infradesk")
        .env("GIT_COMMITTER_EMAIL", "infradesk@localhost")
        // Ignore the operator's ~/.gitconfig and /etc/gitconfig (hooks, signing, templates).
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(if run.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in run.env {
        command.env(key, value);
    }
    let mut child = command.spawn().map_err(GitError::Missing)?;
    if let (Some(bytes), Some(mut stdin)) = (run.stdin, child.stdin.take()) {
        stdin.write_all(bytes).map_err(GitError::Missing)?;
    }
    child.wait_with_output().map_err(GitError::Missing)
}
