//! Applying what the host reports about a pull request — from a webhook or from reconciling
//! — to the request, in the caller's transaction. The same observation applied twice, or
//! observations applied in any order, end in the same state: a pull request that is merged
//! or closed does not reopen from an older event, an event older than the newest applied one
//! (GitHub's `updated_at`) is ignored, and checks count only for the current head.

use domain::audit::Actor;
use domain::request::transition::{Event, Role};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::audit::{self, Entry};
use crate::db::{DbError, Dialect, flag};
use crate::pulls::{self, PullRecord};
use crate::requests::change::{self, Change, ChangeError};
use crate::vcs::PrState;

/// What happened, for the delivery's recorded outcome and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Changed(String),
    Ignored(String),
}

/// A pull request as the host reports it.
#[derive(Clone, Debug)]
pub struct ObservedPull<'a> {
    pub number: i64,
    pub state: PrState,
    pub head_sha: &'a str,
    pub merge_commit: Option<&'a str>,
    /// GitHub's `updated_at` (RFC 3339, UTC, so it sorts as text); `None` always applies.
    pub updated_at: Option<&'a str>,
}

fn refused(e: ChangeError) -> Result<Option<String>, DbError> {
    match e {
        ChangeError::Db(e) => Err(e),
        other => Ok(Some(other.to_string())),
    }
}

/// Applies the transition when the request's status allows it; a refusal is returned as
/// text (the observation is still recorded on the pull request).
async fn transition(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    record: &PullRecord,
    event: Event,
) -> Result<Option<String>, DbError> {
    let change = Change {
        number: record.request_id,
        event,
        role: Role::GitHub,
        actor,
        expected_version: None,
        details: json!({ "pull_request": record.number }),
    };
    match change::apply(tx, dialect, now_ms, change).await {
        Ok(t) => {
            if t.merged_without_approval {
                pulls::update(
                    tx,
                    now_ms,
                    record.request_id,
                    pulls::Update { merged_without_approval: Some(true), ..Default::default() },
                )
                .await?;
            }
            Ok(None)
        }
        Err(e) => refused(e),
    }
}

pub async fn observe_pull(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    seen: &ObservedPull<'_>,
) -> Result<Applied, DbError> {
    let Some(record) = pulls::by_number_for_update(tx, dialect, seen.number).await? else {
        return Ok(Applied::Ignored(format!("pull request #{} is not one Infradesk opened", seen.number)));
    };
    let known: Option<String> = sqlx::query("SELECT host_updated_at FROM pull_requests WHERE request_id = $1")
        .bind(record.request_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("host_updated_at")?;
    if let (Some(seen_at), Some(known_at)) = (seen.updated_at, known.as_deref())
        && seen_at < known_at
    {
        return Ok(Applied::Ignored(format!("an older state of pull request #{} ({seen_at})", seen.number)));
    }
    if let Some(at) = seen.updated_at {
        sqlx::query("UPDATE pull_requests SET host_updated_at = $1 WHERE request_id = $2")
            .bind(at)
            .bind(record.request_id)
            .execute(&mut **tx)
            .await?;
    }
    let request = record.request_id;
    let outcome = match (record.state, seen.state) {
        (PrState::Merged, _) => Applied::Ignored("already merged".into()),
        (_, PrState::Merged) => {
            let update =
                pulls::Update { state: Some(PrState::Merged), merge_commit: seen.merge_commit, ..Default::default() };
            pulls::update(tx, now_ms, request, update).await?;
            match transition(tx, dialect, now_ms, actor, &record, Event::Merged).await? {
                None => Applied::Changed(format!("request #{request} merged")),
                Some(why) => {
                    audit_note(tx, dialect, now_ms, actor, request, "pull_request.merged", &why).await?;
                    Applied::Changed(format!("pull request merged; request #{request} not moved: {why}"))
                }
            }
        }
        (PrState::Open, PrState::Closed) => {
            let update = pulls::Update { state: Some(PrState::Closed), ..Default::default() };
            pulls::update(tx, now_ms, request, update).await?;
            match transition(tx, dialect, now_ms, actor, &record, Event::PrClosed).await? {
                None => Applied::Changed(format!("pull request closed; request #{request} cancelled")),
                Some(why) => Applied::Changed(format!("pull request closed ({why})")),
            }
        }
        (PrState::Closed, PrState::Open) => {
            let update = pulls::Update { state: Some(PrState::Open), ..Default::default() };
            pulls::update(tx, now_ms, request, update).await?;
            if let Some(why) = why_not_reopen(tx, request).await? {
                return Ok(Applied::Changed(format!(
                    "pull request reopened; request #{request} stays cancelled: {why}"
                )));
            }
            match transition(tx, dialect, now_ms, actor, &record, Event::PrReopened).await? {
                None => Applied::Changed(format!("pull request reopened; request #{request} back in review")),
                Some(why) => Applied::Changed(format!("pull request reopened ({why})")),
            }
        }
        (PrState::Closed, PrState::Closed) => Applied::Ignored("already closed".into()),
        (PrState::Open, PrState::Open) => new_head(tx, dialect, now_ms, actor, &record, seen.head_sha).await?,
    };
    Ok(outcome)
}

/// A pull request reopened on GitHub brings its request back only when GitHub closed it: a
/// request cancelled in Infradesk stays cancelled, and one whose instance name another live
/// request took meanwhile cannot come back.
async fn why_not_reopen(tx: &mut Transaction<'static, Any>, request: i64) -> Result<Option<String>, DbError> {
    let last = sqlx::query(
        "SELECT action FROM audit_events WHERE subject = $1 \
         AND action IN ('request.cancelled', 'request.pr_closed') ORDER BY seq DESC LIMIT 1",
    )
    .bind(format!("request:{request}"))
    .fetch_optional(&mut **tx)
    .await?;
    let last: Option<String> = last.map(|r| r.try_get("action")).transpose()?;
    if last.as_deref() == Some("request.cancelled") {
        return Ok(Some("it was cancelled in Infradesk".to_owned()));
    }
    let holder = sqlx::query(
        "SELECT other.id FROM requests r JOIN requests other ON other.environment = r.environment \
         AND other.instance_name = r.instance_name AND other.id <> r.id \
         AND other.status NOT IN ('cancelled', 'rejected') WHERE r.id = $1",
    )
    .bind(request)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(holder
        .map(|r| r.try_get::<i64, _>("id"))
        .transpose()?
        .map(|other| format!("request #{other} holds its instance name now")))
}

/// A head the host reports for an open pull request. Not the one Infradesk made: someone
/// pushed to the branch, and the request is flagged until re-rendered or accepted.
async fn new_head(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    record: &PullRecord,
    head: &str,
) -> Result<Applied, DbError> {
    if head.is_empty() || head == record.head_sha {
        return Ok(Applied::Ignored("nothing new".into()));
    }
    // Infradesk is pushing a new revision right now: this head is probably its own. It is
    // recorded, not judged; the worker checks what the branch holds when it records its push.
    let pushing = sqlx::query(
        "SELECT 1 AS one FROM outbox_jobs WHERE request_id = $1 AND kind = 'update_pr' AND state = 'pending'",
    )
    .bind(record.request_id)
    .fetch_optional(&mut **tx)
    .await?;
    if pushing.is_some() {
        sqlx::query("UPDATE pull_requests SET head_sha = $1, updated_at_ms = $2 WHERE request_id = $3")
            .bind(head)
            .bind(now_ms)
            .bind(record.request_id)
            .execute(&mut **tx)
            .await?;
        return Ok(Applied::Changed(format!("head {head} recorded while Infradesk pushes a new revision")));
    }
    let outside = head != record.rendered_head;
    // A new head has no checks yet.
    sqlx::query(
        "UPDATE pull_requests SET head_sha = $1, checks_status = NULL, checks_detail = NULL, \
         changed_outside = $2, updated_at_ms = $3 WHERE request_id = $4",
    )
    .bind(head)
    .bind(flag(outside))
    .bind(now_ms)
    .bind(record.request_id)
    .execute(&mut **tx)
    .await?;
    if outside != record.changed_outside {
        // The mark set or cleared: the queue rows follow it (complete approvals held back by
        // the mark are listed as waiting on a reviewer to accept the change).
        crate::requests::queue_rows::refresh(tx, record.request_id).await?;
    }
    if !outside {
        if record.changed_outside {
            // The branch is back at Infradesk's own commit: approvals given while it was
            // marked count now, as after a re-render.
            let recount = crate::requests::approve_if_complete(
                tx,
                dialect,
                now_ms,
                actor,
                Role::GitHub,
                record.request_id,
                "head_restored",
            )
            .await;
            match recount {
                Ok(r) if r.approved => {
                    return Ok(Applied::Changed(format!("head {head} is Infradesk's own; the request is approved")));
                }
                Ok(_) => {}
                Err(crate::requests::DecideError::Change(ChangeError::Db(e))) => return Err(e),
                Err(e) => tracing::warn!(request = record.request_id, error = %e, "approvals not counted again"),
            }
        }
        return Ok(Applied::Changed(format!("head {head} is Infradesk's own")));
    }
    if !record.changed_outside {
        let why = format!("head {head} was pushed outside Infradesk");
        audit_note(tx, dialect, now_ms, actor, record.request_id, "request.changed_outside", &why).await?;
    }
    Ok(Applied::Changed(format!("request #{} changed outside Infradesk (head {head})", record.request_id)))
}

async fn audit_note(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    request: i64,
    action: &str,
    note: &str,
) -> Result<(), DbError> {
    let entry = Entry { actor, action, subject: &format!("request:{request}"), details: json!({ "note": note }) };
    audit::append(tx, dialect, now_ms, entry).await?;
    Ok(())
}

/// One check (a check run, a check suite or a commit status) on `head_sha`.
#[derive(Clone, Debug)]
pub struct ObservedCheck<'a> {
    pub head_sha: &'a str,
    /// The check's name (check run name, suite's app, status context).
    pub name: &'a str,
    /// `pending`, `success` or `failure`.
    pub outcome: &'a str,
}

/// Records a check on the pull request whose current head it is; checks on other heads are
/// ignored (an older head never changes what is shown).
pub async fn observe_check(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    seen: &ObservedCheck<'_>,
) -> Result<Applied, DbError> {
    // Locked: the checks map is read, changed and written back.
    let lock = match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let row = sqlx::query(&format!("SELECT request_id, checks_detail FROM pull_requests WHERE head_sha = $1{lock}"))
        .bind(seen.head_sha)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(Applied::Ignored(format!("no pull request has head {} now", seen.head_sha)));
    };
    let request: i64 = row.try_get("request_id")?;
    let detail: Option<String> = row.try_get("checks_detail")?;
    let mut checks: serde_json::Map<String, serde_json::Value> =
        detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
    // A concluded check is not taken back by a "pending" about the same head: that is a
    // late or replayed delivery (a re-run shows once it concludes).
    let concluded = checks.get(seen.name).and_then(|v| v.as_str()).is_some_and(|o| o != "pending");
    if concluded && seen.outcome == "pending" {
        return Ok(Applied::Ignored(format!("check {:?} on {} has concluded already", seen.name, seen.head_sha)));
    }
    checks.insert(seen.name.to_owned(), json!(seen.outcome));
    let all: Vec<&str> = checks.values().filter_map(|v| v.as_str()).collect();
    let overall = if all.contains(&"failure") {
        "failure"
    } else if all.contains(&"pending") {
        "pending"
    } else {
        "success"
    };
    let detail = serde_json::Value::Object(checks).to_string();
    pulls::update(tx, now_ms, request, pulls::Update { checks: Some((overall, &detail)), ..Default::default() })
        .await?;
    // An approved request waiting for green checks: merge now.
    if overall == "success" {
        let waiting = sqlx::query(
            "SELECT 1 AS one FROM requests r WHERE r.id = $1 AND r.status = 'approved' AND NOT EXISTS \
             (SELECT 1 FROM outbox_jobs j WHERE j.request_id = r.id AND j.kind = 'merge_pr' AND j.state = 'pending')",
        )
        .bind(request)
        .fetch_optional(&mut **tx)
        .await?;
        if waiting.is_some() {
            crate::outbox::enqueue(tx, now_ms, request, crate::outbox::JobKind::MergePr).await?;
            return Ok(Applied::Changed(format!("request #{request}: checks success; merge queued")));
        }
    }
    Ok(Applied::Changed(format!("request #{request}: checks {overall}")))
}
