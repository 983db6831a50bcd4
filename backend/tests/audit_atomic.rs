//! A change and its audit event commit together or not at all, on SQLite and PostgreSQL. A
//! trigger installed by the test makes the database refuse one action's event; the change
//! that writes it must then fail and leave no trace: no row, no status or version moved, no
//! outbox job, no queue row, and the chain's head where it was.
#![allow(clippy::unwrap_used)]

mod common;
mod requests_fixtures;

use backend::accounts::{self, NewTeam};
use backend::{Db, Dialect, requests};
use common::*;
use domain::audit::Actor;
use domain::request::transition::Role;
use requests_fixtures::{module, people, simple, submit_simple};
use sqlx::Row;

/// Makes the database refuse any audit event with `action`, as a failing append would.
async fn refuse_events(db: &Db, action: &str) {
    let statements: Vec<String> = match db.dialect() {
        Dialect::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_event BEFORE INSERT ON audit_events WHEN NEW.action = '{action}' \
             BEGIN SELECT RAISE(ABORT, 'audit append refused by the test'); END"
        )],
        Dialect::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.action = '{action}' THEN RAISE EXCEPTION 'audit append refused by the test'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_event BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_event()"
                .to_owned(),
        ],
    };
    let mut tx = db.begin_write().await.unwrap();
    for sql in statements {
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn allow_events(db: &Db) {
    let statements: &[&str] = match db.dialect() {
        Dialect::Sqlite => &["DROP TRIGGER refuse_event"],
        Dialect::Postgres => &["DROP TRIGGER refuse_event ON audit_events", "DROP FUNCTION refuse_event()"],
    };
    let mut tx = db.begin_write().await.unwrap();
    for sql in statements {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Everything a refused change could have left behind.
async fn snapshot(db: &Db) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for (name, sql) in [
        ("users", "SELECT COUNT(*) FROM users"),
        ("teams", "SELECT COUNT(*) FROM teams"),
        ("members", "SELECT COUNT(*) FROM team_members"),
        ("requests", "SELECT COUNT(*) FROM requests"),
        ("revisions", "SELECT COUNT(*) FROM request_revisions"),
        ("versions", "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM requests"),
        ("outbox", "SELECT COUNT(*) FROM outbox_jobs"),
        ("queue", "SELECT COUNT(*) FROM review_queue"),
        ("events", "SELECT COUNT(*) FROM audit_events"),
        ("head", "SELECT seq FROM audit_head WHERE id = 1"),
    ] {
        out.push((name.to_owned(), count(db, sql).await));
    }
    let statuses = sqlx::query("SELECT id, status FROM requests ORDER BY id").fetch_all(db.pool()).await.unwrap();
    for row in statuses {
        let (id, status): (i64, String) = (row.get(0), row.get(1));
        out.push((format!("request {id} {status}"), 1));
    }
    out
}

#[tokio::test]
async fn a_change_whose_event_is_refused_leaves_nothing_behind() {
    each_db(|db| async move {
        let p = people(&db).await;
        let m = module("s3-bucket");

        refuse_events(&db, "user.created").await;
        let before = snapshot(&db).await;
        assert!(accounts::create_user(&db, &admin(), T0, new_user("dana", "correct horse battery")).await.is_err());
        assert_eq!(snapshot(&db).await, before, "user.created refused");
        allow_events(&db).await;

        refuse_events(&db, "team.created").await;
        let team = NewTeam { slug: "infra".into(), name: "Infra".into(), github_team_slug: None, reviewing: true };
        assert!(accounts::create_team(&db, &admin(), T0, team).await.is_err());
        assert_eq!(snapshot(&db).await, before, "team.created refused");
        allow_events(&db).await;

        refuse_events(&db, "team.member_added").await;
        assert!(accounts::add_member(&db, &admin(), T0, "search", "alice").await.is_err());
        assert_eq!(snapshot(&db).await, before, "team.member_added refused");
        allow_events(&db).await;

        // A submission writes the request, its revision, its queue rows and its outbox job
        // with two events: refusing the second still undoes all of it.
        refuse_events(&db, "request.pr_requested").await;
        let submitted =
            submit_simple(&db, T0, requests_fixtures::Simple { user: (p.alice, "alice"), ..simple("k-1", &m, "logs") })
                .await;
        assert!(submitted.is_err(), "the submission must fail with its event");
        assert_eq!(snapshot(&db).await, before, "request.pr_requested refused");
        allow_events(&db).await;

        // A state transition: cancelling keeps the status and version when its event fails.
        let n =
            submit_simple(&db, T0, requests_fixtures::Simple { user: (p.alice, "alice"), ..simple("k-2", &m, "logs") })
                .await
                .unwrap()
                .number();
        let before = snapshot(&db).await;
        refuse_events(&db, "request.cancelled").await;
        let alice = Actor::User("alice".into());
        let cancelled = requests::cancel(&db, T0 + 1, n, &alice, Role::Requester, None, "not needed").await;
        assert!(cancelled.is_err(), "the cancel must fail with its event");
        assert_eq!(snapshot(&db).await, before, "request.cancelled refused");
        allow_events(&db).await;

        // And with the database accepting events again, the same change goes through.
        requests::cancel(&db, T0 + 2, n, &alice, Role::Requester, None, "not needed").await.unwrap();
        assert_ne!(snapshot(&db).await, before);
        assert!(backend::audit::verify(&db).await.unwrap().broken.is_none());
    })
    .await;
}
