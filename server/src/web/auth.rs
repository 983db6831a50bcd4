//! Sign-in, sign-out and password change as plain form posts (post/redirect/get with a
//! flash message), so they work with JavaScript off and need no client code.

use std::net::SocketAddr;

use app::context::{Flash, FlashKind};
use axum::Extension;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, http::StatusCode};
use backend::accounts::{self, AccountError};
use backend::sessions::USER_ID_KEY;
use http::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use tower_sessions::Session;

use super::context::{AUTH_AT_KEY, FLASH_KEY, LOGIN_HINT_KEY, touch};
use super::pages::{internal_error, simple_page};
use super::{REQUEST_ID, WebState};

pub const WRONG_CREDENTIALS: &str = "Wrong login or password.";

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub(super) fn request_id(headers: &HeaderMap) -> String {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned()
}

pub(super) async fn flash(
    session: &Session,
    kind: FlashKind,
    text: &str,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(FLASH_KEY, Flash { kind, text: text.to_owned() }).await
}

/// Only same-site paths; never `//host` or a full URL.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

pub async fn login(
    Extension(web): Extension<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let rid = request_id(&headers);
    if let Err(wait) = web.limiter.check(peer.ip()) {
        let secs = wait.as_secs().max(1);
        tracing::warn!(client = %peer.ip(), "sign-in rate limit hit");
        let mut response = simple_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts",
            &format!("Too many sign-in attempts from your address. Wait {secs} seconds, then try again."),
        );
        if let Ok(value) = secs.to_string().parse() {
            response.headers_mut().insert(http::header::RETRY_AFTER, value);
        }
        return response;
    }
    let login = form.login.trim().to_owned();
    if login.is_empty() || form.password.is_empty() || login.len() > 100 || form.password.len() > 1024 {
        return finish(flash_failure(&session, &login, "Enter your login and password.").await, &rid);
    }
    let now = web.app.clock.now_ms();
    let outcome =
        accounts::sign_in(&web.app.db, now, &login, SecretString::from(form.password), &peer.ip().to_string()).await;
    match outcome {
        Ok(Ok(me)) => {
            let result = async {
                // A new id at sign-in defeats session fixation.
                session.cycle_id().await?;
                session.insert(USER_ID_KEY, me.id).await?;
                session.insert(AUTH_AT_KEY, now).await?;
                touch(&web, &session, now).await?;
                Ok::<_, tower_sessions::session::Error>(())
            }
            .await;
            tracing::info!(login = %me.login, client = %peer.ip(), "signed in");
            finish(result.map(|()| Redirect::to(safe_next(form.next.as_deref())).into_response()), &rid)
        }
        Ok(Err(reason)) => {
            tracing::info!(login = %login, client = %peer.ip(), ?reason, "sign-in failed");
            finish(flash_failure(&session, &login, WRONG_CREDENTIALS).await, &rid)
        }
        Err(e) => internal_error(&rid, &e),
    }
}

async fn flash_failure(session: &Session, login: &str, text: &str) -> Result<Response, tower_sessions::session::Error> {
    flash(session, FlashKind::Error, text).await?;
    session.insert(LOGIN_HINT_KEY, login.chars().take(100).collect::<String>()).await?;
    Ok(Redirect::to("/login").into_response())
}

pub(super) fn finish(result: Result<Response, tower_sessions::session::Error>, rid: &str) -> Response {
    result.unwrap_or_else(|e| internal_error(rid, &e))
}

pub async fn logout(
    Extension(web): Extension<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let rid = request_id(&headers);
    let result = async {
        if let Some(user_id) = session.get::<i64>(USER_ID_KEY).await?
            && let Ok(Some(me)) = accounts::load_me(&web.app.db, user_id).await
        {
            // The session row and the event go together; should that fail, the flush below
            // still signs the browser out (never refused), and the error is logged.
            let id = session.id().map(|id| id.to_string()).unwrap_or_default();
            let client = peer.ip().to_string();
            if let Err(e) = accounts::sign_out(&web.app.db, web.app.clock.now_ms(), &me.login, &id, &client).await {
                tracing::error!(request_id = %rid, error = %e, "could not record sign-out");
            }
            tracing::info!(login = %me.login, "signed out");
        }
        session.flush().await?;
        // The flash below starts a fresh anonymous session: never under the old id.
        session.cycle_id().await?;
        flash(&session, FlashKind::Success, "You are signed out.").await?;
        Ok(Redirect::to("/login").into_response())
    }
    .await;
    finish(result, &rid)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    Extension(web): Extension<WebState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let rid = request_id(&headers);
    let result = async {
        let Some(user_id) = session.get::<i64>(USER_ID_KEY).await? else {
            return Ok(Redirect::to("/login").into_response());
        };
        if form.new_password != form.confirm_password {
            flash(&session, FlashKind::Error, "The new passwords do not match. Nothing was changed.").await?;
            return Ok(Redirect::to("/account").into_response());
        }
        let keep = session.id().map(|id| id.to_string()).unwrap_or_default();
        let outcome = accounts::change_password(
            &web.app.db,
            web.app.clock.now_ms(),
            user_id,
            SecretString::from(form.current_password),
            SecretString::from(form.new_password),
            &keep,
        )
        .await;
        match outcome {
            Ok(()) => {
                session.cycle_id().await?;
                flash(&session, FlashKind::Success, "Password changed. Your other sessions were signed out.").await?;
            }
            Err(AccountError::Invalid(message)) => {
                let text = format!("Password not changed: {message}.");
                flash(&session, FlashKind::Error, &text).await?;
            }
            Err(e) => return Ok(internal_error(&rid, &e)),
        }
        Ok(Redirect::to("/account").into_response())
    }
    .await;
    finish(result, &rid)
}
