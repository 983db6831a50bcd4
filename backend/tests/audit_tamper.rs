//! `verify` against every kind of tampering, on SQLite and PostgreSQL (direct database access,
//! the append-only triggers removed where needed): edited, deleted, swapped, inserted and
//! forged events, a cut-off tail, a recomputed chain with or without its head, an edited head,
//! published anchors, breaks at page boundaries, and exports across pages.
#![allow(clippy::unwrap_used)]

mod common;

use backend::Db;
use backend::audit::{self, Entry};
use common::audit_chain::{chain, event};
use common::*;
use domain::audit::{Actor, AuditEvent, canonical_bytes, chain_hash};
use serde_json::json;

/// Builds a 6-event chain, removes the triggers, runs `tamper`, and returns what
/// `verify` says.
async fn tampered(db: &Db, tamper: impl AsyncFnOnce(&Db)) -> audit::Verification {
    chain(db, 6).await;
    assert_eq!(audit::verify(db).await.unwrap().broken, None);
    bypass_audit_triggers(db).await;
    tamper(db).await;
    audit::verify(db).await.unwrap()
}

async fn exec(db: &Db, sql: &str, seq: i64) {
    let done = sqlx::query(sql).bind(seq).execute(db.pool()).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

/// Overwrites every column but `seq` of event `seq` with `e`'s values.
async fn overwrite(db: &Db, seq: i64, e: &AuditEvent) {
    let done = sqlx::query(
        "UPDATE audit_events SET at_ms = $1, actor = $2, action = $3, subject = $4, details = $5, prev_hash = $6, \
         hash = $7 WHERE seq = $8",
    )
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.details)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .bind(seq)
    .execute(db.pool())
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

#[tokio::test]
async fn verify_reports_an_edited_event() {
    each_db(|db| async move {
        // "thing:4" -> "thing:5": one byte of one subject.
        let v =
            tampered(&db, async |db| exec(db, "UPDATE audit_events SET subject = 'thing:5' WHERE seq = $1", 4).await)
                .await;
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 4, "{}", broken.reason);
        assert!(broken.reason.contains("content"), "{}", broken.reason);
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_deleted_event() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| exec(db, "DELETE FROM audit_events WHERE seq = $1", 3).await).await;
        assert_eq!(v.broken.unwrap().seq, 3);
        // `events` counts the rows read, not the ones that verified.
        assert_eq!((v.events, v.head_seq), (5, 6));
    })
    .await;
}

#[tokio::test]
async fn verify_reports_swapped_events() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| {
            let (two, three) = (event(db, 2).await, event(db, 3).await);
            overwrite(db, 2, &three).await;
            overwrite(db, 3, &two).await;
        })
        .await;
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 2, "{}", broken.reason);
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_truncated_tail() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| {
            exec(db, "DELETE FROM audit_events WHERE seq = $1", 6).await;
            exec(db, "DELETE FROM audit_events WHERE seq = $1", 5).await;
        })
        .await;
        let broken = v.broken.unwrap();
        // The remaining events 1..=4 link up; the first missing one is 5.
        assert_eq!(broken.seq, 5, "{}", broken.reason);
        assert!(broken.reason.contains("head"), "{}", broken.reason);
        assert_eq!((v.events, v.head_seq), (4, 6));
    })
    .await;
}

#[tokio::test]
async fn verify_reports_a_forged_replacement() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| {
            let original = event(db, 3).await;
            exec(db, "DELETE FROM audit_events WHERE seq = $1", 3).await;
            let mut forged = AuditEvent { subject: "thing:forged".into(), ..original.clone() };
            forged.hash = chain_hash(
                &forged.prev_hash,
                &canonical_bytes(
                    forged.seq,
                    forged.at_ms,
                    &forged.actor,
                    &forged.action,
                    &forged.subject,
                    &forged.details,
                ),
            );
            assert_eq!(forged.hash, forged.expected_hash());
            assert_ne!(forged.hash, original.hash);
            sqlx::query(
                "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(forged.seq)
            .bind(forged.at_ms)
            .bind(&forged.actor)
            .bind(&forged.action)
            .bind(&forged.subject)
            .bind(&forged.details)
            .bind(&forged.prev_hash)
            .bind(&forged.hash)
            .execute(db.pool())
            .await
            .unwrap();
        })
        .await;
        // Event 3 is self-consistent and links to event 2; event 4 still names the
        // original event 3's hash as its prev_hash, so the break is reported at 4.
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 4, "{}", broken.reason);
        assert!(broken.reason.contains("prev_hash"), "{}", broken.reason);
    })
    .await;
}

/// Every event, oldest first.
async fn all_events(db: &Db) -> Vec<AuditEvent> {
    let mut events = audit::recent(db, 100_000, None).await.unwrap();
    events.reverse();
    events
}

/// Stores `e` as it is, the way someone with database access would: no `append`, no head.
async fn insert(db: &Db, e: &AuditEvent) {
    sqlx::query(
        "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.seq)
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.details)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(db.pool())
    .await
    .unwrap();
}

/// Sets the stored head.
async fn set_head(db: &Db, seq: i64, hash: &str) {
    let done = sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// `e` with its hash recomputed from its `prev_hash` and content: self-consistent.
fn sealed(mut e: AuditEvent) -> AuditEvent {
    e.hash = e.expected_hash();
    e
}

/// A forged event `seq` that links to `prev` and carries a valid hash of its own.
fn forged(seq: i64, prev_hash: &str) -> AuditEvent {
    sealed(AuditEvent {
        seq,
        at_ms: T0 + 3,
        actor: "user:mallory".into(),
        action: "user.created".into(),
        subject: "user:mallory".into(),
        details: r#"{"is_admin":true}"#.into(),
        prev_hash: prev_hash.into(),
        hash: String::new(),
    })
}

/// Replaces the whole table and the head with `events` (oldest first), hashes as given.
async fn replace_all(db: &Db, events: &[AuditEvent], head: Option<(i64, &str)>) {
    sqlx::query("DELETE FROM audit_events").execute(db.pool()).await.unwrap();
    for e in events {
        insert(db, e).await;
    }
    if let Some((seq, hash)) = head {
        set_head(db, seq, hash).await;
    }
}

/// The chain rebuilt from the genesis hash with every event's content changed by `edit`:
/// consistent from end to end, as an attacker would recompute it.
fn recomputed(events: &[AuditEvent], edit: impl Fn(&mut AuditEvent)) -> Vec<AuditEvent> {
    let mut prev = domain::audit::GENESIS_HASH.to_owned();
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            edit(&mut e);
            e.prev_hash = prev.clone();
            let e = sealed(e);
            prev = e.hash.clone();
            e
        })
        .collect()
}

/// An event stored with seq 0 or below (the audit page and the exports list it) is reported
/// where event 1 was expected, with what was found there.
#[tokio::test]
async fn verify_reports_an_event_inserted_before_the_first() {
    each_db(|db| async move {
        // No trigger needs bypassing: an INSERT of an unused seq is what the table allows.
        chain(&db, 6).await;
        insert(&db, &forged(0, domain::audit::GENESIS_HASH)).await;
        let broken = audit::verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 1, "{}", broken.reason);
        assert!(broken.reason.contains("expected event 1 but found event 0"), "{}", broken.reason);

        insert(&db, &forged(-7, domain::audit::GENESIS_HASH)).await;
        let broken = audit::verify(&db).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 1, "{}", broken.reason);
        assert!(broken.reason.contains("found event -7"), "{}", broken.reason);
        assert_eq!(audit::verify_in_pages(&db, 2, None).await.unwrap().broken.unwrap().seq, 1);
    })
    .await;
}

/// What an attacker with database access would do to slip an event into the middle: insert
/// a forged event after event 3 that links to it and carries a valid hash of its own,
/// renumber the events after it to keep `seq` gapless, and move the head to the new last
/// event. The old event 4, now 5, still names event 3's hash as its prev_hash, not the
/// forgery's: the break is reported there.
#[tokio::test]
async fn verify_reports_an_inserted_event() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| {
            let events = all_events(db).await;
            let fake = forged(4, &events[2].hash);
            sqlx::query("DELETE FROM audit_events WHERE seq >= 4").execute(db.pool()).await.unwrap();
            insert(db, &fake).await;
            for e in &events[3..] {
                insert(db, &AuditEvent { seq: e.seq + 1, ..e.clone() }).await;
            }
            set_head(db, 7, &events[5].hash).await;
        })
        .await;
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 5, "{}", broken.reason);
        assert!(broken.reason.contains("prev_hash"), "{}", broken.reason);
        assert_eq!(v.head_seq, 7);
    })
    .await;
}

/// A properly linked event stored after the last one without moving the head: not written
/// by `append`, reported at its seq.
#[tokio::test]
async fn verify_reports_an_event_appended_past_the_head() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| {
            let last = event(db, 6).await;
            insert(db, &forged(7, &last.hash)).await;
        })
        .await;
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 7, "{}", broken.reason);
        assert!(broken.reason.contains("beyond the stored head"), "{}", broken.reason);
    })
    .await;
}

/// Every event's content and hashes rewritten consistently from the genesis hash. With the
/// stored head left alone the chain no longer ends in it: reported at the head's seq. With
/// the head rewritten too the database is consistent in itself, and only a head published
/// earlier (an anchor) tells.
#[tokio::test]
async fn verify_reports_a_recomputed_chain() {
    each_db(|db| async move {
        chain(&db, 6).await;
        let original = all_events(&db).await;
        let rewritten = recomputed(&original, |e| e.actor = "user:mallory".into());
        assert_ne!(rewritten[0].hash, original[0].hash);
        bypass_audit_triggers(&db).await;
        replace_all(&db, &rewritten, None).await;

        let v = audit::verify(&db).await.unwrap();
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 6, "{}", broken.reason);
        assert!(broken.reason.contains("stored head hash"), "{}", broken.reason);
        assert_eq!((v.events, v.head_seq, v.head_hash.as_str()), (6, 6, original[5].hash.as_str()));

        // The head rewritten as well: nothing inside the database disagrees any more.
        set_head(&db, 6, &rewritten[5].hash).await;
        let v = audit::verify(&db).await.unwrap();
        assert_eq!(v.broken, None, "a consistent rewrite of chain and head");
        // A head published before the rewrite does.
        for anchor in [&original[5], &original[3], &original[0]] {
            let v = audit::verify_anchored(&db, Some((anchor.seq, &anchor.hash))).await.unwrap();
            let broken = v.broken.unwrap();
            assert_eq!(broken.seq, anchor.seq, "{}", broken.reason);
            assert!(broken.reason.contains("published head"), "{}", broken.reason);
        }
        // The anchor is compared, not merely required.
        let v = audit::verify_anchored(&db, Some((4, &rewritten[3].hash.to_uppercase()))).await.unwrap();
        assert_eq!(v.broken, None);
    })
    .await;
}

/// Only the stored head's hash edited: reported at the head's seq, not one past it.
#[tokio::test]
async fn verify_reports_an_edited_head_hash() {
    each_db(|db| async move {
        let v = tampered(&db, async |db| set_head(db, 6, &"e".repeat(64)).await).await;
        let broken = v.broken.unwrap();
        assert_eq!(broken.seq, 6, "{}", broken.reason);
        assert!(broken.reason.contains("stored head hash"), "{}", broken.reason);
        assert!(!broken.reason.contains("event 7"), "{}", broken.reason);
    })
    .await;
}

/// `verify_anchored` on an untouched chain: a published head that matches passes; a wrong
/// hash, or an event the chain does not have, is a break at the anchor's seq; an earlier
/// break found by the walk comes first.
#[tokio::test]
async fn verify_checks_a_published_head() {
    each_db(|db| async move {
        chain(&db, 6).await;
        let events = all_events(&db).await;
        for e in &events {
            let v = audit::verify_anchored(&db, Some((e.seq, &e.hash))).await.unwrap();
            assert_eq!((v.broken, v.events), (None, 6), "anchor at {}", e.seq);
        }
        let wrong = audit::verify_anchored(&db, Some((3, &events[2].prev_hash))).await.unwrap().broken.unwrap();
        assert_eq!(wrong.seq, 3, "{}", wrong.reason);
        let beyond = audit::verify_anchored(&db, Some((9, &events[5].hash))).await.unwrap().broken.unwrap();
        assert_eq!(beyond.seq, 9, "{}", beyond.reason);
        assert!(beyond.reason.contains("ends at event 6"), "{}", beyond.reason);

        bypass_audit_triggers(&db).await;
        exec(&db, "UPDATE audit_events SET subject = 'thing:x' WHERE seq = $1", 2).await;
        let first = audit::verify_anchored(&db, Some((5, &"0".repeat(64)))).await.unwrap().broken.unwrap();
        assert_eq!(first.seq, 2, "{}", first.reason);
    })
    .await;
}

/// Page boundaries of the walk, with 7 events a page over 21 events (three full pages and
/// an empty fourth read): breaks at the last event of a page, the first of the next, and a
/// link between two pages are each found at their seq, and the intact chain passes.
#[tokio::test]
async fn verify_finds_breaks_at_page_boundaries() {
    each_db(|db| async move {
        chain(&db, 21).await;
        let original = all_events(&db).await;
        let (head_seq, head_hash) = audit::head(&db).await.unwrap();
        for page in [1, 6, 7, 20, 21, 22, 1000] {
            let v = audit::verify_in_pages(&db, page, None).await.unwrap();
            assert_eq!((v.broken, v.events, v.head_seq), (None, 21, 21), "page of {page}");
        }
        bypass_audit_triggers(&db).await;
        let restore = async || {
            replace_all(&db, &original, Some((head_seq, &head_hash))).await;
            assert_eq!(audit::verify_in_pages(&db, 7, None).await.unwrap().broken, None);
        };
        let found = async |what: &str, expected: i64| {
            let v = audit::verify_in_pages(&db, 7, None).await.unwrap();
            let broken = v.broken.unwrap_or_else(|| panic!("{what}: not found"));
            assert_eq!(broken.seq, expected, "{what}: {}", broken.reason);
        };
        for seq in [7, 8, 14, 15, 21] {
            exec(&db, "UPDATE audit_events SET subject = 'thing:x' WHERE seq = $1", seq).await;
            found(&format!("event {seq} edited"), seq).await;
            restore().await;
        }
        for seq in [7, 8, 14, 15] {
            exec(&db, "DELETE FROM audit_events WHERE seq = $1", seq).await;
            found(&format!("event {seq} deleted"), seq).await;
            restore().await;
        }
        for (a, b) in [(7, 8), (14, 15)] {
            let (ea, eb) = (event(&db, a).await, event(&db, b).await);
            overwrite(&db, a, &eb).await;
            overwrite(&db, b, &ea).await;
            found(&format!("events {a} and {b} swapped"), a).await;
            restore().await;
        }
        // Event 7 replaced by a self-consistent forgery: event 8, first of the next page,
        // no longer links to it.
        let seven = sealed(AuditEvent { subject: "thing:forged".into(), ..original[6].clone() });
        overwrite(&db, 7, &seven).await;
        found("event 7 forged", 8).await;
        restore().await;
        // The tail cut at a page boundary: the first missing event.
        sqlx::query("DELETE FROM audit_events WHERE seq >= 15").execute(db.pool()).await.unwrap();
        found("events 15 to 21 deleted", 15).await;
        restore().await;
        sqlx::query("DELETE FROM audit_events WHERE seq >= 8").execute(db.pool()).await.unwrap();
        found("events 8 to 21 deleted", 8).await;
        restore().await;
    })
    .await;
}

/// An export read in small pages is the same list as the audit trail, whole or filtered.
#[tokio::test]
async fn exports_across_pages_list_every_event_once() {
    use backend::audit::search::Filter;
    use futures_util::StreamExt;
    each_db(|db| async move {
        for i in 1..=21_i64 {
            let actor = if i % 3 == 0 { admin() } else { Actor::System };
            let subject = format!("thing:{i}");
            let entry = Entry { actor: &actor, action: "test.event", subject: &subject, details: json!({"i": i}) };
            audit::record(&db, T0 + i, entry).await.unwrap();
        }
        let newest_first = audit::recent(&db, 1000, None).await.unwrap();
        let admins: Vec<AuditEvent> = newest_first.iter().filter(|e| e.actor == "cli:admin").cloned().collect();
        let cases = [
            (Filter::default(), 7, newest_first.clone(), vec![7, 7, 7]),
            (Filter::default(), 5, newest_first.clone(), vec![5, 5, 5, 5, 1]),
            (Filter { through_seq: Some(20), ..Filter::default() }, 7, newest_first[1..].to_vec(), vec![7, 7, 6]),
            (Filter { actor: Some("cli:admin".into()), ..Filter::default() }, 2, admins, vec![2, 2, 2, 1]),
        ];
        for (filter, page, expected, sizes) in cases {
            let pages: Vec<Vec<AuditEvent>> =
                audit::export::pages_in(db.clone(), filter.clone(), page).map(|p| p.unwrap()).collect().await;
            assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), sizes, "{filter:?} in pages of {page}");
            assert_eq!(pages.concat(), expected, "{filter:?} in pages of {page}");
        }
    })
    .await;
}
