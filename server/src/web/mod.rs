//! The HTTP surface: Leptos pages and server functions, the sign-in handlers, operations
//! endpoints and static files, wrapped in the session, origin-check, sign-in and request
//! id layers. Layer order (outermost first): request id → trace → panic page → origin
//! check → body limit → timeout → sessions → request context (who is signed in) → routes.

pub mod audit_export;
pub mod auth;
pub mod context;
pub mod decide;
pub mod edit;
pub mod jobs;
pub mod ops;
pub mod origin;
pub mod outside;
pub mod pages;
pub mod requests;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use backend::sessions::DbSessionStore;
use http::HeaderName;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Config;
use crate::rate_limit::LoginLimiter;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Request bodies larger than this are refused before they are read.
const BODY_LIMIT: usize = 1024 * 1024;

/// Everything the plain axum handlers need.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub limiter: Arc<LoginLimiter>,
    pub absolute_timeout_ms: i64,
    pub idle_timeout_ms: i64,
    pub metrics: Arc<backend::metrics::Metrics>,
    pub webhooks: webhooks::Settings,
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    // `cargo leptos watch` sets LEPTOS_ENV=DEV to get live reload; everything else is PROD.
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name("infradesk")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(env)
        .build()
}

/// What the plain handlers need beyond the app state.
pub struct Extras {
    pub limiter: Arc<LoginLimiter>,
    pub metrics: Arc<backend::metrics::Metrics>,
    pub webhooks: webhooks::Settings,
}

pub fn router(config: &Config, app_state: AppState, store: DbSessionStore, extras: Extras) -> Router {
    let options = leptos_options(config);
    let routes = generate_route_list(App);
    // Every page but /login needs a signed-in user.
    let protected: Arc<Vec<String>> =
        Arc::new(routes.iter().map(|r| r.path().to_owned()).filter(|p| p != "/login").collect());

    let web = WebState {
        app: app_state.clone(),
        limiter: extras.limiter,
        metrics: extras.metrics,
        webhooks: extras.webhooks,
        absolute_timeout_ms: i64::try_from(config.session.absolute_timeout_hours).unwrap_or(24) * 3_600_000,
        idle_timeout_ms: i64::try_from(config.session.idle_timeout_minutes).unwrap_or(480) * 60_000,
    };

    let context_state = app_state.clone();
    let provide = move || provide_context(context_state.clone());

    let sessions = SessionManagerLayer::new(store)
        .with_name("infradesk_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            i64::try_from(config.session.idle_timeout_minutes).unwrap_or(480),
        )));

    let origin = origin::OriginPolicy::new(config);

    // leptos_routes_with_context also mounts every server function (POST /api/...).
    Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/account/password", post(auth::change_password))
        .route("/requests/new/{module}", post(requests::submit_form))
        .route("/requests/{number}/cancel", post(requests::cancel))
        .route("/requests/{number}/edit", post(edit::save))
        .route("/requests/{number}/decide", post(decide::decide))
        .route("/requests/{number}/rerender", post(outside::rerender))
        .route("/requests/{number}/accept-outside-change", post(outside::accept))
        .route("/admin/catalog/reload", post(requests::reload_catalog))
        .route("/admin/jobs/{id}/retry", post(jobs::retry_job))
        .route("/audit/export.csv", get(audit_export::csv))
        .route("/audit/export.jsonl", get(audit_export::jsonl))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/webhooks/github", post(webhooks::github))
        .leptos_routes_with_context(&options, routes, provide.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(provide, shell))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state((web.clone(), protected), context::request_context))
        .layer(sessions)
        .layer(axum::Extension(web))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(tower_http::catch_panic::CatchPanicLayer::custom(pages::panic_page))
                .layer(axum::middleware::from_fn_with_state(origin, origin::check))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(30),
                )),
        )
}
