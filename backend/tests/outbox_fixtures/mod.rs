//! Shared by the outbox tests: a scripted host over a real local git repository, a manual
//! clock, and helpers that read outcomes.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use backend::infra_repo::{self, EnvironmentLayout};
use backend::outbox::worker::{Worker, WorkerConfig};
use backend::vcs::local_git::LocalGitVcs;
use backend::vcs::*;
use backend::{Db, ManualClock};

use crate::common::*;
use crate::requests_fixtures::*;

/// Delegates to a real host, but first plays scripted failures: `(operation, error, after)`
/// where `after` means the operation is carried out and then reported as failed (a timeout
/// after GitHub acted).
/// `(operation, error, carried out before failing)`.
pub type Script = VecDeque<(&'static str, VcsError, bool)>;

#[derive(Clone)]
pub struct Scripted {
    inner: LocalGitVcs,
    script: Arc<Mutex<Script>>,
    pub calls: Arc<Mutex<Vec<&'static str>>>,
}

impl Scripted {
    pub fn new(inner: LocalGitVcs) -> Self {
        Self { inner, script: Arc::default(), calls: Arc::default() }
    }
    pub fn fail(&self, op: &'static str, error: VcsError, after: bool) {
        self.script.lock().unwrap().push_back((op, error, after));
    }
    /// Ok(true): go on and fail afterwards with the error; Err: fail before.
    fn before(&self, op: &'static str) -> Result<Option<VcsError>, VcsError> {
        self.calls.lock().unwrap().push(op);
        let mut script = self.script.lock().unwrap();
        if script.front().is_some_and(|(o, _, _)| *o == op) {
            let (_, error, after) = script.pop_front().unwrap();
            return if after { Ok(Some(error)) } else { Err(error) };
        }
        Ok(None)
    }
}

macro_rules! scripted {
    ($self:ident, $op:literal, $call:expr) => {{
        let after = $self.before($op)?;
        let result = $call.await?;
        match after {
            Some(error) => Err(error),
            None => Ok(result),
        }
    }};
}

#[async_trait]
impl Vcs for Scripted {
    fn kind(&self) -> &'static str {
        "local"
    }
    async fn commit_change(&self, c: &ChangeSet) -> Result<Commit, VcsError> {
        scripted!(self, "commit_change", self.inner.commit_change(c))
    }
    async fn find_pull_request(&self, b: &str) -> Result<Option<PullRequest>, VcsError> {
        scripted!(self, "find_pull_request", self.inner.find_pull_request(b))
    }
    async fn open_pull_request(&self, d: &PullRequestDraft) -> Result<PullRequest, VcsError> {
        scripted!(self, "open_pull_request", self.inner.open_pull_request(d))
    }
    async fn get_pull_request(&self, n: u64) -> Result<PullRequest, VcsError> {
        scripted!(self, "get_pull_request", self.inner.get_pull_request(n))
    }
    async fn update_pull_request(&self, n: u64, t: &str, b: &str) -> Result<(), VcsError> {
        scripted!(self, "update_pull_request", self.inner.update_pull_request(n, t, b))
    }
    async fn request_reviewers(&self, n: u64, teams: &[String]) -> Result<(), VcsError> {
        scripted!(self, "request_reviewers", self.inner.request_reviewers(n, teams))
    }
    async fn comment(&self, n: u64, b: &str) -> Result<(), VcsError> {
        scripted!(self, "comment", self.inner.comment(n, b))
    }
    async fn has_comment(&self, n: u64, m: &str) -> Result<bool, VcsError> {
        scripted!(self, "has_comment", self.inner.has_comment(n, m))
    }
    async fn close_pull_request(&self, n: u64) -> Result<(), VcsError> {
        scripted!(self, "close_pull_request", self.inner.close_pull_request(n))
    }
    async fn delete_branch(&self, b: &str) -> Result<(), VcsError> {
        scripted!(self, "delete_branch", self.inner.delete_branch(b))
    }
    async fn update_branch(&self, n: u64) -> Result<String, VcsError> {
        scripted!(self, "update_branch", self.inner.update_branch(n))
    }
    async fn merge_pull_request(&self, n: u64, h: &str, m: MergeMethod, msg: &str) -> Result<String, VcsError> {
        scripted!(self, "merge_pull_request", self.inner.merge_pull_request(n, h, m, msg))
    }
    async fn list_open_pull_requests(&self) -> Result<Vec<PullRequest>, VcsError> {
        scripted!(self, "list_open_pull_requests", self.inner.list_open_pull_requests())
    }
    async fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, VcsError> {
        scripted!(self, "changed_files", self.inner.changed_files(base, head))
    }
}

pub struct Setup {
    pub _dir: tempfile::TempDir,
    pub git: LocalGitVcs,
    pub host: Scripted,
    pub clock: ManualClock,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("infra");
    let envs = [EnvironmentLayout {
        name: "dev".into(),
        directory: "envs/dev".into(),
        aws_account_id: "111111111111".into(),
        region: "eu-west-1".into(),
    }];
    infra_repo::ensure(&path, "main", &envs).unwrap();
    let git = LocalGitVcs::new(path);
    Setup { _dir: dir, host: Scripted::new(git.clone()), git, clock: ManualClock::new(T0) }
}

pub fn worker(db: &Db, s: &Setup) -> Worker {
    let mut config = WorkerConfig::new("main", "https://infradesk.example.com/");
    config.environment_lines.insert("dev".into(), "dev (AWS 111111111111, eu-west-1)".into());
    Worker::new(db.clone(), Arc::new(s.host.clone()), Arc::new(s.clock.clone()), config)
}

pub async fn submit(db: &Db, key: &str, name: &str, alice: i64) -> i64 {
    let m = module("rds-postgresql");
    let mut r = simple(key, &m, name);
    r.user = (alice, "alice");
    submit_simple(db, T0, r).await.unwrap().number()
}

pub async fn status(db: &Db, number: i64) -> String {
    let row: (String,) =
        sqlx::query_as("SELECT status FROM requests WHERE id = $1").bind(number).fetch_one(db.pool()).await.unwrap();
    row.0
}

pub async fn events(db: &Db, number: i64) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM audit_events WHERE subject = $1 ORDER BY seq")
        .bind(format!("request:{number}"))
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

pub fn git(s: &Setup, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(s.git.path()).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn s_now(s: &Setup) -> i64 {
    use backend::Clock;
    s.clock.now_ms()
}

/// A commit on `branch` made by someone else, with the git CLI; returns its sha.
pub fn foreign_push(s: &Setup, branch: &str, path: &str, content: &str) -> String {
    let dir = s.git.path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "Mallory")
            .env("GIT_AUTHOR_EMAIL", "m@example.com")
            .env("GIT_COMMITTER_NAME", "Mallory")
            .env("GIT_COMMITTER_EMAIL", "m@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    run(&["checkout", "-q", branch]);
    std::fs::write(dir.join(path), content).unwrap();
    run(&["add", path]);
    run(&["commit", "-qm", "hand edit"]);
    let head = run(&["rev-parse", "HEAD"]);
    run(&["checkout", "-q", "main"]);
    head
}

pub async fn synchronize(db: &Db, id: &str, pr: i64, head: &str) {
    let body = serde_json::json!({
        "action": "synchronize",
        "pull_request": { "number": pr, "state": "open", "merged": false, "head": { "sha": head, "ref": "x" },
                          "updated_at": format!("2026-11-24T10:00:{:02}Z", id.len()) },
        "repository": { "full_name": "acme/infra" }
    })
    .to_string();
    backend::webhooks::receive(db, T0, id, "pull_request", Some("synchronize"), &body).await.unwrap();
    backend::webhooks::process_pending(db, T0).await.unwrap();
}

/// A request for `orders-db` by alice whose pull request the worker opened: the repository,
/// the worker, the request number and the people.
pub async fn opened_request(db: &Db) -> (Setup, Worker, i64, People) {
    let p = people(db).await;
    let s = setup();
    let w = worker(db, &s);
    let n = submit(db, "k-1", "orders-db", p.alice).await;
    w.run_due().await.unwrap();
    (s, w, n, p)
}
