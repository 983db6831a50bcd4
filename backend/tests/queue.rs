//! The approval queue on SQLite and PostgreSQL, driven by real submissions, pull requests and
//! decisions: open requests routed to the reviewer's teams and still needing them, oldest
//! first, keyset pages without duplicates, the status and "needs me" filters, the counts per
//! filter, and `review_queue` always equal to what a rebuild from scratch computes.
#![allow(clippy::unwrap_used)]

mod common;
mod decision_fixtures;
mod outbox_fixtures;
mod requests_fixtures;

use backend::Db;
use backend::requests::{DecisionKind, QueueCounts, QueueQuery, QueueStatus, queue, queue_counts};
use common::queue_check::assert_same_as_rebuilt;
use common::*;
use decision_fixtures::*;
use domain::identity::Me;
use outbox_fixtures::*;
use requests_fixtures::*;
use sqlx::Row;

fn query_for(me: &Me) -> QueueQuery {
    QueueQuery {
        teams: me.teams.iter().filter(|t| t.reviewing).map(|t| t.slug.clone()).collect(),
        user_id: me.id,
        limit: 50,
        ..QueueQuery::default()
    }
}

async fn listed(db: &Db, q: &QueueQuery) -> Vec<i64> {
    queue(db, q).await.unwrap().items.iter().map(|i| i.number).collect()
}

/// Makes request `n` look submitted at `at_ms` (before its pull request is opened).
async fn age(db: &Db, n: i64, at_ms: i64) {
    sqlx::query("UPDATE requests SET created_at_ms = $1 WHERE id = $2")
        .bind(at_ms)
        .bind(n)
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_queue_follows_submissions_decisions_and_edits() {
    each_db(|db| async move {
        let p = people(&db).await;
        let team = reviewers(&db).await;
        let (sam, riley, dee) = (&team[0], &team[1], &team[2]);
        let s = setup();
        let w = worker(&db, &s);
        // x: sre × 2; y: sre × 1 and dba × 1; z: dba × 1; v: still waiting for its pull request.
        let mut numbers = Vec::new();
        for (i, (name, sre, dba)) in [("x-db", 2, 0), ("y-db", 1, 1), ("z-db", 0, 1)].into_iter().enumerate() {
            let n = submit(&db, &format!("k-{name}"), name, p.alice).await;
            route(&db, n, sre, dba).await;
            age(&db, n, T0 - 3 + i as i64).await;
            numbers.push(n);
        }
        let [x, y, z] = numbers[..] else { unreachable!() };
        w.run_due().await.unwrap();
        let v = submit(&db, "k-v-db", "v-db", p.alice).await;
        assert_same_as_rebuilt(&db, "pull requests opened").await;

        assert_eq!(listed(&db, &query_for(riley)).await, [x, y], "riley (sre): oldest first, not dba's z, not v");
        assert_eq!(listed(&db, &query_for(dee)).await, [y, z]);
        assert_eq!(listed(&db, &query_for(sam)).await, [x, y, z], "sam (sre and dba): y once");
        let only_dba = QueueQuery { team: Some("dba".into()), ..query_for(sam) };
        assert_eq!(listed(&db, &only_dba).await, [y, z]);
        let foreign = QueueQuery { team: Some("security".into()), ..query_for(sam) };
        assert!(listed(&db, &foreign).await.is_empty(), "only my own teams");
        let nobody = QueueQuery { teams: vec![], ..query_for(sam) };
        assert!(listed(&db, &nobody).await.is_empty(), "no reviewing team, no queue");
        assert!(!listed(&db, &query_for(sam)).await.contains(&v));

        // sam approves x: sre still needs one more, but not from sam.
        decide_as(&db, sam, x, DecisionKind::Approve, "").await.unwrap();
        assert_same_as_rebuilt(&db, "one approval of two").await;
        let mine = |me: &Me| QueueQuery { needs_me: true, ..query_for(me) };
        assert_eq!(listed(&db, &mine(sam)).await, [y, z], "sam approved x already");
        assert_eq!(listed(&db, &mine(riley)).await, [x, y]);
        let page = queue(&db, &query_for(riley)).await.unwrap();
        assert_eq!(page.items[0].waiting_on, [("sre".to_owned(), 1)]);
        assert!(page.items[0].needs_me);
        assert!(!queue(&db, &query_for(sam)).await.unwrap().items[0].needs_me);

        let counts = queue_counts(&db, &query_for(sam)).await.unwrap();
        assert_eq!(
            counts,
            QueueCounts {
                listed: 3,
                teams: vec![("sre".into(), 2), ("dba".into(), 2)],
                statuses: vec![(QueueStatus::InReview, 3), (QueueStatus::ChangesRequested, 0), (QueueStatus::Open, 3)],
                environments: vec![("dev".into(), 3)],
                modules: vec![("rds-postgresql".into(), 3)],
                needs_me: 2,
            }
        );

        // riley sends y back: it leaves the default list and is found under its status.
        decide_as(&db, riley, y, DecisionKind::RequestChanges, "smaller, please").await.unwrap();
        assert_same_as_rebuilt(&db, "changes requested").await;
        let with = |status| QueueQuery { status, ..query_for(riley) };
        assert_eq!(listed(&db, &with(QueueStatus::InReview)).await, [x]);
        assert_eq!(listed(&db, &with(QueueStatus::ChangesRequested)).await, [y]);
        assert_eq!(listed(&db, &with(QueueStatus::Open)).await, [x, y]);
        let open_mine = QueueQuery { needs_me: true, ..with(QueueStatus::Open) };
        assert_eq!(listed(&db, &open_mine).await, [x], "nobody can approve while changes are requested");
        let counts = queue_counts(&db, &query_for(riley)).await.unwrap();
        assert_eq!(counts.statuses[1], (QueueStatus::ChangesRequested, 1));
        assert_eq!((counts.listed, counts.needs_me), (1, 1));

        // alice edits y: back in review, and everyone's earlier approvals are dismissed.
        let edit = backend::requests::Edit {
            number: y,
            expected_version: version(&db, y).await,
            author_id: p.alice,
            author_login: "alice",
            inputs: &[],
            form: &Default::default(),
            routing: serde_json::json!({"rule": "t", "reviewers": [{"team": "sre", "approvals": 1}], "sla_hours": 8, "auto_approve": false}),
            checks: &[],
            justification: "smaller",
            rendered: backend::requests::Rendered { content: "# v2\n".into(), path: format!("envs/dev/request-{y}.tf") },
        };
        backend::requests::edit(&db, T0, edit).await.unwrap();
        w.run_due().await.unwrap();
        assert_same_as_rebuilt(&db, "edited").await;
        assert_eq!(listed(&db, &query_for(riley)).await, [x, y]);
        assert_eq!(listed(&db, &query_for(dee)).await, [z], "revision 2 is routed to sre only");

        // The last approvals: approved requests leave the queue and their rows go.
        decide_as(&db, riley, x, DecisionKind::Approve, "").await.unwrap();
        decide_as(&db, dee, z, DecisionKind::Approve, "").await.unwrap();
        assert_same_as_rebuilt(&db, "approved").await;
        assert_eq!(listed(&db, &query_for(sam)).await, [y]);
        let left: i64 = sqlx::query("SELECT COUNT(*) FROM review_queue").fetch_one(db.pool()).await.unwrap().get(0);
        assert_eq!(left, 1, "only y is open work");
    })
    .await;
}

#[tokio::test]
async fn pages_filters_and_counts_agree() {
    each_db(|db| async move {
        let p = people(&db).await;
        let team = reviewers(&db).await;
        let riley = &team[1];
        let s = setup();
        let w = worker(&db, &s);
        let mut numbers = Vec::new();
        for i in 0..7 {
            let m = module(if i % 2 == 0 { "rds-postgresql" } else { "sqs-queue" });
            let (key, name) = (format!("q-{i}"), format!("name-{i}"));
            let mut r = simple(&key, &m, &name);
            r.user = (p.alice, "alice");
            let n = submit_simple(&db, T0, r).await.unwrap().number();
            route(&db, n, 1, 0).await;
            age(&db, n, T0 - 7 + i).await;
            numbers.push(n);
        }
        w.run_due().await.unwrap();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = queue(&db, &QueueQuery { after, limit: 2, ..query_for(riley) }).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.iter().map(|i| i.number));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, numbers, "oldest first, once each");

        let sqs = QueueQuery { module: Some("sqs-queue".into()), ..query_for(riley) };
        let got = listed(&db, &sqs).await;
        assert_eq!(got, [numbers[1], numbers[3], numbers[5]]);
        let counts = queue_counts(&db, &sqs).await.unwrap();
        assert_eq!(counts.listed, got.len() as i64, "the count is what the page lists");
        assert_eq!(counts.modules, [("rds-postgresql".to_owned(), 4), ("sqs-queue".to_owned(), 3)]);
        let nothing = QueueQuery { environment: Some("prod".into()), ..sqs };
        assert!(listed(&db, &nothing).await.is_empty());
        assert_eq!(queue_counts(&db, &nothing).await.unwrap().listed, 0);
    })
    .await;
}
