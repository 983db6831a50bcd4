//! GitHub's failures sorted into [`VcsError`]s by what the caller should do about them.
//!
//! | GitHub answered                                                   | becomes                          |
//! |-------------------------------------------------------------------|----------------------------------|
//! | no answer: connect/read timeout, connection refused or reset      | `Transient`                      |
//! | 5xx                                                               | `Transient` (+ `Retry-After`)    |
//! | 403/429 with `Retry-After` (secondary rate limit)                 | `Transient { retry_after }`      |
//! | 403/429 with `x-ratelimit-remaining: 0` (primary rate limit)      | `Transient`, until `x-ratelimit-reset` |
//! | 403/429 saying "secondary rate limit", no header                  | `Transient`, one minute          |
//! | 422 "... already exists"                                          | `AlreadyExists`                  |
//! | 404                                                               | `NotFound`                       |
//! | 409, 405, 422 about a merge conflict or a moved head              | `Conflict`                       |
//! | 401 (after octocrab renewed an App token and tried once more)     | `Rejected`                       |
//! | any other 4xx                                                     | `Rejected`, with GitHub's message |
//!
//! Reasons name the method and path ("GitHub answered 502 Bad Gateway for POST
//! /repos/o/r/pulls") and GitHub's own message; they never contain a token (none is in a
//! path, a GitHub message or a transport error, and the configured token is scrubbed anyway).

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;

use crate::vcs::VcsError;

/// GitHub's advice when a secondary rate limit comes without a header: wait a minute.
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A failed call: the status and GitHub's message for the operation to look at, and the
/// classified error it becomes when the operation has nothing better to do with it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: Option<StatusCode>,
    /// GitHub's `message` and the messages of its `errors`, joined; empty without a body.
    pub message: String,
    pub error: VcsError,
}

impl Failure {
    pub fn is(&self, status: StatusCode) -> bool {
        self.status == Some(status)
    }

    /// Case-insensitive search in GitHub's message.
    pub fn says(&self, needle: &str) -> bool {
        self.message.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
    }
}

impl From<Failure> for VcsError {
    fn from(f: Failure) -> Self {
        f.error
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// GitHub's message from an error body: `message`, then each of `errors` (objects with a
/// `message`, or `code`/`field`/`resource`, or plain strings).
pub(crate) fn github_message(body: &[u8]) -> String {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        return String::new();
    };
    let mut parts: Vec<String> = parsed.message.into_iter().filter(|m| !m.is_empty()).collect();
    for e in parsed.errors {
        let text = match &e {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) => match o.get("message").and_then(|m| m.as_str()) {
                Some(m) => m.to_string(),
                None => ["resource", "field", "code"]
                    .iter()
                    .filter_map(|k| o.get(*k).and_then(|v| v.as_str()))
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            other => other.to_string(),
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    parts.join("; ")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The server's clock from `Date`, else ours: `x-ratelimit-reset` is on the server's clock.
fn now_unix(headers: &HeaderMap, clock_now_unix: i64) -> i64 {
    header(headers, "date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(clock_now_unix)
}

/// `Retry-After` in seconds (GitHub sends seconds, never a date).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header(headers, "retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs)
}

/// Until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0 (at least one second).
fn primary_limit_wait(headers: &HeaderMap, clock_now_unix: i64) -> Option<Duration> {
    if header(headers, "x-ratelimit-remaining")? != "0" {
        return None;
    }
    let reset: i64 = header(headers, "x-ratelimit-reset")?.parse().ok()?;
    let wait = reset.saturating_sub(now_unix(headers, clock_now_unix)).max(1);
    Some(Duration::from_secs(u64::try_from(wait).unwrap_or(1)))
}

/// Classifies a non-success answer.
pub(crate) fn from_status(
    method: &Method,
    path: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    clock_now_unix: i64,
) -> Failure {
    let message = github_message(body);
    let status_text = match status.canonical_reason() {
        Some(r) => format!("{} {r}", status.as_u16()),
        None => status.as_u16().to_string(),
    };
    let mut reason = format!("GitHub answered {status_text} for {method} {path}");
    if !message.is_empty() {
        reason.push_str(": ");
        reason.push_str(&message);
    }
    let lower = message.to_ascii_lowercase();

    let error = if status.is_server_error() {
        VcsError::Transient { reason, retry_after: retry_after(headers) }
    } else if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
        let wait = retry_after(headers).or_else(|| primary_limit_wait(headers, clock_now_unix)).or_else(|| {
            (status == StatusCode::TOO_MANY_REQUESTS || lower.contains("rate limit")).then_some(SECONDARY_LIMIT_WAIT)
        });
        match wait {
            Some(wait) => VcsError::Transient {
                reason: format!("{reason} (rate limited; retry in {} s)", wait.as_secs()),
                retry_after: Some(wait),
            },
            None => VcsError::Rejected(format!("{reason} (check the token's or the app's permissions)")),
        }
    } else if status == StatusCode::UNAUTHORIZED {
        VcsError::Rejected(format!("{reason} (the GitHub credentials are not valid)"))
    } else if status == StatusCode::NOT_FOUND {
        VcsError::NotFound(reason)
    } else if status == StatusCode::CONFLICT || status == StatusCode::METHOD_NOT_ALLOWED {
        VcsError::Conflict(reason)
    } else if status == StatusCode::UNPROCESSABLE_ENTITY && lower.contains("already exists") {
        VcsError::AlreadyExists(reason)
    } else if status == StatusCode::UNPROCESSABLE_ENTITY
        && (lower.contains("merge conflict") || lower.contains("head branch was modified"))
    {
        VcsError::Conflict(reason)
    } else {
        VcsError::Rejected(reason)
    };
    Failure { status: Some(status), message, error }
}

/// Classifies a call that got no HTTP answer of its own (octocrab's error).
pub(crate) fn from_transport(method: &Method, path: &str, err: &octocrab::Error, clock_now_unix: i64) -> Failure {
    // The installation token could not be minted: GitHub answered that request.
    if let octocrab::Error::GitHub { source, .. } = err {
        let body = serde_json::to_vec(&serde_json::json!({ "message": source.message })).unwrap_or_default();
        let mut failure = from_status(
            &Method::POST,
            "/app/installations/{installation_id}/access_tokens",
            source.status_code,
            source.headers.as_ref().unwrap_or(&HeaderMap::new()),
            &body,
            clock_now_unix,
        );
        failure.error = append(failure.error, &format!(" (an installation token, needed for {method} {path})"));
        return failure;
    }
    if let octocrab::Error::JWT { source, .. } = err {
        return Failure {
            status: None,
            message: String::new(),
            error: VcsError::Rejected(format!("cannot sign the GitHub App's JWT for {method} {path}: {source}")),
        };
    }

    let chain = error_chain(err);
    let timed_out = has_io_kind(err, std::io::ErrorKind::TimedOut);
    let connecting = is_connect_error(err);
    let reason = match (timed_out, connecting) {
        (true, true) => format!("could not connect to GitHub for {method} {path} in time"),
        (true, false) => {
            format!("GitHub did not answer {method} {path} in time (read timeout); it may have acted on the request")
        }
        (false, true) => format!("could not connect to GitHub for {method} {path}: {chain}"),
        (false, false) => format!("no answer from GitHub for {method} {path}: {chain}"),
    };
    Failure { status: None, message: String::new(), error: VcsError::transient(reason) }
}

fn append(error: VcsError, detail: &str) -> VcsError {
    match error {
        VcsError::Transient { reason, retry_after } => VcsError::Transient { reason: reason + detail, retry_after },
        VcsError::AlreadyExists(r) => VcsError::AlreadyExists(r + detail),
        VcsError::NotFound(r) => VcsError::NotFound(r + detail),
        VcsError::Conflict(r) => VcsError::Conflict(r + detail),
        VcsError::Rejected(r) => VcsError::Rejected(r + detail),
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn has_io_kind(err: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind) {
            return true;
        }
        current = e.source();
    }
    false
}

fn is_connect_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if e.downcast_ref::<hyper_util::client::legacy::Error>().is_some_and(|h| h.is_connect()) {
            return true;
        }
        current = e.source();
    }
    false
}

/// Removes `secret` from a reason (belt and braces: no path or message should hold it).
pub(crate) fn scrub(error: VcsError, secret: Option<&str>) -> VcsError {
    let Some(secret) = secret.filter(|s| s.len() >= 8) else {
        return error;
    };
    let clean = |s: String| if s.contains(secret) { s.replace(secret, "[REDACTED]") } else { s };
    match error {
        VcsError::Transient { reason, retry_after } => VcsError::Transient { reason: clean(reason), retry_after },
        VcsError::AlreadyExists(r) => VcsError::AlreadyExists(clean(r)),
        VcsError::NotFound(r) => VcsError::NotFound(clean(r)),
        VcsError::Conflict(r) => VcsError::Conflict(clean(r)),
        VcsError::Rejected(r) => VcsError::Rejected(clean(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn messages_include_the_errors_list() {
        let body = br#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for o:b."}],"documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(github_message(body), "Validation Failed; A pull request already exists for o:b.");
        let body = br#"{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}"#;
        assert_eq!(github_message(body), "Validation Failed; Issue title missing_field");
        assert_eq!(github_message(b"<html>unicorn</html>"), "");
    }

    #[test]
    fn primary_limit_uses_the_servers_date() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1795561320"),
            ("date", "Tue, 24 Nov 2026 23:00:00 GMT"),
        ]);
        // 1795561200 is 2026-11-24T23:00:00Z.
        assert_eq!(primary_limit_wait(&h, 0), Some(Duration::from_secs(120)));
        let f = from_status(&Method::GET, "/x", StatusCode::FORBIDDEN, &h, b"{}", 0);
        assert!(matches!(f.error, VcsError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(120)));
    }

    #[test]
    fn plain_403_is_rejected() {
        let f = from_status(
            &Method::PUT,
            "/repos/o/r/pulls/1/merge",
            StatusCode::FORBIDDEN,
            &headers(&[("x-ratelimit-remaining", "4999")]),
            br#"{"message":"Resource not accessible by integration"}"#,
            0,
        );
        assert!(matches!(&f.error, VcsError::Rejected(r) if r.contains("Resource not accessible by integration")));
    }

    #[test]
    fn scrub_removes_the_secret() {
        let e = scrub(VcsError::Rejected("bad ghp_abcdefgh123 here".into()), Some("ghp_abcdefgh123"));
        assert_eq!(e, VcsError::Rejected("bad [REDACTED] here".into()));
    }
}
