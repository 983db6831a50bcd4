//! The module catalog: what Infradesk reads from a Terraform module to build its form.
//!
//! Everything here works on text handed in by the caller (no file system access), so the
//! same parsing runs on the server, in the `catalog check` CLI and in the browser (wasm).

pub mod module;
mod module_checks;
pub(crate) mod module_values;
pub mod overlay;
mod overlay_lines;
mod overlay_parse;
pub mod types;
pub mod value;
pub mod variables;

#[cfg(test)]
mod tests;

pub use module::{Field, Module, Presence, build_module};
pub use overlay::{
    Choice, FieldOverlay, FieldRules, NamingRule, Overlay, RiskTier, TagInjection, Widget, parse_overlay,
};
pub use types::{Attribute, TypeConstraint};
pub use value::{Number, Value};
pub use variables::{ParsedVariables, Validation, Variable, parse_variables};

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A problem found while loading a catalog file. Every error names the file and line and
/// says how to fix it, because the people who read it maintain the module in their own
/// repository and CI (`infradesk catalog check`), not in Infradesk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{file}:{line}: {message} ({fix})")]
pub struct CatalogError {
    /// The file name as given by the caller (typically relative to the catalog directory).
    pub file: String,
    /// One-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

/// Maps byte offsets (what hcl-edit's spans are) to one-based line numbers.
#[derive(Debug)]
pub(crate) struct LineIndex {
    /// Byte offset at which each line starts; the first is always 0.
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> Self {
        let starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { starts }
    }

    /// The line containing `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// The line a span starts on, or `fallback` for nodes the parser left without a span.
    pub(crate) fn line_of(&self, span: Option<Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |s| self.line(s.start))
    }
}

/// An error found inside one declaration, before it is tied to a file: the span says where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    pub span: Option<Range<usize>>,
    pub message: String,
    pub fix: String,
}

impl Located {
    pub(crate) fn new(span: Option<Range<usize>>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Located { span, message: message.into(), fix: fix.into() }
    }
}
