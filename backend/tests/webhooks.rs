//! Webhook deliveries applied to requests, on SQLite and PostgreSQL: redeliveries, every
//! ordering of four events, pushes outside Infradesk, close/reopen, and deliveries that do
//! not concern Infradesk. Pull requests are opened for real in a local git repository.
#![allow(clippy::unwrap_used)]

mod common;
mod outbox_fixtures;
mod requests_fixtures;

use backend::{Db, webhooks};
use common::*;
use outbox_fixtures::{Setup, setup, status, submit, worker};
use requests_fixtures::people;
use serde_json::{Value, json};

struct Opened {
    /// The repository and the worker.
    s: Setup,
    /// (request number, pull request number, head sha)
    requests: Vec<(i64, i64, String)>,
}

/// Submits `n` requests and lets the worker open their pull requests.
async fn opened(db: &Db, n: usize) -> Opened {
    let p = people(db).await;
    let s = setup();
    let mut numbers = Vec::new();
    for i in 0..n {
        numbers.push(submit(db, &format!("k-{i}"), &format!("db-{i}"), p.alice).await);
    }
    assert_eq!(worker(db, &s).run_due().await.unwrap(), n);
    let mut requests = Vec::new();
    for number in numbers {
        let pr = backend::pulls::of_request(db, number).await.unwrap().unwrap();
        requests.push((number, pr.number, pr.head_sha));
    }
    Opened { s, requests }
}

fn pull(number: i64, state: &str, merged: bool, head: &str, updated_at: &str) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/acme/infra/pulls/{number}"),
        "number": number,
        "state": state,
        "title": "request",
        "merged": merged,
        "merged_at": if merged { json!(updated_at) } else { Value::Null },
        "merge_commit_sha": if merged { json!("e5bd3914e2e596debea16f433f57875b5b90bcd6") } else { Value::Null },
        "head": { "ref": "infradesk/1-db", "sha": head, "label": "acme:infradesk/1-db" },
        "base": { "ref": "main", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e" },
        "updated_at": updated_at,
        "user": { "login": "infradesk-bot", "id": 1 }
    })
}

fn repo() -> Value {
    json!({ "id": 1296269, "name": "infra", "full_name": "acme/infra" })
}

fn pr_event(action: &str, pull: Value) -> (&'static str, String) {
    (
        "pull_request",
        json!({ "action": action, "number": pull["number"], "pull_request": pull, "repository": repo() }).to_string(),
    )
}

async fn deliver(db: &Db, id: &str, (event, body): (&str, String)) -> bool {
    let action = serde_json::from_str::<Value>(&body).unwrap()["action"].as_str().map(str::to_owned);
    let stored = webhooks::receive(db, T0, id, event, action.as_deref(), &body).await.unwrap();
    webhooks::process_pending(db, T0).await.unwrap();
    stored
}

async fn outcome(db: &Db, id: &str) -> (String, String) {
    sqlx::query_as("SELECT outcome, detail FROM webhook_deliveries WHERE delivery_id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn events_of(db: &Db, number: i64, action: &str) -> i64 {
    count(db, &format!("SELECT COUNT(*) FROM audit_events WHERE subject = 'request:{number}' AND action = '{action}'"))
        .await
}

#[tokio::test]
async fn ten_redeliveries_are_one_transition() {
    each_db(|db| async move {
        let o = opened(&db, 1).await;
        let (number, pr, head) = o.requests[0].clone();
        let merged = pr_event("closed", pull(pr, "closed", true, &head, "2026-11-24T10:00:00Z"));
        assert!(deliver(&db, "d-1", merged.clone()).await);
        for _ in 0..9 {
            assert!(!deliver(&db, "d-1", merged.clone()).await, "a redelivery is not stored again");
        }
        assert_eq!(status(&db, number).await, "merged");
        assert_eq!(events_of(&db, number, "request.merged").await, 1);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM webhook_deliveries").await, 1);
        let record = backend::pulls::of_request(&db, number).await.unwrap().unwrap();
        assert!(record.merged_without_approval, "merged on GitHub before Infradesk approved");
        assert_eq!(record.merge_commit.as_deref(), Some("e5bd3914e2e596debea16f433f57875b5b90bcd6"));
        let actor: (String, String) =
            sqlx::query_as("SELECT actor, details FROM audit_events WHERE action = 'request.merged'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(actor.0, "github:d-1", "the delivery id is the actor");
        assert!(actor.1.contains("merged_without_approval"), "{}", actor.1);
    })
    .await;
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

#[tokio::test]
async fn every_ordering_of_opened_review_check_and_merged_ends_the_same() {
    each_db(|db| async move {
        let orders = permutations(&[0, 1, 2, 3]);
        assert_eq!(orders.len(), 24);
        let o = opened(&db, 24).await;
        for (order, (number, pr, head)) in orders.iter().zip(&o.requests) {
            let (pr, head) = (*pr, head.as_str());
            let all = [
                pr_event("opened", pull(pr, "open", false, head, "2026-11-24T10:00:00Z")),
                ("pull_request_review", json!({
                    "action": "submitted",
                    "review": { "id": 80, "user": { "login": "sam-sre" }, "state": "approved", "commit_id": head,
                                "html_url": "https://github.com/acme/infra/pull/1#pullrequestreview-80" },
                    "pull_request": pull(pr, "open", false, head, "2026-11-24T10:01:00Z"),
                    "repository": repo()
                }).to_string()),
                ("check_run", json!({
                    "action": "completed",
                    "check_run": { "id": 4, "head_sha": head, "name": "terraform plan", "status": "completed", "conclusion": "success" },
                    "repository": repo()
                }).to_string()),
                pr_event("closed", pull(pr, "closed", true, head, "2026-11-24T10:03:00Z")),
            ];
            for &i in order {
                deliver(&db, &format!("{number}-{i}"), all[i].clone()).await;
            }
            let record = backend::pulls::of_request(&db, *number).await.unwrap().unwrap();
            let got = (status(&db, *number).await, record.state.as_str(), record.checks_status.clone(), record.merged_without_approval);
            assert_eq!(got, ("merged".to_owned(), "merged", Some("success".to_owned()), true), "order {order:?}");
            assert_eq!(events_of(&db, *number, "request.merged").await, 1, "order {order:?}");
            assert_eq!(events_of(&db, *number, "pull_request.review").await, 1, "order {order:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_push_outside_infradesk_is_flagged_and_old_heads_change_nothing() {
    each_db(|db| async move {
        let o = opened(&db, 1).await;
        let (number, pr, head) = o.requests[0].clone();
        let foreign = "1111111111111111111111111111111111111111";
        deliver(&db, "s-1", pr_event("synchronize", pull(pr, "open", false, foreign, "2026-11-24T10:05:00Z"))).await;
        let record = backend::pulls::of_request(&db, number).await.unwrap().unwrap();
        assert!(record.changed_outside);
        assert_eq!(record.head_sha, foreign);
        assert_eq!(events_of(&db, number, "request.changed_outside").await, 1);
        assert_eq!(status(&db, number).await, "in_review");

        // A check for the old head, and an older synchronize, change nothing.
        let old_check = (
            "check_run",
            json!({
                "action": "completed",
                "check_run": { "head_sha": head, "name": "plan", "status": "completed", "conclusion": "failure" },
                "repository": repo()
            })
            .to_string(),
        );
        deliver(&db, "c-old", old_check).await;
        assert_eq!(outcome(&db, "c-old").await.0, "ignored");
        deliver(&db, "s-0", pr_event("synchronize", pull(pr, "open", false, &head, "2026-11-24T10:04:00Z"))).await;
        assert_eq!(outcome(&db, "s-0").await.0, "ignored");
        let record = backend::pulls::of_request(&db, number).await.unwrap().unwrap();
        assert_eq!((record.head_sha.as_str(), record.checks_status), (foreign, None));
        // A commit status on the new head counts.
        let status_event = (
            "status",
            json!({ "sha": foreign, "state": "pending", "context": "ci/plan", "repository": repo() }).to_string(),
        );
        deliver(&db, "st-1", status_event).await;
        assert_eq!(
            backend::pulls::of_request(&db, number).await.unwrap().unwrap().checks_status.as_deref(),
            Some("pending")
        );
    })
    .await;
}

#[tokio::test]
async fn a_late_in_progress_check_does_not_take_back_a_concluded_one() {
    each_db(|db| async move {
        let o = opened(&db, 1).await;
        let (number, _pr, head) = o.requests[0].clone();
        let check = |status: &str, conclusion: Option<&str>| {
            (
                "check_run",
                json!({
                    "action": if status == "completed" { "completed" } else { "created" },
                    "check_run": { "head_sha": head, "name": "plan", "status": status, "conclusion": conclusion },
                    "repository": repo()
                })
                .to_string(),
            )
        };
        deliver(&db, "k-done", check("completed", Some("success"))).await;
        deliver(&db, "k-late", check("in_progress", None)).await;
        assert_eq!(outcome(&db, "k-late").await.0, "ignored");
        let checks =
            |db: Db| async move { backend::pulls::of_request(&db, number).await.unwrap().unwrap().checks_status };
        assert_eq!(checks(db.clone()).await.as_deref(), Some("success"));
        // A re-run that concludes differently is shown.
        deliver(&db, "k-rerun", check("completed", Some("failure"))).await;
        assert_eq!(checks(db.clone()).await.as_deref(), Some("failure"));
    })
    .await;
}

#[tokio::test]
async fn processed_deliveries_are_pruned_after_a_week_and_pending_ones_never() {
    each_db(|db| async move {
        deliver(
            &db,
            "old-1",
            ("ping", json!({ "zen": "Keep it logically awesome.", "repository": repo() }).to_string()),
        )
        .await;
        // Stored, not yet processed.
        webhooks::receive(&db, T0, "new-1", "ping", None, &json!({ "repository": repo() }).to_string()).await.unwrap();
        let week = webhooks::KEEP_PROCESSED_MS;
        assert_eq!(webhooks::prune(&db, T0 + week - 1, week).await.unwrap(), 0, "not a week old yet");
        assert_eq!(webhooks::prune(&db, T0 + week + 1, week).await.unwrap(), 1);
        let left: Vec<(String,)> =
            sqlx::query_as("SELECT delivery_id FROM webhook_deliveries").fetch_all(db.pool()).await.unwrap();
        assert_eq!(left, [("new-1".to_owned(),)]);
        assert_eq!(webhooks::prune(&db, T0 + 100 * week, week).await.unwrap(), 0, "unprocessed stays");
    })
    .await;
}

#[tokio::test]
async fn closing_on_github_cancels_and_reopening_returns_to_review() {
    each_db(|db| async move {
        let o = opened(&db, 1).await;
        let (number, pr, head) = o.requests[0].clone();
        deliver(&db, "x-1", pr_event("closed", pull(pr, "closed", false, &head, "2026-11-24T10:00:00Z"))).await;
        assert_eq!(status(&db, number).await, "cancelled");
        deliver(&db, "x-2", pr_event("reopened", pull(pr, "open", false, &head, "2026-11-24T10:01:00Z"))).await;
        assert_eq!(status(&db, number).await, "in_review");
        assert_eq!(events_of(&db, number, "request.pr_closed").await, 1);
        assert_eq!(events_of(&db, number, "request.pr_reopened").await, 1);
        assert!(backend::audit::verify(&db).await.unwrap().broken.is_none());
    })
    .await;
}

#[tokio::test]
async fn deliveries_that_do_not_concern_infradesk_are_recorded_and_ignored() {
    each_db(|db| async move {
        let _o = opened(&db, 1).await;
        deliver(&db, "u-1", pr_event("closed", pull(999, "closed", true, "abc", "2026-11-24T10:00:00Z"))).await;
        assert_eq!(outcome(&db, "u-1").await.0, "ignored");
        deliver(&db, "u-2", ("pull_request", "{\"action\": \"closed\"}".to_owned())).await;
        let (kind, detail) = outcome(&db, "u-2").await;
        assert_eq!(kind, "failed");
        assert!(detail.contains("pull_request payload not understood"), "{detail}");
        deliver(&db, "u-3", ("issues", json!({"action": "opened", "repository": repo()}).to_string())).await;
        assert_eq!(outcome(&db, "u-3").await, ("ignored".to_owned(), "event issues is not used".to_owned()));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_at_ms IS NULL").await, 0);
    })
    .await;
}

#[tokio::test]
async fn reconciling_repairs_a_missed_merge() {
    each_db(|db| async move {
        let o = opened(&db, 1).await;
        let (number, _, _) = o.requests[0].clone();
        let vcs = o.s.git.clone();
        let record = backend::pulls::of_request(&db, number).await.unwrap().unwrap();
        use backend::vcs::{MergeMethod, Vcs};
        // Merged on the host while no webhook arrived.
        vcs.merge_pull_request(record.number as u64, &record.head_sha, MergeMethod::Merge, "merge").await.unwrap();
        let first = webhooks::reconcile::reconcile(&db, &vcs, T0).await.unwrap();
        assert_eq!((first.checked, first.changed, first.errors.len()), (1, 1, 0));
        assert_eq!(status(&db, number).await, "merged");
        let again = webhooks::reconcile::reconcile(&db, &vcs, T0).await.unwrap();
        assert_eq!((again.checked, again.changed), (0, 0), "nothing open any more");
    })
    .await;
}

#[tokio::test]
async fn a_reopen_on_github_never_revives_a_request_cancelled_in_infradesk_or_a_taken_name() {
    each_db(|db| async move {
        let o = opened(&db, 2).await;
        let (first, pr1, head1) = o.requests[0].clone();
        let (second, pr2, head2) = o.requests[1].clone();
        // #first: cancelled by its team in Infradesk; reopening on GitHub does not revive it.
        backend::requests::cancel(&db, T0, first, &admin(), domain::request::transition::Role::Admin, None, "no")
            .await
            .unwrap();
        deliver(&db, "a-1", pr_event("closed", pull(pr1, "closed", false, &head1, "2026-11-24T10:00:00Z"))).await;
        deliver(&db, "a-2", pr_event("reopened", pull(pr1, "open", false, &head1, "2026-11-24T10:01:00Z"))).await;
        assert_eq!(status(&db, first).await, "cancelled");
        assert!(outcome(&db, "a-2").await.1.contains("cancelled in Infradesk"));

        // #second: closed on GitHub, its name taken by a new request, then reopened.
        deliver(&db, "b-1", pr_event("closed", pull(pr2, "closed", false, &head2, "2026-11-24T10:00:00Z"))).await;
        assert_eq!(status(&db, second).await, "cancelled");
        let alice: (i64,) =
            sqlx::query_as("SELECT id FROM users WHERE login = 'alice'").fetch_one(db.pool()).await.unwrap();
        let taker = submit(&db, "k-new", "db-1", alice.0).await;
        deliver(&db, "b-2", pr_event("reopened", pull(pr2, "open", false, &head2, "2026-11-24T10:01:00Z"))).await;
        assert_eq!(status(&db, second).await, "cancelled");
        let (kind, detail) = outcome(&db, "b-2").await;
        assert!(kind == "applied" && detail.contains(&format!("request #{taker} holds its instance name")), "{detail}");
        // Nothing is stuck: later deliveries are still applied.
        deliver(&db, "b-3", ("issues", json!({"action": "opened", "repository": repo()}).to_string())).await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM webhook_deliveries WHERE processed_at_ms IS NULL").await, 0);
    })
    .await;
}
