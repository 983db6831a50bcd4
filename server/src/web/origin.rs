//! Cross-site request forgery defence: every state-changing request must come from a page
//! of this site, as the browser reports it in `Sec-Fetch-Site` and `Origin`. Requests
//! without either are refused too. The GitHub webhook route is exempt: it is
//! authenticated by its signature.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{Method, StatusCode};

use super::pages::simple_page;
use crate::config::Config;

#[derive(Clone, Debug)]
pub struct OriginPolicy {
    allowed: Vec<String>,
}

impl OriginPolicy {
    pub fn new(config: &Config) -> Self {
        let origin = config.origin();
        let mut allowed = vec![origin.clone()];
        // On a loopback base URL, localhost and 127.0.0.1 are the same site to the user.
        let port = config.base_url.port_or_known_default().unwrap_or(80);
        let scheme = config.base_url.scheme();
        if matches!(config.base_url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
            for host in ["127.0.0.1", "localhost", "[::1]"] {
                let candidate =
                    url::Url::parse(&format!("{scheme}://{host}:{port}")).map(|u| u.origin().ascii_serialization());
                if let Ok(candidate) = candidate
                    && !allowed.contains(&candidate)
                {
                    allowed.push(candidate);
                }
            }
        }
        Self { allowed }
    }

    /// `Ok` when the request may change state, else the reason.
    pub fn judge(
        &self,
        method: &Method,
        path: &str,
        sec_fetch_site: Option<&str>,
        origin: Option<&str>,
    ) -> Result<(), String> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || path.starts_with("/webhooks/") {
            return Ok(());
        }
        if let Some(site) = sec_fetch_site
            && site != "same-origin"
        {
            return Err(format!("the browser reports this request as {site}, not same-origin"));
        }
        match origin {
            Some(o) if self.allowed.iter().any(|a| a == o) => Ok(()),
            Some(o) => Err(format!("its Origin {o} is not this site ({})", self.allowed[0])),
            None if sec_fetch_site == Some("same-origin") => Ok(()),
            None => Err("it carries neither an Origin nor a Sec-Fetch-Site header".to_owned()),
        }
    }
}

pub async fn check(State(policy): State<OriginPolicy>, req: Request, next: Next) -> Response {
    let verdict = {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        policy.judge(req.method(), req.uri().path(), header("sec-fetch-site"), header("origin"))
    };
    match verdict {
        Ok(()) => next.run(req).await,
        Err(reason) => {
            tracing::warn!(method = %req.method(), path = %req.uri().path(), %reason, "refused a cross-site request");
            simple_page(
                StatusCode::FORBIDDEN,
                "Request refused",
                &format!(
                    "Infradesk refused this request because {reason}. Go back to the page, reload it and try again."
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        OriginPolicy { allowed: vec!["https://infradesk.example.com".into()] }
    }

    #[test]
    fn judges_origin_and_fetch_site() {
        let p = policy();
        let post = Method::POST;
        assert!(p.judge(&Method::GET, "/", None, None).is_ok());
        assert!(p.judge(&post, "/login", Some("same-origin"), Some("https://infradesk.example.com")).is_ok());
        assert!(p.judge(&post, "/login", Some("same-origin"), None).is_ok());
        assert!(p.judge(&post, "/login", None, Some("https://infradesk.example.com")).is_ok());
        assert!(p.judge(&post, "/login", Some("cross-site"), Some("https://infradesk.example.com")).is_err());
        assert!(p.judge(&post, "/login", None, Some("https://evil.example")).is_err());
        assert!(p.judge(&post, "/login", None, Some("null")).is_err());
        assert!(p.judge(&post, "/login", None, None).unwrap_err().contains("neither"));
        assert!(p.judge(&post, "/webhooks/github", None, None).is_ok());
    }
}
