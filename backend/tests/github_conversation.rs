//! The pull request's conversation and reviews on GitHub, on SQLite and PostgreSQL: comments
//! and review texts join the request's conversation once each (redeliveries, edits,
//! deletions, Infradesk's own comments, long texts), in time order with Infradesk's comments;
//! a review requesting changes counts like the same decision in Infradesk; approvals
//! completed while the pull request waits on a change from outside Infradesk approve the
//! request once the change is accepted — with `review_queue` equal to its rebuild throughout.
#![allow(clippy::unwrap_used)]

mod common;
mod decision_fixtures;
mod github_fixtures;
mod outbox_fixtures;
mod requests_fixtures;

use backend::Db;
use backend::requests::{DecisionKind, ReviewComment, review_state};
use common::queue_check::assert_same_as_rebuilt;
use common::*;
use decision_fixtures::*;
use github_fixtures::*;
use outbox_fixtures::*;
use serde_json::{Value, json};

async fn outcome(db: &Db, id: &str) -> (String, String) {
    sqlx::query_as("SELECT outcome, detail FROM webhook_deliveries WHERE delivery_id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

fn issue_comment(action: &str, pr: i64, id: i64, login: &str, body: &str, at: &str, updated: &str) -> Value {
    json!({
        "action": action,
        "issue": { "number": pr, "title": "request", "pull_request": { "url": "https://api.github.com/repos/acme/infra/pulls/1" } },
        "comment": { "id": id, "user": { "login": login }, "body": body, "created_at": at, "updated_at": updated,
                     "html_url": format!("https://github.com/acme/infra/pull/{pr}#issuecomment-{id}") },
        "repository": { "full_name": "acme/infra" }
    })
}

fn file_comment(action: &str, pr: i64, id: i64, login: &str, body: &str, path: &str, at: &str) -> Value {
    json!({
        "action": action,
        "pull_request": { "number": pr, "state": "open", "head": { "sha": "x", "ref": "x" } },
        "comment": { "id": id, "user": { "login": login }, "body": body, "path": path, "created_at": at, "updated_at": at,
                     "html_url": format!("https://github.com/acme/infra/pull/{pr}#discussion_r{id}") },
        "repository": { "full_name": "acme/infra" }
    })
}

async fn conversation(db: &Db, n: i64) -> Vec<ReviewComment> {
    review_state(db, n).await.unwrap().comments
}

async fn events_of(db: &Db, n: i64, action: &str) -> i64 {
    count(db, &format!("SELECT COUNT(*) FROM audit_events WHERE subject = 'request:{n}' AND action = '{action}'")).await
}

#[tokio::test]
async fn github_comments_join_the_conversation_once_each_in_time_order() {
    each_db(|db| async move {
        let (_s, _w, n, _p) = opened_request(&db).await;
        let team = reviewers(&db).await;
        route(&db, n, 1, 0).await;
        map_github(&db, &[("sam", "sam-gh")]).await;
        let pr = backend::pulls::of_request(&db, n).await.unwrap().unwrap().number;

        // T0 is 16:00 UTC: Infradesk's comment sits between GitHub's by time.
        decide_as(&db, &team[0], n, DecisionKind::Comment, "why a new database?").await.unwrap();
        let first = issue_comment(
            "created",
            pr,
            101,
            "stranger",
            "<b>why</b> 100 GB?",
            "2025-11-24T15:00:00Z",
            "2025-11-24T15:00:00Z",
        );
        deliver(&db, "c-1", "issue_comment", &first).await;
        deliver(&db, "c-1-again", "issue_comment", &first).await;
        assert_eq!(outcome(&db, "c-1-again").await.0, "ignored", "the same comment again is not stored twice");
        let edited = issue_comment(
            "edited",
            pr,
            101,
            "stranger",
            "<b>why</b> 200 GB?",
            "2025-11-24T15:00:00Z",
            "2025-11-24T15:05:00Z",
        );
        deliver(&db, "c-2", "issue_comment", &edited).await;
        // The creation arriving after the edit is older: it changes nothing.
        deliver(
            &db,
            "c-1-late",
            "issue_comment",
            &issue_comment(
                "created",
                pr,
                101,
                "stranger",
                "<b>why</b> 100 GB?",
                "2025-11-24T15:00:00Z",
                "2025-11-24T15:00:00Z",
            ),
        )
        .await;
        assert_eq!(outcome(&db, "c-1-late").await.0, "ignored");

        deliver(
            &db,
            "f-1",
            "pull_request_review_comment",
            &file_comment("created", pr, 202, "sam-gh", "typo here", "envs/dev/orders-db.tf", "2025-11-24T17:00:00Z"),
        )
        .await;
        let ours =
            "Approved in Infradesk (revision 1) by sam (sre); merging.\n\n<!-- infradesk:approved:1:revision:1 -->";
        deliver(
            &db,
            "c-3",
            "issue_comment",
            &issue_comment("created", pr, 303, "infradesk[bot]", ours, "2025-11-24T16:10:00Z", "2025-11-24T16:10:00Z"),
        )
        .await;
        assert_eq!(outcome(&db, "c-3").await.0, "ignored", "Infradesk's own comment");
        let mut on_issue =
            issue_comment("created", 999, 304, "stranger", "an issue", "2025-11-24T16:10:00Z", "2025-11-24T16:10:00Z");
        on_issue["issue"].as_object_mut().unwrap().remove("pull_request");
        deliver(&db, "c-4", "issue_comment", &on_issue).await;
        assert_eq!(outcome(&db, "c-4").await.0, "ignored", "a comment on an issue");

        let long = "x".repeat(12_000);
        deliver(
            &db,
            "c-5",
            "issue_comment",
            &issue_comment("created", pr, 404, "stranger", &long, "2025-11-24T17:30:00Z", "2025-11-24T17:30:00Z"),
        )
        .await;
        let head = backend::pulls::of_request(&db, n).await.unwrap().unwrap().head_sha;
        deliver(
            &db,
            "r-1",
            "pull_request_review",
            &review("submitted", pr, 505, "stranger", "commented", Some("looks odd"), &head, "2025-11-24T16:30:00Z"),
        )
        .await;
        // A review holding only file comments has no text of its own: not an entry.
        deliver(
            &db,
            "r-2",
            "pull_request_review",
            &review("submitted", pr, 506, "stranger", "commented", None, &head, "2025-11-24T16:31:00Z"),
        )
        .await;

        deliver(
            &db,
            "f-2",
            "pull_request_review_comment",
            &file_comment("deleted", pr, 202, "sam-gh", "typo here", "envs/dev/orders-db.tf", "2025-11-24T17:00:00Z"),
        )
        .await;
        deliver(
            &db,
            "f-3",
            "pull_request_review_comment",
            &file_comment("edited", pr, 202, "sam-gh", "typo!", "envs/dev/orders-db.tf", "2025-11-24T17:00:00Z"),
        )
        .await;
        assert_eq!(outcome(&db, "f-3").await.0, "ignored", "nothing comes back after a deletion");

        let c = conversation(&db, n).await;
        let seen: Vec<(&str, &str, bool, &str)> =
            c.iter().map(|c| (c.author.as_str(), c.kind.as_str(), c.from_github, c.body.as_str())).collect();
        assert_eq!(
            seen[..4],
            [
                ("stranger", "comment", true, "<b>why</b> 200 GB?"),
                ("sam", "comment", false, "why a new database?"),
                ("stranger", "commented", true, "looks odd"),
                ("sam", "file_comment", true, ""),
            ],
            "{c:#?}"
        );
        assert_eq!(c.len(), 5);
        assert!(c[0].edited && !c[0].removed);
        assert_eq!(c[0].github_login.as_deref(), Some("stranger"));
        assert_eq!(
            c[0].url.as_deref(),
            Some(format!("https://github.com/acme/infra/pull/{pr}#issuecomment-101").as_str())
        );
        assert!(c[3].removed, "deleted on GitHub: marked, its text not shown");
        assert_eq!(
            (c[3].github_login.as_deref(), c[3].path.as_deref()),
            (Some("sam-gh"), Some("envs/dev/orders-db.tf"))
        );
        assert!(c[4].body.starts_with(&"x".repeat(10_000)));
        assert!(
            c[4].body.ends_with("[truncated by Infradesk: 2000 more characters; the full text is on GitHub]"),
            "{}",
            &c[4].body[10_000..]
        );
        let times: Vec<i64> = c.iter().map(|c| c.at_ms).collect();
        assert!(times.is_sorted(), "{times:?}");

        assert_eq!(count(&db, "SELECT COUNT(*) FROM github_comments").await, 4, "101, 202, 404 and review 505");
        assert_eq!(events_of(&db, n, "pull_request.commented").await, 3);
        assert_eq!(events_of(&db, n, "pull_request.comment_edited").await, 1);
        assert_eq!(events_of(&db, n, "pull_request.comment_deleted").await, 1);
        let (actor, details): (String, String) = sqlx::query_as(
            "SELECT actor, details FROM audit_events WHERE action = 'pull_request.commented' ORDER BY seq LIMIT 1",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(actor, "github:c-1", "the delivery is the actor");
        let details: Value = serde_json::from_str(&details).unwrap();
        assert_eq!((details["comment"].as_i64(), details["author"].as_str()), (Some(101), Some("stranger")));
        assert_eq!(details["body"], "<b>why</b> 100 GB?");
        let review_event: (String,) = sqlx::query_as(
            "SELECT details FROM audit_events WHERE action = 'pull_request.review' ORDER BY seq LIMIT 1",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert!(review_event.0.contains("looks odd"), "the review's text is in its event: {}", review_event.0);
    })
    .await;
}

#[tokio::test]
async fn changes_requested_on_github_count_like_in_infradesk() {
    each_db(|db| async move {
        let (_s, _w, n, _p) = opened_request(&db).await;
        reviewers(&db).await;
        routed(&db, n, 2, 0).await;
        map_github(&db, &[("alice", "alice-gh"), ("sam", "sam-gh"), ("riley", "riley-gh"), ("dee", "dee-gh")]).await;
        backend::accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        let (pr, head) = (pull.number, pull.head_sha.clone());
        let at = "2025-11-24T16:00:00Z";
        let changes = |id: i64, login: &str, commit: &str| {
            review("submitted", pr, id, login, "CHANGES_REQUESTED", Some("use 100 GB"), commit, at)
        };

        deliver(&db, "r-1", "pull_request_review", &changes(1, "stranger", &head)).await;
        deliver(&db, "r-2", "pull_request_review", &changes(2, "alice-gh", &head)).await;
        deliver(&db, "r-3", "pull_request_review", &changes(3, "dee-gh", &head)).await;
        deliver(&db, "r-4", "pull_request_review", &changes(4, "sam-gh", "0000000000000000000000000000000000000000"))
            .await;
        assert_eq!(status(&db, n).await, "in_review", "none of these count");
        let notes: Vec<(String, Option<String>)> =
            conversation(&db, n).await.into_iter().map(|c| (c.author, c.note)).collect();
        assert_eq!(
            notes,
            [
                ("stranger".to_owned(), Some("not counted: no Infradesk user has this GitHub login".to_owned())),
                (
                    "alice".to_owned(),
                    Some("not counted: you cannot decide on this request: it is your own request".to_owned())
                ),
                (
                    "dee".to_owned(),
                    Some(
                        "not counted: only members of a team this request is routed to (sre) can decide on it"
                            .to_owned()
                    )
                ),
                (
                    "sam".to_owned(),
                    Some("not counted: given for an older commit than the pull request's head".to_owned())
                ),
            ]
        );
        assert_same_as_rebuilt(&db, "after reviews that count for nothing").await;

        deliver(&db, "r-5", "pull_request_review", &changes(5, "sam-gh", &head)).await;
        assert_eq!(status(&db, n).await, "changes_requested");
        let (actor, details): (String, String) =
            sqlx::query_as("SELECT actor, details FROM audit_events WHERE action = 'request.changes_requested'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(actor, "github:r-5");
        let details: Value = serde_json::from_str(&details).unwrap();
        assert_eq!((details["comment"].as_str(), details["reviewer"].as_str()), (Some("use 100 GB"), Some("sam")));
        let last = conversation(&db, n).await.pop().unwrap();
        assert_eq!(
            (last.author.as_str(), last.kind.as_str(), last.body.as_str()),
            ("sam", "changes_requested", "use 100 GB")
        );
        assert_eq!(last.note, None);
        assert_same_as_rebuilt(&db, "after changes requested on GitHub").await;

        // Already waiting for the requester: a second one changes nothing and says why.
        deliver(&db, "r-6", "pull_request_review", &changes(6, "riley-gh", &head)).await;
        assert_eq!(status(&db, n).await, "changes_requested");
        assert_eq!(events_of(&db, n, "request.changes_requested").await, 1);
        let last = conversation(&db, n).await.pop().unwrap();
        assert!(last.note.as_deref().is_some_and(|n| n.starts_with("not counted: ")), "{last:?}");
        assert_eq!(outcome(&db, "r-6").await.0, "applied");
    })
    .await;
}

#[tokio::test]
async fn approvals_completed_while_changed_outside_approve_once_the_change_is_accepted() {
    each_db(|db| async move {
        let (s, w, n, _p) = opened_request(&db).await;
        reviewers(&db).await;
        routed(&db, n, 2, 0).await;
        map_github(&db, &[("sam", "sam-gh"), ("riley", "riley-gh")]).await;
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        let at = "2025-11-24T16:00:00Z";
        let approve = |id: i64, login: &str, commit: &str| {
            review("submitted", pull.number, id, login, "approved", None, commit, at)
        };

        deliver(&db, "r-1", "pull_request_review", &approve(1, "sam-gh", &pull.head_sha)).await;
        assert_same_as_rebuilt(&db, "after the first GitHub approval").await;
        let pushed = foreign_push(&s, &pull.branch, &format!("envs/dev/request-{n}.tf"), "# edited by hand\n");
        synchronize(&db, "p-1", pull.number, &pushed).await;
        assert!(backend::pulls::of_request(&db, n).await.unwrap().unwrap().changed_outside);
        deliver(&db, "r-2", "pull_request_review", &approve(2, "riley-gh", &pushed)).await;
        assert_eq!(status(&db, n).await, "in_review", "approvals wait for the change from outside");
        assert_eq!(review_state(&db, n).await.unwrap().tally.counted(), 2);
        assert_same_as_rebuilt(&db, "after the last GitHub approval, changed outside").await;

        backend::requests::accept_outside_change(&db, T0, n, &domain::audit::Actor::User("dee".into()), &pushed)
            .await
            .unwrap();
        assert_eq!(status(&db, n).await, "approved", "accepting the change counts the approvals again");
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM outbox_jobs WHERE request_id = {n} AND kind = 'merge_pr'")).await,
            1
        );
        let trail = events(&db, n).await;
        assert!(trail.ends_with(&["request.outside_change_accepted".into(), "request.approved".into()]), "{trail:?}");
        assert_same_as_rebuilt(&db, "after accepting").await;
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
    })
    .await;
}

#[tokio::test]
async fn approvals_completed_while_changed_outside_approve_once_the_requester_re_renders() {
    each_db(|db| async move {
        let (s, w, n, _p) = opened_request(&db).await;
        reviewers(&db).await;
        routed(&db, n, 2, 0).await;
        map_github(&db, &[("sam", "sam-gh"), ("riley", "riley-gh")]).await;
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        let at = "2025-11-24T16:00:00Z";
        let approve = |id: i64, login: &str, commit: &str| {
            review("submitted", pull.number, id, login, "approved", None, commit, at)
        };

        deliver(&db, "r-1", "pull_request_review", &approve(1, "sam-gh", &pull.head_sha)).await;
        let pushed = foreign_push(&s, &pull.branch, &format!("envs/dev/request-{n}.tf"), "# edited by hand\n");
        synchronize(&db, "p-1", pull.number, &pushed).await;
        deliver(&db, "r-2", "pull_request_review", &approve(2, "riley-gh", &pushed)).await;
        assert_eq!(status(&db, n).await, "in_review", "approvals wait for the change from outside");

        // The requester puts Infradesk's file back: the worker's push clears the mark and the
        // approvals given meanwhile approve the request.
        let alice = domain::audit::Actor::User("alice".into());
        backend::requests::rerender(&db, T0, n, &alice).await.unwrap();
        w.run_due().await.unwrap();
        assert!(!backend::pulls::of_request(&db, n).await.unwrap().unwrap().changed_outside);
        // One run of the worker pushes, approves, then merges (the merge job it queued is due).
        let trail = events(&db, n).await;
        let expected: Vec<String> =
            ["pull_request.updated", "request.approved", "request.merged"].map(String::from).to_vec();
        assert!(trail.ends_with(&expected), "the re-render counts the approvals again: {trail:?}");
        assert_same_as_rebuilt(&db, "after the re-render").await;
        assert_eq!(status(&db, n).await, "merged");
    })
    .await;
}
