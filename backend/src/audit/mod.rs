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
/// Pages [`verify`] reads at the same time.
const VERIFY_READERS: usize = 2;

/// Walks the chain in pages from the first event, then checks that its end is the stored
/// head, so edits, deletions, insertions, reorders and a cut-off tail are all reported.
///
/// The head is read first and the walk stops there, so events appended while it runs (the
/// server keeps writing during its scheduled verification) are left for the next run
/// instead of being mistaken for a chain that runs past its head.
///
/// Pages are ranges of sequence numbers read through the native driver ([`Db::bulk`]), two
/// at a time on two connections, by a task that stays up to two pages ahead of the check;
/// each page's hashes are checked on a blocking thread, so reading and hashing share the
/// cores.
///
/// A chain rewritten from scratch together with `audit_head` is consistent in itself; only a
/// head published elsewhere catches it: see [`verify_anchored`].
pub async fn verify(db: &Db) -> Result<Verification, DbError> {
    walk(db, VERIFY_PAGE, None).await
}

/// [`verify`], and also checks a published head (`anchor`: `(seq, hash)`, the head hash the
/// admin page showed at some time): event `seq` must be in the chain and carry that hash
/// (compared ignoring ASCII case), else the chain is broken at `seq`. When the walk finds an
/// earlier break, that one is reported.
pub async fn verify_anchored(db: &Db, anchor: Option<(i64, &str)>) -> Result<Verification, DbError> {
    walk(db, VERIFY_PAGE, anchor).await
}

/// [`verify_anchored`] reading `page` events per query: tests cross page boundaries with a
/// small chain.
#[cfg(feature = "testing")]
pub async fn verify_in_pages(db: &Db, page: i64, anchor: Option<(i64, &str)>) -> Result<Verification, DbError> {
    walk(db, page.max(1), anchor).await
}

async fn walk(db: &Db, page_size: i64, anchor: Option<(i64, &str)>) -> Result<Verification, DbError> {
    let (head_seq, head_hash) = head(db).await?;
    let (tx, mut pages) = tokio::sync::mpsc::channel::<Result<Vec<AuditEvent>, DbError>>(2);
    let reader = db.clone();
    tokio::spawn(async move {
        use futures_util::StreamExt;
        // Anything stored below event 1 (which the audit page and exports would list) comes
        // first and is reported where event 1 was expected: one such event is enough.
        let below = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq < 1 ORDER BY seq LIMIT 1");
        let page = rows::fetch_events(&reader, Reader::Bulk, &below, &[]).await;
        let failed = page.is_err();
        if tx.send(page).await.is_err() || failed {
            return;
        }
        // Then ranges of `page_size` sequence numbers up to the head (seq is the key, so a
        // range holds at most that many events; a gap shows as a break when the pages are
        // checked in order). Ranges need no previous page to start from, so
        // `VERIFY_READERS` of them are read at once, each on its own connection (on SQLite
        // its own worker thread), and handed on in order.
        let range = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq");
        let starts = (0..head_seq.max(0)).step_by(usize::try_from(page_size).unwrap_or(1));
        let mut pages = futures_util::stream::iter(starts)
            .map(|low| {
                let binds = [Bind::Int(low), Bind::Int(low.saturating_add(page_size).min(head_seq))];
                let (reader, range) = (&reader, &range);
                async move { rows::fetch_events(reader, Reader::Bulk, range, &binds).await }
            })
            .buffered(VERIFY_READERS);
        while let Some(page) = pages.next().await {
            let failed = page.is_err();
            // The receiver is gone when the walk stopped at a break.
            if tx.send(page).await.is_err() || failed {
                return;
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
    if broken.is_none() {
        broken = end_mismatch(&tail, head_seq, &head_hash);
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
    if let Some((seq, hash)) = anchor
        && broken.as_ref().is_none_or(|b| seq < b.seq)
        && let Some(reason) = anchor_mismatch(db, head_seq, seq, hash).await?
    {
        broken = Some(ChainBreak { seq, reason });
    }
    Ok(Verification { events: count, head_seq, head_hash, broken })
}

/// Why the walk's last event `tail` (`(0, 64 zeros)` before the first) is not the stored head
/// `(head_seq, head_hash)`, if it is not. The walk reads nothing past the head, so it ends at
/// the head's event or before it.
fn end_mismatch(tail: &(i64, String), head_seq: i64, head_hash: &str) -> Option<ChainBreak> {
    let (seq, hash) = (tail.0, tail.1.as_str());
    if seq < head_seq {
        Some(ChainBreak {
            seq: seq + 1,
            reason: format!(
                "the chain ends at event {seq} but the stored head is event {head_seq}: events {} to {head_seq} are missing",
                seq + 1
            ),
        })
    } else if head_seq < 1 && (head_seq, head_hash) != (0, GENESIS_HASH) {
        Some(ChainBreak {
            seq: 1,
            reason: format!(
                "the stored head (event {head_seq}, hash {head_hash}) is not the end of any chain: it was edited"
            ),
        })
    } else if hash != head_hash {
        // The chain that leads to the head's event is not the one whose end was stored.
        Some(ChainBreak {
            seq: head_seq,
            reason: format!(
                "event {head_seq} has hash {hash} but the stored head hash is {head_hash}: \
                 the chain was rewritten or the head edited"
            ),
        })
    } else {
        None
    }
}

/// Why event `seq` of the chain up to `head_seq` does not carry the published `hash`, if it
/// does not.
async fn anchor_mismatch(db: &Db, head_seq: i64, seq: i64, hash: &str) -> Result<Option<String>, DbError> {
    if seq > head_seq {
        return Ok(Some(format!(
            "the published head is event {seq} but the chain ends at event {head_seq}: events are missing"
        )));
    }
    let stored = sqlx::query("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(seq)
        .fetch_optional(db.pool())
        .await?
        .map(|row| row.try_get::<String, _>("hash"))
        .transpose()?;
    Ok(match stored {
        Some(stored) if stored.eq_ignore_ascii_case(hash) => None,
        Some(stored) => Some(format!(
            "event {seq} has hash {stored} but the published head says {hash}: the chain up to it was rewritten"
        )),
        None => Some(format!("the published head is event {seq}, which is not in the chain")),
    })
}
