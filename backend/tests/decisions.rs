//! Review decisions, judged by outcomes on SQLite and PostgreSQL: who may decide (four
//! eyes), approvals counted per current revision from distinct people, the last approval
//! approving and merging, requested changes and edits, rejections, stale versions, and two
//! reviewers racing for the last approval.
#![allow(clippy::unwrap_used)]

mod common;
mod decision_fixtures;
mod outbox_fixtures;
mod requests_fixtures;

use backend::accounts;
use backend::requests::{DecideError, Decided, Decision, DecisionKind, decide};
use backend::{Db, Dialect};
use common::*;
use decision_fixtures::*;
use outbox_fixtures::*;
use serde_json::json;

#[tokio::test]
async fn the_last_needed_approval_approves_and_merges_and_four_eyes_hold() {
    each_db(|db| async move {
        let (s, w, n, p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        let (sam, riley, dee) = (&team[0], &team[1], &team[2]);
        route(&db, n, 2, 0).await;

        // The requester (even as a member of sre, even as an admin) cannot approve.
        accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        let own = decide_as(&db, &alice_me(p.alice), n, DecisionKind::Approve, "").await.unwrap_err();
        assert_eq!(own.to_string(), "you cannot decide on this request: it is your own request");
        let other_team = decide_as(&db, dee, n, DecisionKind::Approve, "").await.unwrap_err();
        assert_eq!(other_team.to_string(), "only members of a team this request is routed to (sre) can decide on it");

        let first = decide_as(&db, sam, n, DecisionKind::Approve, "looks right").await.unwrap();
        assert!(matches!(first, Decided::ApprovalRecorded(ref t) if t.counted() == 1), "{first:?}");
        let again = decide_as(&db, sam, n, DecisionKind::Approve, "").await.unwrap();
        assert!(matches!(again, Decided::ApprovalRecorded(ref t) if t.counted() == 1), "one person, one approval");
        assert_eq!(status(&db, n).await, "in_review");

        let last = decide_as(&db, riley, n, DecisionKind::Approve, "").await.unwrap();
        assert!(matches!(last, Decided::Approved(ref t) if t.counted() == 2), "{last:?}");
        assert_eq!(status(&db, n).await, "approved");
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        let pulls: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.git.path().join(".git/infradesk/pulls.json")).unwrap()).unwrap();
        let comments = pulls["pulls"][0]["comments"].as_array().unwrap();
        let summary = comments.last().unwrap().as_str().unwrap();
        assert!(
            summary
                == "Approved in Infradesk (revision 1) by riley (sre), sam (sre); merging.\n\n<!-- infradesk:approved:1:revision:1 -->",
            "{summary}"
        );
        let trail = events(&db, n).await;
        assert!(
            trail.ends_with(&[
                "request.approval_recorded".into(),
                "request.approval_recorded".into(),
                "request.approved".into(),
                "request.merged".into()
            ]),
            "{trail:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn changes_requested_an_edit_dismisses_approvals_and_rejecting_closes() {
    each_db(|db| async move {
        let (_s, w, n, p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        let (sam, riley) = (&team[0], &team[1]);
        route(&db, n, 2, 0).await;
        decide_as(&db, sam, n, DecisionKind::Approve, "").await.unwrap();
        let no_reason = decide_as(&db, riley, n, DecisionKind::RequestChanges, "  ").await.unwrap_err();
        assert!(matches!(no_reason, DecideError::CommentRequired));
        decide_as(&db, riley, n, DecisionKind::RequestChanges, "use 100 GB").await.unwrap();
        assert_eq!(status(&db, n).await, "changes_requested");
        let refused = decide_as(&db, sam, n, DecisionKind::Approve, "").await.unwrap_err();
        assert!(refused.to_string().contains("cannot be approved"), "{refused}");

        // The requester edits: revision 2, and sam's approval of revision 1 no longer counts.
        let edit = backend::requests::Edit {
            number: n,
            expected_version: version(&db, n).await,
            author_id: p.alice,
            author_login: "alice",
            inputs: &[],
            form: &Default::default(),
            routing: json!({"rule": "test", "reviewers": [{"team": "sre", "approvals": 2}], "sla_hours": 8, "auto_approve": false}),
            checks: &[],
            justification: "100 GB now",
            rendered: backend::requests::Rendered { content: "# v2\n".into(), path: format!("envs/dev/request-{n}.tf") },
        };
        backend::requests::edit(&db, T0, edit).await.unwrap();
        w.run_due().await.unwrap();
        let after_edit = decide_as(&db, riley, n, DecisionKind::Approve, "").await.unwrap();
        assert!(matches!(after_edit, Decided::ApprovalRecorded(ref t) if t.counted() == 1), "{after_edit:?}");

        decide_as(&db, sam, n, DecisionKind::Comment, "why 100?").await.unwrap();
        decide_as(&db, sam, n, DecisionKind::Reject, "not needed after all").await.unwrap();
        assert_eq!(status(&db, n).await, "rejected");
        w.run_due().await.unwrap();
        assert_eq!(backend::pulls::of_request(&db, n).await.unwrap().unwrap().state, backend::vcs::PrState::Closed);
        let kinds: Vec<(String,)> = sqlx::query_as("SELECT kind FROM review_comments WHERE request_id = $1 ORDER BY id")
            .bind(n)
            .fetch_all(db.pool())
            .await
            .unwrap();
        let kinds: Vec<&str> = kinds.iter().map(|k| k.0.as_str()).collect();
        assert_eq!(kinds, ["changes_requested", "comment", "rejected"]);
    })
    .await;
}

#[tokio::test]
async fn a_stale_page_is_refused_and_two_reviewers_racing_never_double_approve() {
    each_db(|db| async move {
        let p = requests_fixtures::people(&db).await;
        let team = reviewers(&db).await;
        let (sam, riley, dee) = (team[0].clone(), team[1].clone(), team[2].clone());
        let rounds = if db.dialect() == Dialect::Postgres { 200 } else { 100 };
        for i in 0..rounds {
            let n = submit(&db, &format!("race-{i}"), &format!("db-{i}"), p.alice).await;
            // In review without a pull request: the race is about the database.
            sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = $1")
                .bind(n)
                .execute(db.pool())
                .await
                .unwrap();
            route(&db, n, 1, 1).await;
            let v = version(&db, n).await;
            if i == 0 {
                decide(
                    &db,
                    T0,
                    Decision {
                        number: n,
                        expected_version: v - 1,
                        kind: DecisionKind::Approve,
                        comment: "",
                        reviewer: &sam,
                    },
                )
                .await
                .map(|_| ())
                .expect_err("a stale version is refused");
            }
            // sam (sre + dba) and riley (sre) and dee (dba) all approve at once, from the same page.
            let (a, b, c) = tokio::join!(
                decide(
                    &db,
                    T0,
                    Decision {
                        number: n,
                        expected_version: v,
                        kind: DecisionKind::Approve,
                        comment: "",
                        reviewer: &sam
                    }
                ),
                decide(
                    &db,
                    T0,
                    Decision {
                        number: n,
                        expected_version: v,
                        kind: DecisionKind::Approve,
                        comment: "",
                        reviewer: &riley
                    }
                ),
                decide(
                    &db,
                    T0,
                    Decision {
                        number: n,
                        expected_version: v,
                        kind: DecisionKind::Approve,
                        comment: "",
                        reviewer: &dee
                    }
                ),
            );
            let wins = [&a, &b, &c].iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "round {i}: exactly one decision on the version the page showed");
            for r in [a, b, c].into_iter().filter_map(Result::err) {
                assert!(r.to_string().contains("changed by someone else meanwhile"), "round {i}: {r}");
            }
            let approvals = count(&db, &format!("SELECT COUNT(*) FROM approvals WHERE request_id = {n}")).await;
            assert_eq!(approvals, 1, "round {i}");
            let merges =
                count(&db, &format!("SELECT COUNT(*) FROM outbox_jobs WHERE request_id = {n} AND kind = 'merge_pr'"))
                    .await;
            assert_eq!(merges, 0, "round {i}: one approval of two needed merges nothing");
        }
    })
    .await;
}

async fn github_review(db: &Db, id: &str, pr: i64, login: &str, action: &str, state: &str, commit: &str) {
    let body = json!({
        "action": action,
        "review": { "id": 1, "user": { "login": login }, "state": state, "commit_id": commit },
        "pull_request": { "number": pr, "state": "open", "head": { "sha": commit, "ref": "x" } },
        "repository": { "full_name": "acme/infra" }
    })
    .to_string();
    backend::webhooks::receive(db, T0, id, "pull_request_review", Some(action), &body).await.unwrap();
    backend::webhooks::process_pending(db, T0).await.unwrap();
}

#[tokio::test]
async fn reviews_on_github_count_the_same_way() {
    each_db(|db| async move {
        let (_s, w, n, _p) = opened_request(&db).await;
        reviewers(&db).await;
        route(&db, n, 2, 0).await;
        for (login, gh) in [("alice", "alice-gh"), ("sam", "sam-gh"), ("riley", "riley-gh")] {
            sqlx::query("UPDATE users SET github_login = $1 WHERE login = $2")
                .bind(gh)
                .bind(login)
                .execute(db.pool())
                .await
                .unwrap();
        }
        accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        let (pr, head) = (pull.number, pull.head_sha.clone());

        github_review(&db, "r-1", pr, "alice-gh", "submitted", "approved", &head).await;
        github_review(&db, "r-2", pr, "sam-gh", "submitted", "approved", "0000000000000000000000000000000000000000")
            .await;
        github_review(&db, "r-3", pr, "stranger", "submitted", "approved", &head).await;
        let state = backend::requests::review_state(&db, n).await.unwrap();
        assert_eq!(state.tally.counted(), 0);
        assert!(
            state.tally.not_counted.iter().any(|(l, why)| l == "alice" && why.to_string().contains("own request")),
            "the page says why the requester's GitHub approval does not count: {:?}",
            state.tally.not_counted
        );

        github_review(&db, "r-4", pr, "sam-gh", "submitted", "approved", &head).await;
        assert_eq!(backend::requests::review_state(&db, n).await.unwrap().tally.counted(), 1);
        github_review(&db, "r-5", pr, "sam-gh", "dismissed", "dismissed", &head).await;
        assert_eq!(backend::requests::review_state(&db, n).await.unwrap().tally.counted(), 0, "dismissed on GitHub");
        github_review(&db, "r-6", pr, "sam-gh", "submitted", "approved", &head).await;
        github_review(&db, "r-7", pr, "riley-gh", "submitted", "approved", &head).await;
        assert_eq!(status(&db, n).await, "approved");
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
    })
    .await;
}

#[tokio::test]
async fn with_checks_required_an_approved_request_merges_when_its_checks_turn_green() {
    each_db(|db| async move {
        let (s, _w, n, _p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        route(&db, n, 1, 0).await;
        let mut config = backend::outbox::worker::WorkerConfig::new("main", "https://infradesk.example.com");
        config.require_green_checks = true;
        let w = backend::outbox::worker::Worker::new(
            db.clone(),
            std::sync::Arc::new(s.git.clone()),
            std::sync::Arc::new(s.clock.clone()),
            config,
        );
        decide_as(&db, &team[0], n, DecisionKind::Approve, "").await.unwrap();
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "approved", "no checks yet: not merged");
        let head = backend::pulls::of_request(&db, n).await.unwrap().unwrap().head_sha;
        let check = |state: &str| {
            json!({
                "action": "completed",
                "check_run": { "head_sha": head, "name": "terraform plan", "status": "completed", "conclusion": state },
                "repository": { "full_name": "acme/infra" }
            })
            .to_string()
        };
        backend::webhooks::receive(&db, T0, "c-1", "check_run", Some("completed"), &check("failure")).await.unwrap();
        backend::webhooks::process_pending(&db, T0).await.unwrap();
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "approved", "a failing plan does not merge");
        backend::webhooks::receive(&db, T0, "c-2", "check_run", Some("completed"), &check("success")).await.unwrap();
        backend::webhooks::process_pending(&db, T0).await.unwrap();
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
    })
    .await;
}
