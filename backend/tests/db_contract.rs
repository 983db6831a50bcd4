//! Connecting: URL validation, SQLite file creation, migrations.
#![allow(clippy::unwrap_used)]

mod common;

use backend::db::DbOptions;
use backend::{Db, DbError, Dialect};
use common::*;

#[tokio::test]
async fn unsupported_urls_are_rejected() {
    for url in ["mysql://root@localhost/db", "file.db", "", "http://example.com", "sqlite3://x.db"] {
        match Db::connect(url, &DbOptions::default()).await {
            Err(DbError::UnsupportedUrl(got)) => assert_eq!(got, url),
            other => panic!("{url:?}: expected UnsupportedUrl, got {other:?}"),
        }
    }
    assert_eq!("postgresql://u@h/db".parse::<Dialect>().unwrap(), Dialect::Postgres);
    assert_eq!("postgres://u@h/db".parse::<Dialect>().unwrap(), Dialect::Postgres);
    assert_eq!("sqlite:data.db".parse::<Dialect>().unwrap(), Dialect::Sqlite);
}

#[tokio::test]
async fn sqlite_file_is_created_with_its_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not").join("there").join("yet").join("infradesk.db");
    assert!(!file.parent().unwrap().exists());
    let url = format!("sqlite://{}", file.display());
    let db = Db::connect(&url, &DbOptions::default()).await.unwrap();
    assert_eq!(db.dialect(), Dialect::Sqlite);
    assert!(file.exists(), "{} was not created", file.display());
    db.migrate().await.unwrap();
    db.migrate().await.unwrap(); // idempotent
    db.ping().await.unwrap();
    make_user(&db, "alice", "correct horse battery").await;
    db.close().await;

    // Reopening the file finds the data.
    let db = Db::connect(&url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    assert_eq!(backend::accounts::user_count(&db).await.unwrap(), 1);
    db.close().await;
}

/// In-memory SQLite would give every pooled connection its own empty database, so it is
/// refused with an explanation instead of failing later with "no such table".
#[tokio::test]
async fn sqlite_in_memory_url_is_refused_clearly() {
    for url in ["sqlite::memory:", "sqlite://:memory:", "sqlite://x.db?mode=memory"] {
        let err = Db::connect(url, &DbOptions::default()).await.unwrap_err();
        assert!(matches!(err, DbError::InMemorySqlite), "{url}: {err}");
        assert!(err.to_string().contains("use a file"), "{err}");
    }
}

#[tokio::test]
async fn every_test_database_is_migrated_and_empty() {
    each_db(|db| async move {
        db.ping().await.unwrap();
        db.migrate().await.unwrap();
        assert_eq!(backend::accounts::user_count(&db).await.unwrap(), 0);
        assert_eq!(audit_head(&db).await, 0);
        assert_eq!(backend::audit::verify(&db).await.unwrap().broken, None);
    })
    .await;
}
