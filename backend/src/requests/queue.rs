//! The approval queue: open requests routed to the reviewer's teams and still needing them,
//! oldest first, with keyset pages, read from `review_queue` (the open work alone, kept by
//! [`super::queue_rows`]), so a page costs about its own rows however many requests there
//! are (docs/BENCHMARKS.md).
//!
//! A page is read per (team, status) in queue order through an index of `review_queue`
//! (migration 0008), then merged: a reviewer is in one or two reviewing teams, and each list
//! stops after a page's worth of rows. The counts per filter are in [`super::queue_counts`].

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::queue_rows::done_by_pattern;
use crate::db::{Db, DbError};

/// Which open requests the queue lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    /// Waiting for reviewers (the default).
    #[default]
    InReview,
    /// Sent back to the requester.
    ChangesRequested,
    /// Both.
    Open,
}

impl QueueStatus {
    pub const ALL: [QueueStatus; 3] = [QueueStatus::InReview, QueueStatus::ChangesRequested, QueueStatus::Open];

    /// The stored statuses it covers.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            QueueStatus::InReview => &["in_review"],
            QueueStatus::ChangesRequested => &["changes_requested"],
            QueueStatus::Open => &["in_review", "changes_requested"],
        }
    }

    /// The name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueStatus::InReview => "in_review",
            QueueStatus::ChangesRequested => "changes_requested",
            QueueStatus::Open => "open",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueStatus::InReview => "in review",
            QueueStatus::ChangesRequested => "changes requested",
            QueueStatus::Open => "all open",
        }
    }

    /// From a URL: anything else is the default.
    pub fn parse(s: &str) -> QueueStatus {
        QueueStatus::ALL.into_iter().find(|q| q.as_str() == s).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default)]
pub struct QueueQuery {
    /// The reviewer's reviewing teams; nothing is listed without one.
    pub teams: Vec<String>,
    /// The reviewer (for "needs me").
    pub user_id: i64,
    pub environment: Option<String>,
    pub module: Option<String>,
    /// Only requests routed to this one of the reviewer's teams.
    pub team: Option<String>,
    pub status: QueueStatus,
    /// Only requests the reviewer can still approve: in review, not theirs, not edited by
    /// them, not approved by them yet; or, with complete approvals waiting for a change made
    /// outside Infradesk to be accepted, not theirs, not edited by them and not of their team.
    pub needs_me: bool,
    /// From [`QueuePage::next_after`].
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

impl QueueQuery {
    /// The teams in play: the reviewer's, or the one chosen among them.
    pub(super) fn effective_teams(&self) -> Vec<&str> {
        self.teams.iter().map(String::as_str).filter(|t| self.team.as_deref().is_none_or(|one| one == *t)).collect()
    }
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
    pub status: String,
    pub created_at_ms: i64,
    /// The current revision's routing as stored.
    pub routing: serde_json::Value,
    /// The reviewer's teams still needing approvals, with how many: `[("sre", 1)]`. `0` for
    /// every team when the approvals are complete but the pull request is marked as changed
    /// outside Infradesk: it waits for a routed reviewer to accept that change (or the
    /// requesting team to re-render) — see [`QueueItem::waits_for_outside_change`].
    pub waiting_on: Vec<(String, i64)>,
    /// The reviewer can act on it now: approve it, or (waiting for an outside change to be
    /// accepted) accept that change — not theirs, not edited by them, not approved by them
    /// yet, and for an outside change not a member of the requesting team.
    pub needs_me: bool,
}

impl QueueItem {
    /// The approvals are complete; what it waits for is a routed reviewer outside the
    /// requesting team accepting the change made outside Infradesk (or a re-render).
    pub fn waits_for_outside_change(&self) -> bool {
        !self.waiting_on.is_empty() && self.waiting_on.iter().all(|(_, n)| *n == 0)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// `(created_at_ms, number)` of the last item when more follow.
    pub next_after: Option<(i64, i64)>,
}

pub async fn queue(db: &Db, q: &QueueQuery) -> Result<QueuePage, DbError> {
    let teams = q.effective_teams();
    let limit = q.limit.clamp(1, 100);
    let mut keys: Vec<(i64, i64)> = Vec::new();
    for team in &teams {
        for status in q.status.statuses() {
            if q.needs_me && *status != "in_review" {
                continue; // nobody can approve while changes are requested
            }
            keys.extend(list_keys(db, q, team, status, limit + 1).await?);
        }
    }
    // Each list holds distinct requests in order, so the first `limit + 1` distinct keys of
    // their union are the first of the whole queue.
    keys.sort_unstable();
    keys.dedup();
    let more = keys.len() as i64 > limit;
    keys.truncate(limit as usize);
    let items = details(db, q, &teams, &keys).await?;
    let next_after = more.then(|| keys.last().copied()).flatten();
    Ok(QueuePage { items, next_after })
}

/// `(created_at_ms, request)` of one team's requests of one status, in queue order.
async fn list_keys(db: &Db, q: &QueueQuery, team: &str, status: &str, limit: i64) -> Result<Vec<(i64, i64)>, DbError> {
    let mut sql =
        String::from("SELECT created_at_ms, request_id FROM review_queue WHERE team_slug = $1 AND status = $2");
    let mut n = 2;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if q.environment.is_some() {
        sql.push_str(&format!(" AND environment = {}", next()));
    }
    if q.module.is_some() {
        sql.push_str(&format!(" AND module_id = {}", next()));
    }
    if q.needs_me {
        sql.push_str(&format!(" AND done_by NOT LIKE {}", next()));
    }
    if q.after.is_some() {
        let (a, b) = (next(), next());
        sql.push_str(&format!(" AND (created_at_ms, request_id) > ({a}, {b})"));
    }
    sql.push_str(&format!(" ORDER BY created_at_ms, request_id LIMIT {}", next()));
    let mut query = sqlx::query(&sql).bind(team).bind(status);
    if let Some(e) = &q.environment {
        query = query.bind(e.as_str());
    }
    if let Some(m) = &q.module {
        query = query.bind(m.as_str());
    }
    if q.needs_me {
        query = query.bind(done_by_pattern(q.user_id));
    }
    if let Some((at, id)) = q.after {
        query = query.bind(at).bind(id);
    }
    let rows = query.bind(limit).fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("created_at_ms")?, r.try_get("request_id")?))).collect()
}

/// The listed requests, in the order of `keys`, with what the reviewer's teams still owe.
async fn details(db: &Db, q: &QueueQuery, teams: &[&str], keys: &[(i64, i64)]) -> Result<Vec<QueueItem>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = keys.iter().map(|(_, id)| id.to_string()).collect();
    let ids = ids.join(", "); // integers from the database, not user text
    let rows = sqlx::query(&format!(
        "SELECT r.id, r.module_id, r.environment, t.slug AS team, r.instance_name, u.login AS requester, r.status, \
         r.created_at_ms, v.routing FROM requests r JOIN teams t ON t.id = r.team_id \
         JOIN users u ON u.id = r.requester_id \
         JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision WHERE r.id IN ({ids})"
    ))
    .fetch_all(db.pool())
    .await?;
    let waiting = sqlx::query(&format!(
        "SELECT request_id, team_slug, needed, done_by FROM review_queue WHERE request_id IN ({ids}) ORDER BY team_slug"
    ))
    .fetch_all(db.pool())
    .await?;
    let me = format!(",{},", q.user_id);
    let mut items = Vec::with_capacity(keys.len());
    for (_, id) in keys {
        let Some(row) = rows.iter().find(|r| r.try_get::<i64, _>("id").is_ok_and(|n| n == *id)) else { continue };
        let mut waiting_on = Vec::new();
        let mut needs_me = false;
        for w in waiting.iter().filter(|w| w.try_get::<i64, _>("request_id").is_ok_and(|n| n == *id)) {
            let team: String = w.try_get("team_slug")?;
            if teams.contains(&team.as_str()) {
                let done_by: String = w.try_get("done_by")?;
                needs_me |= !done_by.contains(&me);
                waiting_on.push((team, w.try_get("needed")?));
            }
        }
        let routing: String = row.try_get("routing")?;
        let status: String = row.try_get("status")?;
        items.push(QueueItem {
            number: *id,
            module_id: row.try_get("module_id")?,
            environment: row.try_get("environment")?,
            team: row.try_get("team")?,
            instance_name: row.try_get("instance_name")?,
            requester: row.try_get("requester")?,
            needs_me: needs_me && status == "in_review",
            status,
            created_at_ms: row.try_get("created_at_ms")?,
            routing: serde_json::from_str(&routing).unwrap_or(serde_json::Value::Null),
            waiting_on,
        });
    }
    Ok(items)
}
