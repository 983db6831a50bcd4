//! The SQL of one page: the filter's conditions, one keyset bound, and the `ORDER BY` of the
//! index that drives it.

use super::Filter;
use crate::audit::rows::{self, Bind, EVENT_COLUMNS};

/// The SQL for one page and its parameters, built from the filter. Public so tests and
/// benchmarks can print the plan each database chooses (`EXPLAIN`).
pub struct PageQuery {
    pub sql: String,
    pub(super) binds: Vec<Bind>,
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
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        rows::bind_all(query, &self.binds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
