//! tower-sessions records in our own `sessions` table. We keep our own store (rather than
//! tower-sessions-sqlx-store) because the signed-in user's id is copied into a column:
//! disabling a user deletes all their sessions with one statement, and expiry is judged by
//! the injectable clock.

use async_trait::async_trait;
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

use crate::clock::SharedClock;
use crate::db::{Db, DbError};

/// The session key under which the signed-in user's id is stored.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
    clock: SharedClock,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Deletes sessions past their expiry; run periodically by the server.
    pub async fn delete_expired(&self) -> std::result::Result<u64, DbError> {
        let now = self.clock.now_ms() / 1000;
        let mut tx = self.db.begin_write().await?;
        let n = sqlx::query("DELETE FROM sessions WHERE expiry_unix <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn write(&self, record: &Record, insert_only: bool) -> std::result::Result<bool, DbError> {
        let data = serde_json::to_string(&record.data).map_err(|e| DbError::Sql(sqlx::Error::Encode(Box::new(e))))?;
        let user_id = record.data.get(USER_ID_KEY).and_then(serde_json::Value::as_i64);
        let conflict = if insert_only {
            "ON CONFLICT (id) DO NOTHING"
        } else {
            "ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expiry_unix = excluded.expiry_unix"
        };
        let mut tx = self.db.begin_write().await?;
        // A session of a user who no longer exists (or was disabled meanwhile) is not
        // written back: the INSERT ... SELECT finds no row to insert.
        let sql = format!(
            "INSERT INTO sessions (id, user_id, data, expiry_unix) \
             SELECT $1, $2, $3, $4 WHERE $2 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $2 AND disabled = 0) {conflict}"
        );
        let written = sqlx::query(&sql)
            .bind(record.id.to_string())
            .bind(user_id)
            .bind(data)
            .bind(record.expiry_date.unix_timestamp())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(written > 0)
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but never
        // overwrite someone else's session if it happens.
        for _ in 0..8 {
            if self.write(record, true).await.map_err(backend)? {
                return Ok(());
            }
            let taken = sqlx::query("SELECT 1 AS one FROM sessions WHERE id = $1")
                .bind(record.id.to_string())
                .fetch_optional(self.db.pool())
                .await
                .map_err(backend)?
                .is_some();
            if !taken {
                return Err(Error::Backend("the session's user is disabled or no longer exists".into()));
            }
            record.id = Id::default();
        }
        Err(Error::Backend("could not allocate a unique session id".into()))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.write(record, false).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = self.clock.now_ms() / 1000;
        let row = sqlx::query("SELECT data, expiry_unix FROM sessions WHERE id = $1 AND expiry_unix > $2")
            .bind(id.to_string())
            .bind(now)
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expiry: i64 = row.try_get("expiry_unix").map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(expiry).map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }
}
