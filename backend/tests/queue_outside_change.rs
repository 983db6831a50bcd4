//! The approval queue while a pull request is marked as changed outside Infradesk, on SQLite
//! and PostgreSQL: a request whose approvals completed meanwhile stays listed for its routed
//! teams, waiting on a reviewer to accept the change (or a re-render), with "needs me" for
//! routed reviewers outside the requesting team only; it leaves the queue once approved — with
//! `review_queue` equal to its rebuild after every step.
#![allow(clippy::unwrap_used)]

mod common;
mod decision_fixtures;
mod github_fixtures;
mod outbox_fixtures;
mod requests_fixtures;

use backend::Db;
use backend::accounts;
use backend::requests::{QueueItem, QueueQuery, queue, queue_counts};
use common::queue_check::assert_same_as_rebuilt;
use common::*;
use decision_fixtures::*;
use domain::audit::Actor;
use github_fixtures::*;
use outbox_fixtures::*;

fn query(user_id: i64, teams: &[&str]) -> QueueQuery {
    QueueQuery { teams: teams.iter().map(|t| (*t).to_owned()).collect(), user_id, limit: 50, ..QueueQuery::default() }
}

async fn items(db: &Db, q: &QueueQuery) -> Vec<QueueItem> {
    queue(db, q).await.unwrap().items
}

/// A request routed to sre × 1 and dba × 1, by alice (payments), with bob — alice's teammate —
/// also a reviewer in sre. riley approves on GitHub, then someone pushes to the branch, then
/// dee approves the pushed head: the approvals are complete, the request is still in review.
/// Returns (setup, worker, request, pushed head, [sam, riley, dee ids], bob's id).
async fn flagged_with_complete_approvals(
    db: &Db,
) -> (Setup, backend::outbox::worker::Worker, i64, String, [i64; 3], i64) {
    let (s, w, n, p) = opened_request(db).await;
    let team = reviewers(db).await;
    let ids = [team[0].id, team[1].id, team[2].id];
    accounts::add_member(db, &admin(), T0, "sre", "bob").await.unwrap();
    routed(db, n, 1, 1).await;
    map_github(db, &[("riley", "riley-gh"), ("dee", "dee-gh")]).await;
    let pull = backend::pulls::of_request(db, n).await.unwrap().unwrap();

    deliver(db, "r-1", "pull_request_review", &approval(pull.number, 1, "riley-gh", &pull.head_sha)).await;
    assert_same_as_rebuilt(db, "after riley's approval").await;
    let pushed = foreign_push(&s, &pull.branch, &format!("envs/dev/request-{n}.tf"), "# edited by hand\n");
    synchronize(db, "p-1", pull.number, &pushed).await;
    assert!(backend::pulls::of_request(db, n).await.unwrap().unwrap().changed_outside);
    assert_same_as_rebuilt(db, "after the push from outside").await;
    let dee = items(db, &query(ids[2], &["dba"])).await;
    assert_eq!(dee.len(), 1);
    assert_eq!(dee[0].waiting_on, [("dba".to_owned(), 1)], "approvals still needed: the usual count");
    assert!(!dee[0].waits_for_outside_change());

    deliver(db, "r-2", "pull_request_review", &approval(pull.number, 2, "dee-gh", &pushed)).await;
    assert_eq!(status(db, n).await, "in_review", "approvals wait for the change from outside");
    assert_eq!(backend::requests::review_state(db, n).await.unwrap().tally.counted(), 2);
    assert_same_as_rebuilt(db, "after the last approval, changed outside").await;
    (s, w, n, pushed, ids, p.bob)
}

#[tokio::test]
async fn complete_approvals_waiting_on_an_outside_change_stay_listed_until_accepted() {
    each_db(|db| async move {
        let (_s, w, n, pushed, [sam, riley, dee], bob) = flagged_with_complete_approvals(&db).await;

        // Every routed team keeps the request, waiting on someone to accept the change.
        let rows =
            count(&db, &format!("SELECT COUNT(*) FROM review_queue WHERE request_id = {n} AND needed = 0")).await;
        assert_eq!(rows, 2, "one row per routed team, none needing approvals");
        for (who, teams) in [(riley, &["sre"][..]), (dee, &["dba"][..]), (sam, &["sre", "dba"][..])] {
            let listed = items(&db, &query(who, teams)).await;
            assert_eq!(listed.iter().map(|i| i.number).collect::<Vec<_>>(), [n], "{teams:?}");
            let item = &listed[0];
            assert!(item.waits_for_outside_change(), "{item:?}");
            assert!(item.waiting_on.iter().all(|(_, needed)| *needed == 0), "{item:?}");
            assert_eq!(item.waiting_on.len(), teams.len());
            // riley and dee approved, and may still accept the change: it needs them.
            assert!(item.needs_me, "a routed reviewer outside the requesting team may accept: {teams:?}");
            let mine = QueueQuery { needs_me: true, ..query(who, teams) };
            assert_eq!(items(&db, &mine).await.len(), 1);
            let counts = queue_counts(&db, &query(who, teams)).await.unwrap();
            assert_eq!((counts.listed, counts.needs_me), (1, 1), "{teams:?}");
        }
        // bob reviews for sre but is in the requesting team: listed, never "needs me".
        let bobs = items(&db, &query(bob, &["sre"])).await;
        assert_eq!(bobs.len(), 1);
        assert!(bobs[0].waits_for_outside_change() && !bobs[0].needs_me);
        assert!(items(&db, &QueueQuery { needs_me: true, ..query(bob, &["sre"]) }).await.is_empty());
        let counts = queue_counts(&db, &query(bob, &["sre"])).await.unwrap();
        assert_eq!((counts.listed, counts.needs_me), (1, 0));

        // Accepting the change approves the request: it leaves every queue.
        backend::requests::accept_outside_change(&db, T0, n, &Actor::User("dee".into()), &pushed).await.unwrap();
        assert_eq!(status(&db, n).await, "approved");
        assert_same_as_rebuilt(&db, "after accepting").await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM review_queue").await, 0);
        assert!(items(&db, &query(sam, &["sre", "dba"])).await.is_empty());
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        assert_same_as_rebuilt(&db, "after the merge").await;
    })
    .await;
}

#[tokio::test]
async fn complete_approvals_waiting_on_an_outside_change_leave_the_queue_once_re_rendered() {
    each_db(|db| async move {
        let (_s, w, n, _pushed, [_, riley, _], _bob) = flagged_with_complete_approvals(&db).await;
        assert_eq!(items(&db, &query(riley, &["sre"])).await.len(), 1);

        backend::requests::rerender(&db, T0, n, &Actor::User("alice".into())).await.unwrap();
        assert_same_as_rebuilt(&db, "re-render asked").await;
        assert_eq!(items(&db, &query(riley, &["sre"])).await.len(), 1, "still waiting until the push");
        w.run_due().await.unwrap();
        assert!(!backend::pulls::of_request(&db, n).await.unwrap().unwrap().changed_outside);
        assert_eq!(status(&db, n).await, "merged", "the re-render counts the approvals, the merge follows");
        assert_same_as_rebuilt(&db, "after the re-render").await;
        assert!(items(&db, &query(riley, &["sre"])).await.is_empty());
    })
    .await;
}

/// The webhook that sets or clears the mark rewrites the rows in its own transaction: a head
/// pushed back to Infradesk's own clears it, and the rows follow.
#[tokio::test]
async fn the_branch_pushed_back_to_infradesks_head_approves_with_the_approvals_given_meanwhile() {
    each_db(|db| async move {
        let (_s, w, n, _pushed, _, _) = flagged_with_complete_approvals(&db).await;
        let pull = backend::pulls::of_request(&db, n).await.unwrap().unwrap();
        synchronize(&db, "p-22", pull.number, &pull.rendered_head).await;
        assert!(!backend::pulls::of_request(&db, n).await.unwrap().unwrap().changed_outside);
        assert_eq!(status(&db, n).await, "approved", "the approvals count once the mark is gone");
        assert!(events(&db, n).await.ends_with(&["request.approved".into()]));
        assert_same_as_rebuilt(&db, "after the branch went back to Infradesk's head").await;
        w.run_due().await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
    })
    .await;
}
