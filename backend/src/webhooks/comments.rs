//! The pull request's conversation on GitHub, kept for the request page (`github_comments`,
//! migration 0009): comments on the pull request (`issue_comment`), comments on its files
//! (`pull_request_review_comment`) and the text of reviews (`pull_request_review`).
//!
//! - One row per GitHub comment or review, keyed by GitHub's id: a redelivery changes
//!   nothing, `edited` replaces the text, `deleted` marks the comment removed (its text is no
//!   longer shown). An event older than what is stored (GitHub's `updated_at`) is ignored,
//!   and nothing comes back after a deletion.
//! - Comments Infradesk posted itself (they carry `<!-- infradesk:`) are not stored.
//! - The text is stored as written, as plain text (the page never renders it as HTML), cut
//!   to [`MAX_BODY_CHARS`] characters with a marker saying so.
//! - Every comment stored, edited or deleted appends its audit event
//!   (`pull_request.commented`, `pull_request.comment_edited`, `pull_request.comment_deleted`,
//!   by the delivery) in the delivery's transaction. A review's text goes into its
//!   `pull_request.review` event.

use domain::audit::Actor;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::events::{Comment, Review};
use super::observe::Applied;
use crate::audit::{self, Entry};
use crate::db::{DbError, Dialect};
use crate::pulls;

/// The longest text kept of a comment from GitHub (GitHub allows 65,536 characters); the
/// rest is replaced by a marker.
pub const MAX_BODY_CHARS: usize = 10_000;

/// What Infradesk puts in every comment it posts (see the outbox jobs).
pub const INFRADESK_MARKER: &str = "<!-- infradesk:";

/// `body`, cut to [`MAX_BODY_CHARS`] characters with a marker when it is longer.
pub fn bounded(body: &str) -> String {
    let total = body.chars().count();
    if total <= MAX_BODY_CHARS {
        return body.to_owned();
    }
    let kept: String = body.chars().take(MAX_BODY_CHARS).collect();
    format!(
        "{kept}\n\n[truncated by Infradesk: {} more characters; the full text is on GitHub]",
        total - MAX_BODY_CHARS
    )
}

/// A comment Infradesk posted itself.
pub fn from_infradesk(body: &str) -> bool {
    body.contains(INFRADESK_MARKER)
}

/// What a row in `github_comments` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// On the pull request (`issue_comment`).
    IssueComment,
    /// On a file of the pull request (`pull_request_review_comment`).
    ReviewComment,
    /// A review's text (`pull_request_review`).
    Review,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IssueComment => "issue_comment",
            Kind::ReviewComment => "review_comment",
            Kind::Review => "review",
        }
    }
}

/// Unix milliseconds of an RFC 3339 time.
fn parse_ms(at: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The Infradesk user with `github_login`: (id, login).
async fn mapped(tx: &mut Transaction<'static, Any>, github_login: &str) -> Result<Option<(i64, String)>, DbError> {
    let row = sqlx::query("SELECT id, login FROM users WHERE github_login = $1")
        .bind(github_login)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("login")?))).transpose()?)
}

/// A new row, unless one with this kind and GitHub id exists. True when inserted.
struct NewRow<'a> {
    request_id: i64,
    kind: Kind,
    github_id: i64,
    author: &'a str,
    user_id: Option<i64>,
    state: Option<&'a str>,
    body: &'a str,
    path: Option<&'a str>,
    url: Option<&'a str>,
    note: Option<&'a str>,
    created_at_ms: i64,
    host_updated_at: Option<&'a str>,
    deleted_at_ms: Option<i64>,
}

async fn insert(tx: &mut Transaction<'static, Any>, row: NewRow<'_>) -> Result<bool, DbError> {
    let revision: i64 = sqlx::query("SELECT current_revision FROM requests WHERE id = $1")
        .bind(row.request_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("current_revision")?;
    let done = sqlx::query(
        "INSERT INTO github_comments (request_id, kind, github_id, author_login, user_id, state, body, path, url, \
         note, revision, created_at_ms, host_updated_at, edited_at_ms, deleted_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14) \
         ON CONFLICT (kind, github_id) DO NOTHING",
    )
    .bind(row.request_id)
    .bind(row.kind.as_str())
    .bind(row.github_id)
    .bind(row.author)
    .bind(row.user_id)
    .bind(row.state)
    .bind(row.body)
    .bind(row.path)
    .bind(row.url)
    .bind(row.note)
    .bind(revision)
    .bind(row.created_at_ms)
    .bind(row.host_updated_at)
    .bind(row.deleted_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The stored row of a comment, locked on PostgreSQL (SQLite write transactions are
/// exclusive already).
struct Stored {
    id: i64,
    request_id: i64,
    body: String,
    host_updated_at: Option<String>,
    deleted: bool,
}

async fn stored(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    kind: Kind,
    github_id: i64,
) -> Result<Option<Stored>, DbError> {
    let lock = match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let row = sqlx::query(&format!(
        "SELECT id, request_id, body, host_updated_at, deleted_at_ms FROM github_comments \
         WHERE kind = $1 AND github_id = $2{lock}"
    ))
    .bind(kind.as_str())
    .bind(github_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Stored {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        body: row.try_get("body")?,
        host_updated_at: row.try_get("host_updated_at")?,
        deleted: row.try_get::<Option<i64>, _>("deleted_at_ms")?.is_some(),
    }))
}

/// An `issue_comment` or `pull_request_review_comment` (`created`, `edited`, `deleted`) on
/// pull request `pull_number`.
#[allow(clippy::too_many_arguments)]
pub async fn observe_comment(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    pull_number: i64,
    kind: Kind,
    action: &str,
    c: &Comment,
) -> Result<Applied, DbError> {
    if !matches!(action, "created" | "edited" | "deleted") {
        return Ok(Applied::Ignored(format!("{} action {action} is not used", kind.as_str())));
    }
    let Some(record) = pulls::by_number(tx, pull_number).await? else {
        return Ok(Applied::Ignored(format!("pull request #{pull_number} is not one Infradesk opened")));
    };
    let text = c.body.as_deref().unwrap_or("");
    if from_infradesk(text) {
        return Ok(Applied::Ignored(format!("comment {} is Infradesk's own", c.id)));
    }
    let author = c.user.as_ref().map_or("ghost", |u| u.login.as_str());
    let user = mapped(tx, author).await?;
    let body = bounded(text);
    let deleting = action == "deleted";
    let note = Note {
        kind,
        github_id: c.id,
        author,
        user: user.as_ref().map(|u| u.1.as_str()),
        path: c.path.as_deref(),
        url: c.html_url.as_deref(),
    };
    let new = NewRow {
        request_id: record.request_id,
        kind,
        github_id: c.id,
        author,
        user_id: user.as_ref().map(|u| u.0),
        state: None,
        body: &body,
        path: c.path.as_deref(),
        url: c.html_url.as_deref(),
        note: None,
        created_at_ms: c.created_at.as_deref().and_then(parse_ms).unwrap_or(now_ms),
        host_updated_at: c.updated_at.as_deref(),
        deleted_at_ms: deleting.then_some(now_ms),
    };
    let request = record.request_id;
    if insert(tx, new).await? {
        // A deletion seen first is stored as deleted, so the comment never shows up later.
        let (event, what) =
            if deleting { ("pull_request.comment_deleted", "deleted") } else { ("pull_request.commented", "recorded") };
        audit_comment(tx, dialect, now_ms, actor, request, event, &note, (!deleting).then_some(body.as_str())).await?;
        return Ok(Applied::Changed(format!("comment {} by {author} on request #{request} {what}", c.id)));
    }
    let Some(known) = stored(tx, dialect, kind, c.id).await? else {
        return Ok(Applied::Ignored(format!("comment {} vanished meanwhile", c.id)));
    };
    let request = known.request_id;
    if known.deleted {
        return Ok(Applied::Ignored(format!("comment {} was deleted on GitHub", c.id)));
    }
    if deleting {
        sqlx::query("UPDATE github_comments SET deleted_at_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(known.id)
            .execute(&mut **tx)
            .await?;
        audit_comment(tx, dialect, now_ms, actor, request, "pull_request.comment_deleted", &note, None).await?;
        return Ok(Applied::Changed(format!("comment {} by {author} on request #{request} deleted", c.id)));
    }
    if let (Some(seen), Some(stored_at)) = (c.updated_at.as_deref(), known.host_updated_at.as_deref())
        && seen < stored_at
    {
        return Ok(Applied::Ignored(format!("an older state of comment {} ({seen})", c.id)));
    }
    if known.body == body {
        return Ok(Applied::Ignored(format!("comment {} is recorded already", c.id)));
    }
    sqlx::query("UPDATE github_comments SET body = $1, edited_at_ms = $2, host_updated_at = $3 WHERE id = $4")
        .bind(&body)
        .bind(now_ms)
        .bind(c.updated_at.as_deref().or(known.host_updated_at.as_deref()))
        .bind(known.id)
        .execute(&mut **tx)
        .await?;
    audit_comment(tx, dialect, now_ms, actor, request, "pull_request.comment_edited", &note, Some(&body)).await?;
    Ok(Applied::Changed(format!("comment {} by {author} on request #{request} edited", c.id)))
}

/// What a comment's audit event names.
struct Note<'a> {
    kind: Kind,
    github_id: i64,
    author: &'a str,
    user: Option<&'a str>,
    path: Option<&'a str>,
    url: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
async fn audit_comment(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    actor: &Actor,
    request: i64,
    action: &str,
    note: &Note<'_>,
    body: Option<&str>,
) -> Result<(), DbError> {
    let mut details = json!({
        "kind": note.kind.as_str(),
        "comment": note.github_id,
        "author": note.author,
        "user": note.user,
        "url": note.url,
    });
    if let Some(path) = note.path {
        details["path"] = json!(path);
    }
    if let Some(body) = body {
        details["body"] = json!(body);
    }
    let entry = Entry { actor, action, subject: &format!("request:{request}"), details };
    audit::append(tx, dialect, now_ms, entry).await?;
    Ok(())
}

/// Keeps review `r` of request `request_id` in the conversation: `submitted` stores it (a
/// review that only holds file comments, with no text of its own, is not stored: its
/// comments arrive on their own), `edited` replaces its text, `dismissed` marks it
/// dismissed. `note` says why it counts for nothing, when it does not. Its audit event is the
/// `pull_request.review` event of the delivery.
pub async fn record_review(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    now_ms: i64,
    request_id: i64,
    action: &str,
    r: &Review,
    note: Option<&str>,
) -> Result<(), DbError> {
    let Some(github_id) = r.id else { return Ok(()) };
    let text = r.body.as_deref().unwrap_or("");
    let state = r.state.to_ascii_lowercase();
    if from_infradesk(text) || (state == "commented" && text.trim().is_empty()) {
        return Ok(());
    }
    let body = bounded(text);
    let dismissed = action == "dismissed";
    let user = mapped(tx, &r.user.login).await?;
    let new = NewRow {
        request_id,
        kind: Kind::Review,
        github_id,
        author: &r.user.login,
        user_id: user.as_ref().map(|u| u.0),
        state: Some(&state),
        body: &body,
        path: None,
        url: r.html_url.as_deref(),
        note,
        created_at_ms: r.submitted_at.as_deref().and_then(parse_ms).unwrap_or(now_ms),
        host_updated_at: None,
        deleted_at_ms: None,
    };
    if insert(tx, new).await? {
        return Ok(());
    }
    let Some(known) = stored(tx, dialect, Kind::Review, github_id).await? else { return Ok(()) };
    if dismissed {
        sqlx::query("UPDATE github_comments SET state = 'dismissed' WHERE id = $1")
            .bind(known.id)
            .execute(&mut **tx)
            .await?;
    } else if action == "edited" && known.body != body {
        sqlx::query("UPDATE github_comments SET body = $1, edited_at_ms = $2 WHERE id = $3")
            .bind(&body)
            .bind(now_ms)
            .bind(known.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_a_marker_and_short_text_kept() {
        assert_eq!(bounded("short"), "short");
        let exact = "é".repeat(MAX_BODY_CHARS);
        assert_eq!(bounded(&exact), exact);
        let long = format!("{}xyz", "é".repeat(MAX_BODY_CHARS));
        let cut = bounded(&long);
        assert!(cut.starts_with(&exact));
        assert!(cut.ends_with("[truncated by Infradesk: 3 more characters; the full text is on GitHub]"), "{cut}");
    }

    #[test]
    fn times_are_read_as_utc_milliseconds() {
        assert_eq!(parse_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_ms("2026-11-24T10:00:00+01:00"), parse_ms("2026-11-24T09:00:00Z"));
        assert_eq!(parse_ms("yesterday"), None);
    }
}
