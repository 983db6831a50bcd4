//! The outbox, judged by outcomes: pull requests and commits in a real local git repository,
//! rows in the database and audit events — on SQLite and PostgreSQL. Failures are injected
//! (a scripted host, fault points between steps), time is a manual clock: nothing sleeps.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use backend::infra_repo::{self, EnvironmentLayout};
use backend::outbox::backoff::Pacer;
use backend::outbox::worker::{self, Outcome, Worker, WorkerConfig};
use backend::vcs::local_git::LocalGitVcs;
use backend::vcs::*;
use backend::{Db, ManualClock};
use common::*;
use requests_fixtures::*;

/// Delegates to a real host, but first plays scripted failures: `(operation, error, after)`
/// where `after` means the operation is carried out and then reported as failed (a timeout
/// after GitHub acted).
/// `(operation, error, carried out before failing)`.
type Script = VecDeque<(&'static str, VcsError, bool)>;

#[derive(Clone)]
struct Scripted {
    inner: LocalGitVcs,
    script: Arc<Mutex<Script>>,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl Scripted {
    fn new(inner: LocalGitVcs) -> Self {
        Self { inner, script: Arc::default(), calls: Arc::default() }
    }
    fn fail(&self, op: &'static str, error: VcsError, after: bool) {
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
    async fn comment(&self, n: u64, b: &str) -> Result<(), VcsError> {
        scripted!(self, "comment", self.inner.comment(n, b))
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
}

struct Setup {
    _dir: tempfile::TempDir,
    git: LocalGitVcs,
    host: Scripted,
    clock: ManualClock,
}

fn setup() -> Setup {
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

fn worker(db: &Db, s: &Setup) -> Worker {
    let mut config = WorkerConfig::new("main", "https://infradesk.example.com/");
    config.environment_lines.insert("dev".into(), "dev (AWS 111111111111, eu-west-1)".into());
    Worker::new(db.clone(), Arc::new(s.host.clone()), Arc::new(s.clock.clone()), config)
}

async fn submit(db: &Db, key: &str, name: &str, alice: i64) -> i64 {
    let m = module("rds-postgresql");
    let mut r = simple(key, &m, name);
    r.user = (alice, "alice");
    submit_simple(db, T0, r).await.unwrap().number()
}

async fn status(db: &Db, number: i64) -> String {
    let row: (String,) =
        sqlx::query_as("SELECT status FROM requests WHERE id = $1").bind(number).fetch_one(db.pool()).await.unwrap();
    row.0
}

async fn events(db: &Db, number: i64) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM audit_events WHERE subject = $1 ORDER BY seq")
        .bind(format!("request:{number}"))
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

fn git(s: &Setup, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(s.git.path()).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn a_submitted_request_becomes_one_pull_request_with_its_file_labels_and_body() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let n = submit(&db, "k-1", "orders-db", p.alice).await;
        assert_eq!(status(&db, n).await, "pr_pending", "submitting never waits for the host");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox_jobs WHERE state = 'pending'").await, 1);
        assert_eq!(events(&db, n).await, ["request.submitted", "request.pr_requested"]);

        let w = worker(&db, &s);
        assert_eq!(w.run_due().await.unwrap(), 1);
        assert_eq!(status(&db, n).await, "in_review");
        assert_eq!(events(&db, n).await, ["request.submitted", "request.pr_requested", "request.pr_opened"]);
        let branch = format!("infradesk/{n}-orders-db");
        assert_eq!(git(&s, &["show", &format!("{branch}:envs/dev/request-{n}.tf")]), format!("# request #{n}"));
        assert_eq!(git(&s, &["log", "-1", "--format=%an", &branch]), "alice");
        let prs = s.git.list_open_pull_requests().await.unwrap();
        assert_eq!(prs.len(), 1);
        let record = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        assert_eq!((record.number, record.branch.as_str(), record.state), (1, branch.as_str(), PrState::Open));
        assert_eq!(record.head_sha, git(&s, &["rev-parse", &branch]));
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        let pr = &pulls["pulls"][0];
        assert_eq!(pr["labels"], serde_json::json!(["infradesk", "env:dev", "module:rds-postgresql"]));
        let body = pr["body"].as_str().unwrap();
        assert!(body.contains(&format!("https://infradesk.example.com/requests/{n}")), "{body}");
        assert!(body.contains("dev (AWS 111111111111, eu-west-1)") && body.contains("because"), "{body}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM outbox_jobs WHERE state = 'done'").await, 1);
        assert_eq!(w.run_due().await.unwrap(), 0, "nothing left to do");
    })
    .await;
}

#[tokio::test]
async fn a_crash_at_any_point_converges_to_exactly_one_pull_request() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        for (i, point) in ["after_commit", "after_open", "before_record"].into_iter().enumerate() {
            let n = submit(
                &db,
                &format!("k-{}", point.replace('_', "-")),
                &format!("db-{}", point.replace('_', "-")),
                p.alice,
            )
            .await;
            let crashing =
                worker(&db, &s).with_faults(Arc::new(move |at| if at == point { Err(at.into()) } else { Ok(()) }));
            let (_, outcome) = crashing.run_once().await.unwrap().unwrap();
            assert_eq!(outcome, Outcome::Crashed(point.into()));
            assert_eq!(status(&db, n).await, "pr_pending");

            // "Restart": a new worker; the claim is still held until its lease lapses.
            let restarted = worker(&db, &s);
            assert!(restarted.run_once().await.unwrap().is_none(), "{point}: the lease still holds");
            s.clock.advance(Duration::from_secs(121));
            assert_eq!(restarted.run_due().await.unwrap(), 1);
            assert_eq!(status(&db, n).await, "in_review", "{point}");
            let all: Vec<_> = s.git.list_open_pull_requests().await.unwrap();
            assert_eq!(all.len(), i + 1, "{point}: exactly one more pull request");
            assert_eq!(
                git(&s, &["rev-list", "--count", &format!("main..infradesk/{n}-db-{}", point.replace('_', "-"))]),
                "1",
                "{point}: one commit"
            );
            let opened = events(&db, n).await.iter().filter(|e| *e == "request.pr_opened").count();
            assert_eq!(opened, 1, "{point}");
        }
    })
    .await;
}

#[tokio::test]
async fn transient_failures_back_off_honour_retry_after_and_a_timeout_after_create_is_adopted() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let n = submit(&db, "k-1", "orders-db", p.alice).await;
        s.host.fail("open_pull_request", VcsError::transient("GitHub answered 502"), false);
        s.host.fail(
            "open_pull_request",
            VcsError::Transient { reason: "secondary rate limit".into(), retry_after: Some(Duration::from_secs(30)) },
            false,
        );
        s.host.fail("open_pull_request", VcsError::transient("timed out"), true);
        let w = worker(&db, &s);

        let (_, first) = w.run_once().await.unwrap().unwrap();
        let Outcome::Retrying { at_ms, error } = first else { panic!("{first:?}") };
        assert!((T0 + 1_000..=T0 + 2_000).contains(&at_ms), "first backoff 1–2 s: {}", at_ms - T0);
        assert!(error.contains("502"));
        assert!(w.run_once().await.unwrap().is_none(), "not due yet");
        s.clock.advance(Duration::from_millis(u64::try_from(at_ms - T0).unwrap()));

        let (_, second) = w.run_once().await.unwrap().unwrap();
        let Outcome::Retrying { at_ms: at2, .. } = second else { panic!("{second:?}") };
        assert!(at2 - s_now(&s) >= 30_000, "Retry-After wins over backoff");
        let job: (String, i64) = sqlx::query_as("SELECT last_error, attempts FROM outbox_jobs WHERE request_id = $1")
            .bind(n)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert!(job.0.contains("secondary rate limit") && job.1 == 2, "{job:?}");
        assert_eq!(status(&db, n).await, "pr_pending");
        s.clock.advance(Duration::from_secs(30));

        // The create goes through but the answer is lost; the next attempt adopts it.
        let (_, third) = w.run_once().await.unwrap().unwrap();
        assert!(matches!(third, Outcome::Retrying { .. }), "{third:?}");
        s.clock.advance(Duration::from_secs(600));
        let (_, fourth) = w.run_once().await.unwrap().unwrap();
        assert_eq!(fourth, Outcome::Done);
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 1);
        assert_eq!(status(&db, n).await, "in_review");
        let opens = s.host.calls.lock().unwrap().iter().filter(|c| **c == "open_pull_request").count();
        assert_eq!(opens, 3, "the fourth attempt found the pull request instead of opening another");
    })
    .await;
}

fn s_now(s: &Setup) -> i64 {
    use backend::Clock;
    s.clock.now_ms()
}

#[tokio::test]
async fn a_job_that_keeps_failing_shows_the_reason_and_an_admin_retry_finishes_it() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let n = submit(&db, "k-1", "orders-db", p.alice).await;
        for _ in 0..8 {
            s.host.fail("commit_change", VcsError::transient("GitHub answered 503"), false);
        }
        let w = worker(&db, &s);
        let mut last = None;
        for _ in 0..8 {
            s.clock.advance(Duration::from_secs(601));
            last = w.run_once().await.unwrap().map(|(_, o)| o);
        }
        let Some(Outcome::Failed(reason)) = last else { panic!("{last:?}") };
        assert!(reason.contains("gave up after 8 attempts") && reason.contains("503"), "{reason}");
        assert_eq!(status(&db, n).await, "failed");
        let (job_id, state, error): (i64, String, String) =
            sqlx::query_as("SELECT id, state, last_error FROM outbox_jobs WHERE request_id = $1")
                .bind(n)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!((state.as_str(), error.as_str()), ("failed", reason.as_str()));
        s.clock.advance(Duration::from_secs(3600));
        assert!(w.run_once().await.unwrap().is_none(), "a failed job waits for an admin");

        // A permanent error fails at once (checked on another request).
        let other = submit(&db, "k-2", "other-db", p.alice).await;
        s.host.fail("commit_change", VcsError::Rejected("Resource not accessible by integration".into()), false);
        let (_, outcome) = w.run_once().await.unwrap().unwrap();
        assert_eq!(outcome, Outcome::Failed("Resource not accessible by integration (local)".into()));
        assert_eq!(status(&db, other).await, "failed");

        assert!(worker::retry(&db, s_now(&s), job_id, &admin()).await.unwrap());
        assert!(!worker::retry(&db, s_now(&s), job_id, &admin()).await.unwrap(), "a second retry is a no-op");
        assert_eq!(status(&db, n).await, "pr_pending");
        assert_eq!(w.run_once().await.unwrap().unwrap().1, Outcome::Done);
        assert_eq!(status(&db, n).await, "in_review");
        assert_eq!(
            events(&db, n).await,
            ["request.submitted", "request.pr_requested", "request.pr_failed", "request.retried", "request.pr_opened"]
        );
    })
    .await;
}

#[tokio::test]
async fn pacing_defers_jobs_without_counting_attempts() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        for i in 0..3 {
            submit(&db, &format!("k-{i}"), &format!("db-{i}"), p.alice).await;
        }
        let w = worker(&db, &s).with_pacer(Pacer::new(&[(Duration::from_secs(60), 10)]));
        assert_eq!(w.run_once().await.unwrap().unwrap().1, Outcome::Done);
        assert_eq!(w.run_once().await.unwrap().unwrap().1, Outcome::Done);
        assert_eq!(w.run_once().await.unwrap().unwrap().1, Outcome::Paced(T0 + 60_000));
        assert!(w.run_once().await.unwrap().is_none());
        s.clock.advance(Duration::from_secs(60));
        assert_eq!(w.run_once().await.unwrap().unwrap().1, Outcome::Done);
        let attempts: (i64,) =
            sqlx::query_as("SELECT MAX(attempts) FROM outbox_jobs").fetch_one(db.pool()).await.unwrap();
        assert_eq!(attempts.0, 1);
    })
    .await;
}

#[tokio::test]
async fn two_workers_at_once_open_each_pull_request_exactly_once() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let mut numbers = Vec::new();
        for i in 0..12 {
            numbers.push(submit(&db, &format!("k-{i}"), &format!("db-{i}"), p.alice).await);
        }
        let (a, b) = (Arc::new(worker(&db, &s)), Arc::new(worker(&db, &s)));
        let (ra, rb) = tokio::join!(
            {
                let a = a.clone();
                async move { a.run_due().await.unwrap() }
            },
            {
                let b = b.clone();
                async move { b.run_due().await.unwrap() }
            }
        );
        assert_eq!(ra + rb, 12);
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 12);
        for n in numbers {
            assert_eq!(status(&db, n).await, "in_review");
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM pull_requests").await, 12);
    })
    .await;
}

#[tokio::test]
async fn cancelling_closes_the_pull_request_with_a_comment_and_deletes_the_branch() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let w = worker(&db, &s);
        let open = submit(&db, "k-1", "orders-db", p.alice).await;
        w.run_due().await.unwrap();
        let alice = domain::audit::Actor::User("alice".into());
        use domain::request::transition::Role;
        let stale = backend::requests::cancel(&db, T0, open, &alice, Role::Requester, Some(1), "not needed").await;
        assert!(stale.unwrap_err().to_string().contains("changed by someone else"), "optimistic concurrency");
        backend::requests::cancel(&db, T0, open, &alice, Role::Requester, None, "not needed").await.unwrap();
        assert_eq!(status(&db, open).await, "cancelled");
        w.run_due().await.unwrap();
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 0);
        assert_eq!(git(&s, &["branch", "--list", "infradesk/*"]), "");
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        assert_eq!(
            pulls["pulls"][0]["comments"][0],
            format!("Infradesk request #{open} was cancelled; closing this pull request.")
        );
        assert_eq!(backend::pulls::of_request(&db, open).await.unwrap().unwrap().state, PrState::Closed);

        // Cancelled before the worker got to it: no pull request is ever opened.
        let early = submit(&db, "k-2", "cache-db", p.alice).await;
        backend::requests::cancel(&db, T0, early, &admin(), Role::Admin, None, "duplicate").await.unwrap();
        assert_eq!(w.run_due().await.unwrap(), 2, "the open job ends without opening, the close job finds nothing");
        assert!(s.git.find_pull_request(&format!("infradesk/{early}-cache-db")).await.unwrap().is_none());
        assert_eq!(events(&db, early).await, ["request.submitted", "request.pr_requested", "request.cancelled"]);
        // A requester of another team may not cancel (the role is checked by the caller; the
        // state machine refuses a second cancel).
        let again = backend::requests::cancel(&db, T0, early, &admin(), Role::Admin, None, "again").await;
        assert!(again.unwrap_err().to_string().contains("cannot be cancelled"));
    })
    .await;
}

#[tokio::test]
async fn an_edit_is_a_new_revision_and_a_new_commit_on_the_same_pull_request() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let w = worker(&db, &s);
        let n = submit(&db, "k-1", "orders-db", p.alice).await;
        w.run_due().await.unwrap();
        let branch = format!("infradesk/{n}-orders-db");
        let path = format!("envs/dev/request-{n}.tf");
        let edit = |version: i64, content: &str, justification: &'static str| backend::requests::Edit {
            number: n,
            expected_version: version,
            author_id: p.alice,
            author_login: "alice",
            inputs: &[],
            form: Box::leak(Box::default()),
            routing: serde_json::json!({"rule": "default", "reviewers": [], "sla_hours": null, "auto_approve": false}),
            checks: &[],
            justification,
            rendered: backend::requests::Rendered { content: content.to_owned(), path: path.clone() },
        };
        let unchanged = backend::requests::edit(&db, T0, edit(3, &format!("# request #{n}\n"), "because")).await;
        assert!(unchanged.unwrap_err().to_string().starts_with("nothing changed"));
        let stale = backend::requests::edit(&db, T0, edit(2, "# v2\n", "because")).await;
        assert!(stale.unwrap_err().to_string().contains("changed by someone else"));
        let mut moved = edit(3, "# v2\n", "because");
        moved.rendered.path = "envs/dev/elsewhere.tf".into();
        assert!(matches!(
            backend::requests::edit(&db, T0, moved).await,
            Err(backend::requests::EditError::PathChanged { .. })
        ));

        assert_eq!(backend::requests::edit(&db, T0, edit(3, "# v2\n", "bigger disk")).await.unwrap(), 2);
        assert_eq!(status(&db, n).await, "in_review");
        assert_eq!(w.run_due().await.unwrap(), 1);
        assert_eq!(git(&s, &["rev-list", "--count", &format!("main..{branch}")]), "2");
        assert_eq!(git(&s, &["show", &format!("{branch}:{path}")]), "# v2");
        assert_eq!(git(&s, &["log", "-1", "--format=%s", &branch]), format!("Revision 2 of Infradesk request #{n}"));
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        let body = pulls["pulls"][0]["body"].as_str().unwrap();
        assert!(body.contains("| Revision | 2 |") && body.contains("bigger disk"), "{body}");
        let record = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        assert_eq!(record.rendered_head, git(&s, &["rev-parse", &branch]));
        assert_eq!(record.head_sha, record.rendered_head);
        assert_eq!(s.git.list_open_pull_requests().await.unwrap().len(), 1, "the same pull request");
        assert_eq!(events(&db, n).await.last().map(String::as_str), Some("request.edited"));
        let revisions = count(&db, &format!("SELECT COUNT(*) FROM request_revisions WHERE request_id = {n}")).await;
        assert_eq!(revisions, 2);
    })
    .await;
}
