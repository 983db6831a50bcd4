//! Moving a request from one status to the next, inside the caller's transaction: the rule
//! check ([`domain::request::transition()`]), the status and version update, and the one audit
//! event that names the transition — together or not at all.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role, Transition, TransitionError, transition};
use serde_json::{Value, json};
use sqlx::{Any, Row, Transaction};

use crate::audit::{self, Entry};
use crate::db::{DbError, Dialect};

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("request #{0} does not exist")]
    NoSuchRequest(i64),
    #[error(transparent)]
    Refused(#[from] TransitionError),
    /// Someone else changed the request since the caller read it.
    #[error("request #{number} was changed by someone else meanwhile (now {}); reload it", .now.label())]
    Stale { number: i64, now: Status },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ChangeError {
    fn from(e: sqlx::Error) -> Self {
        ChangeError::Db(DbError::Sql(e))
    }
}

/// One transition to apply.
pub struct Change<'a> {
    pub number: i64,
    pub event: Event,
    pub role: Role,
    pub actor: &'a Actor,
    /// When set, the request must still have this version (optimistic concurrency).
    pub expected_version: Option<i64>,
    /// Merged into the audit event's details (an object).
    pub details: Value,
}

/// The request's status, read for update (row lock on PostgreSQL; SQLite write transactions
/// are exclusive already).
pub async fn status_for_update(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    number: i64,
) -> Result<(Status, i64), ChangeError> {
    let lock = match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let row = sqlx::query(&format!("SELECT status, version FROM requests WHERE id = $1{lock}"))
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(ChangeError::NoSuchRequest(number))?;
    let status: String = row.try_get("status")?;
    let status = status.parse::<Status>().map_err(|e| DbError::Sql(sqlx::Error::Decode(e.to_string().into())))?;
    Ok((status, row.try_get("version")?))
}

/// Applies `change` in `tx`. Returns the transition made.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    change: Change<'_>,
) -> Result<Transition, ChangeError> {
    let (from, version) = status_for_update(tx, dialect, change.number).await?;
    if change.expected_version.is_some_and(|expected| expected != version) {
        return Err(ChangeError::Stale { number: change.number, now: from });
    }
    let transition = transition(from, change.event, change.role)?;
    sqlx::query("UPDATE requests SET status = $1, version = version + 1, updated_at_ms = $2 WHERE id = $3")
        .bind(transition.to.as_str())
        .bind(now_ms)
        .bind(change.number)
        .execute(&mut **tx)
        .await?;
    super::queue_rows::refresh(tx, change.number).await?;
    let mut details = json!({ "from": from.as_str(), "to": transition.to.as_str() });
    if transition.merged_without_approval {
        details["merged_without_approval"] = json!(true);
    }
    if let (Some(map), Value::Object(extra)) = (details.as_object_mut(), change.details) {
        map.extend(extra);
    }
    audit::append(
        tx,
        dialect,
        now_ms,
        Entry {
            actor: change.actor,
            action: &transition.action,
            subject: &format!("request:{}", change.number),
            details,
        },
    )
    .await?;
    Ok(transition)
}
