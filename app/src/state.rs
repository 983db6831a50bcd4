//! Server-side state the server functions and pages use, provided in context by the
//! server for every route and server-function call.

use std::sync::Arc;

use backend::Db;
use backend::catalog::CatalogStore;
use backend::clock::SharedClock;
use domain::identity::Me;
use domain::request::Environment;
use domain::routing::Routing;

use crate::context::{DemoAccount, Flash};
use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub demo_mode: bool,
    pub demo_accounts: Vec<DemoAccount>,
    pub demo_password: String,
    pub catalog: Arc<CatalogStore>,
    pub settings: Arc<Settings>,
    /// Wakes the outbox worker after a request is submitted or a job retried.
    pub outbox: backend::outbox::Wake,
    /// The last scheduled audit chain verification (the admin page shows it).
    pub audit: backend::audit::monitor::VerificationStatus,
}

/// The parts of the configuration the pages need.
#[derive(Debug)]
pub struct Settings {
    /// Without a trailing slash, e.g. `https://infradesk.example.com`.
    pub base_url: String,
    pub environments: Vec<Environment>,
    pub path_template: String,
    pub routing: Routing,
    /// The plan check and who merges: GitHub with or without green checks required, or
    /// merging left to GitHub; not configured on the local repository, which has no checks.
    pub plan_check: crate::pages::request::PlanCheck,
}

impl Settings {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn request_url(&self, number: i64) -> String {
        format!("{}/requests/{number}", self.base_url)
    }
}

/// Per-request facts worked out by the server's middleware before the app runs: the
/// signed-in user, the flash message taken from the session, the request id.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub me: Option<Me>,
    pub flash: Option<Flash>,
    pub login_hint: Option<String>,
    pub request_id: Option<String>,
}

pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

pub fn request_context() -> RequestContext {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestContext>().cloned())
        .unwrap_or_default()
}

pub fn request_id() -> Option<String> {
    request_context().request_id
}

/// Sets the HTTP status of the current response (a server function's or a page's).
pub fn set_status(code: http::StatusCode) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(code);
    }
}

/// The signed-in user, or the error (and 401) a server function should return.
pub fn require_me() -> Result<Me, AppError> {
    request_context().me.ok_or_else(|| {
        set_status(http::StatusCode::UNAUTHORIZED);
        AppError::SignedOut
    })
}

fn forbidden() -> AppError {
    set_status(http::StatusCode::FORBIDDEN);
    AppError::Forbidden
}

pub fn require_admin() -> Result<Me, AppError> {
    let me = require_me()?;
    if me.is_admin { Ok(me) } else { Err(forbidden()) }
}

pub fn require_reviewer() -> Result<Me, AppError> {
    let me = require_me()?;
    if me.is_reviewer() { Ok(me) } else { Err(forbidden()) }
}

/// Reviewers and admins: who may read the audit trail.
pub fn require_auditor() -> Result<Me, AppError> {
    let me = require_me()?;
    if me.is_reviewer() || me.is_admin { Ok(me) } else { Err(forbidden()) }
}
