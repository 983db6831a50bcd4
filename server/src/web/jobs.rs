//! Admins retry a failed outbox job (from the admin page's queue or the request's page).

use app::context::FlashKind;
use app::state::RequestContext;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use backend::requests::change::ChangeError;
use domain::audit::Actor;
use http::HeaderMap;
use serde::Deserialize;
use tower_sessions::Session;

use super::WebState;
use super::auth::{finish, flash, request_id};
use super::pages::{internal_error, simple_page};

#[derive(Deserialize)]
pub struct RetryForm {
    /// Where to go afterwards: a local path only.
    #[serde(default)]
    back: String,
}

/// A local path (`/…`, not `//host`), else the admin page.
fn local_path(back: &str) -> &str {
    let local = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(|c| c.is_control() || c.is_whitespace());
    if local { back } else { "/admin#jobs" }
}

pub async fn retry_job(
    Extension(web): Extension<WebState>,
    Extension(ctx): Extension<RequestContext>,
    session: Session,
    headers: HeaderMap,
    Path(job_id): Path<i64>,
    Form(form): Form<RetryForm>,
) -> Response {
    let rid = request_id(&headers);
    let Some(me) = ctx.me.filter(|me| me.is_admin) else {
        return simple_page(http::StatusCode::FORBIDDEN, "Forbidden", "Only admins can retry pull request jobs.");
    };
    let back = local_path(&form.back).to_owned();
    let actor = Actor::User(me.login.clone());
    let outcome = backend::outbox::retry(&web.app.db, web.app.clock.now_ms(), job_id, &actor).await;
    let (kind, text) = match outcome {
        Ok(true) => {
            web.app.outbox.wake();
            tracing::info!(job = job_id, login = %me.login, "outbox job retried by an admin");
            (FlashKind::Success, format!("Job {job_id} is queued again."))
        }
        Ok(false) => (FlashKind::Error, format!("Job {job_id} is not failed (it may have been retried already).")),
        Err(ChangeError::Db(e)) => return internal_error(&rid, &e),
        Err(e) => (FlashKind::Error, format!("Job {job_id} cannot be retried: {e}")),
    };
    let result = flash(&session, kind, &text).await.map(|()| Redirect::to(&back).into_response());
    finish(result, &rid)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/requests/4"), "/requests/4");
        for bad in ["", "https://evil.example", "//evil.example", "/\\evil", "requests", "/\t/evil.example", "/ /x"] {
            assert_eq!(local_path(bad), "/admin#jobs", "{bad}");
        }
    }
}
