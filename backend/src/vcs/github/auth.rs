//! Builds the octocrab client: our own HTTP stack under octocrab's authentication.
//!
//! octocrab's default `build()` puts a retry layer (three re-sends of any request that got a
//! 5xx or no answer) and a redirect follower in front of the connection. Infradesk's outbox
//! worker does the retrying, and a re-sent `POST /pulls` whose first try was applied would
//! be a second side effect, so we use octocrab's documented custom-service path instead
//! (`OctocrabBuilder::new_empty().with_service(..)`): a hyper client with rustls (ring,
//! the system's root certificates) behind a connector with connect/read/write timeouts,
//! then octocrab's base-URI and extra-headers layers. There is no retry layer in it to
//! disable, whatever features octocrab is built with.
//!
//! Authentication stays octocrab's: `AuthState::AccessToken` for a token, and for a GitHub
//! App `AuthState::App` turned into an installation client (`Octocrab::installation`). The
//! installation client mints a token at `POST /app/installations/{id}/access_tokens` with a
//! JWT signed by the app's key, caches it until 30 seconds before its `expires_at`, and when
//! GitHub answers 401 it drops the token, mints a new one and sends that one request once
//! more (octocrab's `execute`). That single re-send is safe: GitHub did not act on a
//! request it refused as unauthenticated.

use std::sync::Arc;

use http::header::{ACCEPT, USER_AGENT};
use http::{HeaderName, HeaderValue, Uri};
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use octocrab::auth::AppAuth;
use octocrab::models::{AppId, InstallationId};
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use secrecy::ExposeSecret;

use super::config::{GitHubAuth, GitHubConfig};

/// Idle connections are dropped before GitHub's load balancers would drop them.
const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(50);

/// A configuration problem found while building the client (bad key, bad URL, no CA roots).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

/// Builds the client. Must run inside a Tokio runtime (octocrab spawns its request buffer).
pub(crate) fn build_client(config: &GitHubConfig) -> Result<Octocrab, BuildError> {
    let base_uri: Uri = config
        .api_url
        .as_str()
        .trim_end_matches('/')
        .parse()
        .map_err(|e| BuildError(format!("GitHub API URL {}: {e}", config.api_url)))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| BuildError(format!("cannot load the system's TLS root certificates: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let mut connector = TimeoutConnector::new(https);
    connector.set_connect_timeout(Some(config.connect_timeout));
    connector.set_read_timeout(Some(config.read_timeout));
    connector.set_write_timeout(Some(config.read_timeout));
    // The read timer counts from the moment a request is written, not from the moment the
    // pooled connection last received something.
    connector.set_reset_reader_on_write(true);
    let client: Client<_, OctoBody> = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector);

    let headers: Vec<(HeaderName, HeaderValue)> = vec![
        (USER_AGENT, HeaderValue::from_static(concat!("infradesk/", env!("CARGO_PKG_VERSION")))),
        (ACCEPT, HeaderValue::from_static("application/vnd.github+json")),
    ];

    let auth = match &config.auth {
        GitHubAuth::Token(token) => {
            if token.expose_secret().trim().is_empty() {
                return Err(BuildError("the GitHub token is empty".to_string()));
            }
            AuthState::AccessToken { token: token.clone() }
        }
        GitHubAuth::App { app_id, private_key, .. } => {
            let key = octocrab::EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes())
                .map_err(|e| BuildError(format!("the GitHub App private key is not an RSA key in PEM: {e}")))?;
            AuthState::App(AppAuth { app_id: AppId(*app_id), key })
        }
    };

    let octocrab = OctocrabBuilder::new_empty()
        .with_service(client)
        .with_layer(&BaseUriLayer::new(base_uri))
        .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
        .with_auth(auth)
        .build()
        .unwrap_or_else(|never| match never {});

    match &config.auth {
        GitHubAuth::Token(_) => Ok(octocrab),
        GitHubAuth::App { installation_id, .. } => octocrab
            .installation(InstallationId(*installation_id))
            .map_err(|e| BuildError(format!("GitHub App installation {installation_id}: {e}"))),
    }
}
