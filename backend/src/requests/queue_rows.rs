//! `review_queue`: the open work of each reviewing team (migration 0008). A request has one
//! row per routed team whose approvals for the current revision are incomplete, while it is in
//! review or has changes requested. [`refresh`] rewrites a request's rows from what is stored
//! (status, routes, approvals counted with four eyes); it runs in the transaction of every
//! change that can move them: a status change ([`super::change::apply`]), a new revision
//! (submit, edit: its routing), an approval or dismissal that does not change the status, and
//! setting or clearing the pull request's "changed outside Infradesk" mark (the webhook's new
//! head, the worker's push, accepting the change).
//!
//! A request in review whose pull request is marked changed outside Infradesk is not approved
//! by complete approvals: it waits for a routed reviewer outside the requesting team to accept
//! the pushed head (or the requesting team to re-render). So it keeps one row per routed team
//! with `needed = 0`, which the queue shows as waiting on that acceptance. Its `done_by` lists
//! who cannot accept: the requester, every author of a revision and the requesting team's
//! members (as they are when the row is written); approvers can, so "needs me" lists it for them.
//!
//! A change of team membership rewrites nothing: approvals are counted with the membership of
//! the moment a decision is recorded, so a request stays listed until a decision completes it
//! (rather than vanishing from the queue while still in review).

use std::collections::BTreeSet;

use domain::approval::tally;
use domain::request::Status;
use domain::routing::{ReviewerRequirement, RoutingOutcome};
use sqlx::{Any, Row, Transaction};

use super::decide::approvals_of;
use crate::db::{Db, DbError};

/// The statuses in which a request waits for reviewers (and is counted as open work).
pub const OPEN: [Status; 2] = [Status::InReview, Status::ChangesRequested];

/// Rewrites request `number`'s queue rows inside `tx`; returns how many it has now.
pub async fn refresh(tx: &mut Transaction<'static, Any>, number: i64) -> Result<u64, DbError> {
    sqlx::query("DELETE FROM review_queue WHERE request_id = $1").bind(number).execute(&mut **tx).await?;
    let Some(r) = sqlx::query(
        "SELECT r.status, r.environment, r.module_id, r.created_at_ms, r.current_revision, r.requester_id, \
         r.team_id, u.login, v.routing FROM requests r JOIN users u ON u.id = r.requester_id \
         JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision WHERE r.id = $1",
    )
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(0);
    };
    let status: String = r.try_get("status")?;
    if !OPEN.iter().any(|s| s.as_str() == status) {
        return Ok(0);
    }
    let revision: i64 = r.try_get("current_revision")?;
    let requester: String = r.try_get("login")?;

    // Unreadable routing routes nowhere (the request page shows the stored JSON); a team
    // asked for no approvals waits for nothing.
    let routing: String = r.try_get("routing")?;
    let routes: Vec<ReviewerRequirement> = serde_json::from_str::<RoutingOutcome>(&routing)
        .map(|o| o.reviewers.into_iter().filter(|t| t.approvals > 0).collect())
        .unwrap_or_default();
    if routes.is_empty() {
        return Ok(0);
    }
    let authors = sqlx::query(
        "SELECT DISTINCT u.id, u.login FROM request_revisions v JOIN users u ON u.id = v.author_id WHERE v.request_id = $1",
    )
    .bind(number)
    .fetch_all(&mut **tx)
    .await?;
    let approvers = sqlx::query("SELECT DISTINCT user_id FROM approvals WHERE request_id = $1 AND revision = $2")
        .bind(number)
        .bind(revision)
        .fetch_all(&mut **tx)
        .await?;
    let mut done_by: BTreeSet<i64> = BTreeSet::from([r.try_get("requester_id")?]);
    let mut editors = BTreeSet::new();
    for a in &authors {
        done_by.insert(a.try_get("id")?);
        editors.insert(a.try_get::<String, _>("login")?);
    }
    for a in &approvers {
        done_by.insert(a.try_get("user_id")?);
    }
    let votes = approvals_of(tx, number, revision).await?;
    let counted = tally(&routes, revision, &votes, &requester, &editors);
    let mut rows: Vec<(&str, i64)> = counted
        .teams
        .iter()
        .filter(|t| !t.complete())
        .map(|t| (t.team.as_str(), i64::from(t.needed) - i64::try_from(t.counted.len()).unwrap_or(0)))
        .collect();
    if rows.is_empty() && status == Status::InReview.as_str() && changed_outside(tx, number).await? {
        // Complete, but held back until the change made outside Infradesk is accepted: every
        // routed team waits on that, and only someone outside the requesting team may.
        rows = counted.teams.iter().map(|t| (t.team.as_str(), 0)).collect();
        done_by = BTreeSet::from([r.try_get("requester_id")?]);
        for a in &authors {
            done_by.insert(a.try_get("id")?);
        }
        let members = sqlx::query("SELECT user_id FROM team_members WHERE team_id = $1")
            .bind(r.try_get::<i64, _>("team_id")?)
            .fetch_all(&mut **tx)
            .await?;
        for m in &members {
            done_by.insert(m.try_get("user_id")?);
        }
    }
    let done_by = done_by_text(&done_by);
    let mut written = 0;
    for (team, needed) in rows {
        sqlx::query(
            "INSERT INTO review_queue (request_id, team_slug, status, environment, module_id, created_at_ms, needed, \
             done_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(number)
        .bind(team)
        .bind(&status)
        .bind(r.try_get::<String, _>("environment")?)
        .bind(r.try_get::<String, _>("module_id")?)
        .bind(r.try_get::<i64, _>("created_at_ms")?)
        .bind(needed)
        .bind(&done_by)
        .execute(&mut **tx)
        .await?;
        written += 1;
    }
    Ok(written)
}

/// Whether request `number`'s pull request is marked as changed outside Infradesk.
async fn changed_outside(tx: &mut Transaction<'static, Any>, number: i64) -> Result<bool, DbError> {
    let flagged = sqlx::query("SELECT changed_outside FROM pull_requests WHERE request_id = $1")
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<i64, _>("changed_outside"))
        .transpose()?;
    Ok(flagged.unwrap_or(0) != 0)
}

/// `",3,17,"`: every id between commas, so `LIKE '%,17,%'` matches exactly one id.
fn done_by_text(ids: &BTreeSet<i64>) -> String {
    let mut out = String::from(",");
    for id in ids {
        out.push_str(&id.to_string());
        out.push(',');
    }
    out
}

/// The `LIKE` pattern that finds `user_id` in `done_by`.
pub(crate) fn done_by_pattern(user_id: i64) -> String {
    format!("%,{user_id},%")
}

/// Rewrites the queue rows of every open request inside `tx`. Returns how many there were.
pub async fn rebuild(tx: &mut Transaction<'static, Any>) -> Result<u64, DbError> {
    let open: Vec<String> = OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let ids: Vec<i64> =
        sqlx::query(&format!("SELECT id FROM requests WHERE status IN ({}) ORDER BY id", open.join(", ")))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
    for id in &ids {
        refresh(tx, *id).await?;
    }
    Ok(ids.len() as u64)
}

/// Does the one-off work migrations asked for (`maintenance_tasks`) and forgets it, in one
/// transaction: run at start, after migrating. Taking the task row first makes a second
/// replica starting at the same time wait, then find nothing to do.
pub async fn run_maintenance(db: &Db) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query("DELETE FROM maintenance_tasks WHERE name = 'rebuild_review_queue'")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if taken == 0 {
        tx.rollback().await?;
        return Ok(());
    }
    let open = rebuild(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(open_requests = open, "approval queue rebuilt (migration 0008)");
    Ok(())
}
