//! Submitting a request: everything in one write transaction, so a request is stored with
//! its first revision, its module version and its audit event, or not at all.

use domain::audit::Actor;
use domain::request::Status;
use domain::request::transition::{Event, Role};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::change::{self, Change, ChangeError};
use super::{NewRequest, Rendered, RequestError, Submitted, is_valid_idempotency_key, json_error, sha256_hex};
use crate::audit::{self, Entry};
use crate::db::{Db, DbError};
use crate::outbox::{self, JobKind};

/// Statuses that give an instance name back (the `WHERE` of `requests_live_instance`).
const RELEASED: &str = "('cancelled', 'rejected')";

/// Stores a new request. In one transaction: the idempotency check (a form sent twice, in
/// sequence or concurrently, yields one request and [`Submitted::AlreadySubmitted`] for the
/// others), the membership check, the request row (status `submitted`, revision 1,
/// version 1), `render(number)` for the file content and path (the number goes into the
/// header and tags), the module version (when new), revision 1 and the `request.submitted`
/// audit event. Any error, including a failed `render`, stores nothing.
pub async fn submit(
    db: &Db,
    now_ms: i64,
    req: NewRequest<'_>,
    render: impl FnOnce(i64) -> Result<Rendered, String> + Send,
) -> Result<Submitted, RequestError> {
    if !is_valid_idempotency_key(req.idempotency_key) {
        return Err(RequestError::InvalidIdempotencyKey);
    }
    // Serialize everything up front, before the transaction.
    let definition = serde_json::to_string(req.module).map_err(|e| json_error("definition", e))?;
    let json = Json {
        digest: sha256_hex(definition.as_bytes()),
        definition,
        inputs: serde_json::to_string(req.inputs).map_err(|e| json_error("inputs", e))?,
        form: serde_json::to_string(req.form).map_err(|e| json_error("form", e))?,
        checks: serde_json::to_string(req.checks).map_err(|e| json_error("checks", e))?,
        routing: req.routing.to_string(),
    };

    let mut tx = db.begin_write().await?;
    match store(&mut tx, db, now_ms, &req, &json, render).await {
        Ok(Stored::Created(number)) => {
            tx.commit().await?;
            Ok(Submitted::Created(number))
        }
        Ok(Stored::Exists(number)) => {
            tx.rollback().await?;
            Ok(Submitted::AlreadySubmitted(number))
        }
        Ok(Stored::Conflict(violation)) => {
            // PostgreSQL has aborted the transaction; the conflicting row is committed (or
            // there would be no violation), so the pool can read it.
            tx.rollback().await?;
            explain_conflict(db, &req, violation).await
        }
        Err(e) => {
            // Explicit, so the write connection is clean before the error reaches the caller.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// The JSON columns, serialized before the transaction starts.
struct Json {
    definition: String,
    digest: String,
    inputs: String,
    form: String,
    checks: String,
    routing: String,
}

enum Stored {
    Created(i64),
    /// The idempotency key is already used by this request.
    Exists(i64),
    /// Inserting the request hit a unique index: see [`explain_conflict`].
    Conflict(DbError),
}

async fn store(
    tx: &mut Transaction<'static, Any>,
    db: &Db,
    now_ms: i64,
    req: &NewRequest<'_>,
    json: &Json,
    render: impl FnOnce(i64) -> Result<Rendered, String>,
) -> Result<Stored, RequestError> {
    if let Some(number) = number_for_key(tx, req.idempotency_key).await? {
        return Ok(Stored::Exists(number));
    }

    let team =
        sqlx::query("SELECT id FROM teams WHERE slug = $1").bind(req.team_slug).fetch_optional(&mut **tx).await?;
    let Some(team) = team else { return Err(RequestError::UnknownTeam(req.team_slug.to_owned())) };
    let team_id: i64 = team.try_get("id")?;
    let member = sqlx::query("SELECT 1 AS one FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(req.requester_id)
        .fetch_optional(&mut **tx)
        .await?;
    if member.is_none() {
        return Err(RequestError::NotMember { team: req.team_slug.to_owned() });
    }

    let inserted = sqlx::query(
        "INSERT INTO requests (team_id, requester_id, module_id, environment, instance_name, status, \
         current_revision, version, idempotency_key, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7, $8, $8) RETURNING id",
    )
    .bind(team_id)
    .bind(req.requester_id)
    .bind(&req.module.id)
    .bind(req.environment)
    .bind(req.instance_name)
    .bind(Status::Submitted.as_str())
    .bind(req.idempotency_key)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await
    .map_err(DbError::Sql);
    let number: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(e) if e.is_unique_violation() => return Ok(Stored::Conflict(e)),
        Err(e) => return Err(e.into()),
    };

    let Rendered { content, path } = render(number).map_err(RequestError::Render)?;
    domain::render::check_repository_path(&path).map_err(|e| RequestError::Render(e.to_string()))?;
    let content_hash = sha256_hex(content.as_bytes());

    let module_version_id = module_version(tx, &req.module.id, json, now_ms).await?;
    sqlx::query(
        "INSERT INTO request_revisions (request_id, revision, module_version_id, inputs, form, rendered, \
         content_hash, path, routing, checks, justification, author_id, created_at_ms) \
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(number)
    .bind(module_version_id)
    .bind(&json.inputs)
    .bind(&json.form)
    .bind(&content)
    .bind(&content_hash)
    .bind(&path)
    .bind(&json.routing)
    .bind(&json.checks)
    .bind(req.justification)
    .bind(req.requester_id)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;

    audit::append(
        tx,
        db.dialect(),
        now_ms,
        Entry {
            actor: &Actor::User(req.requester_login.to_owned()),
            action: "request.submitted",
            subject: &format!("request:{number}"),
            details: json!({
                "module": req.module.id,
                "module_digest": json.digest,
                "environment": req.environment,
                "team": req.team_slug,
                "instance_name": req.instance_name,
                "path": path,
                "content_hash": content_hash,
                "routing": req.routing,
            }),
        },
    )
    .await?;

    // Asking for the pull request is part of submitting: the job commits with the request,
    // so a stored request always has its pull request coming.
    let change = Change {
        number,
        event: Event::PrRequested,
        role: Role::System,
        actor: &Actor::System,
        expected_version: None,
        details: json!({}),
    };
    change::apply(tx, db.dialect(), now_ms, change).await.map_err(|e| match e {
        ChangeError::Db(e) => RequestError::Db(e),
        other => RequestError::Render(format!("cannot ask for the pull request: {other}")),
    })?;
    outbox::enqueue(tx, now_ms, number, JobKind::OpenPr).await?;
    Ok(Stored::Created(number))
}

async fn number_for_key(tx: &mut Transaction<'static, Any>, key: &str) -> Result<Option<i64>, DbError> {
    let row =
        sqlx::query("SELECT id FROM requests WHERE idempotency_key = $1").bind(key).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// A unique violation on insert is either the idempotency key (the same form, submitted
/// concurrently: that request wins) or the live instance name (another request holds it).
/// Decided by reading committed rows, in that order: a resent form also repeats the name.
async fn explain_conflict(db: &Db, req: &NewRequest<'_>, violation: DbError) -> Result<Submitted, RequestError> {
    let by_key = sqlx::query("SELECT id FROM requests WHERE idempotency_key = $1")
        .bind(req.idempotency_key)
        .fetch_optional(db.pool())
        .await;
    match by_key.and_then(|row| row.map(|r| r.try_get::<i64, _>("id")).transpose()) {
        Ok(Some(number)) => return Ok(Submitted::AlreadySubmitted(number)),
        Ok(None) => {}
        Err(e) => return Err(e.into()),
    }
    let holder = sqlx::query(&format!(
        "SELECT id FROM requests WHERE environment = $1 AND instance_name = $2 AND status NOT IN {RELEASED}"
    ))
    .bind(req.environment)
    .bind(req.instance_name)
    .fetch_optional(db.pool())
    .await;
    match holder.and_then(|row| row.map(|r| r.try_get::<i64, _>("id")).transpose()) {
        Ok(Some(number)) => Err(RequestError::InstanceTaken {
            name: req.instance_name.to_owned(),
            environment: req.environment.to_owned(),
            number,
        }),
        // The holder was released between the violation and this read: report the
        // violation as it was rather than guess.
        Ok(None) => Err(violation.into()),
        Err(e) => Err(e.into()),
    }
}

/// The id of this module definition in `module_versions`, inserting it when new. `ON CONFLICT
/// DO NOTHING` (both engines) so that two requests with the same new definition do not fail
/// each other.
async fn module_version(
    tx: &mut Transaction<'static, Any>,
    module_id: &str,
    json: &Json,
    now_ms: i64,
) -> Result<i64, DbError> {
    let (digest, definition) = (json.digest.as_str(), json.definition.as_str());
    let find = "SELECT id FROM module_versions WHERE module_id = $1 AND digest = $2";
    if let Some(row) = sqlx::query(find).bind(module_id).bind(digest).fetch_optional(&mut **tx).await? {
        return Ok(row.try_get("id")?);
    }
    sqlx::query(
        "INSERT INTO module_versions (module_id, digest, definition, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (module_id, digest) DO NOTHING",
    )
    .bind(module_id)
    .bind(digest)
    .bind(definition)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query(find).bind(module_id).bind(digest).fetch_one(&mut **tx).await?.try_get("id")?)
}
