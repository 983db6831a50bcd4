//! One GitHub REST call: octocrab sends it (base URL, authentication, API version header),
//! we read the status, headers and body ourselves so every failure is classified the same
//! way (see [`super::errors`]). Each call is sent once; nothing here re-sends.

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::{self, Failure};
use crate::clock::SharedClock;
use crate::vcs::VcsError;

pub(crate) struct Api {
    client: Octocrab,
    clock: SharedClock,
    /// The configured token, scrubbed from every reason (App tokens are never in one).
    secret: Option<SecretString>,
    owner: String,
    repo: String,
}

/// A successful answer.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Api {
    pub fn new(client: Octocrab, clock: SharedClock, secret: Option<SecretString>, owner: &str, repo: &str) -> Self {
        Self { client, clock, secret, owner: owner.to_string(), repo: repo.to_string() }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// `/repos/{owner}/{repo}{rest}`; `rest` starts with `/` and is already encoded.
    pub fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.owner, self.repo)
    }

    /// Sends one request and returns the answer when its status is a success.
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Reply, Failure> {
        let now = self.clock.now_ms() / 1000;
        let builder = http::Request::builder().method(method.clone()).uri(path);
        let request = self
            .client
            .build_request(builder, body)
            .map_err(|e| self.scrubbed(errors::from_transport(&method, path, &e, now)))?;
        let response = match self.client.execute(request).await {
            Ok(r) => r,
            Err(e) => return Err(self.scrubbed(errors::from_transport(&method, path, &e, now))),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match self.client.body_to_string(response).await {
            Ok(b) => b.into_bytes(),
            Err(e) => return Err(self.scrubbed(errors::from_transport(&method, path, &e, now))),
        };
        if status.is_success() {
            tracing::debug!(%method, path, status = status.as_u16(), "GitHub call");
            Ok(Reply { status, headers, body })
        } else {
            tracing::debug!(%method, path, status = status.as_u16(), "GitHub call failed");
            Err(self.scrubbed(errors::from_status(&method, path, status, &headers, &body, now)))
        }
    }

    /// A call whose answer is JSON of type `T`.
    pub async fn json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        let reply = self.call(method.clone(), path, body).await?;
        reply.parse(&method, path)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.json(Method::GET, path, None::<&()>).await
    }

    fn scrubbed(&self, mut failure: Failure) -> Failure {
        let secret = self.secret.as_ref().map(|s| s.expose_secret());
        failure.error = errors::scrub(failure.error, secret);
        failure
    }
}

impl Reply {
    pub fn parse<T: DeserializeOwned>(&self, method: &Method, path: &str) -> Result<T, Failure> {
        serde_json::from_slice(&self.body).map_err(|e| Failure {
            status: Some(self.status),
            message: String::new(),
            error: VcsError::Rejected(format!(
                "GitHub's answer to {method} {path} ({}) is not what Infradesk expects: {e}",
                self.status.as_u16()
            )),
        })
    }

    /// Whether the `Link` header has a `rel="next"` page.
    pub fn has_next_page(&self) -> bool {
        self.headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|link| link.split(';').skip(1).any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next")))
    }
}

/// Percent-encodes a path (a branch name or a file path) for use in a URL path, keeping `/`.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes query parameters.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_but_keep_slashes() {
        assert_eq!(encode_path("infradesk/req-12"), "infradesk/req-12");
        assert_eq!(encode_path("envs/prod/a b#c.tf"), "envs/prod/a%20b%23c.tf");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn link_next() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            r#"<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last""#
                .parse()
                .expect("header"),
        );
        let reply = Reply { status: StatusCode::OK, headers, body: vec![] };
        assert!(reply.has_next_page());
        let reply = Reply { status: StatusCode::OK, headers: HeaderMap::new(), body: vec![] };
        assert!(!reply.has_next_page());
    }
}
