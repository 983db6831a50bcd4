//! Operations endpoints for load balancers and orchestrators.

use axum::Extension;
use http::StatusCode;

use super::WebState;

/// The process is up and serving HTTP.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The process can do its work: the database answers.
pub async fn readyz(Extension(web): Extension<WebState>) -> (StatusCode, &'static str) {
    match web.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}
