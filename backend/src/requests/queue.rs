//! The approval queue: requests in review routed to any of the reviewer's teams, oldest first,
//! with keyset pages. The requests in review are walked in queue order through an index
//! (`requests_review_order`, or the environment's or module's one when filtered: migration
//! 0006), each checked against `request_routes` by its primary key, so a page costs about its
//! own rows however many requests there are (docs/BENCHMARKS.md).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::{Db, DbError};

#[derive(Clone, Debug, Default)]
pub struct QueueQuery {
    /// The reviewer's reviewing teams; nothing is listed without one.
    pub teams: Vec<String>,
    pub environment: Option<String>,
    pub module: Option<String>,
    /// Only requests routed to this one of the reviewer's teams.
    pub team: Option<String>,
    /// From [`QueuePage::next_after`].
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub number: i64,
    pub module_id: String,
    pub environment: String,
    /// The requesting team.
    pub team: String,
    pub instance_name: String,
    pub requester: String,
    pub created_at_ms: i64,
    /// The current revision's routing as stored.
    pub routing: serde_json::Value,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// `(created_at_ms, number)` of the last item when more follow.
    pub next_after: Option<(i64, i64)>,
}

pub async fn queue(db: &Db, q: &QueueQuery) -> Result<QueuePage, DbError> {
    let teams: Vec<&String> = match &q.team {
        Some(one) => q.teams.iter().filter(|t| *t == one).collect(),
        None => q.teams.iter().collect(),
    };
    if teams.is_empty() {
        return Ok(QueuePage::default());
    }
    let limit = q.limit.clamp(1, 100);
    let mut sql = String::from(
        "SELECT r.id, r.module_id, r.environment, t.slug AS team, r.instance_name, u.login AS requester, \
         r.created_at_ms, v.routing FROM requests r JOIN teams t ON t.id = r.team_id \
         JOIN users u ON u.id = r.requester_id \
         JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision \
         WHERE r.status = 'in_review' AND EXISTS (SELECT 1 FROM request_routes rr WHERE rr.request_id = r.id \
         AND rr.team_slug IN (",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let placeholders: Vec<String> = teams.iter().map(|_| next()).collect();
    sql.push_str(&placeholders.join(", "));
    sql.push_str("))");
    if q.environment.is_some() {
        sql.push_str(&format!(" AND r.environment = {}", next()));
    }
    if q.module.is_some() {
        sql.push_str(&format!(" AND r.module_id = {}", next()));
    }
    if q.after.is_some() {
        let (a, b) = (next(), next());
        // A row value: PostgreSQL starts the page inside the index with it, but reads from the
        // oldest request in review and filters with the equivalent OR (SQLite manages both).
        sql.push_str(&format!(" AND (r.created_at_ms, r.id) > ({a}, {b})"));
    }
    sql.push_str(&format!(" ORDER BY r.created_at_ms, r.id LIMIT {}", next()));
    let mut query = sqlx::query(&sql);
    for t in &teams {
        query = query.bind(t.as_str());
    }
    if let Some(e) = &q.environment {
        query = query.bind(e.as_str());
    }
    if let Some(m) = &q.module {
        query = query.bind(m.as_str());
    }
    if let Some((at, id)) = q.after {
        query = query.bind(at).bind(id);
    }
    let rows = query.bind(limit + 1).fetch_all(db.pool()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let routing: String = row.try_get("routing")?;
        items.push(QueueItem {
            number: row.try_get("id")?,
            module_id: row.try_get("module_id")?,
            environment: row.try_get("environment")?,
            team: row.try_get("team")?,
            instance_name: row.try_get("instance_name")?,
            requester: row.try_get("requester")?,
            created_at_ms: row.try_get("created_at_ms")?,
            routing: serde_json::from_str(&routing).unwrap_or(serde_json::Value::Null),
        });
    }
    let next_after = (rows.len() as i64 > limit).then(|| items.last().map(|i| (i.created_at_ms, i.number))).flatten();
    Ok(QueuePage { items, next_after })
}
