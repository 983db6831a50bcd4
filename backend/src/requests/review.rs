//! What the request page shows of its review: the approvals as counted for the current
//! revision, and the conversation.

use domain::approval::{Tally, tally};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::decide::{approvals_of, current_of};
use crate::db::{Db, DbError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    pub author: String,
    pub kind: String,
    pub body: String,
    pub revision: i64,
    pub at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    pub revision: i64,
    pub tally: Tally,
    pub comments: Vec<ReviewComment>,
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
    tx.rollback().await?;
    let comments = rows
        .iter()
        .map(|r| {
            Ok(ReviewComment {
                author: r.try_get("login")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                revision: r.try_get("revision")?,
                at_ms: r.try_get("created_at_ms")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(ReviewState { revision, tally: counted, comments })
}
