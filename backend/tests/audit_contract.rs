//! Audit contract: every change leaves exactly one event, the table is append-only, the
//! chain stays linear under concurrent writers, and an untouched chain verifies (tampering:
//! audit_tamper.rs).
#![allow(clippy::unwrap_used)]

mod common;

use backend::accounts::{self, NewTeam};
use backend::audit::{self, Entry};
use backend::{Db, Dialect};
use common::audit_chain::{chain, event};
use common::*;
use domain::audit::Actor;
use serde_json::json;

const PW: &str = "correct horse battery";

/// Asserts that the chain grew by exactly one event, with this action and subject.
async fn one_event(db: &Db, before: i64, action: &str, subject: &str) -> i64 {
    assert_eq!(audit_head(db).await, before + 1, "{action} should add exactly one event");
    assert_eq!(audit_count(db).await, before + 1);
    let (a, s, _) = last_event(db).await;
    assert_eq!((a.as_str(), s.as_str()), (action, subject));
    before + 1
}

#[tokio::test]
async fn every_change_is_audited_exactly_once() {
    each_db(|db| async move {
        let mut head = audit_head(&db).await;
        assert_eq!(head, 0);
        let alice = make_user(&db, "alice", PW).await;
        head = one_event(&db, head, "user.created", "user:alice").await;
        let team = NewTeam { slug: "sre".into(), name: "SRE".into(), github_team_slug: None, reviewing: true };
        accounts::create_team(&db, &admin(), T0, team).await.unwrap();
        head = one_event(&db, head, "team.created", "team:sre").await;
        accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap();
        head = one_event(&db, head, "team.member_added", "team:sre").await;
        accounts::set_disabled(&db, &admin(), T0, "alice", true).await.unwrap();
        head = one_event(&db, head, "user.disabled", "user:alice").await;
        accounts::set_disabled(&db, &admin(), T0, "alice", false).await.unwrap();
        head = one_event(&db, head, "user.enabled", "user:alice").await;
        accounts::sign_in(&db, T0, "alice", secret(PW), "c").await.unwrap().unwrap();
        head = one_event(&db, head, "auth.signed_in", "user:alice").await;
        accounts::sign_in(&db, T0, "alice", secret("not it at all"), "c").await.unwrap().unwrap_err();
        head = one_event(&db, head, "auth.sign_in_failed", "user:alice").await;
        let kept = add_session(&db, alice).await;
        accounts::change_password(&db, T0, alice, secret(PW), secret("another long one"), &kept).await.unwrap();
        head = one_event(&db, head, "user.password_changed", "user:alice").await;
        accounts::sign_out(&db, T0, "alice", &kept, "c").await.unwrap();
        assert_eq!(session_count(&db, alice).await, 0, "the session ends with its event");
        head = one_event(&db, head, "auth.signed_out", "user:alice").await;

        // Failed changes add nothing.
        accounts::create_user(&db, &admin(), T0, new_user("alice", PW)).await.unwrap_err();
        accounts::set_disabled(&db, &admin(), T0, "nobody", true).await.unwrap_err();
        accounts::add_member(&db, &admin(), T0, "sre", "alice").await.unwrap_err();
        accounts::change_password(&db, T0, alice, secret(PW), secret("yet another one"), &kept).await.unwrap_err();
        assert_eq!(audit_head(&db).await, head);

        let about_alice = audit::for_subject(&db, "user:alice").await.unwrap();
        let trail: Vec<_> = about_alice.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
        assert_eq!(
            trail,
            [
                ("user.created", "cli:admin"),
                ("user.disabled", "cli:admin"),
                ("user.enabled", "cli:admin"),
                ("auth.signed_in", "user:alice"),
                ("auth.sign_in_failed", "anonymous"),
                ("user.password_changed", "user:alice"),
                ("auth.signed_out", "user:alice"),
            ]
        );
        let about_team = audit::for_subject(&db, "team:sre").await.unwrap();
        assert_eq!(
            about_team.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["team.created", "team.member_added"]
        );
        assert_eq!(about_team[1].details, r#"{"login":"alice"}"#);

        let recent = audit::recent(&db, 3, None).await.unwrap();
        assert_eq!(recent.iter().map(|e| e.seq).collect::<Vec<_>>(), [head, head - 1, head - 2]);
        let v = audit::verify(&db).await.unwrap();
        assert_eq!((v.broken, v.events, v.head_seq), (None, 9, 9));
        assert_eq!(v.head_hash, recent[0].hash);
    })
    .await;
}

#[tokio::test]
async fn untouched_chain_verifies() {
    each_db(|db| async move {
        let v = audit::verify(&db).await.unwrap();
        assert_eq!((v.broken, v.events, v.head_seq), (None, 0, 0));
        chain(&db, 5).await;
        let v = audit::verify(&db).await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!((v.events, v.head_seq), (5, 5));
        assert_eq!(event(&db, 1).await.prev_hash, domain::audit::GENESIS_HASH);
        assert_eq!(event(&db, 2).await.prev_hash, event(&db, 1).await.hash);
    })
    .await;
}

#[tokio::test]
async fn database_refuses_update_and_delete_of_audit_events() {
    each_db(|db| async move {
        chain(&db, 3).await;
        let before = event(&db, 2).await;
        let update = sqlx::query("UPDATE audit_events SET subject = 'thing:x' WHERE seq = 2").execute(db.pool()).await;
        assert!(update.is_err(), "UPDATE was allowed");
        let delete = sqlx::query("DELETE FROM audit_events WHERE seq = 2").execute(db.pool()).await;
        assert!(delete.is_err(), "DELETE was allowed");
        let delete_all = sqlx::query("DELETE FROM audit_events").execute(db.pool()).await;
        assert!(delete_all.is_err(), "DELETE of all rows was allowed");
        if db.dialect() == Dialect::Postgres {
            let truncate = sqlx::query("TRUNCATE audit_events").execute(db.pool()).await;
            assert!(truncate.is_err(), "TRUNCATE was allowed");
        }
        // An upsert is an UPDATE too.
        let upsert = sqlx::query(
            "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) \
             VALUES (2, 0, 'x', 'x', 'forged', '{}', 'p', 'h') ON CONFLICT (seq) DO UPDATE SET subject = excluded.subject",
        )
        .execute(db.pool())
        .await;
        assert!(upsert.is_err(), "INSERT .. ON CONFLICT DO UPDATE was allowed");
        // Also inside a write transaction, the way the application writes.
        let mut tx = db.begin_write().await.unwrap();
        let update = sqlx::query("UPDATE audit_events SET hash = 'x' WHERE seq = 2").execute(&mut *tx).await;
        assert!(update.is_err(), "UPDATE in a transaction was allowed");
        drop(tx);

        assert_eq!(event(&db, 2).await, before);
        assert_eq!(audit_count(&db).await, 3);
        assert_eq!(audit::verify(&db).await.unwrap().broken, None);
        chain(&db, 1).await; // the writer still works afterwards
        assert_eq!(audit_head(&db).await, 4);
    })
    .await;
}

/// SQLite's `INSERT OR REPLACE` deletes the conflicting row without firing DELETE triggers
/// unless `recursive_triggers` is on; the BEFORE INSERT trigger refuses it regardless.
#[tokio::test]
async fn sqlite_insert_or_replace_cannot_rewrite_an_event() {
    let t = backend::testing::TestDb::sqlite().await;
    let db = t.db.clone();
    chain(&db, 3).await;
    let before = event(&db, 2).await;
    let replace = sqlx::query(
        "INSERT OR REPLACE INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) \
         VALUES (2, 0, 'x', 'x', 'forged', '{}', 'p', 'h')",
    )
    .execute(db.pool())
    .await;
    let after = event(&db, 2).await;
    t.cleanup().await;
    assert!(replace.is_err(), "INSERT OR REPLACE was allowed");
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_form_one_gapless_chain() {
    each_db(|db| async move {
        let tasks: Vec<_> = (0..8)
            .map(|task| {
                let db = db.clone();
                tokio::spawn(async move {
                    let actor = Actor::System;
                    for i in 0..25 {
                        let subject = format!("task:{task}:{i}");
                        let entry =
                            Entry { actor: &actor, action: "test.concurrent", subject: &subject, details: json!({}) };
                        audit::record(&db, T0 + i, entry).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let v = audit::verify(&db).await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!((v.events, v.head_seq), (200, 200));
        let seqs: Vec<i64> = audit::recent(&db, 1000, None).await.unwrap().iter().rev().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
        assert_eq!(count(&db, "SELECT COUNT(DISTINCT subject) FROM audit_events").await, 200);
    })
    .await;
}
