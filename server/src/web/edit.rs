//! `POST /requests/:number/edit`: a new revision of a request in review, from the same form
//! as a new request (post/redirect/get, the form kept in the session while it is not saved).

use app::context::FlashKind;
use app::requesting::{edit_base, prepare_with, valid_key};
use app::state::RequestContext;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use backend::requests::change::ChangeError;
use backend::requests::{self, Edit, EditError, Rendered};
use domain::request::{Draft, control};
use http::HeaderMap;
use tower_sessions::Session;

use super::WebState;
use super::auth::{finish, flash, request_id};
use super::pages::{internal_error, simple_page};
use super::requests::{forget, keep_draft, row_anchor};
use app::pages::new_request::model::StoredDraft;

pub async fn save(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(number): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else {
        return Redirect::to(&format!("/login?next=/requests/{number}/edit")).into_response();
    };
    let version = pairs.iter().find(|(k, _)| k == control::VERSION).and_then(|(_, v)| v.parse::<i64>().ok());
    let (mut draft, key, op) = Draft::from_pairs(pairs);
    let base = match edit_base(&web.app.db, &me, number).await {
        Ok(Some(base)) => base,
        Ok(None) => return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no request you can edit."),
        Err(why) => {
            let result = flash(&session, FlashKind::Error, &why)
                .await
                .map(|()| Redirect::to(&format!("/requests/{number}")).into_response());
            return finish(result, &rid);
        }
    };
    base.fix(&mut draft);
    let key = key.filter(|k| valid_key(k)).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let module_marker = base.session_module();
    let keep = |draft: Draft, show_errors: bool, submit_error: Option<String>| {
        let stored = StoredDraft { module: module_marker.clone(), draft, show_errors, submit_error, version };
        let session = session.clone();
        let key = key.clone();
        async move { keep_draft(&session, &key, stored).await }
    };
    let back = |anchor: &str| format!("/requests/{number}/edit?draft={key}{anchor}");
    let settings = &web.app.settings;
    let result = async {
        match op.as_deref().unwrap_or("submit") {
            "submit" => {}
            "preview" => {
                keep(draft, true, None).await?;
                return Ok(Redirect::to(&back("#preview")).into_response());
            }
            other => {
                let anchor = row_anchor(other);
                draft.inputs.apply(other);
                keep(draft, false, None).await?;
                return Ok(Redirect::to(&back(&anchor)).into_response());
            }
        }
        let checked = prepare_with(settings, &base.module, &draft, &me, Some(number), Some(&base));
        let (Some(content), Some(path)) = (checked.preview.content.clone(), checked.preview.path.clone()) else {
            let problem = checked.preview.problem.filter(|_| checked.evaluation.is_valid());
            keep(draft, true, problem).await?;
            return Ok(Redirect::to(&back("")).into_response());
        };
        let routing = serde_json::to_value(&checked.preview.routing).unwrap_or_default();
        let edit = Edit {
            number,
            // A form without its version cannot prove it saw the latest revision.
            expected_version: version.unwrap_or(-1),
            author_id: me.id,
            author_login: &me.login,
            inputs: &checked.evaluation.inputs,
            form: &draft.inputs,
            routing,
            checks: &checked.evaluation.checks,
            justification: draft.justification.trim(),
            rendered: Rendered { content, path },
        };
        match requests::edit(&web.app.db, web.app.clock.now_ms(), edit).await {
            Ok(revision) => {
                web.app.outbox.wake();
                forget(&session, &key).await?;
                tracing::info!(request = number, revision, login = %me.login, "request edited");
                let text = format!("Revision {revision} saved; the pull request gets a new commit.");
                flash(&session, FlashKind::Success, &text).await?;
                Ok(Redirect::to(&format!("/requests/{number}")).into_response())
            }
            Err(EditError::Change(ChangeError::Db(e))) => Ok(internal_error(&rid, &e)),
            Err(e) => {
                keep(draft, true, Some(e.to_string())).await?;
                Ok(Redirect::to(&back("")).into_response())
            }
        }
    }
    .await;
    finish(result, &rid)
}
