//! The seeded audit trail: events are planned out of order (each request's whole story when it
//! is created), held in a [`Timeline`] and released in time order; each batch is appended to
//! the hash chain inside the batch's transaction, continuing from the stored `audit_head`
//! exactly as [`crate::audit::append`] does (same canonical bytes, same hash), with the
//! `audit_request_scope` row of every event about a request.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use domain::audit::{canonical_bytes, chain_hash};
use sqlx::{Any, Row, Transaction};

use super::rows::insert;
use crate::db::{DbError, Dialect};

/// Where a request's events belong, for `audit_request_scope`.
pub(super) struct Scope {
    pub request_id: i64,
    pub team: String,
    pub environment: String,
    pub module: String,
}

/// An event before it has a place in the chain.
pub(super) struct Planned {
    pub at_ms: i64,
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    /// Already canonical ([`domain::audit::canonical_details`]).
    pub details: String,
    pub scope: Option<Arc<Scope>>,
}

struct Queued {
    /// `(at_ms, order planned)`: events of one request at the same millisecond keep their order.
    key: (i64, u64),
    event: Planned,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Planned events, released oldest first.
#[derive(Default)]
pub(super) struct Timeline {
    heap: BinaryHeap<Reverse<Queued>>,
    planned: u64,
}

impl Timeline {
    pub(super) fn push(&mut self, event: Planned) {
        self.planned += 1;
        self.heap.push(Reverse(Queued { key: (event.at_ms, self.planned), event }));
    }

    /// Moves every event before `before_ms` to `out`, oldest first.
    pub(super) fn release(&mut self, before_ms: i64, out: &mut Vec<Planned>) {
        while self.heap.peek().is_some_and(|Reverse(q)| q.key.0 < before_ms) {
            if let Some(Reverse(q)) = self.heap.pop() {
                out.push(q.event);
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }
}

struct Stored<'a> {
    seq: i64,
    event: &'a Planned,
    prev_hash: String,
    hash: String,
}

/// Appends `events` in order to the chain in `tx`: reads the head (locked on PostgreSQL, as
/// `audit::append` does), hashes each event onto it, inserts the events and their scope rows,
/// and moves the head. Returns the new head's seq.
pub(super) async fn append_all(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    events: &[Planned],
) -> Result<i64, DbError> {
    let lock = match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let head =
        sqlx::query(&format!("SELECT seq, hash FROM audit_head WHERE id = 1{lock}")).fetch_one(&mut **tx).await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    if events.is_empty() {
        return Ok(seq);
    }
    let mut stored = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let bytes = canonical_bytes(seq, event.at_ms, &event.actor, event.action, &event.subject, &event.details);
        let hash = chain_hash(&prev, &bytes);
        stored.push(Stored { seq, event, prev_hash: std::mem::replace(&mut prev, hash.clone()), hash });
    }
    let head = "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash)";
    insert(tx, dialect, head, 8, &stored, |q, s| {
        q.bind(s.seq)
            .bind(s.event.at_ms)
            .bind(s.event.actor.as_str())
            .bind(s.event.action)
            .bind(s.event.subject.as_str())
            .bind(s.event.details.as_str())
            .bind(s.prev_hash.as_str())
            .bind(s.hash.as_str())
    })
    .await?;
    let scoped: Vec<(i64, &Scope)> = stored.iter().filter_map(|s| Some((s.seq, s.event.scope.as_deref()?))).collect();
    let head = "INSERT INTO audit_request_scope (seq, request_id, team, environment, module)";
    insert(tx, dialect, head, 5, &scoped, |q, (seq, s)| {
        q.bind(*seq).bind(s.request_id).bind(s.team.as_str()).bind(s.environment.as_str()).bind(s.module.as_str())
    })
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}
