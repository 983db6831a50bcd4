//! Test databases for the contract suites (enabled with the `testing` feature). Every test
//! gets a fresh database: a temporary SQLite file, and — when `TEST_DATABASE_URL` names a
//! PostgreSQL server — a new database created on it and dropped afterwards.

use crate::db::{Db, DbOptions};

/// A migrated database that cleans up after itself when [`TestDb::cleanup`] is called
/// (or, for SQLite, when dropped).
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let db = Db::connect(&url, &DbOptions::default()).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        crate::requests::queue_rows::run_maintenance(&db).await.expect("maintenance");
        TestDb { db, url, _dir: Some(dir), pg_admin: None }
    }

    /// A fresh PostgreSQL database, or `None` when `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let name = format!("infradesk_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&admin_url, &DbOptions { max_connections: 1, ..DbOptions::default() })
            .await
            .expect("connect to TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(admin.pool()).await.expect("create test database");
        admin.close().await;
        let url = replace_database(&admin_url, &name);
        let db =
            Db::connect(&url, &DbOptions { max_connections: 5, ..DbOptions::default() }).await.expect("open postgres");
        db.migrate().await.expect("migrate postgres");
        crate::requests::queue_rows::run_maintenance(&db).await.expect("maintenance");
        Some(TestDb { db, url, _dir: None, pg_admin: Some((admin_url, name)) })
    }

    /// Both databases that are available: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub fn label(&self) -> &'static str {
        match self.db.dialect() {
            crate::Dialect::Sqlite => "sqlite",
            crate::Dialect::Postgres => "postgres",
        }
    }

    /// Closes the pools and drops the PostgreSQL database.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some((admin_url, name)) = self.pg_admin
            && let Ok(admin) = Db::connect(&admin_url, &DbOptions { max_connections: 1, ..DbOptions::default() }).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(admin.pool()).await;
            admin.close().await;
        }
    }
}

/// `postgres://u@h:5432/db?x` with `db` replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        assert_eq!(super::replace_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            super::replace_database("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(super::replace_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
    }
}
