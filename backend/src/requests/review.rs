//! What the request page shows of its review: the approvals as counted for the current
//! revision, and the conversation — comments and decisions made in Infradesk
//! (`review_comments`) and the pull request's own comments and reviews on GitHub
//! (`github_comments`, kept by the webhooks), in time order.

use std::collections::BTreeSet;

use domain::approval::{Tally, tally};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::decide::{approvals_of, current_of};
use crate::db::{Db, DbError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    /// The Infradesk login; for GitHub, the mapped user's login, or the GitHub login when no
    /// Infradesk user has it.
    pub author: String,
    /// Infradesk: comment | approved | changes_requested | rejected. GitHub: comment (on the
    /// pull request), file_comment (on one of its files), or the review's state (approved,
    /// changes_requested, commented, dismissed).
    pub kind: String,
    /// Plain text, never HTML; empty when `removed`.
    pub body: String,
    pub revision: i64,
    pub at_ms: i64,
    /// Written on GitHub (on the pull request), not in Infradesk.
    pub from_github: bool,
    /// GitHub: the author's GitHub login.
    pub github_login: Option<String>,
    /// GitHub: the file a comment is on.
    pub path: Option<String>,
    /// GitHub: the comment or review on GitHub.
    pub url: Option<String>,
    /// GitHub reviews: why the review counts for nothing.
    pub note: Option<String>,
    /// Edited on GitHub after it was first seen.
    pub edited: bool,
    /// Deleted on GitHub.
    pub removed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    pub revision: i64,
    pub tally: Tally,
    /// Oldest first.
    pub comments: Vec<ReviewComment>,
    /// The requester and everyone who authored a revision: who may never decide.
    pub editors: BTreeSet<String>,
}

pub async fn review_state(db: &Db, number: i64) -> Result<ReviewState, DbError> {
    let mut tx = db.pool().begin().await?;
    // Unreadable routing counts nothing; the page shows the stored routing beside it.
    let (revision, requester, editors, routing) = current_of(&mut tx, number).await.unwrap_or_default();
    let votes = approvals_of(&mut tx, number, revision).await?;
    let reviewers = routing.map(|r| r.reviewers).unwrap_or_default();
    let counted = tally(&reviewers, revision, &votes, &requester, &editors);
    let rows = sqlx::query(
        "SELECT u.login, c.kind, c.body, c.revision, c.created_at_ms FROM review_comments c \
         JOIN users u ON u.id = c.author_id WHERE c.request_id = $1 ORDER BY c.id",
    )
    .bind(number)
    .fetch_all(&mut *tx)
    .await?;
    let github = sqlx::query(
        "SELECT g.kind, g.state, g.author_login, u.login, g.body, g.path, g.url, g.note, g.revision, \
         g.created_at_ms, g.edited_at_ms, g.deleted_at_ms FROM github_comments g \
         LEFT JOIN users u ON u.id = g.user_id WHERE g.request_id = $1 ORDER BY g.created_at_ms, g.id",
    )
    .bind(number)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    let mut comments = rows
        .iter()
        .map(|r| {
            Ok(ReviewComment {
                author: r.try_get("login")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                revision: r.try_get("revision")?,
                at_ms: r.try_get("created_at_ms")?,
                from_github: false,
                github_login: None,
                path: None,
                url: None,
                note: None,
                edited: false,
                removed: false,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    for r in &github {
        let github_login: String = r.try_get("author_login")?;
        let mapped: Option<String> = r.try_get("login")?;
        let kind = match r.try_get::<String, _>("kind")?.as_str() {
            "issue_comment" => "comment".to_owned(),
            "review_comment" => "file_comment".to_owned(),
            _ => r.try_get::<Option<String>, _>("state")?.unwrap_or_else(|| "commented".to_owned()),
        };
        let removed = r.try_get::<Option<i64>, _>("deleted_at_ms")?.is_some();
        comments.push(ReviewComment {
            author: mapped.unwrap_or_else(|| github_login.clone()),
            kind,
            body: if removed { String::new() } else { r.try_get("body")? },
            revision: r.try_get("revision")?,
            at_ms: r.try_get("created_at_ms")?,
            from_github: true,
            github_login: Some(github_login),
            path: r.try_get("path")?,
            url: r.try_get("url")?,
            note: r.try_get("note")?,
            edited: r.try_get::<Option<i64>, _>("edited_at_ms")?.is_some(),
            removed,
        });
    }
    // Stable: Infradesk's own comments keep their order among equal times.
    comments.sort_by_key(|c| c.at_ms);
    Ok(ReviewState { revision, tally: counted, comments, editors })
}
