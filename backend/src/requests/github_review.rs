//! Reviews given on GitHub count like decisions in Infradesk: a review from a GitHub login
//! mapped to an Infradesk user (`users.github_login`), for the pull request's current head,
//! counts with the same four-eyes rules as the same decision made in Infradesk.
//!
//! - An approval is recorded for the current revision and counted with
//!   [`domain::approval::tally`] — so a requester approving on GitHub counts for nothing, and
//!   the request page says why. A dismissed review takes the approval back.
//! - A review requesting changes moves the request to "changes requested" (its text is the
//!   comment) when the person could request changes in Infradesk: a member of a routed team,
//!   neither the requester nor an editor, while the request is in review. Otherwise it counts
//!   for nothing and the conversation says why ([`GitHubReview::note`]).
//!
//! [`approve_if_complete`] is the one place a count of approvals approves a request outside
//! a decision in Infradesk: after a GitHub approval, and after a change from outside
//! Infradesk is accepted (approvals completed meanwhile wait for that).

use domain::approval::tally;
use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::change::{self, Change, ChangeError, status_for_update};
use super::decide::{DecideError, approvals_of, current_of};
use crate::db::Dialect;
use crate::outbox::{self, JobKind};

/// What a GitHub review did to the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitHubReview {
    /// No Infradesk user has this GitHub login.
    Unmapped,
    /// For an older head than the pull request's current one.
    OldHead,
    /// Recorded; `counted` approvals count now.
    Recorded {
        counted: usize,
    },
    /// The last approval needed: approved, merge queued.
    Approved,
    /// Changes requested: the request went back to its requester.
    ChangesRequested,
    /// Counts for nothing, and why (four eyes, routing, or the request's status).
    NotCounted(String),
    Dismissed,
    /// A review that only comments, or an edit of a review's text: nothing to count.
    Commented,
}

impl GitHubReview {
    /// Why the review counts for nothing, as the conversation shows it beside the review.
    /// Approvals that are recorded but not counted (the requester's, say) are explained by
    /// the tally instead.
    pub fn note(&self) -> Option<String> {
        match self {
            GitHubReview::Unmapped => Some("not counted: no Infradesk user has this GitHub login".to_owned()),
            GitHubReview::OldHead => {
                Some("not counted: given for an older commit than the pull request's head".to_owned())
            }
            GitHubReview::NotCounted(why) => Some(format!("not counted: {why}")),
            _ => None,
        }
    }
}

/// Applies review `state` (`approved`, `changes_requested`, or any other) / `action`
/// (`submitted`, `edited`, `dismissed`) by `github_login` on request `number`, whose pull
/// request head is `head`, in `tx`. `body` is the review's text (the comment of requested
/// changes).
#[allow(clippy::too_many_arguments)]
pub async fn github_review(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    number: i64,
    github_login: &str,
    action: &str,
    state: &str,
    commit: Option<&str>,
    head: &str,
    body: &str,
) -> Result<GitHubReview, DecideError> {
    let user = sqlx::query("SELECT id, login FROM users WHERE github_login = $1 AND disabled = 0")
        .bind(github_login)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(user) = user else { return Ok(GitHubReview::Unmapped) };
    let user_id: i64 = user.try_get("id")?;
    let login: String = user.try_get("login")?;
    let (status, _) = status_for_update(tx, dialect, number).await?;
    if action == "dismissed" {
        sqlx::query("DELETE FROM approvals WHERE request_id = $1 AND user_id = $2 AND source = 'github'")
            .bind(number)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        super::queue_rows::refresh(tx, number).await?;
        return Ok(GitHubReview::Dismissed);
    }
    if action != "submitted" {
        // An edited review changes its text, not the decision it recorded.
        return Ok(GitHubReview::Commented);
    }
    let state = state.to_ascii_lowercase();
    if !matches!(state.as_str(), "approved" | "changes_requested") {
        return Ok(GitHubReview::Commented);
    }
    if commit != Some(head) {
        return Ok(GitHubReview::OldHead);
    }
    if state == "changes_requested" {
        return request_changes(tx, dialect, now_ms, actor, number, status, (user_id, &login, github_login), body)
            .await;
    }
    let (revision, _, _, _) = current_of(tx, number).await?;
    sqlx::query(
        "INSERT INTO approvals (request_id, revision, user_id, source, created_at_ms) \
         VALUES ($1, $2, $3, 'github', $4) ON CONFLICT (request_id, revision, user_id, source) DO NOTHING",
    )
    .bind(number)
    .bind(revision)
    .bind(user_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    let recount = approve_if_complete(tx, dialect, now_ms, actor, Role::GitHub, number, "github").await?;
    Ok(if recount.approved { GitHubReview::Approved } else { GitHubReview::Recorded { counted: recount.counted } })
}

/// A review requesting changes, from the mapped user `(id, login, github login)`: the same
/// checks as [`super::decide`] makes for "request changes", then the transition with the
/// review's text as the comment.
#[allow(clippy::too_many_arguments)]
async fn request_changes(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    number: i64,
    status: Status,
    (user_id, login, github_login): (i64, &str, &str),
    body: &str,
) -> Result<GitHubReview, DecideError> {
    let (revision, requester, editors, routing) = current_of(tx, number).await?;
    let requirements = routing.map(|r| r.reviewers).unwrap_or_default();
    let teams: Vec<String> = sqlx::query(
        "SELECT t.slug FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 AND t.reviewing = 1",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get("slug"))
    .collect::<Result<_, _>>()?;
    // The same rule as a decision in Infradesk (domain::approval::may_decide).
    let who = domain::approval::Decider { login, reviewing_teams: teams.iter().map(String::as_str).collect() };
    let why = match domain::approval::may_decide(&who, &requirements, &requester, &editors) {
        Err(refusal) => Some(refusal.to_string()),
        Ok(()) => domain::request::transition::transition(status, Event::ChangesRequested, Role::GitHub)
            .err()
            .map(|e| e.to_string()),
    };
    if let Some(why) = why {
        return Ok(GitHubReview::NotCounted(why));
    }
    let change = Change {
        number,
        event: Event::ChangesRequested,
        role: Role::GitHub,
        actor,
        expected_version: None,
        details: json!({
            "revision": revision,
            "comment": crate::webhooks::comments::bounded(body.trim()),
            "source": "github",
            "reviewer": login,
            "github_login": github_login,
        }),
    };
    match change::apply(tx, dialect, now_ms, change).await {
        Ok(_) => Ok(GitHubReview::ChangesRequested),
        Err(ChangeError::Refused(e)) => Ok(GitHubReview::NotCounted(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// What [`approve_if_complete`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recount {
    /// Approvals that count for the current revision.
    pub counted: usize,
    /// The request was approved now (and its merge queued).
    pub approved: bool,
}

/// Counts the approvals of request `number`'s current revision in `tx` and, when they are
/// complete while the request is in review and its pull request is not flagged as changed
/// outside Infradesk, approves it and queues the merge — the `request.approved` transition
/// (by `actor` in `role`) and the merge job, as the last approval in Infradesk does.
/// Otherwise its queue rows are rewritten. `source` says what completed the count
/// (`github`, `outside_change_accepted`, …) in the audit event.
pub async fn approve_if_complete(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    role: Role,
    number: i64,
    source: &str,
) -> Result<Recount, DecideError> {
    let (status, _) = status_for_update(tx, dialect, number).await?;
    let (revision, requester, editors, routing) = current_of(tx, number).await?;
    let votes = approvals_of(tx, number, revision).await?;
    let reviewers = routing.map(|r| r.reviewers).unwrap_or_default();
    let counted = tally(&reviewers, revision, &votes, &requester, &editors);
    let outside: i64 = sqlx::query("SELECT changed_outside FROM pull_requests WHERE request_id = $1")
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("changed_outside"))
        .transpose()?
        .unwrap_or(0);
    if status == Status::InReview && counted.complete() && !reviewers.is_empty() && outside == 0 {
        let change = Change {
            number,
            event: Event::Approved,
            role,
            actor,
            expected_version: None,
            details: json!({ "revision": revision, "counted": counted.counted(), "source": source }),
        };
        change::apply(tx, dialect, now_ms, change).await?;
        outbox::enqueue(tx, now_ms, number, JobKind::MergePr).await?;
        return Ok(Recount { counted: counted.counted(), approved: true });
    }
    super::queue_rows::refresh(tx, number).await?;
    Ok(Recount { counted: counted.counted(), approved: false })
}
