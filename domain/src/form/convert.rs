//! Converting form input (JSON) into typed values, following Terraform's conversion rules.
//!
//! What a form sends: strings from text inputs, numbers, booleans, arrays for repeatable
//! rows and objects for maps and nested groups. The result conforms to the variable's
//! [`TypeConstraint`], so the renderer never has to trust raw text.
//!
//! Rules (Terraform's, plus what an empty form field means):
//!
//! - **Required**: a variable without `default` is required, exactly as in Terraform. An empty
//!   field — JSON `null`, absent, `""` (or only spaces, for a non-string type) — is "not given":
//!   a required variable reports "is required", any other gets its `default` (which may be
//!   `null`). A form cannot send an explicit `null` to override a non-null default (Terraform
//!   would pass `null` when `nullable = true`); an empty field means "use the module's default".
//! - **`nullable = false`** rejects a null result (Terraform then uses the default, which is
//!   what an empty field does here; the catalog parser refuses `nullable = false` with
//!   `default = null`).
//! - **Primitives**: `string` accepts strings, and numbers and bools as their text (Terraform
//!   converts them too). `number` accepts JSON numbers and strings in strict decimal syntax
//!   (`42`, `-1.5`, `2e6`; surrounding spaces trimmed; no `+`, hex, `_`, `inf`, `NaN`; leading
//!   zeros dropped). `bool` accepts `true`/`false` and the exact strings `"true"`/`"false"`.
//! - **Collections**: `list`/`set`/`tuple` take arrays (`set` drops duplicates, keeping the
//!   first; `tuple` needs exactly its number of items); `map` and `object` take JSON objects.
//!   Elements may be `null`, as in Terraform; an empty string in a number or bool element is
//!   an error ("is empty").
//! - **Objects**: attributes come out in declaration order. A missing `optional(T, default)`
//!   attribute gets its default (converted, so nested optional defaults are filled too); a
//!   missing `optional(T)` is `null`; a missing required attribute is an error; `null` is kept
//!   for a required attribute (Terraform allows it). In form input an empty optional field is
//!   "missing". Attributes the type does not declare are an error (Terraform would silently
//!   drop them; a form that sends them has a bug worth showing).
//! - **`any`** keeps the JSON structure as given (strings stay strings: there is no type to
//!   convert to). Terraform would also unify the element types of `list(any)`; we do not.
//!
//! Module defaults go through the same conversion (without the form's empty-field rule), so
//! a default object gets its own optional attributes filled in, as Terraform does.

use super::FieldError;
use crate::catalog::{Attribute, Number, TypeConstraint, Value, Variable};

/// Converts one form input into the typed value the module will receive, or every problem
/// found (not just the first), each with its path.
pub fn check_value(var: &Variable, raw: &serde_json::Value) -> Result<Value, Vec<FieldError>> {
    let input = from_json(raw);
    let mut c = Converter { errors: Vec::new() };
    let value = if is_blank(&input, &var.type_, Mode::Form) {
        match &var.default {
            Some(default) => c.default(default, &var.type_, &var.name),
            None => {
                c.error(&var.name, format!("is required: enter {}", expected(&var.type_)));
                Value::Null
            }
        }
    } else {
        c.convert(&input, &var.type_, &var.name, Mode::Form)
    };
    if value == Value::Null && !var.nullable && c.errors.is_empty() {
        c.error(&var.name, "must have a value: the module declares `nullable = false`".to_owned());
    }
    if c.errors.is_empty() { Ok(value) } else { Err(c.errors) }
}

/// Parses a number strictly: `-?digits(.digits)?([eE][+-]?digits)?`, finite, surrounding
/// whitespace trimmed and leading zeros of the integer part dropped (`007` → `7`). `None`
/// for anything else (`+1`, `0x1F`, `1_000`, `.5`, `1.`, `inf`, `NaN`, `1e999`).
pub fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let valid = digits(int)
        && frac.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !valid {
        return None;
    }
    let tail = &rest[int.len()..];
    let int = int.trim_start_matches('0');
    let normalized = format!("{sign}{}{tail}", if int.is_empty() { "0" } else { int });
    Number::parse(&normalized)
}

/// Form input as a [`Value`]; JSON object keys keep the order serde_json gives them.
fn from_json(raw: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match raw {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        // A JSON number is always finite, so this never falls back to text in practice.
        J::Number(n) => Number::parse(&n.to_string()).map_or_else(|| Value::String(n.to_string()), Value::Number),
        J::String(s) => Value::String(s.clone()),
        J::Array(items) => Value::List(items.iter().map(from_json).collect()),
        J::Object(map) => Value::Map(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// What a form sent: empty strings mean "not filled in".
    Form,
    /// A literal from the module (default, optional attribute default): Terraform's rules only.
    Module,
}

/// "Not given": null, or in form input an empty string (only spaces, for non-string types).
fn is_blank(v: &Value, ty: &TypeConstraint, mode: Mode) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) if mode == Mode::Form => match ty {
            TypeConstraint::String => s.is_empty(),
            _ => s.trim().is_empty(),
        },
        _ => false,
    }
}

struct Converter {
    errors: Vec<FieldError>,
}

impl Converter {
    fn error(&mut self, path: &str, message: String) {
        self.errors.push(FieldError { path: path.to_owned(), message });
    }

    /// A module default, converted; a default that does not fit its own type is the module's
    /// bug, and the message says so.
    fn default(&mut self, default: &Value, ty: &TypeConstraint, path: &str) -> Value {
        let before = self.errors.len();
        let value = self.convert(default, ty, path, Mode::Module);
        for e in &mut self.errors[before..] {
            e.message = format!("the module's default does not fit its type: {}", e.message);
        }
        value
    }

    fn convert(&mut self, v: &Value, ty: &TypeConstraint, path: &str, mode: Mode) -> Value {
        use TypeConstraint as T;
        match (ty, v) {
            (_, Value::Null) => Value::Null,
            (T::Any, v) => v.clone(),
            (T::String, Value::String(s)) => Value::String(s.clone()),
            (T::String, Value::Number(n)) => Value::String(n.as_str().to_owned()),
            (T::String, Value::Bool(b)) => Value::String(b.to_string()),
            (T::Number, Value::Number(n)) => Value::Number(n.clone()),
            (T::Number | T::Bool, Value::String(_)) if is_blank(v, ty, mode) => {
                self.error(path, format!("is empty: {} is required here", expected(ty)));
                Value::Null
            }
            (T::Number, Value::String(s)) => {
                // Form fields may carry stray spaces; module literals are taken exactly.
                match parse_number(s).filter(|_| mode == Mode::Form || s.trim() == s) {
                    Some(n) => Value::Number(n),
                    None => {
                        self.error(path, format!("{v} is not a number: {NUMBER_SYNTAX}"));
                        Value::Null
                    }
                }
            }
            (T::Bool, Value::Bool(b)) => Value::Bool(*b),
            (T::Bool, Value::String(s)) => {
                let text = if mode == Mode::Form { s.trim() } else { s.as_str() };
                match text {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        self.error(path, format!("{v} is not a bool: use true or false"));
                        Value::Null
                    }
                }
            }
            (T::List(t), Value::List(items)) => Value::List(self.items(items, t, path, mode)),
            (T::Set(t), Value::List(items)) => {
                let mut unique: Vec<Value> = Vec::with_capacity(items.len());
                for item in self.items(items, t, path, mode) {
                    if !unique.iter().any(|u| same(u, &item)) {
                        unique.push(item);
                    }
                }
                Value::List(unique)
            }
            (T::Tuple(types), Value::List(items)) if types.len() != items.len() => {
                let list: Vec<String> = types.iter().map(ToString::to_string).collect();
                self.error(
                    path,
                    format!("expected exactly {} item(s) ({}), got {}", types.len(), list.join(", "), items.len()),
                );
                Value::Null
            }
            (T::Tuple(types), Value::List(items)) => Value::List(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (item, t))| self.convert(item, t, &format!("{path}[{i}]"), mode))
                    .collect(),
            ),
            (T::Map(t), Value::Map(entries)) => Value::Map(
                entries.iter().map(|(k, item)| (k.clone(), self.convert(item, t, &key_path(path, k), mode))).collect(),
            ),
            (T::Object(attributes), Value::Map(entries)) => self.object(attributes, entries, path, mode),
            (ty, v) => {
                self.error(path, format!("expected {}, got {}", expected(ty), describe(v)));
                Value::Null
            }
        }
    }

    fn items(&mut self, items: &[Value], t: &TypeConstraint, path: &str, mode: Mode) -> Vec<Value> {
        items.iter().enumerate().map(|(i, item)| self.convert(item, t, &format!("{path}[{i}]"), mode)).collect()
    }

    fn object(&mut self, attributes: &[Attribute], entries: &[(String, Value)], path: &str, mode: Mode) -> Value {
        let mut out = Vec::with_capacity(attributes.len());
        for a in attributes {
            let at = attr_path(path, &a.name);
            let given = entries.iter().find(|(k, _)| *k == a.name).map(|(_, v)| v);
            let value = match given {
                None if !a.optional => {
                    self.error(&at, format!("is required: enter {}", expected(&a.type_)));
                    Value::Null
                }
                Some(v) if !(a.optional && is_blank(v, &a.type_, mode)) => self.convert(v, &a.type_, &at, mode),
                _ => match &a.default {
                    Some(d) => self.default(d, &a.type_, &at),
                    None => Value::Null,
                },
            };
            out.push((a.name.clone(), value));
        }
        for (k, _) in entries.iter().filter(|(k, _)| !attributes.iter().any(|a| a.name == *k)) {
            let allowed: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
            let allowed = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
            self.error(&attr_path(path, k), format!("is not an attribute of this object; allowed: {allowed}"));
        }
        Value::Map(out)
    }
}

const NUMBER_SYNTAX: &str =
    "write digits with an optional leading minus, decimal point and exponent, e.g. 42, -1.5 or 2e6";

/// Equality for set elements: numbers by value (`1` and `1.0` are one element).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && same(v, v2)))
        }
        _ => a == b,
    }
}

/// What the type accepts, for messages: "a number", "a list of string (`list(string)`)".
fn expected(ty: &TypeConstraint) -> String {
    use TypeConstraint as T;
    match ty {
        T::String => "a string".to_owned(),
        T::Number => "a number".to_owned(),
        T::Bool => "true or false".to_owned(),
        T::Any => "a value".to_owned(),
        T::List(_) | T::Set(_) | T::Tuple(_) => format!("a list (`{ty}`)"),
        T::Map(_) => format!("a map (`{ty}`)"),
        T::Object(_) => format!("an object (`{ty}`)"),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the bool {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => format!("the string {v}"),
        Value::List(items) => format!("a list of {} item(s)", items.len()),
        Value::Map(_) => "an object".to_owned(),
    }
}

/// `path.name` for identifier-like names, `path["odd name"]` otherwise.
fn attr_path(path: &str, name: &str) -> String {
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { format!("{path}.{name}") } else { key_path(path, name) }
}

fn key_path(path: &str, key: &str) -> String {
    format!("{path}[{}]", Value::String(key.to_owned()))
}
