//! Session store contract: `DbSessionStore` through the `tower_sessions::SessionStore`
//! trait, with expiry judged by the injected clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use backend::Db;
use backend::accounts;
use common::*;
use sqlx::Row;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const PW: &str = "correct horse battery";
const NOW_S: i64 = T0 / 1000;

/// `(user_id, expiry_unix)` of the stored row, if any.
async fn row(db: &Db, id: &Id) -> Option<(Option<i64>, i64)> {
    sqlx::query("SELECT user_id, expiry_unix FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await
        .unwrap()
        .map(|r| (r.try_get("user_id").unwrap(), r.try_get("expiry_unix").unwrap()))
}

async fn total(db: &Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM sessions").await
}

#[tokio::test]
async fn create_save_load_delete_round_trip() {
    each_db(|db| async move {
        let alice = make_user(&db, "alice", PW).await;
        let (store, _clock) = store(&db);

        let mut record = session(Some(alice), NOW_S + 3600);
        record.data.insert("theme".into(), serde_json::json!({"dark": true, "size": [1, 2]}));
        store.create(&mut record).await.unwrap();
        assert_eq!(row(&db, &record.id).await, Some((Some(alice), NOW_S + 3600)));
        assert_eq!(store.load(&record.id).await.unwrap(), Some(record.clone()));

        // save updates in place: new data, new expiry, user_id follows the data.
        record.data.insert("theme".into(), serde_json::json!("light"));
        record.expiry_date += time::Duration::hours(1);
        store.save(&record).await.unwrap();
        assert_eq!(store.load(&record.id).await.unwrap(), Some(record.clone()));
        assert_eq!(row(&db, &record.id).await, Some((Some(alice), NOW_S + 7200)));
        record.data.remove(backend::sessions::USER_ID_KEY);
        store.save(&record).await.unwrap();
        assert_eq!(row(&db, &record.id).await, Some((None, NOW_S + 7200)), "signing out clears user_id");
        assert_eq!(total(&db).await, 1);

        store.delete(&record.id).await.unwrap();
        assert_eq!(store.load(&record.id).await.unwrap(), None);
        assert_eq!(total(&db).await, 0);
        store.delete(&record.id).await.unwrap(); // deleting twice is fine
        assert_eq!(store.load(&Id::default()).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn anonymous_sessions_have_no_user_id() {
    each_db(|db| async move {
        let (store, _clock) = store(&db);
        let mut record = session(None, NOW_S + 60);
        record.data.insert("csrf".into(), serde_json::json!("abc"));
        store.create(&mut record).await.unwrap();
        assert_eq!(row(&db, &record.id).await, Some((None, NOW_S + 60)));
        assert_eq!(store.load(&record.id).await.unwrap(), Some(record));
    })
    .await;
}

#[tokio::test]
async fn create_never_overwrites_an_existing_session() {
    each_db(|db| async move {
        let alice = make_user(&db, "alice", PW).await;
        let (store, _clock) = store(&db);
        let mut first = session(Some(alice), NOW_S + 60);
        store.create(&mut first).await.unwrap();
        let mut second = session(None, NOW_S + 120);
        second.id = first.id;
        store.create(&mut second).await.unwrap();
        assert_ne!(second.id, first.id, "create must pick a fresh id on collision");
        assert_eq!(store.load(&first.id).await.unwrap(), Some(first));
        assert_eq!(store.load(&second.id).await.unwrap(), Some(second));
        assert_eq!(total(&db).await, 2);
    })
    .await;
}

#[tokio::test]
async fn expiry_follows_the_injected_clock() {
    each_db(|db| async move {
        let alice = make_user(&db, "alice", PW).await;
        let (store, clock) = store(&db);
        let short = session(Some(alice), NOW_S + 60);
        let long = session(Some(alice), NOW_S + 3600);
        let anon_short = session(None, NOW_S + 30);
        for r in [&short, &long, &anon_short] {
            store.save(r).await.unwrap();
        }
        assert_eq!(store.delete_expired().await.unwrap(), 0);
        assert_eq!(total(&db).await, 3);

        clock.advance(Duration::from_millis(59_999));
        assert_eq!(store.load(&short.id).await.unwrap(), Some(short.clone()), "still valid just before expiry");
        clock.advance(Duration::from_millis(1));
        assert_eq!(store.load(&short.id).await.unwrap(), None, "expired at its expiry second");
        assert!(store.load(&long.id).await.unwrap().is_some());
        // Expired but not yet swept: the row is still there, load just ignores it.
        assert!(row(&db, &short.id).await.is_some());

        clock.advance(Duration::from_secs(60));
        assert_eq!(store.delete_expired().await.unwrap(), 2);
        assert_eq!(row(&db, &short.id).await, None);
        assert_eq!(row(&db, &anon_short.id).await, None);
        assert_eq!(row(&db, &long.id).await, Some((Some(alice), NOW_S + 3600)));
        assert_eq!(store.load(&long.id).await.unwrap(), Some(long.clone()));

        clock.advance(Duration::from_secs(3600));
        assert_eq!(store.load(&long.id).await.unwrap(), None);
        assert_eq!(store.delete_expired().await.unwrap(), 1);
        assert_eq!(total(&db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn sessions_of_disabled_or_missing_users_are_not_written() {
    each_db(|db| async move {
        let alice = make_user(&db, "alice", PW).await;
        let bob = make_user(&db, "bob", PW).await;
        accounts::set_disabled(&db, &admin(), T0, "alice", true).await.unwrap();
        let (store, _clock) = store(&db);

        let disabled = session(Some(alice), NOW_S + 3600);
        store.save(&disabled).await.unwrap();
        assert_eq!(row(&db, &disabled.id).await, None);
        assert_eq!(store.load(&disabled.id).await.unwrap(), None);

        let missing = session(Some(alice + bob + 100), NOW_S + 3600);
        store.save(&missing).await.unwrap();
        assert_eq!(row(&db, &missing.id).await, None);

        let mut created: Record = session(Some(alice), NOW_S + 3600);
        assert!(store.create(&mut created).await.is_err(), "create for a disabled user must fail");
        assert_eq!(total(&db).await, 0);

        // An existing session is not written back once its user is disabled.
        let live = session(Some(bob), NOW_S + 3600);
        store.save(&live).await.unwrap();
        accounts::set_disabled(&db, &admin(), T0, "bob", true).await.unwrap();
        store.save(&live).await.unwrap();
        assert_eq!(row(&db, &live.id).await, None);
        assert_eq!(total(&db).await, 0);
    })
    .await;
}
