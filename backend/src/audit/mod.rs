//! The audit writer. Every change in Infradesk is recorded by calling [`append`] inside the
//! same transaction as the change, so either both are stored or neither is.
//!
//! Readers: [`search`] (the audit page's filters and keyset pages), [`export`] (CSV and JSON
//! Lines, streamed page by page), [`offline`] (checking an export without the database) and
//! [`monitor`] (the server's scheduled [`verify`] and its last result).

pub mod export;
pub mod monitor;
pub mod offline;
mod rows;
pub mod search;

use domain::audit::{Actor, AuditEvent, ChainBreak, GENESIS_HASH, canonical_bytes, canonical_details, chain_hash};
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::db::{Db, DbError, Dialect};
use rows::{Bind, EVENT_COLUMNS, Reader};

/// What happened, in the terms the audit trail uses.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    /// Dotted verb, e.g. `user.created`, `auth.sign_in_failed`.
    pub action: &'a str,
    /// What it happened to, e.g. `user:alice`, `team:sre`, `config`.
    pub subject: &'a str,
    pub details: serde_json::Value,
}

/// Appends one event to the chain inside `tx`. The head row is locked (`FOR UPDATE` on
/// PostgreSQL; SQLite write transactions are already exclusive), so concurrent writers
/// take turns and the chain stays linear.
pub async fn append(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    at_ms: i64,
    entry: Entry<'_>,
) -> Result<AuditEvent, DbError> {
    let lock = match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let conn: &mut AnyConnection = tx;
    let head =
        sqlx::query(&format!("SELECT seq, hash FROM audit_head WHERE id = 1{lock}")).fetch_one(&mut *conn).await?;
    let prev_seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;

    let seq = prev_seq + 1;
    let actor = entry.actor.to_string();
    let details = canonical_details(&entry.details);
    let hash = chain_hash(&prev_hash, &canonical_bytes(seq, at_ms, &actor, entry.action, entry.subject, &details));

    sqlx::query(
        "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at_ms)
    .bind(&actor)
    .bind(entry.action)
    .bind(entry.subject)
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    if let Some(request_id) = entry.subject.strip_prefix("request:").and_then(|n| n.parse::<i64>().ok()) {
        // The request's team, environment and module, for the audit page's filters.
        sqlx::query(
            "INSERT INTO audit_request_scope (seq, request_id, team, environment, module) \
             SELECT $1, r.id, t.slug, r.environment, r.module_id FROM requests r JOIN teams t ON t.id = r.team_id \
             WHERE r.id = $2",
        )
        .bind(seq)
        .bind(request_id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;

    Ok(AuditEvent {
        seq,
        at_ms,
        actor,
        action: entry.action.to_owned(),
        subject: entry.subject.to_owned(),
        details,
        prev_hash,
        hash,
    })
}

/// Convenience for a change that is nothing but its audit event (sign-in, config load).
pub async fn record(db: &Db, at_ms: i64, entry: Entry<'_>) -> Result<AuditEvent, DbError> {
    let mut tx = db.begin_write().await?;
    let event = append(&mut tx, db.dialect(), at_ms, entry).await?;
    tx.commit().await?;
    Ok(event)
}

/// The most recent events, newest first (`before` = a seq to page from).
pub async fn recent(db: &Db, limit: i64, before: Option<i64>) -> Result<Vec<AuditEvent>, DbError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT $2");
    rows::fetch_events(db, Reader::Pool, &sql, &[Bind::Int(before.unwrap_or(i64::MAX)), Bind::Int(limit)]).await
}

/// Events about one subject, oldest first.
pub async fn for_subject(db: &Db, subject: &str) -> Result<Vec<AuditEvent>, DbError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE subject = $1 ORDER BY seq");
    rows::fetch_events(db, Reader::Pool, &sql, &[Bind::Text(subject.to_owned())]).await
}

/// The result of walking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub events: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<ChainBreak>,
}

/// The chain's current end as stored in `audit_head`: `(seq, hash)`; `(0, 64 zeros)` before
/// the first event. This is the value to publish elsewhere as an anchor.
pub async fn head(db: &Db) -> Result<(i64, String), DbError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(db.pool()).await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// Events per page of [`verify`].
const VERIFY_PAGE: i64 = 25_000;

/// Walks the chain in pages from the first event, then checks that its end is the stored
/// head, so edits, deletions, insertions, reorders and a cut-off tail are all reported.
///
/// The head is read first and the walk stops there, so events appended while it runs (the
/// server keeps writing during its scheduled verification) are left for the next run
/// instead of being mistaken for a chain that runs past its head.
///
/// Pages are read through the native driver ([`Db::bulk`]) by a task that stays up to two
/// pages ahead, while each page's hashes are checked on a blocking thread: reading and
/// hashing proceed at the same time on two cores.
pub async fn verify(db: &Db) -> Result<Verification, DbError> {
    let (head_seq, head_hash) = head(db).await?;
    let (tx, mut pages) = tokio::sync::mpsc::channel::<Result<Vec<AuditEvent>, DbError>>(2);
    let reader = db.clone();
    tokio::spawn(async move {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3");
        let mut after = 0_i64;
        loop {
            let binds = [Bind::Int(after), Bind::Int(head_seq), Bind::Int(VERIFY_PAGE)];
            let page = rows::fetch_events(&reader, Reader::Bulk, &sql, &binds).await;
            let last = match &page {
                Ok(events) if i64::try_from(events.len()).unwrap_or(0) < VERIFY_PAGE => None,
                Ok(events) => events.last().map(|e| e.seq),
                Err(_) => None,
            };
            // The receiver is gone when the walk stopped at a break.
            if tx.send(page).await.is_err() {
                return;
            }
            match last {
                Some(seq) => after = seq,
                None => return,
            }
        }
    });
    let mut tail = (0_i64, GENESIS_HASH.to_owned());
    let mut count = 0_i64;
    let mut broken = None;
    while let Some(page) = pages.recv().await {
        let events = page?;
        count += i64::try_from(events.len()).unwrap_or(i64::MAX);
        let from = tail.clone();
        let checked = match tokio::task::spawn_blocking(move || domain::audit::verify_run(from, &events)).await {
            Ok(checked) => checked,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down.
            Err(e) => return Err(DbError::Sql(sqlx::Error::Io(std::io::Error::other(e)))),
        };
        match checked {
            Ok(next) => tail = next,
            Err(b) => {
                broken = Some(b);
                break;
            }
        }
    }
    drop(pages);
    if broken.is_none() && (tail.0, tail.1.as_str()) != (head_seq, head_hash.as_str()) {
        broken = Some(ChainBreak {
            seq: tail.0 + 1,
            reason: format!(
                "the chain ends at event {} but the stored head is event {head_seq}: events are missing or the chain was rewritten",
                tail.0
            ),
        });
    }
    if broken.is_none() {
        // An event past the head that the head never moved to was not written by `append`.
        let beyond = sqlx::query("SELECT MIN(seq) AS seq FROM audit_events WHERE seq > $1")
            .bind(head_seq)
            .fetch_one(db.pool())
            .await?
            .try_get::<Option<i64>, _>("seq")?;
        if let Some(seq) = beyond
            && head(db).await?.0 < seq
        {
            broken = Some(ChainBreak {
                seq,
                reason: format!(
                    "event {seq} lies beyond the stored head (event {head_seq}): it was not appended by Infradesk"
                ),
            });
        }
    }
    Ok(Verification { events: count, head_seq, head_hash, broken })
}
