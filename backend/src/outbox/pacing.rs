//! The pacer's memory in the database (`host_writes`), so the workers of every replica share
//! one budget of GitHub's content-creation limits instead of each spending its own. A
//! reservation reads the last hour's reservations under a lock, decides with [`Pacer`] and
//! records itself in the same transaction.

use sqlx::Row;

use super::backoff::Pacer;
use crate::db::{Db, DbError, Dialect};

/// Reserves `cost` calls at `now_ms`: `Ok(Ok(()))` when they fit, `Ok(Err(at_ms))` when they
/// fit only from `at_ms` on (nothing is recorded then).
pub async fn reserve(db: &Db, pacer: &Pacer, now_ms: i64, cost: u32) -> Result<Result<(), i64>, DbError> {
    if pacer.is_unlimited() {
        return Ok(Ok(()));
    }
    let mut tx = db.begin_write().await?;
    if db.dialect() == Dialect::Postgres {
        // Reservers take turns (the lock conflicts with itself, not with readers); SQLite's
        // write transaction is exclusive already.
        sqlx::query("LOCK TABLE host_writes IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM host_writes WHERE at_ms <= $1")
        .bind(now_ms - pacer.longest_window_ms())
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query("SELECT at_ms, cost FROM host_writes ORDER BY at_ms, id").fetch_all(&mut *tx).await?;
    let mut spent = Vec::with_capacity(rows.len());
    for row in &rows {
        let at: i64 = row.try_get("at_ms")?;
        let cost: i64 = row.try_get("cost")?;
        spent.push((at, u32::try_from(cost).unwrap_or(u32::MAX)));
    }
    let mut decide = pacer.clone();
    decide.set_spent(spent);
    match decide.reserve(now_ms, cost) {
        Ok(()) => {
            sqlx::query("INSERT INTO host_writes (at_ms, cost) VALUES ($1, $2)")
                .bind(now_ms)
                .bind(i64::from(cost))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
        Err(at_ms) => {
            tx.rollback().await?;
            Ok(Err(at_ms))
        }
    }
}
