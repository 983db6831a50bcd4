//! One pool type for both databases. Queries are written once in portable SQL with `$n`
//! placeholders (SQLite accepts them too); the few dialect differences switch on
//! [`Dialect`]. Integers are BIGINT/INTEGER and flags are 0/1 integers so that rows decode
//! the same way from both drivers.
//!
//! Reads of millions of rows (audit exports and verification) go through a second, native pool
//! ([`Db::bulk`]): sqlx's `Any` converts every value of every row, which costs more than the
//! query itself.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error(
        "in-memory SQLite is not supported (every pooled connection would see its own empty database); use a file such as sqlite://data/infradesk.db"
    )]
    InMemorySqlite,
    // The sqlx error is in the message and deliberately not a `source`: its own Display
    // already includes its cause, and printing the chain would repeat it.
    #[error("cannot open the database: {0}")]
    Connect(sqlx::Error),
    #[error(
        "the database was migrated by a newer Infradesk (it has migration {0}, which this binary does not know); run the newer release or restore a backup"
    )]
    NewerSchema(i64),
    #[error("database migration failed: {0}")]
    Migrate(MigrateError),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Pool settings that do not come from the URL.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long SQLite waits for another process's write lock before giving up.
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(10), busy_timeout: Duration::from_secs(10) }
    }
}

/// A handle to the database: reads go to `read`; writes go through [`Db::begin_write`].
/// On SQLite the write pool has exactly one connection and opens transactions with
/// `BEGIN IMMEDIATE`, so writers in this process queue for the pool instead of failing
/// with "database is locked"; `busy_timeout` covers other processes (the CLI).
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    dialect: Dialect,
    bulk: BulkPool,
}

/// The native driver's pool for reads of many rows, on the same database as the `Any` pools.
/// Connected lazily (nothing is opened until the first bulk read) and small: bulk readers
/// are few (exports, the scheduled verification) and each holds a connection for one page.
/// On SQLite its connections are read-only.
#[derive(Clone, Debug)]
pub enum BulkPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Connections of the bulk pool.
const BULK_CONNECTIONS: u32 = 4;
/// Rows the SQLite worker thread may read ahead of the task decoding them (sqlx's default is
/// 50): fewer hand-offs between the two threads per page.
const SQLITE_BULK_ROW_BUFFER: usize = 1_024;

fn bulk_pool_options<DB: sqlx::Database>(options: &DbOptions) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(BULK_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(options.acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(60)))
}

impl Db {
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self, DbError> {
        install_default_drivers();
        let dialect: Dialect = url.parse()?;
        match dialect {
            Dialect::Postgres => {
                // One direct connection first: a pool would report only "timed out" where the
                // operator needs "connection refused" or "password authentication failed".
                sqlx::AnyConnection::connect(url)
                    .await
                    .map_err(DbError::Connect)?
                    .close()
                    .await
                    .map_err(DbError::Connect)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect(url)
                    .await
                    .map_err(DbError::Connect)?;
                let native = PgConnectOptions::from_str(url).map_err(DbError::Connect)?;
                let bulk = BulkPool::Postgres(bulk_pool_options(options).connect_lazy_with(native));
                Ok(Self { read: pool.clone(), write: pool, dialect, bulk })
            }
            Dialect::Sqlite => {
                if url.contains(":memory:") || url.contains("mode=memory") {
                    return Err(DbError::InMemorySqlite);
                }
                let url = sqlite_url_creating_file(url);
                let busy_ms = options.busy_timeout.as_millis();
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {busy_ms}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA recursive_triggers = ON;"
                );
                let build = |max: u32| {
                    let pragmas = pragmas.clone();
                    AnyPoolOptions::new().max_connections(max).acquire_timeout(options.acquire_timeout).after_connect(
                        move |conn, _meta| {
                            let pragmas = pragmas.clone();
                            Box::pin(async move {
                                conn.execute(pragmas.as_str()).await?;
                                Ok(())
                            })
                        },
                    )
                };
                // Open the writer first: it creates the file and switches it to WAL.
                let write = build(1).connect(&url).await.map_err(DbError::Connect)?;
                let read = build(options.max_connections.max(2)).connect(&url).await.map_err(DbError::Connect)?;
                let native = SqliteConnectOptions::from_str(&url)
                    .map_err(DbError::Connect)?
                    .read_only(true)
                    .create_if_missing(false)
                    .busy_timeout(options.busy_timeout)
                    .row_buffer_size(SQLITE_BULK_ROW_BUFFER);
                let bulk = BulkPool::Sqlite(bulk_pool_options(options).connect_lazy_with(native));
                Ok(Self { read, write, dialect, bulk })
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool for reads (and for single-statement writes that need no transaction on
    /// PostgreSQL). On SQLite, use [`Db::begin_write`] for every write.
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }

    /// The native pool for reads of many rows (see [`BulkPool`]).
    pub fn bulk(&self) -> &BulkPool {
        &self.bulk
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, DbError> {
        let statement = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        Ok(self.write.begin_with(statement).await?)
    }

    /// Runs the embedded migrations for this dialect.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.write).await.map_err(|e| match e {
            MigrateError::VersionMissing(v) => DbError::NewerSchema(v),
            other => DbError::Migrate(other),
        })
    }

    /// `SELECT 1` against the read pool: used by `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.bulk {
            BulkPool::Sqlite(pool) => pool.close().await,
            BulkPool::Postgres(pool) => pool.close().await,
        }
        self.write.close().await;
        self.read.close().await;
    }
}

/// `sqlite://path` opens read-write and creates the file if missing, unless the URL
/// already says which mode it wants. The parent directory is created too.
fn sqlite_url_creating_file(url: &str) -> String {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if let Some(parent) = std::path::Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()) {
        // A failure here surfaces as a clear connect error right after.
        let _ = std::fs::create_dir_all(parent);
    }
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl FromStr for Dialect {
    type Err = DbError;
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Dialect::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// Encodes a bool as the 0/1 integer both schemas store.
pub fn flag(value: bool) -> i64 {
    i64::from(value)
}
