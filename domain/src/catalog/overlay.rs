//! The overlay: what SRE add to a module's own `variables.tf` so it can be offered as a form
//! (`overlay.toml` beside the module's `.tf` files; the format is documented with an
//! annotated example in docs/CATALOG.md).
//!
//! [`parse_overlay`] reads the file and checks everything that does not need the module's
//! variables (source and pinned version, naming rule, team, tag keys); the cross-checks
//! against the variables and the configured environments are in [`super::build_module`].

use super::CatalogError;
use super::overlay_lines::KeyLines;
use super::value::{Number, Value};
use crate::render::{ModuleSource, validate_identifier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::overlay_parse::{FORMAT_DOC, parse_overlay};

/// How much harm a mistake with this module can do; routing rules match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    Low,
    Medium,
    High,
}

/// How the form presents a field. Defaults are derived from the type (see
/// [`Widget::default_for`]); the overlay may pick another compatible one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Widget {
    Text,
    Textarea,
    Number,
    Checkbox,
    Select,
    List,
    Map,
    Object,
}

/// One choice of a select. `label` is what the user reads, `value` what the module gets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: Value,
    pub label: String,
}

/// Limits and defaults for a field, for all environments (on the field) or for one
/// (`[fields.<name>.environments.<env>]`, which overrides the field's own key by key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRules {
    /// Only these values (for lists and sets: only these elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Value>>,
    /// Prefilled value (replaces the module default in the form).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub default: Option<Value>,
    /// Not editable: always this value.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub fixed: Option<Value>,
    /// Numeric range, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_number")]
    pub min: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_number")]
    pub max: Option<Number>,
    /// Characters of a string, or items of a list, set or map; inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
}

impl FieldRules {
    /// `self` with every key `over` sets replaced.
    pub fn merged(&self, over: &FieldRules) -> FieldRules {
        FieldRules {
            allowed: over.allowed.clone().or_else(|| self.allowed.clone()),
            default: over.default.clone().or_else(|| self.default.clone()),
            fixed: over.fixed.clone().or_else(|| self.fixed.clone()),
            min: over.min.clone().or_else(|| self.min.clone()),
            max: over.max.clone().or_else(|| self.max.clone()),
            min_length: over.min_length.or(self.min_length),
            max_length: over.max_length.or(self.max_length),
        }
    }
}

/// [`Number`] has no `Deserialize` of its own; read it through [`Value`].
fn optional_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Number>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n)),
        Some(other) => Err(serde::de::Error::custom(format!("{other} is not a number"))),
    }
}

/// The instance name rule: Infradesk's identifier rule (ASCII `^[a-z][a-z0-9_-]{0,62}$`),
/// then this module's `pattern` (matched against the whole name) and `max_length`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamingRule {
    pub pattern: String,
    pub max_length: usize,
    /// A name that passes; shown as the form's placeholder, checked at load.
    pub example: Option<String>,
    /// The module variable that receives the name (then not a form field), if any.
    pub variable: Option<String>,
    /// What that variable receives: `{name}`, `{environment}` and `{team}` are replaced.
    pub value: String,
}

/// Placeholders [`NamingRule::value`] may use.
pub const NAMING_PLACEHOLDERS: [&str; 3] = ["{name}", "{environment}", "{team}"];

impl NamingRule {
    /// Checks an instance name; the error says what is allowed.
    pub fn check(&self, name: &str) -> Result<(), String> {
        validate_identifier(name).map_err(|e| e.to_string())?;
        if name.len() > self.max_length {
            return Err(format!("the name is {} characters long; at most {} allowed", name.len(), self.max_length));
        }
        match regex::Regex::new(&anchored(&self.pattern)) {
            Ok(re) if re.is_match(name) => Ok(()),
            Ok(_) => Err(format!("the name must match {}", self.pattern)),
            Err(e) => Err(format!("the module's naming rule is broken: {e}")),
        }
    }

    /// The value for [`NamingRule::variable`].
    pub fn value_for(&self, name: &str, environment: &str, team: &str) -> String {
        self.value.replace("{name}", name).replace("{environment}", environment).replace("{team}", team)
    }
}

/// Tags Infradesk injects into a map variable: each `Some` is the tag key to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagInjection {
    pub variable: String,
    pub team: Option<String>,
    pub requester: Option<String>,
    pub request_id: Option<String>,
    pub environment: Option<String>,
}

impl TagInjection {
    /// The `(key, value)` entries for one request, in a fixed order.
    pub fn entries(&self, team: &str, requester: &str, request_id: &str, environment: &str) -> Vec<(String, String)> {
        [
            (&self.team, team),
            (&self.requester, requester),
            (&self.request_id, request_id),
            (&self.environment, environment),
        ]
        .into_iter()
        .filter_map(|(key, value)| key.as_ref().map(|k| (k.clone(), value.to_owned())))
        .collect()
    }
}

/// The overlay's settings for one variable, as written (checked by `build_module`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldOverlay {
    pub name: String,
    pub label: Option<String>,
    pub help: Option<String>,
    pub widget: Option<Widget>,
    pub choices: Option<Vec<Choice>>,
    pub hidden: bool,
    pub advanced: bool,
    /// Sensitive variables only: leave it out of the form (module default or `fixed`).
    pub omit: bool,
    /// Sensitive variables only: the non-sensitive variable that carries a reference.
    pub reference_input: Option<String>,
    pub rules: FieldRules,
    pub environments: BTreeMap<String, FieldRules>,
}

/// A parsed overlay file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlay {
    /// The file name given to [`parse_overlay`], used in every error.
    pub file: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub owner_team: String,
    pub risk_tier: RiskTier,
    pub source: ModuleSource,
    pub naming: NamingRule,
    pub tags: Option<TagInjection>,
    /// In the order of the file's keys (sorted by name; errors are sorted by line anyway).
    pub fields: Vec<FieldOverlay>,
    pub(crate) lines: KeyLines,
}

impl Overlay {
    /// The line of a key path such as `fields.size.environments.prod.allowed`.
    pub fn line(&self, path: &str) -> usize {
        self.lines.line(path)
    }

    /// An error at `path` in this file.
    pub(crate) fn error(&self, path: &str, message: impl Into<String>, fix: impl Into<String>) -> CatalogError {
        CatalogError { file: self.file.clone(), line: self.line(path), message: message.into(), fix: fix.into() }
    }
}

/// The pattern matched against the whole name, whether or not it is written with `^…$`.
pub(crate) fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}
