//! The outbox opening pull requests, judged by outcomes: pull requests and commits in a real
//! local git repository, rows in the database and audit events — on SQLite and PostgreSQL.
//! Failures are injected (a scripted host, fault points between steps), time is a manual
//! clock: nothing sleeps.
#![allow(clippy::unwrap_used)]

mod common;
mod outbox_fixtures;
mod requests_fixtures;

use std::sync::Arc;
use std::time::Duration;

use backend::outbox::backoff::Pacer;
use backend::outbox::worker::Outcome;
use backend::vcs::*;
use common::*;
use outbox_fixtures::*;
use requests_fixtures::people;

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
        // The fourth attempt is told the pull request exists and adopts it.
        let calls = s.host.calls.lock().unwrap().clone();
        assert_eq!(calls.iter().filter(|c| **c == "open_pull_request").count(), 4);
        assert_eq!(calls.last(), Some(&"find_pull_request"), "{calls:?}");
    })
    .await;
}

#[tokio::test]
async fn a_job_that_keeps_failing_shows_the_reason_and_an_admin_retry_finishes_it() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        let n = submit(&db, "k-1", "orders-db", p.alice).await;
        let attempts = backend::outbox::backoff::Backoff::default().max_attempts;
        for _ in 0..attempts {
            s.host.fail("commit_change", VcsError::transient("GitHub answered 503"), false);
        }
        let w = worker(&db, &s);
        let mut last = None;
        for _ in 0..attempts {
            s.clock.advance(Duration::from_secs(601));
            last = w.run_once().await.unwrap().map(|(_, o)| o);
        }
        let Some(Outcome::Failed(reason)) = last else { panic!("{last:?}") };
        assert!(reason.contains(&format!("gave up after {attempts} attempts")) && reason.contains("503"), "{reason}");
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

        assert!(backend::outbox::retry(&db, s_now(&s), job_id, &admin()).await.unwrap());
        assert!(!backend::outbox::retry(&db, s_now(&s), job_id, &admin()).await.unwrap(), "a second retry is a no-op");
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
async fn replicas_share_one_pacing_budget() {
    each_db(|db| async move {
        let p = people(&db).await;
        let s = setup();
        for i in 0..3 {
            submit(&db, &format!("k-{i}"), &format!("db-{i}"), p.alice).await;
        }
        // Two servers, each allowed 10 calls a minute on its own: together they still keep to 10.
        let limit = || Pacer::new(&[(Duration::from_secs(60), 10)]);
        let (one, two) = (worker(&db, &s).with_pacer(limit()), worker(&db, &s).with_pacer(limit()));
        assert_eq!(one.run_once().await.unwrap().unwrap().1, Outcome::Done);
        assert_eq!(two.run_once().await.unwrap().unwrap().1, Outcome::Done);
        assert_eq!(two.run_once().await.unwrap().unwrap().1, Outcome::Paced(T0 + 60_000));
        assert!(one.run_once().await.unwrap().is_none(), "the paced job waits for both");
        s.clock.advance(Duration::from_secs(60));
        assert_eq!(one.run_once().await.unwrap().unwrap().1, Outcome::Done);
        // Reservations older than the longest window are removed as new ones are made.
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM host_writes").fetch_one(db.pool()).await.unwrap();
        assert_eq!(rows, 1);
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
