//! The request form's plain form post (`POST /requests/new/:module`), cancelling a request
//! and the admin's catalog reload. Post/redirect/get: a form that is not submitted (preview, row added or removed,
//! environment switched, errors) is kept in the session under its idempotency key and the
//! browser is sent back to the form, which shows it with every value the user typed.

use app::context::FlashKind;
use app::pages::new_request::model::{StoredDraft, draft_session_key};
use app::requesting::{prepare, valid_key};
use app::state::RequestContext;
use axum::Extension;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use backend::requests::change::ChangeError;
use backend::requests::{self, NewRequest, Rendered, RequestError, Submitted};
use domain::audit::Actor;
use domain::request::Draft;
use domain::request::transition::Role;
use http::HeaderMap;
use tower_sessions::Session;

use super::WebState;
use super::auth::{finish, flash, request_id};
use super::pages::internal_error;

/// Forms kept in one session at most; older ones are dropped (they are only unsent edits).
const MAX_DRAFTS: usize = 5;
const DRAFT_KEYS: &str = "draft_keys";

pub async fn submit_form(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(module_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else {
        return Redirect::to(&format!("/login?next=/requests/new/{module_id}")).into_response();
    };
    let (mut draft, key, op) = Draft::from_pairs(pairs);
    let key = key.filter(|k| valid_key(k)).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let back = |anchor: &str| format!("/requests/new/{module_id}?draft={key}{anchor}");
    let Some(module) = app::requesting::module(&web.app, &module_id) else {
        let result = flash(&session, FlashKind::Error, &format!("There is no module {module_id:?} in the catalog."))
            .await
            .map(|()| Redirect::to("/requests/new").into_response());
        return finish(result, &rid);
    };
    let op = op.unwrap_or_else(|| "submit".to_owned());
    let settings = &web.app.settings;
    let result = async {
        match op.as_str() {
            "submit" => {}
            "preview" => {
                keep(&session, &key, &module_id, draft, true, None).await?;
                return Ok(Redirect::to(&back("#preview")).into_response());
            }
            "environment" => {
                domain::request::apply_environment(&module, &draft.environment.clone(), &mut draft.inputs);
                keep(&session, &key, &module_id, draft, false, None).await?;
                return Ok(Redirect::to(&back("")).into_response());
            }
            other => {
                let anchor = row_anchor(other);
                draft.inputs.apply(other);
                keep(&session, &key, &module_id, draft, false, None).await?;
                return Ok(Redirect::to(&back(&anchor)).into_response());
            }
        }
        let checked = prepare(settings, &module, &draft, &me, None);
        if !checked.evaluation.is_valid() || checked.preview.problem.is_some() {
            let problem = checked.preview.problem.filter(|_| checked.evaluation.is_valid());
            keep(&session, &key, &module_id, draft, true, problem).await?;
            return Ok(Redirect::to(&back("")).into_response());
        }
        let routing = serde_json::to_value(&checked.preview.routing).unwrap_or_default();
        let new = NewRequest {
            idempotency_key: &key,
            requester_id: me.id,
            requester_login: &me.login,
            team_slug: &draft.team,
            module: &module,
            environment: &draft.environment,
            instance_name: &draft.instance_name,
            inputs: &checked.evaluation.inputs,
            form: &draft.inputs,
            routing,
            checks: &checked.evaluation.checks,
            justification: draft.justification.trim(),
        };
        // The number is known only inside the transaction: render again with it.
        let render = |number: i64| {
            let final_ = prepare(settings, &module, &draft, &me, Some(number));
            match (final_.preview.content, final_.preview.path) {
                (Some(content), Some(path)) => Ok(Rendered { content, path }),
                _ => Err(final_.preview.problem.unwrap_or_else(|| "the request could not be rendered".to_owned())),
            }
        };
        let outcome = requests::submit(&web.app.db, web.app.clock.now_ms(), new, render).await;
        match outcome {
            Ok(Submitted::Created(number)) | Ok(Submitted::AlreadySubmitted(number)) => {
                web.app.outbox.wake();
                forget(&session, &key).await?;
                tracing::info!(request = number, module = %module_id, login = %me.login, "request submitted");
                flash(&session, FlashKind::Success, &format!("Request #{number} submitted.")).await?;
                Ok(Redirect::to(&format!("/requests/{number}")).into_response())
            }
            Err(
                e @ (RequestError::NotMember { .. }
                | RequestError::UnknownTeam(_)
                | RequestError::InstanceTaken { .. }
                | RequestError::Render(_)),
            ) => {
                keep(&session, &key, &module_id, draft, true, Some(e.to_string())).await?;
                Ok(Redirect::to(&back("")).into_response())
            }
            Err(e) => Ok(internal_error(&rid, &e)),
        }
    }
    .await;
    finish(result, &rid)
}

/// `add:tags` → `#f-tags`; `remove:rules[2]` → `#f-rules`: back to the list that changed.
pub(super) fn row_anchor(op: &str) -> String {
    let path = op.split_once(':').map_or("", |(_, p)| p);
    let path = path.strip_suffix(']').and_then(|p| p.rfind('[').map(|i| &p[..i])).unwrap_or(path);
    format!("#field-{}", domain::request::top_level(path))
}

pub(super) async fn keep(
    session: &Session,
    key: &str,
    module: &str,
    draft: Draft,
    show_errors: bool,
    submit_error: Option<String>,
) -> Result<(), tower_sessions::session::Error> {
    keep_draft(session, key, StoredDraft { module: module.to_owned(), draft, show_errors, submit_error, version: None })
        .await
}

/// Keeps a form in the session under `key` (at most [`MAX_DRAFTS`] per session).
pub(super) async fn keep_draft(
    session: &Session,
    key: &str,
    stored: StoredDraft,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(&draft_session_key(key), stored).await?;
    let mut keys: Vec<String> = session.get(DRAFT_KEYS).await?.unwrap_or_default();
    keys.retain(|k| k != key);
    keys.push(key.to_owned());
    while keys.len() > MAX_DRAFTS {
        let old = keys.remove(0);
        session.remove_value(&draft_session_key(&old)).await?;
    }
    session.insert(DRAFT_KEYS, keys).await
}

pub(super) async fn forget(session: &Session, key: &str) -> Result<(), tower_sessions::session::Error> {
    session.remove_value(&draft_session_key(key)).await?;
    let mut keys: Vec<String> = session.get(DRAFT_KEYS).await?.unwrap_or_default();
    keys.retain(|k| k != key);
    session.insert(DRAFT_KEYS, keys).await
}

/// Admins reload the catalog from disk; the outcome is a flash on the catalog page.
pub async fn reload_catalog(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me.filter(|me| me.is_admin) else {
        return super::pages::simple_page(
            http::StatusCode::FORBIDDEN,
            "Forbidden",
            "Only admins can reload the catalog.",
        );
    };
    let actor = Actor::User(me.login.clone());
    match web.app.catalog.reload(&web.app.db, &actor, web.app.clock.now_ms()).await {
        Ok(summary) => {
            let mut text = format!("Catalog reloaded: {} modules", summary.modules);
            for (label, list) in
                [("added", &summary.added), ("changed", &summary.changed), ("removed", &summary.removed)]
            {
                if !list.is_empty() {
                    text.push_str(&format!("; {label} {}", list.join(", ")));
                }
            }
            if !summary.failed.is_empty() {
                text.push_str(&format!("; {} did not load: {}", summary.failed.len(), summary.failed.join(", ")));
            }
            text.push('.');
            let kind = if summary.failed.is_empty() { FlashKind::Success } else { FlashKind::Error };
            let result = flash(&session, kind, &text).await.map(|()| Redirect::to("/requests/new").into_response());
            finish(result, &rid)
        }
        Err(e) => internal_error(&rid, &e),
    }
}

#[derive(serde::Deserialize)]
pub struct CancelForm {
    version: i64,
    #[serde(default)]
    reason: String,
}

/// A member of the requesting team or an admin cancels a request that is still open.
pub async fn cancel(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(number): Path<i64>,
    Form(form): Form<CancelForm>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else {
        return Redirect::to(&format!("/login?next=/requests/{number}")).into_response();
    };
    let back = format!("/requests/{number}");
    let detail = match requests::get(&web.app.db, number).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            return super::pages::simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request.");
        }
        Err(e) => return internal_error(&rid, &e),
    };
    let member = me.teams.iter().any(|t| t.slug == detail.summary.team);
    let role = match (member, me.is_admin) {
        (true, _) => Role::Requester,
        (false, true) => Role::Admin,
        // Like the page itself: someone else's request does not exist for them.
        (false, false) if me.is_reviewer() => {
            return super::pages::simple_page(
                http::StatusCode::FORBIDDEN,
                "Forbidden",
                "Only the requesting team or an admin can cancel a request.",
            );
        }
        (false, false) => {
            return super::pages::simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request.");
        }
    };
    let reason = form.reason.trim();
    let result = async {
        if reason.is_empty() || reason.chars().count() > 500 {
            flash(&session, FlashKind::Error, "Say why the request is cancelled (up to 500 characters).").await?;
            return Ok(Redirect::to(&back).into_response());
        }
        let actor = Actor::User(me.login.clone());
        let outcome =
            requests::cancel(&web.app.db, web.app.clock.now_ms(), number, &actor, role, Some(form.version), reason)
                .await;
        match outcome {
            Ok(_) => {
                web.app.outbox.wake();
                tracing::info!(request = number, login = %me.login, "request cancelled");
                flash(
                    &session,
                    FlashKind::Success,
                    &format!("Request #{number} cancelled; its pull request will be closed."),
                )
                .await?;
            }
            Err(ChangeError::Db(e)) => return Ok(internal_error(&rid, &e)),
            Err(e) => flash(&session, FlashKind::Error, &format!("Not cancelled: {e}.")).await?,
        }
        Ok(Redirect::to(&back).into_response())
    }
    .await;
    finish(result, &rid)
}
