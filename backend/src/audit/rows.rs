//! Events as rows: the column list, decoding a row, and running an event query either on the
//! `Any` pool or — for exports and verification, which read millions — on the database's own
//! driver ([`Db::bulk`]), where decoding typed columns directly is several times cheaper than
//! converting every value through `Any`.

use domain::audit::AuditEvent;
use futures_util::TryStreamExt;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use crate::db::{BulkPool, Db, DbError};

/// The columns of an event, in the order [`event_from_row`] reads them.
pub(crate) const EVENT_COLUMNS: &str = "seq, at_ms, actor, action, subject, details, prev_hash, hash";

/// A row selected as [`EVENT_COLUMNS`], by position (exports read millions).
pub(crate) fn event_from_row<R>(row: &R) -> Result<AuditEvent, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    i64: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    String: for<'r> Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AuditEvent {
        seq: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        subject: row.try_get(4)?,
        details: row.try_get(5)?,
        prev_hash: row.try_get(6)?,
        hash: row.try_get(7)?,
    })
}

/// A query parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// Which pool runs a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// The `Any` read pool: pages of the audit page, a few dozen rows.
    Pool,
    /// The native driver's pool: exports and verification.
    Bulk,
}

/// Runs `sql` (selecting [`EVENT_COLUMNS`]) with `binds` as `$1, $2, …` and decodes the
/// events in the order the query returns them.
pub(crate) async fn fetch_events(
    db: &Db,
    reader: Reader,
    sql: &str,
    binds: &[Bind],
) -> Result<Vec<AuditEvent>, DbError> {
    Ok(match (reader, db.bulk()) {
        (Reader::Bulk, BulkPool::Sqlite(pool)) => fetch(pool, sql, binds).await?,
        (Reader::Bulk, BulkPool::Postgres(pool)) => fetch(pool, sql, binds).await?,
        (Reader::Pool, _) => fetch(db.pool(), sql, binds).await?,
    })
}

/// The query on one driver. Rows are decoded as they arrive, while the driver reads the next.
async fn fetch<'a, DB>(pool: &'a Pool<DB>, sql: &'a str, binds: &'a [Bind]) -> Result<Vec<AuditEvent>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments<'a>: IntoArguments<'a, DB>,
    i64: Encode<'a, DB> + Type<DB> + for<'r> Decode<'r, DB>,
    &'a str: Encode<'a, DB> + Type<DB>,
    String: for<'r> Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    bind_all(sqlx::query::<DB>(sql), binds)
        .fetch(pool)
        .and_then(|row| async move { event_from_row(&row) })
        .try_collect()
        .await
}

/// `query` with `binds` bound in order.
pub(crate) fn bind_all<'a, DB>(
    mut query: sqlx::query::Query<'a, DB, DB::Arguments<'a>>,
    binds: &'a [Bind],
) -> sqlx::query::Query<'a, DB, DB::Arguments<'a>>
where
    DB: Database,
    i64: Encode<'a, DB> + Type<DB>,
    &'a str: Encode<'a, DB> + Type<DB>,
{
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}
