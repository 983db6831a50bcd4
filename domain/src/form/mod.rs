//! Form values: turning what a request form sends into typed values, and checking them
//! against the module's own `validation` blocks.
//!
//! The same code runs in the browser (field errors as the user types) and on the server (the
//! authoritative check on submit), so both always agree.
//!
//! - [`check_value`] converts one input, sent as JSON, into a [`Value`] that conforms to the
//!   variable's type constraint, following Terraform's conversion rules (see [`convert`] for
//!   the exact rules, including what "required" and "empty" mean).
//! - [`evaluate_validations`] evaluates the variable's `validation` conditions on that value
//!   with a small, safe interpreter of a subset of Terraform's expression language. A
//!   condition that uses anything outside the subset is reported as
//!   [`CheckStatus::NotChecked`] with the reason — never as passed — so reviewers know what
//!   Infradesk did not verify (see [`eval`] for the subset and the known differences).

pub mod convert;
pub mod eval;
pub mod state;

#[cfg(test)]
mod tests;

pub use convert::check_value;
pub use eval::evaluate_validations;
pub use state::{FormState, Shape, shape};

#[cfg(doc)]
use crate::catalog::Value;
use serde::{Deserialize, Serialize};

/// One problem with one field of a form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where, in Terraform's own notation so it can be matched to a form control:
    /// `subnets[2].cidr`, `tags["team"]`; the variable name alone for the whole input.
    pub path: String,
    /// What is wrong and what is allowed, e.g. `"abc" is not a number: …`.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Where a check comes from.
pub const MODULE_VALIDATION: &str = "module validation";
/// A limit from the catalog overlay (allowed values, ranges, lengths) for the environment.
pub const OVERLAY_LIMIT: &str = "overlay limit";
/// The module's instance naming rule.
pub const NAMING_RULE: &str = "naming rule";

/// The result of one check, as listed on the form and to reviewers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// The form field it is about (the variable name, or `instance_name`).
    pub field: String,
    /// e.g. [`MODULE_VALIDATION`].
    pub source: String,
    /// The condition as written in the module, e.g. `length(var.name) <= 63`.
    pub condition: String,
    /// One-based line of the `validation` block in the module's file; 0 for checks that do
    /// not come from the module.
    pub line: usize,
    pub status: CheckStatus,
}

/// Passed, failed, or not checked by Infradesk (with the reason). "Not checked" is never
/// shown as passed: the module still enforces it when Terraform runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    /// `message` is the module's `error_message` (its `${…}` interpolations evaluated when
    /// possible); when Terraform itself would stop with an evaluation error (for example
    /// `length(null)`), that reason is appended.
    Failed {
        message: String,
    },
    NotChecked {
        reason: String,
    },
}

impl CheckStatus {
    pub fn is_passed(&self) -> bool {
        matches!(self, CheckStatus::Passed)
    }
    pub fn is_failed(&self) -> bool {
        matches!(self, CheckStatus::Failed { .. })
    }
    pub fn is_not_checked(&self) -> bool {
        matches!(self, CheckStatus::NotChecked { .. })
    }
}
