//! The audit page's search and the export stream, on every database: each filter (and a few
//! combinations) returns exactly the events it should, newest first, through keyset pages
//! without duplicates or gaps; each single filter's page query is served by its index (the
//! plan each database chooses); the export stream yields the same events as the pages.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use backend::Db;
use backend::audit::search::{self, Filter, PageQuery};
use backend::audit::{self, Entry};
use backend::db::Dialect;
use common::*;
use domain::audit::{Actor, AuditEvent};
use futures_util::TryStreamExt;
use sqlx::Row;

/// What the test knows about each event it wrote.
#[derive(Clone, Debug)]
struct Known {
    seq: i64,
    at_ms: i64,
    actor: String,
    action: String,
    subject: String,
}

/// Request number → (team, environment, module).
type Scopes = HashMap<i64, (&'static str, &'static str, &'static str)>;

enum V<'a> {
    T(&'a str),
    I(i64),
}

async fn exec(db: &Db, sql: &str, values: &[V<'_>]) {
    let mut q = sqlx::query(sql);
    for v in values {
        q = match v {
            V::T(t) => q.bind(*t),
            V::I(i) => q.bind(*i),
        };
    }
    q.execute(db.pool()).await.unwrap();
}

/// Three requests in two teams, two environments and two modules.
async fn requests(db: &Db) -> Scopes {
    exec(
        db,
        "INSERT INTO users (login, name, password_hash, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5)",
        &[V::T("alice"), V::T("Alice"), V::T("not-a-hash"), V::I(T0), V::I(T0)],
    )
    .await;
    for team in ["payments", "checkout"] {
        exec(
            db,
            "INSERT INTO teams (slug, name, created_at_ms) VALUES ($1, $2, $3)",
            &[V::T(team), V::T(team), V::I(T0)],
        )
        .await;
    }
    let specs =
        [("payments", "dev", "s3-bucket"), ("checkout", "prod", "rds-postgresql"), ("payments", "prod", "s3-bucket")];
    let mut scopes = Scopes::new();
    for (i, (team, env, module)) in specs.into_iter().enumerate() {
        let key = format!("key-{i}");
        let name = format!("thing-{i}");
        exec(
            db,
            "INSERT INTO requests (team_id, requester_id, module_id, environment, instance_name, status, current_revision, \
             idempotency_key, created_at_ms, updated_at_ms) \
             SELECT t.id, u.id, $1, $2, $3, 'in_review', 1, $4, $5, $6 FROM teams t, users u WHERE t.slug = $7 AND u.login = 'alice'",
            &[V::T(module), V::T(env), V::T(&name), V::T(&key), V::I(T0), V::I(T0), V::T(team)],
        )
        .await;
        let id: i64 = sqlx::query("SELECT id FROM requests WHERE idempotency_key = $1")
            .bind(&key)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        scopes.insert(id, (team, env, module));
    }
    scopes
}

/// 60 events with a mix of actors, actions and subjects, one second apart, except that two
/// events carry earlier times than the ones before them (two writers a little out of step).
async fn events(db: &Db) -> Vec<Known> {
    let actors = [Actor::User("alice".into()), Actor::User("bob".into()), Actor::Cli("ops".into()), Actor::System];
    let actions = ["request.submitted", "request.commented", "auth.signed_in", "config.loaded", "request.approved"];
    let subjects = ["request:1", "request:2", "request:3", "user:alice", "config", "request:2", "team:payments"];
    let mut known = Vec::new();
    for i in 0..60_i64 {
        let idx = |n: usize, k: i64| usize::try_from(k).unwrap() % n;
        let actor = &actors[idx(actors.len(), i * 3 + i / 7)];
        let action = actions[idx(actions.len(), i * 2 + i / 5)];
        let subject = subjects[idx(subjects.len(), i)];
        let at_ms = match i {
            20 => T0 + 5_000,
            41 => T0 + 40_000,
            _ => T0 + i * 1_000,
        };
        let e = audit::record(db, at_ms, Entry { actor, action, subject, details: serde_json::json!({ "i": i }) })
            .await
            .unwrap();
        known.push(Known { seq: e.seq, at_ms, actor: e.actor, action: e.action, subject: e.subject });
    }
    known
}

fn matches(k: &Known, f: &Filter, scopes: &Scopes) -> bool {
    let scope = k.subject.strip_prefix("request:").and_then(|n| n.parse::<i64>().ok()).and_then(|n| scopes.get(&n));
    f.through_seq.is_none_or(|t| k.seq <= t)
        && f.from_ms.is_none_or(|from| k.at_ms >= from)
        && f.until_ms.is_none_or(|until| k.at_ms < until)
        && f.actor.as_ref().is_none_or(|a| *a == k.actor)
        && f.action.as_ref().is_none_or(|a| *a == k.action)
        && f.request.is_none_or(|n| k.subject == format!("request:{n}"))
        && f.team.as_ref().is_none_or(|t| scope.is_some_and(|s| s.0 == t))
        && f.environment.as_ref().is_none_or(|e| scope.is_some_and(|s| s.1 == e))
        && f.module.as_ref().is_none_or(|m| scope.is_some_and(|s| s.2 == m))
}

/// The expected page order: by seq, or by (time, seq) for a time range alone.
fn expected(known: &[Known], f: &Filter, scopes: &Scopes) -> Vec<i64> {
    let mut hits: Vec<&Known> = known.iter().filter(|k| matches(k, f, scopes)).collect();
    if f.by_time() {
        hits.sort_by_key(|k| std::cmp::Reverse((k.at_ms, k.seq)));
    } else {
        hits.sort_by_key(|k| std::cmp::Reverse(k.seq));
    }
    hits.iter().map(|k| k.seq).collect()
}

/// Every page of `limit` events, followed through `next_before`.
async fn all_pages(db: &Db, f: &Filter, limit: i64) -> Vec<i64> {
    let mut seqs = Vec::new();
    let mut before = None;
    for _ in 0..1000 {
        let page = search::page(db, f, before, limit).await.unwrap();
        assert!(i64::try_from(page.events.len()).unwrap() <= limit);
        seqs.extend(page.events.iter().map(|e| e.seq));
        match page.next_before {
            Some(b) => before = Some(b),
            None => return seqs,
        }
    }
    panic!("paging never ended for {f:?}");
}

fn filters() -> Vec<(&'static str, Filter)> {
    let text = |s: &str| Some(s.to_owned());
    let f = Filter::default;
    vec![
        ("none", f()),
        ("actor", Filter { actor: text("user:alice"), ..f() }),
        ("action", Filter { action: text("request.commented"), ..f() }),
        ("request", Filter { request: Some(2), ..f() }),
        ("team", Filter { team: text("payments"), ..f() }),
        ("environment", Filter { environment: text("prod"), ..f() }),
        ("module", Filter { module: text("s3-bucket"), ..f() }),
        ("from", Filter { from_ms: Some(T0 + 30_000), ..f() }),
        ("until", Filter { until_ms: Some(T0 + 12_000), ..f() }),
        ("from-until", Filter { from_ms: Some(T0 + 4_000), until_ms: Some(T0 + 41_000), ..f() }),
        ("team+actor", Filter { team: text("payments"), actor: text("cli:ops"), ..f() }),
        (
            "environment+time",
            Filter { environment: text("prod"), from_ms: Some(T0 + 10_000), until_ms: Some(T0 + 50_000), ..f() },
        ),
        ("request+action", Filter { request: Some(1), action: text("request.submitted"), ..f() }),
        ("module+environment", Filter { module: text("s3-bucket"), environment: text("dev"), ..f() }),
        ("nothing", Filter { actor: text("user:nobody"), ..f() }),
        ("through", Filter { team: text("checkout"), through_seq: Some(30), ..f() }),
    ]
}

#[tokio::test]
async fn each_filter_returns_exactly_its_events_page_by_page() {
    each_db(|db| async move {
        let scopes = requests(&db).await;
        let known = events(&db).await;
        for (name, f) in filters() {
            let want = expected(&known, &f, &scopes);
            if !matches!(name, "nothing") {
                assert!(!want.is_empty(), "{name}: the fixture should have events for it");
            }
            assert_eq!(all_pages(&db, &f, 1000).await, want, "{name} in one page");
            assert_eq!(all_pages(&db, &f, 3).await, want, "{name} in pages of 3");
            assert_eq!(all_pages(&db, &f, 1).await, want, "{name} in pages of 1");
        }
        // The time-ordered view really differs where the clock went backwards: event 21
        // (i = 20) is at T0+5s, so it is listed among the early events.
        let early = expected(&known, &Filter { until_ms: Some(T0 + 6_000), ..Filter::default() }, &scopes);
        assert_eq!(early[0], 21, "{early:?}");
    })
    .await;
}

#[tokio::test]
async fn a_cursor_past_either_end_is_harmless() {
    each_db(|db| async move {
        let scopes = requests(&db).await;
        let known = events(&db).await;
        for (name, f) in filters() {
            let want = expected(&known, &f, &scopes);
            let past_end = search::page(&db, &f, Some(1_000_000), 1000).await.unwrap();
            assert_eq!(past_end.events.iter().map(|e| e.seq).collect::<Vec<_>>(), want, "{name}");
            let before_start = search::page(&db, &f, Some(1), 1000).await.unwrap();
            let older: Vec<i64> = before_start.events.iter().map(|e| e.seq).collect();
            if !f.by_time() {
                assert!(older.is_empty(), "{name}: nothing is older than event 1: {older:?}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_export_stream_yields_the_pages_events_and_stops_at_its_snapshot() {
    each_db(|db| async move {
        let scopes = requests(&db).await;
        let known = events(&db).await;
        for (name, mut f) in filters() {
            f.through_seq = f.through_seq.or(Some(55));
            let want = expected(&known, &f, &scopes);
            let pages: Vec<Vec<AuditEvent>> = audit::export::pages(db.clone(), f.clone()).try_collect().await.unwrap();
            let got: Vec<i64> = pages.iter().flatten().map(|e| e.seq).collect();
            assert_eq!(got, want, "{name}");
        }
        // The encoded stream: a header, then one line per event.
        let f = Filter { team: Some("payments".into()), ..Filter::default() };
        let chunks: Vec<Vec<u8>> =
            audit::export::encoded(db.clone(), f.clone(), audit::export::Format::Csv).try_collect().await.unwrap();
        let text = String::from_utf8(chunks.concat()).unwrap();
        assert!(text.starts_with("seq,at,at_ms,actor,action,subject,details,prev_hash,hash\n"), "{text}");
        assert_eq!(text.lines().count(), 1 + expected(&known, &f, &scopes).len());
    })
    .await;
}

/// The index each single filter's page query must be served by.
fn index_for(name: &str, dialect: Dialect) -> &'static str {
    match (name, dialect) {
        ("none", Dialect::Sqlite) => "INTEGER PRIMARY KEY",
        ("none", Dialect::Postgres) => "audit_events_pkey",
        ("actor", _) => "audit_events_actor",
        ("action", _) => "audit_events_action",
        ("request", _) => "audit_events_subject",
        ("team", _) => "audit_request_scope_team",
        ("environment", _) => "audit_request_scope_environment",
        ("module", _) => "audit_request_scope_module",
        _ => "audit_events_at",
    }
}

/// The plan of a page query (with a cursor) as text, one line per node.
async fn plan(db: &Db, f: &Filter) -> String {
    let q = PageQuery::build(f, Some((T0 + 50_000, 50)), 51);
    match db.dialect() {
        Dialect::Sqlite => {
            let sql = format!("EXPLAIN QUERY PLAN {}", q.sql);
            let rows = q.bind_to(sqlx::query(&sql)).fetch_all(db.pool()).await.unwrap();
            rows.iter().map(|r| r.try_get::<String, _>("detail").unwrap()).collect::<Vec<_>>().join("\n")
        }
        Dialect::Postgres => {
            // On a table of 60 rows a sequential scan is cheapest; what matters here is that
            // an ordered index path exists, which is what the planner takes on a large table.
            let mut conn = db.pool().acquire().await.unwrap();
            for s in ["SET enable_seqscan = off", "SET enable_sort = off", "SET enable_bitmapscan = off"] {
                sqlx::query(s).execute(&mut *conn).await.unwrap();
            }
            let sql = format!("EXPLAIN {}", q.sql);
            let rows = q.bind_to(sqlx::query(&sql)).fetch_all(&mut *conn).await.unwrap();
            for s in ["RESET enable_seqscan", "RESET enable_sort", "RESET enable_bitmapscan"] {
                sqlx::query(s).execute(&mut *conn).await.unwrap();
            }
            rows.iter().map(|r| r.try_get::<String, _>(0).unwrap()).collect::<Vec<_>>().join("\n")
        }
    }
}

#[tokio::test]
async fn each_single_filter_is_served_by_its_index_in_page_order() {
    each_db(|db| async move {
        requests(&db).await;
        events(&db).await;
        let singles =
            ["none", "actor", "action", "request", "team", "environment", "module", "from", "until", "from-until"];
        for (name, f) in filters().into_iter().filter(|(n, _)| singles.contains(n)) {
            let plan = plan(&db, &f).await;
            eprintln!("--- {name} ({:?}):\n{plan}", db.dialect());
            assert!(plan.contains(index_for(name, db.dialect())), "{name}: {plan}");
            match db.dialect() {
                Dialect::Sqlite => assert!(!plan.contains("TEMP B-TREE"), "{name} sorts: {plan}"),
                Dialect::Postgres => {
                    let sorts =
                        plan.lines().filter(|l| l.contains("Sort  (") && !l.contains("Incremental Sort")).count();
                    assert_eq!(sorts, 0, "{name} sorts: {plan}");
                    assert!(!plan.contains("Seq Scan"), "{name} scans: {plan}");
                }
            }
        }
    })
    .await;
}
