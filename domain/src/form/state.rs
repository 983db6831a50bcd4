//! What an HTML form holds, and how it maps to the JSON [`check_value`](super::check_value)
//! takes.
//!
//! A request form is a flat list of named controls, so a structured input is spread over
//! several of them. The control names follow Terraform's notation for the position of a
//! value, which keeps error paths and control names readable:
//!
//! | type                       | controls                                            |
//! |----------------------------|-----------------------------------------------------|
//! | `string`, `number`, `bool` | `name`                                              |
//! | `list(T)`, `set(T)`        | one row per item: `name[0]`, `name[1]`… (or deeper) |
//! | `map(T)`                   | one row per entry: `name[0].key`, `name[0].value`   |
//! | `object({a = T})`          | `name.a`                                            |
//! | `tuple`, `any`, deeper     | `name` holding JSON text                            |
//!
//! Repeatable rows carry their count in a hidden control `#rows:<path>`, so a row whose
//! controls post nothing (an unchecked checkbox) still exists, and rows can be added and
//! removed without JavaScript by a submit button (`op = add:<path>` / `remove:<path>[i]`) that
//! re-renders the form with every value kept. A checkbox posts a hidden `false` before its
//! `true`; the last value of a name wins, as in the browser's own form handling.
//!
//! Rows left completely blank are dropped, and an input left blank is "not given" (its
//! default applies): the same rules whether the server or the browser reads the form.

use super::FieldError;
use crate::catalog::{TypeConstraint, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefix of the hidden control that counts the rows of a repeatable input.
pub const ROWS: &str = "#rows:";

/// How an input of a type is laid out in the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape<'a> {
    /// One control.
    Scalar,
    /// Repeatable rows, each laid out as the element type.
    Rows(&'a TypeConstraint),
    /// Repeatable key/value rows, each value laid out as the element type.
    Entries(&'a TypeConstraint),
    /// A group of attributes.
    Group(&'a [crate::catalog::Attribute]),
    /// A JSON text area: types a form cannot lay out (tuples, `any`).
    Json,
}

/// The layout of `t`.
pub fn shape(t: &TypeConstraint) -> Shape<'_> {
    match t {
        TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool => Shape::Scalar,
        TypeConstraint::List(inner) | TypeConstraint::Set(inner) if fits_in_row(inner) => Shape::Rows(inner),
        TypeConstraint::Map(inner) if fits_in_row(inner) => Shape::Entries(inner),
        TypeConstraint::Object(attributes) => Shape::Group(attributes),
        _ => Shape::Json,
    }
}

/// Rows hold scalars and groups; a list of lists is clearer as JSON.
fn fits_in_row(t: &TypeConstraint) -> bool {
    matches!(shape(t), Shape::Scalar | Shape::Group(_))
}

/// The values of a form's controls by name; the last value of a name wins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
}

impl FormState {
    /// From the pairs a form posted, in document order.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> FormState {
        FormState { values: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.values.get(path).map(String::as_str)
    }

    pub fn set(&mut self, path: impl Into<String>, value: impl Into<String>) {
        self.values.insert(path.into(), value.into());
    }

    /// How many rows the repeatable input at `path` has.
    pub fn rows(&self, path: &str) -> usize {
        self.get(&format!("{ROWS}{path}")).and_then(|n| n.trim().parse().ok()).unwrap_or(0).min(MAX_ROWS)
    }

    fn set_rows(&mut self, path: &str, n: usize) {
        self.set(format!("{ROWS}{path}"), n.to_string());
    }

    /// Adds an empty row at the end of the repeatable input at `path`.
    pub fn add_row(&mut self, path: &str) {
        let n = self.rows(path);
        if n < MAX_ROWS {
            self.set_rows(path, n + 1);
        }
    }

    /// Removes row `index` of the repeatable input at `path`, moving later rows up.
    pub fn remove_row(&mut self, path: &str, index: usize) {
        let n = self.rows(path);
        if index >= n {
            return;
        }
        let mut moved = BTreeMap::new();
        for (key, value) in std::mem::take(&mut self.values) {
            match row_of(&key, path) {
                Some((i, _)) if i == index => {}
                Some((i, rest)) if i > index => {
                    moved.insert(format!("{}{path}[{}]{rest}", prefix_of(&key, path), i - 1), value);
                }
                _ => {
                    moved.insert(key, value);
                }
            }
        }
        self.values = moved;
        self.set_rows(path, n - 1);
    }

    /// Applies a row operation named by a submit button: `add:<path>` or
    /// `remove:<path>[<index>]`. Returns false for anything else.
    pub fn apply(&mut self, op: &str) -> bool {
        if let Some(path) = op.strip_prefix("add:") {
            self.add_row(path);
            return true;
        }
        if let Some(target) = op.strip_prefix("remove:")
            && let Some((path, index)) = split_index(target)
        {
            self.remove_row(path, index);
            return true;
        }
        false
    }

    /// The JSON for the input at `path` of type `t`: `null` when nothing was filled in.
    pub fn to_json(&self, t: &TypeConstraint, path: &str, errors: &mut Vec<FieldError>) -> serde_json::Value {
        use serde_json::Value as J;
        match shape(t) {
            // An empty control is "not given" (a browser posts "" for every empty text box).
            Shape::Scalar => {
                self.get(path).filter(|v| !v.trim().is_empty()).map_or(J::Null, |v| J::String(v.to_owned()))
            }
            Shape::Json => match self.get(path).map(str::trim) {
                None | Some("") => J::Null,
                Some(text) => serde_json::from_str(text).unwrap_or_else(|e| {
                    errors.push(FieldError { path: path.to_owned(), message: format!("is not valid JSON: {e}") });
                    J::Null
                }),
            },
            Shape::Rows(inner) => {
                let items: Vec<J> = (0..self.rows(path))
                    .map(|i| self.to_json(inner, &format!("{path}[{i}]"), errors))
                    .filter(|v| !v.is_null())
                    .collect();
                if items.is_empty() { J::Null } else { J::Array(items) }
            }
            Shape::Entries(inner) => {
                let mut map = serde_json::Map::new();
                for i in 0..self.rows(path) {
                    let row = format!("{path}[{i}]");
                    let key = self.get(&format!("{row}.key")).unwrap_or("").trim().to_owned();
                    let value = self.to_json(inner, &format!("{row}.value"), errors);
                    if key.is_empty() {
                        if !value.is_null() {
                            errors.push(FieldError {
                                path: format!("{path}[{i}]"),
                                message: "has a value but no key: enter the key or remove the row".to_owned(),
                            });
                        }
                        continue;
                    }
                    if map.insert(key.clone(), value).is_some() {
                        errors.push(FieldError {
                            path: format!("{path}[{key:?}]"),
                            message: format!("key {key:?} is given twice: keys must be unique"),
                        });
                    }
                }
                if map.is_empty() { J::Null } else { J::Object(map) }
            }
            Shape::Group(attributes) => {
                let map: serde_json::Map<String, J> = attributes
                    .iter()
                    .map(|a| (a.name.clone(), self.to_json(&a.type_, &format!("{path}.{}", a.name), errors)))
                    .filter(|(_, v)| !v.is_null())
                    .collect();
                if map.is_empty() { J::Null } else { J::Object(map) }
            }
        }
    }

    /// Fills the controls of the input at `path` from a typed value (a default, a fixed
    /// value, or a stored request being edited).
    pub fn fill(&mut self, t: &TypeConstraint, path: &str, value: &Value) {
        match (shape(t), value) {
            (_, Value::Null) => {}
            (Shape::Scalar, Value::String(s)) => self.set(path, s.clone()),
            (Shape::Scalar, Value::Number(n)) => self.set(path, n.as_str()),
            (Shape::Scalar, Value::Bool(b)) => self.set(path, b.to_string()),
            (Shape::Rows(inner), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.fill(inner, &format!("{path}[{i}]"), item);
                }
                self.set_rows(path, items.len());
            }
            (Shape::Entries(inner), Value::Map(entries)) => {
                for (i, (key, item)) in entries.iter().enumerate() {
                    self.set(format!("{path}[{i}].key"), key.clone());
                    self.fill(inner, &format!("{path}[{i}].value"), item);
                }
                self.set_rows(path, entries.len());
            }
            (Shape::Group(attributes), Value::Map(entries)) => {
                for a in attributes {
                    if let Some((_, item)) = entries.iter().find(|(k, _)| *k == a.name) {
                        self.fill(&a.type_, &format!("{path}.{}", a.name), item);
                    }
                }
            }
            (_, other) => self.set(path, serde_json::to_string_pretty(&other.to_json()).unwrap_or_default()),
        }
    }

    /// Drops every control of the input at `path` (before filling it again).
    pub fn clear(&mut self, path: &str) {
        self.values.retain(|key, _| {
            let key = key.strip_prefix(ROWS).unwrap_or(key);
            !(key == path || key.starts_with(&format!("{path}[")) || key.starts_with(&format!("{path}.")))
        });
    }
}

/// A form never needs more rows than this; a posted count above it is cut down.
pub const MAX_ROWS: usize = 200;

/// `remove:subnets[2]` target → `("subnets", 2)`.
fn split_index(target: &str) -> Option<(&str, usize)> {
    let open = target.rfind('[')?;
    let index = target[open + 1..].strip_suffix(']')?.parse().ok()?;
    Some((&target[..open], index))
}

/// For a control under row `i` of `path` (`path[i]…`, or `#rows:path[i]…`), `(i, rest)`.
fn row_of<'k>(key: &'k str, path: &str) -> Option<(usize, &'k str)> {
    let bare = key.strip_prefix(ROWS).unwrap_or(key);
    let after = bare.strip_prefix(path)?.strip_prefix('[')?;
    let close = after.find(']')?;
    Some((after[..close].parse().ok()?, &after[close + 1..]))
}

fn prefix_of<'k>(key: &'k str, _path: &str) -> &'k str {
    if key.starts_with(ROWS) { ROWS } else { "" }
}
