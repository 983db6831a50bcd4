//! `POST /webhooks/github`: the signature is checked over the raw body before anything is
//! parsed; only the configured repository is accepted; the delivery is stored (once per
//! `X-GitHub-Delivery`) and acknowledged at once; processing happens in the background.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use backend::outbox::Wake;
use backend::webhooks::{self, events::AnyEvent, signature};
use http::{HeaderMap, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use super::WebState;

/// What the endpoint needs; `None` in [`WebState`] when GitHub is not configured.
pub struct WebhookSettings {
    pub secret: SecretString,
    /// `owner/name`, compared without regard to case.
    pub repository: String,
    /// Wakes the delivery processor.
    pub wake: Wake,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn answer(status: StatusCode, text: &str) -> Response {
    (status, format!("{text}\n")).into_response()
}

/// A delivery id as GitHub sends it: a GUID; anything else is refused.
fn valid_delivery_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub async fn github(
    Extension(web): Extension<WebState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(settings) = web.webhooks.clone() else {
        return answer(StatusCode::NOT_FOUND, "GitHub webhooks are not configured on this Infradesk");
    };
    let metrics = web.metrics.clone();
    let delivery = header(&headers, "x-github-delivery").unwrap_or("");
    let event = header(&headers, "x-github-event").unwrap_or("");
    if let Err(e) =
        signature::verify(settings.secret.expose_secret().as_bytes(), &body, header(&headers, "x-hub-signature-256"))
    {
        // Audit-worthy: someone is sending unsigned or forged deliveries.
        tracing::warn!(target: "infradesk::security", %peer, delivery, event, reason = %e,
            "refused a webhook with a bad signature; nothing was changed");
        metrics.webhook("bad_signature");
        return answer(StatusCode::UNAUTHORIZED, &format!("refused: {e}"));
    }
    if !valid_delivery_id(delivery) || event.is_empty() || event.len() > 64 {
        metrics.webhook("bad_request");
        return answer(StatusCode::BAD_REQUEST, "X-GitHub-Delivery and X-GitHub-Event are required");
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        metrics.webhook("bad_request");
        return answer(StatusCode::BAD_REQUEST, "the body is not UTF-8 JSON");
    };
    let parsed: AnyEvent = match serde_json::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            metrics.webhook("bad_request");
            return answer(StatusCode::BAD_REQUEST, &format!("the body is not a GitHub event: {e}"));
        }
    };
    let repository = parsed.repository.map(|r| r.full_name).unwrap_or_default();
    if !repository.eq_ignore_ascii_case(&settings.repository) {
        tracing::warn!(delivery, event, %repository, configured = %settings.repository,
            "refused a webhook for another repository");
        metrics.webhook("wrong_repository");
        return answer(
            StatusCode::FORBIDDEN,
            &format!("repository {repository:?} is not the configured infra repository"),
        );
    }
    if event == "ping" {
        metrics.webhook("ping");
        return answer(StatusCode::OK, "pong");
    }
    let action = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned));
    match webhooks::receive(&web.app.db, web.app.clock.now_ms(), delivery, event, action.as_deref(), text).await {
        Ok(true) => {
            metrics.webhook("accepted");
            settings.wake.wake();
            tracing::info!(delivery, event, action = action.as_deref().unwrap_or("-"), "webhook stored");
            answer(StatusCode::ACCEPTED, "queued")
        }
        Ok(false) => {
            metrics.webhook("duplicate");
            answer(StatusCode::OK, "already received")
        }
        Err(e) => {
            tracing::error!(delivery, error = %e, "could not store a webhook delivery; GitHub will show it as failed");
            answer(StatusCode::SERVICE_UNAVAILABLE, "could not store the delivery; redeliver it later")
        }
    }
}

pub type Settings = Option<Arc<WebhookSettings>>;

#[cfg(test)]
mod tests {
    #[test]
    fn delivery_ids() {
        assert!(super::valid_delivery_id("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
        for bad in ["", "a b", "x/y", &"a".repeat(65)] {
            assert!(!super::valid_delivery_id(bad), "{bad}");
        }
    }
}
