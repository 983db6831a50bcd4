//! What [`super::GitHubVcs`] needs to know: where the API is, which repository, how to
//! authenticate, and how long to wait. Deserializable so the server's configuration layer
//! can map a TOML table onto it; secrets are [`SecretString`]s and never appear in `Debug`.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use url::Url;

use crate::vcs::MergeMethod;

/// GitHub's public API. GitHub Enterprise Server is `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Deserialize)]
pub struct GitHubConfig {
    /// The REST API's base URL; a path (`/api/v3`) is kept and every call is made below it.
    #[serde(default = "default_api_url")]
    pub api_url: Url,
    /// The infra repository: `owner/repo` on GitHub.
    pub owner: String,
    pub repo: String,
    pub auth: GitHubAuth,
    /// How long to wait for a connection (TCP and TLS). Seconds, or a string like `"500ms"`.
    #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// How long to wait for GitHub to send anything once a request is written, and between
    /// the pieces of an answer. Seconds, or a string like `"30s"`.
    #[serde(default = "default_read_timeout", deserialize_with = "duration")]
    pub read_timeout: Duration,
    /// How pull requests are merged when the caller has no reason to choose.
    #[serde(default)]
    pub merge_method: MergeMethod,
}

impl GitHubConfig {
    /// A configuration with the default URL, timeouts and merge method.
    pub fn new(owner: impl Into<String>, repo: impl Into<String>, auth: GitHubAuth) -> Self {
        Self {
            api_url: default_api_url(),
            owner: owner.into(),
            repo: repo.into(),
            auth,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            merge_method: MergeMethod::default(),
        }
    }

    /// Checks what can be checked without asking GitHub.
    pub fn validate(&self) -> Result<(), String> {
        let segment_ok = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) && s != ".."
        };
        if !segment_ok(&self.owner) {
            return Err(format!("GitHub owner {:?} is not a valid account name", self.owner));
        }
        if !segment_ok(&self.repo) {
            return Err(format!("GitHub repository {:?} is not a valid repository name", self.repo));
        }
        if !matches!(self.api_url.scheme(), "http" | "https") || self.api_url.host_str().is_none() {
            return Err(format!("GitHub API URL {} must be an http(s) URL with a host", self.api_url));
        }
        if self.api_url.query().is_some() || self.api_url.fragment().is_some() {
            return Err(format!("GitHub API URL {} must not have a query or fragment", self.api_url));
        }
        if self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err("GitHub timeouts must be longer than zero".to_string());
        }
        Ok(())
    }
}

/// How Infradesk authenticates to GitHub.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GitHubAuth {
    /// A fine-grained personal access token (or a classic one with `repo` scope).
    Token(SecretString),
    /// A GitHub App installed on the repository's owner: Infradesk signs a JWT with the
    /// app's private key and exchanges it for an installation token (valid one hour),
    /// renewed shortly before it expires and once after a 401.
    App {
        app_id: u64,
        /// The app's private key, PEM (`-----BEGIN RSA PRIVATE KEY-----`).
        private_key: SecretString,
        installation_id: u64,
    },
}

impl fmt::Debug for GitHubAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitHubAuth::Token(_) => f.write_str("Token([REDACTED])"),
            GitHubAuth::App { app_id, installation_id, .. } => f
                .debug_struct("App")
                .field("app_id", app_id)
                .field("private_key", &"[REDACTED]")
                .field("installation_id", installation_id)
                .finish(),
        }
    }
}

fn default_api_url() -> Url {
    Url::parse(DEFAULT_API_URL).unwrap_or_else(|_| unreachable!("the default API URL parses"))
}

fn default_connect_timeout() -> Duration {
    DEFAULT_CONNECT_TIMEOUT
}

fn default_read_timeout() -> Duration {
    DEFAULT_READ_TIMEOUT
}

/// A duration as whole seconds (`30`) or a string with a unit (`"30s"`, `"300ms"`, `"2m"`).
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Seconds(s) => Ok(Duration::from_secs(s)),
        Raw::Text(t) => parse_duration(&t).map_err(serde::de::Error::custom),
    }
}

/// Parses `"300ms"`, `"30s"`, `"2m"` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like \"30s\" or \"500ms\""))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        other => Err(format!("unknown duration unit {other:?} in {text:?} (use ms, s or m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
