//! The evaluator's values and Terraform's automatic conversions between them.

use crate::catalog::Value;
use crate::form::convert::parse_number;
use std::collections::BTreeMap;

/// A value during evaluation. Lists, sets and tuples are all `List`; maps and objects are
/// both `Map`, kept sorted by key because Terraform iterates them in key order (`keys()`,
/// `for k, v in ...`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    Null,
    Bool(bool),
    /// `f64` rather than Terraform's 512-bit floats: exact for integers up to 2^53 and
    /// precise enough for the comparisons validations make.
    Num(f64),
    Str(String),
    List(Vec<V>),
    Map(BTreeMap<String, V>),
    /// A bool Infradesk could not compute but whose computation cannot fail: `can(...)` of
    /// something outside the subset. `&&`, `||`, `!`, `==` and `alltrue` can still decide
    /// with it (`true || unknown` is true); anything else becomes "not checked". The string is
    /// the reason.
    Unknown(String),
}

/// Why evaluation stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Halt {
    /// Terraform itself would stop with this error (`length(null)`, a failed `regex`).
    Error(String),
    /// Outside the subset Infradesk evaluates; the reason is shown to reviewers.
    NotChecked(String),
}

pub(crate) type R<T> = Result<T, Halt>;

pub(crate) fn error<T>(message: impl Into<String>) -> R<T> {
    Err(Halt::Error(message.into()))
}

pub(crate) fn not_checked<T>(reason: impl Into<String>) -> R<T> {
    Err(Halt::NotChecked(reason.into()))
}

impl V {
    pub(crate) fn from_value(value: &Value) -> V {
        match value {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            // Catalog numbers are validated finite decimals, so this always parses.
            Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => V::Str(s.clone()),
            Value::List(items) => V::List(items.iter().map(V::from_value).collect()),
            Value::Map(entries) => V::Map(entries.iter().map(|(k, v)| (k.clone(), V::from_value(v))).collect()),
        }
    }

    /// How Terraform names the type in messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) | V::Unknown(_) => "bool",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::List(_) => "list",
            V::Map(_) => "object",
        }
    }

    /// Roughly how much work copying or scanning this value is: one per node, plus one per
    /// 64 bytes of text. Charged against the step budget so that no condition can make the
    /// browser or server work in proportion to the square of the input.
    pub(crate) fn size(&self) -> usize {
        match self {
            V::Str(s) => 1 + s.len() / 64,
            V::List(items) => items.iter().fold(1, |n, v| n.saturating_add(v.size())),
            V::Map(entries) => entries.iter().fold(1, |n, (k, v)| n.saturating_add(1 + k.len() / 64 + v.size())),
            _ => 1,
        }
    }

    /// A key under which equal values (Terraform's `==`) are identical, for set operations
    /// in linear time. Numbers are `f64` already, so `1` and `1.0` share a key.
    pub(crate) fn key(&self) -> String {
        format!("{self:?}")
    }

    /// The reason of the first `Unknown` inside, if any.
    pub(crate) fn unknown_reason(&self) -> Option<&str> {
        match self {
            V::Unknown(reason) => Some(reason),
            V::List(items) => items.iter().find_map(V::unknown_reason),
            V::Map(entries) => entries.values().find_map(V::unknown_reason),
            _ => None,
        }
    }

    /// Fails "not checked" when an `Unknown` is inside (for operations that cannot decide
    /// without it).
    pub(crate) fn known(self) -> R<V> {
        match self.unknown_reason() {
            Some(reason) => not_checked(reason),
            None => Ok(self),
        }
    }

    pub(crate) fn num(&self) -> R<f64> {
        match self {
            V::Num(n) => Ok(*n),
            V::Str(s) => match parse_number(s).and_then(|n| n.as_f64()) {
                Some(n) if s.trim() == s => Ok(n),
                _ => error(format!("a number is required, and {} is not one", quote(s))),
            },
            other => mismatch("a number", other),
        }
    }

    /// A number that must be a whole number (indexes, counts).
    pub(crate) fn int(&self) -> R<i64> {
        let n = self.num()?;
        if n.fract() != 0.0 || n.abs() > 9.0e15 {
            return error(format!("a whole number is required, got {}", fmt_num(n)));
        }
        Ok(n as i64)
    }

    pub(crate) fn str(&self) -> R<String> {
        match self {
            V::Str(s) => Ok(s.clone()),
            V::Num(n) => Ok(fmt_num(*n)),
            V::Bool(b) => Ok(b.to_string()),
            other => mismatch("a string", other),
        }
    }

    pub(crate) fn bool(&self) -> R<bool> {
        match self {
            V::Bool(b) => Ok(*b),
            V::Str(s) if s == "true" || s == "false" => Ok(s == "true"),
            other => mismatch("a bool", other),
        }
    }

    /// `Some(b)`, or `None` for an unknown bool.
    pub(crate) fn bool_or_unknown(&self) -> R<Option<bool>> {
        match self {
            V::Unknown(_) => Ok(None),
            other => other.bool().map(Some),
        }
    }

    pub(crate) fn list(&self) -> R<&[V]> {
        match self {
            V::List(items) => Ok(items),
            other => mismatch("a list, set or tuple", other),
        }
    }

    pub(crate) fn map(&self) -> R<&BTreeMap<String, V>> {
        match self {
            V::Map(entries) => Ok(entries),
            other => mismatch("a map or object", other),
        }
    }
}

fn mismatch<T>(what: &str, got: &V) -> R<T> {
    match got {
        V::Unknown(reason) => not_checked(reason.clone()),
        V::Null => error(format!("{what} is required, but the value is null")),
        other => error(format!("{what} is required, got a {}", other.type_name())),
    }
}

/// Terraform's equality: values of different types are never equal, numbers compare by
/// value. `None` when an unknown value makes it undecidable.
pub(crate) fn equals(a: &V, b: &V) -> Option<bool> {
    match (a, b) {
        (V::Unknown(_), _) | (_, V::Unknown(_)) => None,
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (V::Map(x), V::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()))
        }
        (a, b) => Some(a == b),
    }
}

fn all_equal<'a>(pairs: impl Iterator<Item = (&'a V, &'a V)>) -> Option<bool> {
    let mut undecided = false;
    for (a, b) in pairs {
        match equals(a, b) {
            Some(false) => return Some(false),
            None => undecided = true,
            Some(true) => {}
        }
    }
    (!undecided).then_some(true)
}

/// Numbers as Terraform prints them: `5`, `1.5`, no exponent for whole numbers.
pub(crate) fn fmt_num(n: f64) -> String {
    if n == 0.0 { "0".to_owned() } else { n.to_string() }
}

/// A string in double quotes for messages (HCL escaping).
pub(crate) fn quote(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}
