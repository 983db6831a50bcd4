//! The request store: submitting a request (one transaction: the request, its first revision,
//! the module version it was made with and the audit event) and reading requests back for the
//! lists and the request page.
//!
//! - The request number is `requests.id`.
//! - One request per form: the form carries an idempotency key, so a double click or a resent
//!   form returns the request the first submission created.
//! - An instance name is taken in an environment while a request for it is live; the partial
//!   unique index `requests_live_instance` enforces it, so two concurrent submissions cannot
//!   both take it.
//! - The module definition is stored by content digest in `module_versions`, so a request
//!   keeps the version it was made with when the catalog changes.

mod cancel;
pub mod change;
mod decide;
mod edit;
mod github_review;
mod outside;
mod query;
mod queue;
mod queue_counts;
pub mod queue_rows;
mod review;
mod submit;

pub use cancel::cancel;
pub use decide::{DecideError, Decided, Decision, DecisionKind, decide};
pub use edit::{Edit, EditError, edit};
pub use github_review::{GitHubReview, Recount, approve_if_complete, github_review};
pub use outside::{OutsideError, accept_outside_change, rerender};
pub use query::{
    ListQuery, Page, RequestDetail, RequestSummary, Revision, Scope, get, list, revision_content, user_team_ids,
};
pub use queue::{QueueItem, QueuePage, QueueQuery, QueueStatus, queue};
pub use queue_counts::{QueueCounts, queue_counts};
pub use review::{ReviewComment, ReviewState, review_state};
pub use submit::submit;

use crate::db::DbError;

/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 100;

/// A request as the requester submitted it (already evaluated and valid).
pub struct NewRequest<'a> {
    /// From a hidden form field: 1 to 100 characters of `[A-Za-z0-9-]`.
    pub idempotency_key: &'a str,
    pub requester_id: i64,
    pub requester_login: &'a str,
    pub team_slug: &'a str,
    /// Stored in `module_versions` by digest, reused when equal.
    pub module: &'a domain::catalog::Module,
    pub environment: &'a str,
    pub instance_name: &'a str,
    /// Typed inputs in declaration order.
    pub inputs: &'a [(String, domain::catalog::Value)],
    /// The form's controls, to edit the revision later.
    pub form: &'a domain::form::FormState,
    /// The routing outcome, stored as given.
    pub routing: serde_json::Value,
    pub checks: &'a [domain::form::CheckOutcome],
    pub justification: &'a str,
}

/// What the render callback of [`submit`] produces once the request number is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The whole `.tf` file.
    pub content: String,
    /// Where it goes in the infra repository (checked with
    /// [`domain::render::check_repository_path`]).
    pub path: String,
}

/// The outcome of [`submit`]: the request number either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    Created(i64),
    /// This form was submitted before; nothing new was stored.
    AlreadySubmitted(i64),
}

impl Submitted {
    pub fn number(self) -> i64 {
        match self {
            Submitted::Created(n) | Submitted::AlreadySubmitted(n) => n,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("the form's submission key is missing or invalid: reload the form and submit it again")]
    InvalidIdempotencyKey,
    #[error("you are not a member of team {team}: only its members may request for it")]
    NotMember { team: String },
    #[error("team {0} does not exist")]
    UnknownTeam(String),
    #[error(
        "the instance name {name} is already taken in {environment} by request #{number}; \
         choose another name (it becomes free again if that request is cancelled or rejected)"
    )]
    InstanceTaken { name: String, environment: String, number: i64 },
    #[error("the request could not be rendered: {0}")]
    Render(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for RequestError {
    fn from(e: sqlx::Error) -> Self {
        RequestError::Db(DbError::Sql(e))
    }
}

/// 1 to [`MAX_IDEMPOTENCY_KEY`] characters of `[A-Za-z0-9-]`.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// SHA-256 of `bytes`, lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    // The audit chain hash is `sha256(prev ‖ data)` where a `prev` that is not 64 hex digits
    // is hashed as its text: with an empty `prev` it is the plain SHA-256 of `data`. Reused
    // so that backend needs no hashing crate of its own (checked against a known vector in
    // the tests below).
    domain::audit::chain_hash("", bytes)
}

/// A JSON (de)serialization failure as a database decode error: stored JSON that no longer
/// reads is a data problem, reported like any other undecodable column.
pub(crate) fn json_error(column: &str, e: serde_json::Error) -> DbError {
    DbError::Sql(sqlx::Error::Decode(format!("requests: column {column}: {e}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn idempotency_keys() {
        assert!(is_valid_idempotency_key("0f8e7c1a-2b3c-4d5e-8f90-123456789abc"));
        assert!(is_valid_idempotency_key("a"));
        assert!(is_valid_idempotency_key(&"k".repeat(MAX_IDEMPOTENCY_KEY)));
        for bad in ["", " ", "a b", "a_b", "ключ", "a/b", "a%"] {
            assert!(!is_valid_idempotency_key(bad), "{bad:?}");
        }
        assert!(!is_valid_idempotency_key(&"k".repeat(MAX_IDEMPOTENCY_KEY + 1)));
    }

    #[test]
    fn instance_taken_names_the_other_request() {
        let e = RequestError::InstanceTaken { name: "orders".into(), environment: "prod".into(), number: 42 };
        let message = e.to_string();
        assert!(message.contains("orders") && message.contains("prod") && message.contains("#42"), "{message}");
        assert!(message.contains("cancelled or rejected"), "{message}");
        let e = RequestError::NotMember { team: "payments".into() };
        assert_eq!(e.to_string(), "you are not a member of team payments: only its members may request for it");
    }
}
