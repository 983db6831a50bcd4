//! Request store contract, listing: scopes, filters, search and keyset pages, on every
//! database.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use backend::Db;
use backend::requests::{ListQuery, Page, Scope, list, user_team_ids};
use common::*;
use domain::request::Status;
use requests_fixtures::*;

/// Creates `names.len()` requests in order (numbers ascending), one millisecond apart.
async fn create_many(db: &Db, p: &People, specs: &[(&str, &str, &str, &str)]) -> Vec<i64> {
    let mut numbers = Vec::new();
    for (i, (who, team, env, name)) in specs.iter().enumerate() {
        let user = match *who {
            "alice" => (p.alice, "alice"),
            "bob" => (p.bob, "bob"),
            _ => (p.carol, "carol"),
        };
        let key = format!("list-{i}");
        let module_id = if name.starts_with("topic") { "sns-topic" } else { "sqs-queue" };
        let m = module(module_id);
        let r = Simple { key: &key, user, team, module: &m, environment: env, name };
        numbers.push(submit_simple(db, T0 + i64::try_from(i).unwrap(), r).await.unwrap().number());
    }
    numbers
}

fn numbers(page: &Page) -> Vec<i64> {
    page.rows.iter().map(|r| r.number).collect()
}

#[tokio::test]
async fn lists_page_newest_first_without_duplicates() {
    each_db(|db| async move {
        let p = people(&db).await;
        let names: Vec<String> = (0..25).map(|i| format!("queue-{i}")).collect();
        let specs: Vec<_> = names.iter().map(|n| ("alice", "payments", "dev", n.as_str())).collect();
        let mut created = create_many(&db, &p, &specs).await;

        let mut q = ListQuery { limit: 10, ..ListQuery::new(Scope::All) };
        let mut pages = Vec::new();
        loop {
            let page = list(&db, &q).await.unwrap();
            pages.push(numbers(&page));
            match page.next_before {
                Some(before) => q.before = Some(before),
                None => break,
            }
            assert!(pages.len() < 10, "pagination does not end");
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        let all: Vec<i64> = pages.concat();
        created.reverse();
        assert_eq!(all, created, "newest first, each request exactly once");

        let first = list(&db, &ListQuery { limit: 1, ..ListQuery::new(Scope::All) }).await.unwrap();
        let row = &first.rows[0];
        assert_eq!(
            (row.number, row.module_id.as_str(), row.environment.as_str(), row.team.as_str()),
            (created[0], "sqs-queue", "dev", "payments")
        );
        assert_eq!(
            (row.instance_name.as_str(), row.status, row.requester.as_str()),
            ("queue-24", Status::PrPending, "alice")
        );
        assert_eq!((row.created_at_ms, row.updated_at_ms), (T0 + 24, T0 + 24));

        // The limit is clamped to 1..=100; an exactly full last page has no next page.
        assert_eq!(list(&db, &ListQuery { limit: 0, ..ListQuery::new(Scope::All) }).await.unwrap().rows.len(), 1);
        let big = list(&db, &ListQuery { limit: 1000, ..ListQuery::new(Scope::All) }).await.unwrap();
        assert_eq!((big.rows.len(), big.next_before), (25, None));
        let exact = list(&db, &ListQuery { limit: 25, ..ListQuery::new(Scope::All) }).await.unwrap();
        assert_eq!((exact.rows.len(), exact.next_before), (25, None));
        let after_last = ListQuery { before: Some(created[24]), ..ListQuery::new(Scope::All) };
        assert_eq!(list(&db, &after_last).await.unwrap(), Page::default());
    })
    .await;
}

#[tokio::test]
async fn list_scopes_and_filters() {
    each_db(|db| async move {
        let p = people(&db).await;
        let n = create_many(
            &db,
            &p,
            &[
                ("alice", "payments", "dev", "pay-one"),    // 0
                ("bob", "payments", "prod", "pay-two"),     // 1
                ("bob", "search", "dev", "search-one"),     // 2
                ("carol", "search", "prod", "topic-alpha"), // 3
                ("alice", "payments", "dev", "topic-beta"), // 4
            ],
        )
        .await;
        let rows = |q: ListQuery| {
            let db = db.clone();
            async move { numbers(&list(&db, &q).await.unwrap()) }
        };
        let scope = ListQuery::new;
        assert_eq!(rows(scope(Scope::All)).await, [n[4], n[3], n[2], n[1], n[0]]);
        assert_eq!(rows(scope(Scope::Mine { user_id: p.alice })).await, [n[4], n[0]]);
        assert_eq!(rows(scope(Scope::Mine { user_id: p.bob })).await, [n[2], n[1]]);
        assert_eq!(rows(scope(Scope::MyTeams { user_id: p.alice })).await, [n[4], n[1], n[0]]);
        assert_eq!(rows(scope(Scope::MyTeams { user_id: p.bob })).await, [n[4], n[3], n[2], n[1], n[0]]);
        assert_eq!(rows(scope(Scope::MyTeams { user_id: p.carol })).await, [n[3], n[2]]);
        assert_eq!(rows(scope(Scope::MyTeams { user_id: p.carol + 100 })).await, Vec::<i64>::new());

        let team_ids = user_team_ids(&db, p.bob).await.unwrap();
        assert_eq!(team_ids.len(), 2);
        assert_eq!(user_team_ids(&db, p.alice).await.unwrap().len(), 1);

        sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = $1 OR id = $2")
            .bind(n[1])
            .bind(n[3])
            .execute(db.pool())
            .await
            .unwrap();
        let in_review = |s: Scope| ListQuery { status: Some(Status::InReview), ..ListQuery::new(s) };
        assert_eq!(rows(in_review(Scope::All)).await, [n[3], n[1]]);
        assert_eq!(rows(in_review(Scope::MyTeams { user_id: p.alice })).await, [n[1]]);
        assert_eq!(rows(in_review(Scope::Mine { user_id: p.alice })).await, Vec::<i64>::new());
        let page = list(&db, &in_review(Scope::All)).await.unwrap();
        assert!(page.rows.iter().all(|r| r.status == Status::InReview));

        let prod = ListQuery { environment: Some("prod".into()), ..scope(Scope::All) };
        assert_eq!(rows(prod).await, [n[3], n[1]]);
        let topics = ListQuery { module: Some("sns-topic".into()), ..scope(Scope::All) };
        assert_eq!(rows(topics).await, [n[4], n[3]]);
        let combined = ListQuery {
            module: Some("sqs-queue".into()),
            environment: Some("dev".into()),
            status: Some(Status::PrPending),
            ..scope(Scope::MyTeams { user_id: p.bob })
        };
        assert_eq!(rows(combined).await, [n[2], n[0]]);
    })
    .await;
}

#[tokio::test]
async fn search_by_number_or_literal_name_substring() {
    each_db(|db| async move {
        let p = people(&db).await;
        // The store does not judge names (the form does), so these reach the LIKE pattern.
        let n = create_many(
            &db,
            &p,
            &[
                ("alice", "payments", "dev", "a_b"),       // 0
                ("alice", "payments", "dev", "axb"),       // 1
                ("alice", "payments", "dev", "a%c"),       // 2
                ("alice", "payments", "dev", "abc"),       // 3
                ("alice", "payments", "dev", "Orders-DB"), // 4
                ("alice", "payments", "dev", "back\\x"),   // 5
            ],
        )
        .await;
        let search = |text: &str| {
            let db = db.clone();
            let q = ListQuery { search: Some(text.to_owned()), ..ListQuery::new(Scope::All) };
            async move { numbers(&list(&db, &q).await.unwrap()) }
        };
        assert_eq!(search(&format!("#{}", n[2])).await, [n[2]]);
        assert_eq!(search(&format!(" {} ", n[3])).await, [n[3]]);
        assert_eq!(search("#999999").await, Vec::<i64>::new());
        assert_eq!(search("#99999999999999999999999").await, Vec::<i64>::new());
        assert_eq!(search("_").await, [n[0]]);
        assert_eq!(search("a_b").await, [n[0]]);
        assert_eq!(search("%").await, [n[2]]);
        assert_eq!(search("a%").await, [n[2]]);
        assert_eq!(search("\\").await, [n[5]]);
        assert_eq!(search("b").await, [n[5], n[4], n[3], n[1], n[0]]);
        assert_eq!(search("orders").await, [n[4]]);
        assert_eq!(search("DERS-d").await, [n[4]]);
        assert_eq!(search("   ").await.len(), 6, "blank search is no filter");
        let mine = ListQuery { search: Some("a".into()), ..ListQuery::new(Scope::Mine { user_id: p.bob }) };
        assert_eq!(numbers(&list(&db, &mine).await.unwrap()), Vec::<i64>::new());
    })
    .await;
}
