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

use domain::audit::AuditEvent;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{EVENT_COLUMNS, event_from_row};
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

enum Bind {
    Int(i64),
    Text(String),
}

/// The SQL for one page and its parameters, built from the filter. Public so tests and
/// benchmarks can print the plan each database chooses (`EXPLAIN`).
pub struct PageQuery {
    pub sql: String,
    binds: Vec<Bind>,
}

impl PageQuery {
    /// `cursor`: the keyset position — `(seq)` when listing by seq, `(at_ms, seq)` of the
    /// cursor event when listing by time.
    pub fn build(filter: &Filter, cursor: Option<(i64, i64)>, limit: i64) -> Self {
        let mut q = PageQuery { sql: String::new(), binds: Vec::new() };
        let scoped = filter.uses_scope();
        // The driving table's seq: ordering by the indexed column lets each database walk the
        // filter's `(value, seq)` index backwards and stop after `limit` rows.
        let key = if scoped { "s.seq" } else { "e.seq" };
        let columns = EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
        let from = if scoped { "audit_request_scope s JOIN audit_events e ON e.seq = s.seq" } else { "audit_events e" };
        let mut conditions: Vec<String> = Vec::new();
        let mut text = |q: &mut PageQuery, column: &str, value: &Option<String>| {
            if let Some(v) = value {
                let n = q.push(Bind::Text(v.clone()));
                conditions.push(format!("{column} = ${n}"));
            }
        };
        text(&mut q, "e.actor", &filter.actor);
        text(&mut q, "e.action", &filter.action);
        text(&mut q, "e.subject", &filter.request.map(|n| format!("request:{n}")));
        text(&mut q, "s.team", &filter.team);
        text(&mut q, "s.environment", &filter.environment);
        text(&mut q, "s.module", &filter.module);
        if let Some(from) = filter.from_ms {
            let n = q.push(Bind::Int(from));
            conditions.push(format!("e.at_ms >= ${n}"));
        }
        // Each range gets one upper bound only: given `x <= a AND x < b`, SQLite bounds the index
        // range by one of them and filters by the other; bounding by the range's end (or an
        // export's snapshot) instead of the cursor would make every page read from there down,
        // which is quadratic over an export.
        let order = if filter.by_time() {
            match cursor {
                Some((at_ms, seq)) => {
                    let bound = filter.until_ms.map_or(at_ms, |u| at_ms.min(u.saturating_sub(1)));
                    let b = q.push(Bind::Int(bound));
                    let a = q.push(Bind::Int(at_ms));
                    let s = q.push(Bind::Int(seq));
                    // The first condition bounds the index range; the second is the exact keyset.
                    conditions.push(format!("e.at_ms <= ${b} AND (e.at_ms < ${a} OR e.seq < ${s})"));
                }
                None => {
                    if let Some(until) = filter.until_ms {
                        let n = q.push(Bind::Int(until));
                        conditions.push(format!("e.at_ms < ${n}"));
                    }
                }
            }
            if let Some(through) = filter.through_seq {
                let n = q.push(Bind::Int(through));
                conditions.push(format!("e.seq <= ${n}"));
            }
            "e.at_ms DESC, e.seq DESC".to_owned()
        } else {
            if let Some(until) = filter.until_ms {
                let n = q.push(Bind::Int(until));
                conditions.push(format!("e.at_ms < ${n}"));
            }
            let through = filter.through_seq.map(|t| t.saturating_add(1));
            let upper = match (cursor.map(|(_, seq)| seq), through) {
                (Some(c), Some(t)) => Some(c.min(t)),
                (c, t) => c.or(t),
            };
            if let Some(upper) = upper {
                let n = q.push(Bind::Int(upper));
                conditions.push(format!("{key} < ${n}"));
            }
            format!("{key} DESC")
        };
        let limit_n = q.push(Bind::Int(limit));
        let filter_sql =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        q.sql = format!("SELECT {columns} FROM {from}{filter_sql} ORDER BY {order} LIMIT ${limit_n}");
        q
    }

    fn push(&mut self, bind: Bind) -> usize {
        self.binds.push(bind);
        self.binds.len()
    }

    /// The query with its parameters bound, e.g. for `EXPLAIN` (prefix the SQL) in tests.
    pub fn bind_to<'q>(
        &'q self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in &self.binds {
            query = match b {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.as_str()),
            };
        }
        query
    }
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
    let limit = limit.max(1);
    let cursor = cursor(db, filter, before).await?;
    let q = PageQuery::build(filter, cursor, limit + 1);
    let rows = q.bind_to(sqlx::query(&q.sql)).fetch_all(db.pool()).await?;
    let mut events = rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>()?;
    let more = i64::try_from(events.len()).unwrap_or(i64::MAX) > limit;
    if more {
        events.pop();
    }
    let next_before = if more { events.last().map(|e| e.seq) } else { None };
    Ok(Page { events, next_before })
}

/// The filter as typed into the audit page's form or an export link: strings as they come
/// from the query string, checked by [`FilterParams::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterParams {
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`, UTC: from the start of it.
    pub from: String,
    /// The same forms, UTC: up to the end of it (a day, a minute or a second), inclusive.
    pub to: String,
    /// `user:alice`, `cli:ops`, `system`, …; a bare login means `user:<login>`.
    pub actor: String,
    pub action: String,
    pub team: String,
    pub environment: String,
    pub module: String,
    /// A request number, `42` or `#42`.
    pub request: String,
}

/// A filter value that cannot be used, for the form to show next to its field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The parameter's name (`from`, `to`, `request`, …).
    pub field: String,
    pub message: String,
}

impl FilterParams {
    /// The non-empty parameters, trimmed, in a fixed order (for links and audit records).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("action", &self.action),
            ("team", &self.team),
            ("environment", &self.environment),
            ("module", &self.module),
            ("request", &self.request),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
    }

    /// Checks every value; all problems are reported at once.
    pub fn parse(&self) -> Result<Filter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut problem = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());

        let from = match parse_time(&self.from) {
            Ok(t) => t.map(|(start, _)| start),
            Err(m) => {
                problem("from", m);
                None
            }
        };
        let until = match parse_time(&self.to) {
            Ok(t) => t.map(|(_, end)| end),
            Err(m) => {
                problem("to", m);
                None
            }
        };
        if let (Some(f), Some(u)) = (from, until)
            && f >= u
        {
            problem("to", "must be after “from”.".into());
        }
        let request = match self.request.trim().trim_start_matches('#') {
            "" => None,
            n => match n.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problem("request", format!("{:?} is not a request number; use a number such as 42.", self.request));
                    None
                }
            },
        };
        let actor = text(&self.actor)
            .map(|a| if a.contains(':') || a == "system" || a == "anonymous" { a } else { format!("user:{a}") });
        for (field, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("team", &self.team),
            ("environment", &self.environment),
            ("module", &self.module),
        ] {
            if value.chars().count() > 200 || value.chars().any(char::is_control) {
                problem(field, "is too long or contains control characters.".into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            from_ms: from,
            until_ms: until,
            actor,
            action: text(&self.action),
            team: text(&self.team),
            environment: text(&self.environment),
            module: text(&self.module),
            request,
            through_seq: None,
        })
    }
}

/// A UTC date or date-time: `(start, end)` in Unix milliseconds, `end` exclusive (the end
/// of the day, minute or second given). Empty → `None`.
pub fn parse_time(value: &str) -> Result<Option<(i64, i64)>, String> {
    use time::macros::format_description;
    let v = value.trim().trim_end_matches('Z').replace(' ', "T");
    if v.is_empty() {
        return Ok(None);
    }
    let ms = |t: time::PrimitiveDateTime| {
        i64::try_from(t.assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    };
    let (start, step_ms) = if let Ok(d) = time::Date::parse(&v, format_description!("[year]-[month]-[day]")) {
        (ms(d.midnight()), 86_400_000)
    } else if let Ok(t) =
        time::PrimitiveDateTime::parse(&v, format_description!("[year]-[month]-[day]T[hour]:[minute]"))
    {
        (ms(t), 60_000)
    } else if let Ok(t) =
        time::PrimitiveDateTime::parse(&v, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
    {
        (ms(t), 1_000)
    } else {
        return Err(format!(
            "{:?} is not a date or time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), e.g. 2025-11-24T16:00.",
            value.trim()
        ));
    };
    Ok(Some((start, start.saturating_add(step_ms))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_cover_their_unit() {
        assert_eq!(parse_time("").unwrap(), None);
        assert_eq!(parse_time("2025-11-24").unwrap(), Some((1_763_942_400_000, 1_764_028_800_000)));
        assert_eq!(parse_time("2025-11-24T16:00").unwrap(), Some((1_764_000_000_000, 1_764_000_060_000)));
        assert_eq!(parse_time("2025-11-24 16:00:05").unwrap(), Some((1_764_000_005_000, 1_764_000_006_000)));
        assert!(parse_time("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_time("2025-02-30").is_err());
    }

    #[test]
    fn params_parse_with_every_problem_named() {
        let p = FilterParams { actor: "alice".into(), request: "#42".into(), ..FilterParams::default() };
        let f = p.parse().unwrap();
        assert_eq!((f.actor.as_deref(), f.request), (Some("user:alice"), Some(42)));
        assert_eq!(
            FilterParams { actor: "cli:ops".into(), ..Default::default() }.parse().unwrap().actor.unwrap(),
            "cli:ops"
        );
        let bad = FilterParams {
            from: "2025-11-25".into(),
            to: "2025-11-24".into(),
            request: "x".into(),
            ..FilterParams::default()
        };
        let fields: Vec<String> = bad.parse().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["to", "request"]);
    }

    #[test]
    fn queries_order_by_the_driving_index() {
        let q = PageQuery::build(&Filter { team: Some("sre".into()), ..Filter::default() }, Some((0, 9)), 51);
        assert!(q.sql.contains("s.team = $1 AND s.seq < $2 ORDER BY s.seq DESC LIMIT $3"), "{}", q.sql);
        let q = PageQuery::build(&Filter { from_ms: Some(5), ..Filter::default() }, None, 51);
        assert!(q.sql.ends_with("WHERE e.at_ms >= $1 ORDER BY e.at_ms DESC, e.seq DESC LIMIT $2"), "{}", q.sql);
        let q = PageQuery::build(&Filter::default(), None, 51);
        assert!(q.sql.ends_with("FROM audit_events e ORDER BY e.seq DESC LIMIT $1"), "{}", q.sql);
        // An export's snapshot and the cursor make one bound.
        let q = PageQuery::build(&Filter { through_seq: Some(100), ..Filter::default() }, Some((0, 40)), 51);
        assert!(q.sql.ends_with("WHERE e.seq < $1 ORDER BY e.seq DESC LIMIT $2"), "{}", q.sql);
    }
}
