//! Resolving a push made outside Infradesk: the requesting team re-renders, or a reviewer
//! accepts the pushed head. Plain form posts; the outcome is a flash on the request page.

use app::context::FlashKind;
use app::state::RequestContext;
use axum::Extension;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use backend::requests::change::ChangeError;
use backend::requests::{self, OutsideError};
use domain::audit::Actor;
use http::HeaderMap;
use tower_sessions::Session;

use super::WebState;
use super::auth::{finish, flash, request_id};
use super::pages::{internal_error, simple_page};

async fn team_of(web: &WebState, number: i64) -> Result<Option<String>, backend::DbError> {
    Ok(requests::get(&web.app.db, number).await?.map(|d| d.summary.team))
}

pub async fn rerender(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(number): Path<i64>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else { return Redirect::to("/login").into_response() };
    let team = match team_of(&web, number).await {
        Ok(Some(team)) => team,
        Ok(None) => return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request."),
        Err(e) => return internal_error(&rid, &e),
    };
    if !me.teams.iter().any(|t| t.slug == team) {
        // Like the request page: someone else's request does not exist for requesters.
        if !(me.is_reviewer() || me.is_admin) {
            return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request.");
        }
        return simple_page(
            http::StatusCode::FORBIDDEN,
            "Forbidden",
            "Only the requesting team can re-render a request.",
        );
    }
    let outcome = requests::rerender(&web.app.db, web.app.clock.now_ms(), number, &Actor::User(me.login.clone())).await;
    respond(&web, session, &rid, number, outcome.map(|()| "Infradesk pushes its file to the branch again.".to_owned()))
        .await
}

#[derive(serde::Deserialize)]
pub struct AcceptForm {
    /// The head the reviewer saw on the page.
    #[serde(default)]
    head: String,
}

/// Only a member of a team the current revision is routed to, outside the requesting team
/// (four eyes: nobody accepts a push to their own team's request), for the head they saw.
pub async fn accept(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(number): Path<i64>,
    axum::Form(form): axum::Form<AcceptForm>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else { return Redirect::to("/login").into_response() };
    let detail = match requests::get(&web.app.db, number).await {
        Ok(Some(d)) => d,
        Ok(None) => return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request."),
        Err(e) => return internal_error(&rid, &e),
    };
    // Like the request page: someone else's request does not exist for requesters.
    let member = me.teams.iter().any(|t| t.slug == detail.summary.team);
    if !(member || me.is_reviewer() || me.is_admin) {
        return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request.");
    }
    if !app::requesting::may_accept_outside_change(&me, &detail) {
        return simple_page(
            http::StatusCode::FORBIDDEN,
            "Forbidden",
            "Only a reviewer of a team this request is routed to, outside the requesting team, can accept a change made outside Infradesk.",
        );
    }
    let actor = Actor::User(me.login.clone());
    let outcome =
        requests::accept_outside_change(&web.app.db, web.app.clock.now_ms(), number, &actor, form.head.trim()).await;
    respond(&web, session, &rid, number, outcome.map(|head| format!("The pushed head {head} is accepted."))).await
}

async fn respond(
    web: &WebState,
    session: Session,
    rid: &str,
    number: i64,
    outcome: Result<String, OutsideError>,
) -> Response {
    let (kind, text) = match outcome {
        Ok(text) => {
            web.app.outbox.wake();
            (FlashKind::Success, text)
        }
        Err(OutsideError::Change(ChangeError::Db(e))) => return internal_error(rid, &e),
        Err(e) => (FlashKind::Error, format!("{e}.")),
    };
    let result =
        flash(&session, kind, &text).await.map(|()| Redirect::to(&format!("/requests/{number}")).into_response());
    finish(result, rid)
}
