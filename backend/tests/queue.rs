//! The approval queue on SQLite and PostgreSQL: requests in review routed to the reviewer's
//! teams, oldest first, filters and keyset pages without duplicates.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use backend::requests::{QueueQuery, queue};
use common::*;
use requests_fixtures::*;
use serde_json::json;

#[tokio::test]
async fn the_queue_lists_what_is_routed_to_my_teams_oldest_first_in_pages() {
    each_db(|db| async move {
        let p = people(&db).await;
        let db_module = module("rds-postgresql");
        let queue_module = module("sqs-queue");
        let mut numbers = Vec::new();
        for i in 0..7 {
            let m = if i % 2 == 0 { &db_module } else { &queue_module };
            let (key, name) = (format!("q-{i}"), format!("name-{i}"));
            let mut r = simple(&key, m, &name);
            r.user = (p.alice, "alice");
            let n = submit_simple(&db, T0 + i, r).await.unwrap().number();
            let teams: &[&str] = if i == 5 { &["dba"] } else { &["sre"] };
            let routing = json!({
                "rule": "t", "sla_hours": 8, "auto_approve": false,
                "reviewers": teams.iter().map(|t| json!({"team": t, "approvals": 1})).collect::<Vec<_>>()
            });
            sqlx::query("UPDATE request_revisions SET routing = $1 WHERE request_id = $2")
                .bind(routing.to_string())
                .bind(n)
                .execute(db.pool())
                .await
                .unwrap();
            sqlx::query("DELETE FROM request_routes WHERE request_id = $1").bind(n).execute(db.pool()).await.unwrap();
            for t in teams {
                sqlx::query("INSERT INTO request_routes (request_id, team_slug, approvals) VALUES ($1, $2, 1)")
                    .bind(n)
                    .bind(*t)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
            // #6 is still waiting for its pull request: not in the queue yet.
            if i != 6 {
                sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = $1")
                    .bind(n)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
            numbers.push(n);
        }
        let sre = |after| QueueQuery { teams: vec!["sre".into()], after, limit: 2, ..QueueQuery::default() };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = queue(&db, &sre(after)).await.unwrap();
            seen.extend(page.items.iter().map(|i| i.number));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let expected: Vec<i64> =
            numbers.iter().enumerate().filter(|(i, _)| *i != 5 && *i != 6).map(|(_, n)| *n).collect();
        assert_eq!(seen, expected, "oldest first, once each, only sre's, only in review");

        let dba =
            queue(&db, &QueueQuery { teams: vec!["dba".into()], limit: 50, ..QueueQuery::default() }).await.unwrap();
        assert_eq!(dba.items.iter().map(|i| i.number).collect::<Vec<_>>(), [numbers[5]]);
        let filtered = QueueQuery {
            teams: vec!["sre".into(), "dba".into()],
            module: Some("sqs-queue".into()),
            limit: 50,
            ..QueueQuery::default()
        };
        let got: Vec<i64> = queue(&db, &filtered).await.unwrap().items.iter().map(|i| i.number).collect();
        assert_eq!(got, [numbers[1], numbers[3], numbers[5]]);
        let none = QueueQuery { teams: vec![], limit: 50, ..QueueQuery::default() };
        assert!(queue(&db, &none).await.unwrap().items.is_empty(), "no reviewing team, no queue");
        let foreign =
            QueueQuery { teams: vec!["sre".into()], team: Some("dba".into()), limit: 50, ..QueueQuery::default() };
        assert!(queue(&db, &foreign).await.unwrap().items.is_empty(), "only my own teams");
    })
    .await;
}
