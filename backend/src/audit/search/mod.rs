//! The audit page's query: events matching a [`Filter`] (time range, actor, action, team,
//! environment, module, request), newest first, one keyset page at a time.
//!
//! Each filter has an index that yields its events already in page order, so a page reads
//! about `limit` index entries however many events there are:
//!
//! | filter | index | order |
//! | --- | --- | --- |
//! | none | primary key | `seq DESC` |
//! | actor / action / request | `audit_events_actor` / `_action` / `_subject` `(…, seq)` | `seq DESC` |
//! | team / environment / module | `audit_request_scope_team` / `_environment` / `_module` `(…, seq)`, joined to the event by `seq` | `seq DESC` |
//! | time range only | `audit_events_at (at_ms)` | `at_ms DESC, seq DESC` |
//!
//! A time range combined with any other filter is checked on the rows the other filter's
//! index yields. A time range alone is listed by time: walking the primary key from the
//! newest event to a range a year back would read every event in between, and sorting a
//! wide range by `seq` would read all of it. The two orders are the same whenever the
//! clock only moves forward (times are taken as each change is made, and events are numbered
//! in commit order, so two writers can be a few milliseconds out of step); the cursor is
//! always a `seq` and the page query finds that event's time itself.
//!
//! [`query`] builds the SQL of a page; [`params`] reads the filter as typed into the page's
//! form or an export link.

mod params;
mod query;

use domain::audit::AuditEvent;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub use self::params::{FieldError, FilterParams, parse_time};
pub use self::query::PageQuery;
use super::rows::{self, Reader};
use crate::db::{Db, DbError};

/// Which events to list. Every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Events at or after this time (Unix milliseconds).
    pub from_ms: Option<i64>,
    /// Events strictly before this time (Unix milliseconds).
    pub until_ms: Option<i64>,
    /// The stored actor text, e.g. `user:alice`, `cli:ops`, `system`.
    pub actor: Option<String>,
    /// The action, e.g. `request.submitted`.
    pub action: Option<String>,
    /// The requesting team of a request's events (slug).
    pub team: Option<String>,
    /// The environment of a request's events.
    pub environment: Option<String>,
    /// The catalog module of a request's events.
    pub module: Option<String>,
    /// A request number: the events whose subject is `request:<n>`.
    pub request: Option<i64>,
    /// Only events up to this `seq` (an export's snapshot of the chain's end).
    pub through_seq: Option<i64>,
}

impl Filter {
    /// Whether the page is listed by time (a time range and nothing else to drive it).
    pub fn by_time(&self) -> bool {
        (self.from_ms.is_some() || self.until_ms.is_some())
            && self.actor.is_none()
            && self.action.is_none()
            && self.request.is_none()
            && !self.uses_scope()
    }

    fn uses_scope(&self) -> bool {
        self.team.is_some() || self.environment.is_some() || self.module.is_some()
    }
}

/// One page of events, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub events: Vec<AuditEvent>,
    /// The cursor for the next (older) page: the `seq` of this page's last event, when there
    /// are more.
    pub next_before: Option<i64>,
}

/// Where a page starts, for the query: `(at_ms, seq)` of the cursor event. `None` when
/// there is no cursor; a cursor past the newest event starts at the newest.
async fn cursor(db: &Db, filter: &Filter, before: Option<i64>) -> Result<Option<(i64, i64)>, DbError> {
    let Some(seq) = before else { return Ok(None) };
    if !filter.by_time() {
        return Ok(Some((0, seq)));
    }
    let row = sqlx::query("SELECT at_ms FROM audit_events WHERE seq = $1").bind(seq).fetch_optional(db.pool()).await?;
    Ok(match row {
        Some(row) => Some((row.try_get("at_ms")?, seq)),
        // Seqs have no gaps: a missing one is past the end (or before the start, where
        // nothing is older).
        None if seq > 0 => None,
        None => Some((i64::MIN, i64::MIN)),
    })
}

/// One page of at most `limit` events matching `filter`, newest first, older than the
/// event `before` (a `next_before` of the previous page).
pub async fn page(db: &Db, filter: &Filter, before: Option<i64>, limit: i64) -> Result<Page, DbError> {
    page_through(db, Reader::Pool, filter, before, limit).await
}

/// [`page`], with the events read by `reader` (exports read theirs through the native driver).
pub(crate) async fn page_through(
    db: &Db,
    reader: Reader,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Page, DbError> {
    let limit = limit.max(1);
    let cursor = cursor(db, filter, before).await?;
    let q = PageQuery::build(filter, cursor, limit + 1);
    let mut events = rows::fetch_events(db, reader, &q.sql, &q.binds).await?;
    let more = i64::try_from(events.len()).unwrap_or(i64::MAX) > limit;
    if more {
        events.pop();
    }
    let next_before = if more { events.last().map(|e| e.seq) } else { None };
    Ok(Page { events, next_before })
}
