//! Reviews given on GitHub count like decisions in Infradesk: an approval from a GitHub login
//! mapped to an Infradesk user (`users.github_login`), for the pull request's current head,
//! is recorded for the current revision and counted with the same four-eyes rules — so a
//! requester approving on GitHub counts for nothing, and the request page says why. A
//! dismissed review takes the approval back.

use domain::approval::tally;
use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::change::{self, Change, status_for_update};
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
    Dismissed,
}

/// Applies review `state` (`approved`, or any other) / `action` (`submitted`, `dismissed`) by
/// `github_login` on request `number`, whose pull request head is `head`, in `tx`.
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
) -> Result<GitHubReview, DecideError> {
    let user = sqlx::query("SELECT id FROM users WHERE github_login = $1 AND disabled = 0")
        .bind(github_login)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(user) = user else { return Ok(GitHubReview::Unmapped) };
    let user_id: i64 = user.try_get("id")?;
    let (status, _) = status_for_update(tx, dialect, number).await?;
    let (revision, requester, editors, routing) = current_of(tx, number).await?;
    if action == "dismissed" {
        sqlx::query("DELETE FROM approvals WHERE request_id = $1 AND user_id = $2 AND source = 'github'")
            .bind(number)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        super::queue_rows::refresh(tx, number).await?;
        return Ok(GitHubReview::Dismissed);
    }
    if !state.eq_ignore_ascii_case("approved") {
        return Ok(GitHubReview::Recorded { counted: 0 });
    }
    if commit != Some(head) {
        return Ok(GitHubReview::OldHead);
    }
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
            role: Role::GitHub,
            actor,
            expected_version: None,
            details: json!({ "revision": revision, "counted": counted.counted(), "source": "github" }),
        };
        change::apply(tx, dialect, now_ms, change).await?;
        outbox::enqueue(tx, now_ms, number, JobKind::MergePr).await?;
        return Ok(GitHubReview::Approved);
    }
    super::queue_rows::refresh(tx, number).await?;
    Ok(GitHubReview::Recorded { counted: counted.counted() })
}
