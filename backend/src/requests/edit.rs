//! Editing a request in review: a new revision (same module version, same file path), the
//! `request.edited` transition and the job that pushes the re-rendered file to the pull
//! request's branch and updates its description — one transaction.

use domain::audit::Actor;
use domain::request::transition::{Event, Role};
use serde_json::json;
use sqlx::Row;

use super::change::{self, Change, ChangeError};
use super::{Rendered, json_error, sha256_hex};
use crate::db::{Db, DbError};
use crate::outbox::{self, JobKind};

/// A new revision of request `number`, already checked and rendered.
pub struct Edit<'a> {
    pub number: i64,
    /// The version the editor saw; someone else's change in between refuses the edit.
    pub expected_version: i64,
    pub author_id: i64,
    pub author_login: &'a str,
    pub inputs: &'a [(String, domain::catalog::Value)],
    pub form: &'a domain::form::FormState,
    pub routing: serde_json::Value,
    pub checks: &'a [domain::form::CheckOutcome],
    pub justification: &'a str,
    pub rendered: Rendered,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Change(#[from] ChangeError),
    #[error("nothing changed: the file and the justification are the same as in revision {0}")]
    Unchanged(i64),
    #[error("the file would move from {from} to {to}; a different environment or name is a new request")]
    PathChanged { from: String, to: String },
}

impl From<DbError> for EditError {
    fn from(e: DbError) -> Self {
        EditError::Change(ChangeError::Db(e))
    }
}

impl From<sqlx::Error> for EditError {
    fn from(e: sqlx::Error) -> Self {
        EditError::Change(ChangeError::Db(DbError::Sql(e)))
    }
}

/// Stores the new revision and returns its number.
pub async fn edit(db: &Db, now_ms: i64, e: Edit<'_>) -> Result<i64, EditError> {
    let inputs = serde_json::to_string(e.inputs).map_err(|err| json_error("inputs", err))?;
    let form = serde_json::to_string(e.form).map_err(|err| json_error("form", err))?;
    let checks = serde_json::to_string(e.checks).map_err(|err| json_error("checks", err))?;
    let content_hash = sha256_hex(e.rendered.content.as_bytes());

    let mut tx = db.begin_write().await?;
    let result = async {
        let current = sqlx::query(
            "SELECT v.revision, v.module_version_id, v.path, v.content_hash, v.justification \
             FROM requests r JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision \
             WHERE r.id = $1",
        )
        .bind(e.number)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ChangeError::NoSuchRequest(e.number))?;
        let revision: i64 = current.try_get("revision")?;
        let path: String = current.try_get("path")?;
        if path != e.rendered.path {
            return Err(EditError::PathChanged { from: path, to: e.rendered.path.clone() });
        }
        if current.try_get::<String, _>("content_hash")? == content_hash
            && current.try_get::<String, _>("justification")? == e.justification
        {
            return Err(EditError::Unchanged(revision));
        }
        let next = revision + 1;
        let change = Change {
            number: e.number,
            event: Event::Edited,
            role: Role::Requester,
            actor: &Actor::User(e.author_login.to_owned()),
            expected_version: Some(e.expected_version),
            details: json!({ "revision": next, "content_hash": content_hash, "routing": e.routing }),
        };
        change::apply(&mut tx, db.dialect(), now_ms, change).await?;
        sqlx::query(
            "INSERT INTO request_revisions (request_id, revision, module_version_id, inputs, form, rendered, \
             content_hash, path, routing, checks, justification, author_id, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(e.number)
        .bind(next)
        .bind(current.try_get::<i64, _>("module_version_id")?)
        .bind(&inputs)
        .bind(&form)
        .bind(&e.rendered.content)
        .bind(&content_hash)
        .bind(&path)
        .bind(e.routing.to_string())
        .bind(&checks)
        .bind(e.justification)
        .bind(e.author_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE requests SET current_revision = $1 WHERE id = $2")
            .bind(next)
            .bind(e.number)
            .execute(&mut *tx)
            .await?;
        outbox::enqueue(&mut tx, now_ms, e.number, JobKind::UpdatePr).await?;
        super::queue_rows::refresh(&mut tx, e.number).await?;
        Ok(next)
    }
    .await;
    match result {
        Ok(next) => {
            tx.commit().await?;
            Ok(next)
        }
        Err(err) => {
            let _ = tx.rollback().await;
            Err(err)
        }
    }
}
