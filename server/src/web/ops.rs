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

/// Prometheus metrics in the text format. Like the health endpoints it needs no sign-in;
/// it shows counts and latencies only, never request contents.
pub async fn metrics(Extension(web): Extension<WebState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match web.metrics.render(&web.app.db, web.app.clock.now_ms()).await {
        Ok(text) => {
            ([(http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics could not read the database");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}
