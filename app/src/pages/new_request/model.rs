//! What the request form page is made of, shared by the server (which computes it) and the
//! browser (which renders and updates it).

use domain::catalog::Module;
use domain::form::CheckOutcome;
use domain::request::{Draft, Environment, Evaluation};
use domain::routing::RoutingOutcome;
use serde::{Deserialize, Serialize};

/// Everything the form page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormPage {
    pub module: Module,
    pub environments: Vec<Environment>,
    /// Teams the signed-in user may request for.
    pub teams: Vec<String>,
    pub draft: Draft,
    /// The idempotency key of this form.
    pub key: String,
    /// Field errors are shown once the form was sent (preview or submit) or, in the browser,
    /// as fields are touched.
    pub show_errors: bool,
    pub prepared: Prepared,
    /// Why the last submit was refused as a whole (e.g. the instance name is taken).
    pub submit_error: Option<String>,
    /// Set when the form edits an existing request instead of making a new one.
    pub editing: Option<Editing>,
}

/// The request an edit form changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Editing {
    pub number: i64,
    /// The version the form was loaded at (optimistic concurrency on save).
    pub version: i64,
    pub next_revision: i64,
}

/// The checked form and what it would become.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub evaluation: Evaluation,
    pub preview: Preview,
}

impl Prepared {
    pub fn checks(&self) -> &[CheckOutcome] {
        &self.evaluation.checks
    }
}

/// The live preview beside the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// The exact file content, when the form is valid.
    pub content: Option<String>,
    pub path: Option<String>,
    pub environment: Option<Environment>,
    pub routing: Option<RoutingOutcome>,
    /// Why there is no content yet, e.g. "fix the 2 errors in the form".
    pub problem: Option<String>,
}

/// A form kept in the session between a plain form post and the page it redirects to
/// (post/redirect/get), under [`draft_session_key`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDraft {
    pub module: String,
    pub draft: Draft,
    pub show_errors: bool,
    pub submit_error: Option<String>,
    /// For an edit: the request version the form was first loaded at, kept across previews
    /// and errors so a save still detects someone else's change in between.
    #[serde(default)]
    pub version: Option<i64>,
}

pub fn draft_session_key(key: &str) -> String {
    format!("draft:{key}")
}
