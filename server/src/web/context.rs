//! Works out who is signed in for every request and hands it to the app: loads the user
//! named by the session (ending sessions of disabled users and sessions past the absolute
//! timeout), takes the one-time flash message on page loads, and sends signed-out
//! visitors of protected pages to the sign-in page.

use std::sync::Arc;

use app::context::Flash;
use app::state::RequestContext;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use backend::accounts;
use backend::sessions::USER_ID_KEY;
use http::Method;
use tower_sessions::Session;

use super::pages::internal_error;
use super::{REQUEST_ID, WebState};

pub const AUTH_AT_KEY: &str = "auth_at_ms";
pub const FLASH_KEY: &str = "flash";
pub const LOGIN_HINT_KEY: &str = "login_hint";
/// When the session was last written. Sessions expire after `idle_timeout_minutes` without
/// a write, so an active user's session is rewritten (and so extended) at most once per
/// [`TOUCH_INTERVAL_MS`] instead of on every request.
pub const SEEN_AT_KEY: &str = "seen_at_ms";
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// Whether `path` matches a route pattern such as `/requests/:id`.
fn matches_route(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    pattern.len() == path.len()
        // Parameters are `{name}` in axum 0.8's route syntax (`:name` in Leptos's own).
        && pattern.iter().zip(&path).all(|(p, s)| p.starts_with(['{', ':', '*']) || p == s)
}

pub async fn request_context(
    State((web, protected)): State<(WebState, Arc<Vec<String>>)>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let is_page_load = req.method() == Method::GET && !req.uri().path().starts_with("/api/");
    let result = build_context(&web, &session, is_page_load, request_id.clone()).await;
    let ctx = match result {
        Ok(ctx) => ctx,
        Err(e) => return internal_error(&request_id, &e),
    };

    let path = req.uri().path().to_owned();
    if is_page_load && ctx.me.is_none() && protected.iter().any(|p| matches_route(p, &path)) {
        let next_param = if path == "/" { String::new() } else { format!("?next={}", urlencode(&path)) };
        return Redirect::to(&format!("/login{next_param}")).into_response();
    }
    if is_page_load && ctx.me.is_some() && path == "/login" {
        return Redirect::to("/").into_response();
    }
    req.extensions_mut().insert(ctx);
    next.run(req).await
}

async fn build_context(
    web: &WebState,
    session: &Session,
    is_page_load: bool,
    request_id: String,
) -> Result<RequestContext, Box<dyn std::error::Error + Send + Sync>> {
    let mut ctx = RequestContext { request_id: Some(request_id), ..RequestContext::default() };
    if let Some(user_id) = session.get::<i64>(USER_ID_KEY).await? {
        let auth_at = session.get::<i64>(AUTH_AT_KEY).await?.unwrap_or(0);
        let now = web.app.clock.now_ms();
        if now - auth_at > web.absolute_timeout_ms {
            tracing::info!(user_id, "session passed its absolute timeout; signing out");
            session.flush().await?;
        } else {
            match accounts::load_me(&web.app.db, user_id).await? {
                Some(me) => {
                    let seen_at = session.get::<i64>(SEEN_AT_KEY).await?.unwrap_or(0);
                    if now - seen_at >= TOUCH_INTERVAL_MS {
                        touch(web, session, now).await?;
                    }
                    ctx.me = Some(me);
                }
                None => {
                    // Disabled or deleted since signing in.
                    session.flush().await?;
                }
            }
        }
    }
    // Flash messages are shown once, on the next page load (not on server-function calls).
    // Removing marks the session modified (a write), so only remove what is there.
    if is_page_load && session.get::<Flash>(FLASH_KEY).await?.is_some() {
        ctx.flash = session.remove::<Flash>(FLASH_KEY).await?;
        ctx.login_hint = session.remove::<String>(LOGIN_HINT_KEY).await?;
    }
    Ok(ctx)
}

/// Records activity and moves the session's expiry to `now + idle timeout`, by our clock
/// (tower-sessions' own `OnInactivity` would use the system clock).
pub async fn touch(web: &WebState, session: &Session, now_ms: i64) -> Result<(), tower_sessions::session::Error> {
    session.insert(SEEN_AT_KEY, now_ms).await?;
    let expires = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms + web.idle_timeout_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    session.set_expiry(Some(tower_sessions::Expiry::AtDateTime(expires)));
    Ok(())
}

/// Percent-encodes a path for use as a query value.
fn urlencode(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::matches_route;

    #[test]
    fn route_patterns() {
        assert!(matches_route("/", "/"));
        assert!(matches_route("/admin", "/admin"));
        assert!(matches_route("/admin", "/admin/"));
        assert!(!matches_route("/admin", "/admin/x"));
        assert!(matches_route("/requests/:id", "/requests/42"));
        assert!(!matches_route("/", "/no-such-page"));
    }
}
