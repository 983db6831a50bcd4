//! `POST /requests/:number/decide`: approve, request changes, reject or comment, as a plain
//! form post. The comment typed is kept when a decision is refused (flash + the form again).

use app::context::FlashKind;
use app::state::RequestContext;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use backend::requests::change::ChangeError;
use backend::requests::{self, DecideError, Decided, Decision, DecisionKind};
use http::HeaderMap;
use serde::Deserialize;
use tower_sessions::Session;

use super::WebState;
use super::auth::{finish, flash, request_id};
use super::pages::{internal_error, simple_page};

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    version: i64,
}

pub async fn decide(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(number): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me else {
        return Redirect::to(&format!("/login?next=/requests/{number}")).into_response();
    };
    let detail = match requests::get(&web.app.db, number).await {
        Ok(Some(d)) => d,
        Ok(None) => return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request."),
        Err(e) => return internal_error(&rid, &e),
    };
    let member = me.teams.iter().any(|t| t.slug == detail.summary.team);
    if !(member || me.is_reviewer() || me.is_admin) {
        // Like the request page: someone else's request does not exist for requesters.
        return simple_page(http::StatusCode::NOT_FOUND, "Not found", "There is no such request.");
    }
    let kind = match form.decision.as_str() {
        "approve" => DecisionKind::Approve,
        "request_changes" => DecisionKind::RequestChanges,
        "reject" => DecisionKind::Reject,
        "comment" => DecisionKind::Comment,
        _ => return simple_page(http::StatusCode::BAD_REQUEST, "Bad request", "Unknown decision."),
    };
    if kind == DecisionKind::Comment && form.comment.trim().is_empty() {
        let result = flash(&session, FlashKind::Error, "Write a comment first.")
            .await
            .map(|()| Redirect::to(&format!("/requests/{number}")).into_response());
        return finish(result, &rid);
    }
    let decision = Decision { number, expected_version: form.version, kind, comment: &form.comment, reviewer: &me };
    let (flash_kind, text) = match requests::decide(&web.app.db, web.app.clock.now_ms(), decision).await {
        Ok(decided) => {
            tracing::info!(request = number, login = %me.login, ?kind, "review decision");
            let text = match decided {
                Decided::ApprovalRecorded(t) => {
                    format!("Approval recorded ({} counted); more approvals are needed.", t.counted())
                }
                Decided::Approved(_) => {
                    web.app.outbox.wake();
                    // What the merge job will do: merge now, wait for the plan check, or
                    // leave the merge to GitHub. The approval is stored: an unreadable pull
                    // request only means "no checks reported" here.
                    let pull = backend::pulls::of_request(&web.app.db, number).await;
                    let checks = pull.ok().flatten().and_then(|p| p.checks_status);
                    web.app.settings.plan_check.after_approval(number, checks.as_deref())
                }
                Decided::ChangesRequested => "Changes requested; the requester can edit the request.".to_owned(),
                Decided::Rejected => {
                    web.app.outbox.wake();
                    format!("Request #{number} is rejected; its pull request will be closed.")
                }
                Decided::Commented => "Comment added.".to_owned(),
            };
            (FlashKind::Success, text)
        }
        Err(DecideError::Change(ChangeError::Db(e))) => return internal_error(&rid, &e),
        Err(e @ DecideError::Change(ChangeError::Stale { .. })) => {
            // Two reviewers on the same page: the one who lost is told what won.
            let last = last_change(&web, number).await;
            (FlashKind::Error, format!("Not recorded: {e}.{last} Your comment was: {}", form.comment.trim()))
        }
        Err(e) => (FlashKind::Error, format!("Not recorded: {e}. Your comment was: {}", form.comment.trim())),
    };
    let result =
        flash(&session, flash_kind, &text).await.map(|()| Redirect::to(&format!("/requests/{number}")).into_response());
    finish(result, &rid)
}

/// " Last change: request.approved by user:sam at 2026-12-04 16:02:11 UTC." — the newest
/// status change of request `number` from its audit trail, or nothing when it cannot be read.
async fn last_change(web: &WebState, number: i64) -> String {
    let events = backend::audit::for_subject(&web.app.db, &format!("request:{number}")).await.unwrap_or_default();
    // Status changes carry their `from` and `to`; comments and approvals alone do not.
    let changed = events.iter().rev().find(|e| e.details.contains("\"to\":"));
    changed.map_or_else(String::new, |e| {
        format!(" Last change: {} by {} at {}.", e.action, e.actor, domain::utc::seconds(e.at_ms))
    })
}
