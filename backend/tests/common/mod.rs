//! Shared helpers for the store contract suites: run one test body against every database
//! `TestDb::all()` provides, label failures with the database, and always clean up.
#![allow(dead_code)] // each test binary uses a different subset

pub mod audit_chain;
pub mod queue_check;

use std::future::Future;

use backend::accounts::{self, NewUser};
use backend::testing::TestDb;
use backend::{Db, Dialect};
use domain::audit::Actor;
use secrecy::SecretString;
use sqlx::Row;

/// A fixed "now" for tests: 2025-11-24T16:00:00Z.
pub const T0: i64 = 1_764_000_000_000;

/// Runs `body` once per database. A panic in the body is caught, the database is still
/// cleaned up, and all failures are reported together, each prefixed with its label.
pub async fn each_db<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = Vec::new();
    for t in TestDb::all().await {
        let label = t.label();
        let outcome = tokio::spawn(body(t.db.clone())).await;
        t.cleanup().await;
        if let Err(e) = outcome {
            let msg = if e.is_panic() {
                let payload = e.into_panic();
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "non-string panic".to_owned())
            } else {
                e.to_string()
            };
            failures.push(format!("[{label}] {msg}"));
        }
    }
    assert!(failures.is_empty(), "contract failed on:\n{}", failures.join("\n"));
}

pub fn admin() -> Actor {
    Actor::Cli("admin".into())
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

pub fn new_user(login: &str, password: &str) -> NewUser {
    NewUser {
        login: login.into(),
        name: format!("User {login}"),
        password: secret(password),
        github_login: None,
        is_admin: false,
    }
}

/// Creates a user with a valid password and returns its id.
pub async fn make_user(db: &Db, login: &str, password: &str) -> i64 {
    accounts::create_user(db, &admin(), T0, new_user(login, password)).await.unwrap()
}

pub async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.pool()).await.unwrap().try_get::<i64, _>(0).unwrap()
}

pub async fn audit_head(db: &Db) -> i64 {
    count(db, "SELECT seq FROM audit_head WHERE id = 1").await
}

pub async fn audit_count(db: &Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM audit_events").await
}

/// `(action, subject, details)` of the newest audit event.
pub async fn last_event(db: &Db) -> (String, String, String) {
    let row = sqlx::query("SELECT action, subject, details FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    (row.try_get("action").unwrap(), row.try_get("subject").unwrap(), row.try_get("details").unwrap())
}

pub async fn session_count(db: &Db, user_id: i64) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// Removes the append-only protection so a test can tamper with the chain like an
/// attacker with direct database access would.
pub async fn bypass_audit_triggers(db: &Db) {
    let statements: &[&str] = match db.dialect() {
        Dialect::Sqlite => &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
        Dialect::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for s in statements {
        sqlx::query(s).execute(db.pool()).await.unwrap();
    }
}

/// A session record expiring at `expiry_unix` (seconds), signed in as `user_id` if given.
pub fn session(user_id: Option<i64>, expiry_unix: i64) -> tower_sessions::session::Record {
    let mut data = std::collections::HashMap::new();
    if let Some(id) = user_id {
        data.insert(backend::sessions::USER_ID_KEY.to_owned(), serde_json::json!(id));
    }
    tower_sessions::session::Record {
        id: tower_sessions::session::Id::default(),
        data,
        expiry_date: time::OffsetDateTime::from_unix_timestamp(expiry_unix).unwrap(),
    }
}

/// A session store whose clock stands at [`T0`].
pub fn store(db: &Db) -> (backend::sessions::DbSessionStore, backend::ManualClock) {
    let clock = backend::ManualClock::new(T0);
    let shared: backend::clock::SharedClock = std::sync::Arc::new(clock.clone());
    (backend::sessions::DbSessionStore::new(db.clone(), shared), clock)
}

/// Saves a signed-in session for `user_id` that expires in an hour; returns its id.
pub async fn add_session(db: &Db, user_id: i64) -> String {
    use tower_sessions::SessionStore;
    let (store, _) = store(db);
    let record = session(Some(user_id), T0 / 1000 + 3600);
    store.save(&record).await.unwrap();
    record.id.to_string()
}
