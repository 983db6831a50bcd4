//! The approval summary on the pull request, on SQLite and PostgreSQL: posted whenever a
//! request is approved — whether Infradesk merges now, waits for the plan check or leaves the
//! merge to GitHub — once per approved revision, naming only the approvals that counted, each
//! person once with their team.
#![allow(clippy::unwrap_used)]

mod common;
mod decision_fixtures;
mod outbox_fixtures;
mod requests_fixtures;

use std::sync::Arc;

use backend::Db;
use backend::outbox::worker::{Worker, WorkerConfig};
use backend::requests::DecisionKind;
use common::*;
use decision_fixtures::*;
use outbox_fixtures::*;
use serde_json::json;

/// The comments on the request's pull request in the local repository.
fn comments(s: &Setup) -> Vec<String> {
    let pulls: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
    pulls["pulls"][0]["comments"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

fn summaries(s: &Setup) -> Vec<String> {
    comments(s).into_iter().filter(|c| c.starts_with("Approved in Infradesk")).collect()
}

fn worker_with(db: &Db, s: &Setup, merge_on_approval: bool, require_green_checks: bool) -> Worker {
    let mut config = WorkerConfig::new("main", "https://infradesk.example.com");
    config.merge_on_approval = merge_on_approval;
    config.require_green_checks = require_green_checks;
    Worker::new(db.clone(), Arc::new(s.host.clone()), Arc::new(s.clock.clone()), config)
}

async fn pr_state(db: &Db, n: i64) -> String {
    backend::pulls::of_request(db, n).await.unwrap().unwrap().state.as_str().to_owned()
}

async fn github_review(db: &Db, id: &str, pr: i64, login: &str, commit: &str) {
    let body = json!({
        "action": "submitted",
        "review": { "id": 1, "user": { "login": login }, "state": "approved", "commit_id": commit },
        "pull_request": { "number": pr, "state": "open", "head": { "sha": commit, "ref": "x" } },
        "repository": { "full_name": "acme/infra" }
    })
    .to_string();
    backend::webhooks::receive(db, T0, id, "pull_request_review", Some("submitted"), &body).await.unwrap();
    backend::webhooks::process_pending(db, T0).await.unwrap();
}

async fn check(db: &Db, id: &str, head: &str, conclusion: &str) {
    let body = json!({
        "action": "completed",
        "check_run": { "head_sha": head, "name": "terraform plan", "status": "completed", "conclusion": conclusion },
        "repository": { "full_name": "acme/infra" }
    })
    .to_string();
    backend::webhooks::receive(db, T0, id, "check_run", Some("completed"), &body).await.unwrap();
    backend::webhooks::process_pending(db, T0).await.unwrap();
}

#[tokio::test]
async fn with_merge_on_approval_off_the_pull_request_stays_open_and_says_who_approved() {
    each_db(|db| async move {
        let (s, _w, n, _p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        route(&db, n, 1, 0).await;
        let w = worker_with(&db, &s, false, false);
        decide_as(&db, &team[1], n, DecisionKind::Approve, "").await.unwrap();
        assert_eq!(status(&db, n).await, "approved");
        w.run_due().await.unwrap();

        assert_eq!(status(&db, n).await, "approved", "left to GitHub: not merged");
        assert_eq!(pr_state(&db, n).await, "open");
        let calls = s.host.calls.lock().unwrap().clone();
        assert!(!calls.contains(&"merge_pull_request") && !calls.contains(&"update_branch"), "{calls:?}");
        assert_eq!(
            summaries(&s),
            ["Approved in Infradesk (revision 1) by riley (sre); Infradesk does not merge it: merge it on GitHub.\n\n\
              <!-- infradesk:approved:1:revision:1 -->"]
        );
        assert_eq!(events(&db, n).await.last().unwrap(), "request.approved");

        // A merge queued again (a check turned green) says nothing twice.
        let head = backend::pulls::of_request(&db, n).await.unwrap().unwrap().head_sha;
        check(&db, "c-1", &head, "success").await;
        let mut tx = db.begin_write().await.unwrap();
        backend::outbox::enqueue(&mut tx, T0, n, backend::outbox::JobKind::MergePr).await.unwrap();
        tx.commit().await.unwrap();
        w.run_due().await.unwrap();
        assert_eq!(summaries(&s).len(), 1, "{:?}", comments(&s));
        assert_eq!(status(&db, n).await, "approved");
    })
    .await;
}

#[tokio::test]
async fn waiting_for_the_plan_check_the_summary_is_posted_once_then_the_green_check_merges() {
    each_db(|db| async move {
        let (s, _w, n, _p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        route(&db, n, 1, 0).await;
        let w = worker_with(&db, &s, true, true);
        decide_as(&db, &team[0], n, DecisionKind::Approve, "").await.unwrap();
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "approved", "no checks yet");
        assert_eq!(
            summaries(&s),
            ["Approved in Infradesk (revision 1) by sam (sre); waiting for the plan check to pass, then Infradesk \
              merges it.\n\n<!-- infradesk:approved:1:revision:1 -->"]
        );

        let head = backend::pulls::of_request(&db, n).await.unwrap().unwrap().head_sha;
        check(&db, "c-1", &head, "failure").await;
        w.run_due().await.unwrap();
        check(&db, "c-2", &head, "success").await;
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        assert_eq!(summaries(&s).len(), 1, "one summary per approved revision: {:?}", comments(&s));
        let calls = s.host.calls.lock().unwrap().clone();
        assert_eq!(calls.iter().filter(|c| **c == "comment").count(), 1, "{calls:?}");
    })
    .await;
}

#[tokio::test]
async fn the_summary_names_only_the_approvals_that_counted_each_person_once_with_their_team() {
    each_db(|db| async move {
        let (s, _w, n, p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        let (sam, dee) = (&team[0], &team[2]);
        route(&db, n, 1, 1).await;
        backend::accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        for (login, gh) in [("alice", "alice-gh"), ("sam", "sam-gh")] {
            sqlx::query("UPDATE users SET github_login = $1 WHERE login = $2")
                .bind(gh)
                .bind(login)
                .execute(db.pool())
                .await
                .unwrap();
        }
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        // The requester's approval on GitHub does not count; sam approves twice (GitHub and
        // Infradesk) and is one person; dee's approval completes the request.
        github_review(&db, "r-1", pull.number, "alice-gh", &pull.head_sha).await;
        github_review(&db, "r-2", pull.number, "sam-gh", &pull.head_sha).await;
        decide_as(&db, sam, n, DecisionKind::Approve, "").await.unwrap();
        decide_as(&db, dee, n, DecisionKind::Approve, "").await.unwrap();
        assert_eq!(status(&db, n).await, "approved");
        let w = worker(&db, &s);
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        assert_eq!(
            summaries(&s),
            ["Approved in Infradesk (revision 1) by sam (sre), dee (dba); merging.\n\n\
              <!-- infradesk:approved:1:revision:1 -->"]
        );
        let _ = p;
    })
    .await;
}
