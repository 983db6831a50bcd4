//! Literal values as written in a module: variable defaults and `optional(T, default)`.
//!
//! Our own JSON-like type rather than `serde_json::Value` because (a) map keys must keep
//! the module author's order (the form shows them in that order, and serde_json's map is
//! sorted in this workspace) and (b) numbers keep their exact source text (`1.50`, `1e3`),
//! so nothing is lost or reformatted on the way to the form and back into HCL.

use super::Located;
use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl::edit::template::{Element, Template};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write};

/// A literal value. Sets, tuples and lists are all `List`; maps and objects are both `Map`
/// (Terraform's literal syntax does not tell them apart; the type constraint does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Keys in source order; HCL rejects duplicate keys, so they are unique.
    Map(Vec<(String, Value)>),
}

/// A number as written in the source, normalized only by dropping the space HCL allows
/// between a minus sign and the digits (`- 1.50` becomes `-1.50`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// Accepts HCL number syntax with an optional leading minus: `-12`, `0.5`, `1e-3`.
    pub fn parse(text: &str) -> Option<Number> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let valid = digits.starts_with(|c: char| c.is_ascii_digit())
            && digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            && digits.parse::<f64>().is_ok_and(f64::is_finite);
        valid.then(|| Number(text.to_owned()))
    }

    /// The exact text, e.g. `1.50`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The nearest JSON number (exact for integers in the `i64`/`u64` range).
    pub fn to_json(&self) -> Option<serde_json::Number> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// For `Option<Value>` fields: a `null` that is present is `Some(Value::Null)` (an explicit
/// `default = null`), not `None` (no default at all). Pair it with `default` and
/// `skip_serializing_if = "Option::is_none"` so the two survive a round trip.
pub fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl Value {
    /// Looks a key up in a `Map`; `None` for other variants.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as `serde_json::Value` (map keys then follow serde_json's own ordering).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => n.to_json().map_or_else(|| J::String(n.0.clone()), J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// Renders the value as an HCL literal (strings escaped, `${` as `$${`): used in messages
/// and in [`TypeConstraint`](super::TypeConstraint)'s display of `optional(T, default)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&n.0),
            Value::String(s) => write_hcl_string(f, s),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Map(entries) if entries.is_empty() => f.write_str("{}"),
            Value::Map(entries) => {
                f.write_str("{ ")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, key)?;
                    write!(f, " = {value}")?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// Object keys that are identifiers are written bare, everything else quoted.
pub(crate) fn write_key(f: &mut impl Write, key: &str) -> fmt::Result {
    let mut chars = key.chars();
    let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { f.write_str(key) } else { write_hcl_string(f, key) }
}

fn write_hcl_string(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut prev = '\0';
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '{' if prev == '$' || prev == '%' => {
                f.write_char(prev)?;
                f.write_char('{')?;
            }
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
        prev = c;
    }
    f.write_char('"')
}

/// Converts a literal HCL expression into a [`Value`]. Anything Terraform would have to
/// evaluate (references, function calls, operators, interpolations) is refused, with the
/// span of the offending part so the error points at it.
pub(crate) fn literal(expr: &Expression, source: &str) -> Result<Value, Located> {
    match expr {
        Expression::Null(_) => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b.value())),
        Expression::Number(n) => {
            let text: String = n.as_repr().map_or_else(|| n.value().to_string(), |r| r.to_string());
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            Number::parse(&text).map(Value::Number).ok_or_else(|| not_literal(expr, source, "a number out of range"))
        }
        Expression::String(s) => Ok(Value::String(s.value().clone())),
        Expression::StringTemplate(t) => template_literal(t, source).map(Value::String),
        Expression::HeredocTemplate(h) => template_literal(&h.template, source).map(Value::String),
        Expression::Parenthesis(p) => literal(p.inner(), source),
        Expression::Array(items) => {
            items.iter().map(|item| literal(item, source)).collect::<Result<_, _>>().map(Value::List)
        }
        Expression::Object(object) => {
            let mut entries = Vec::with_capacity(object.len());
            for (key, value) in object.iter() {
                entries.push((object_key(key, source)?, literal(value.expr(), source)?));
            }
            Ok(Value::Map(entries))
        }
        Expression::UnaryOp(op) if op.operator.value() == &UnaryOperator::Neg => match literal(&op.expr, source)? {
            Value::Number(n) => {
                Ok(Value::Number(Number(n.0.strip_prefix('-').map_or_else(|| format!("-{}", n.0), str::to_owned))))
            }
            _ => Err(not_literal(expr, source, "an operation")),
        },
        Expression::Variable(_) | Expression::Traversal(_) => Err(not_literal(expr, source, "a reference")),
        Expression::FuncCall(_) => Err(not_literal(expr, source, "a function call")),
        Expression::Conditional(_) => Err(not_literal(expr, source, "a conditional")),
        Expression::ForExpr(_) => Err(not_literal(expr, source, "a for expression")),
        Expression::UnaryOp(_) | Expression::BinaryOp(_) => Err(not_literal(expr, source, "an operation")),
    }
}

/// Object keys: identifiers, or any expression that is a literal string, number or bool
/// (Terraform converts those to strings).
fn object_key(key: &ObjectKey, source: &str) -> Result<String, Located> {
    match key {
        ObjectKey::Ident(ident) => Ok(ident.value().as_str().to_owned()),
        ObjectKey::Expression(expr) => match literal(expr, source)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.0),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(not_literal(expr, source, "not a string")),
        },
    }
}

/// A template is a literal when it has no `${…}` interpolations or `%{…}` directives
/// (escaped `$${`/`%%{` already arrive from the parser as plain text).
pub(crate) fn template_literal(template: &Template, source: &str) -> Result<String, Located> {
    let mut out = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(text) => out.push_str(text.value()),
            Element::Interpolation(i) => return Err(interpolation(i.span(), source, "an interpolation")),
            Element::Directive(d) => return Err(interpolation(d.span(), source, "a template directive")),
        }
    }
    Ok(out)
}

fn interpolation(span: Option<std::ops::Range<usize>>, source: &str, what: &str) -> Located {
    let text = snippet(span.clone(), source);
    Located::new(
        span,
        format!("`{text}` is {what}, not a literal value"),
        "write a literal; to keep a literal `${` or `%{` in a string escape it as `$${` or `%%{`",
    )
}

fn not_literal(expr: &Expression, source: &str, what: &str) -> Located {
    let span = expr.span();
    Located::new(
        span.clone(),
        format!("`{}` is {what}, not a literal value", snippet(span, source)),
        "use a literal (string, number, bool, null, or lists and maps of them); Terraform evaluates \
         defaults without access to variables, locals or functions",
    )
}

/// The source text of a span, shortened for messages.
pub(crate) fn snippet(span: Option<std::ops::Range<usize>>, source: &str) -> String {
    let text = span.and_then(|s| source.get(s)).unwrap_or("?").trim();
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short.replace('\n', " ")
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// A JSON number; falls back to the text for numbers outside `f64`'s range.
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_json() {
            Some(n) => n.serialize(serializer),
            None => serializer.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(Number(n.to_string())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(Number(n.to_string())))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Number::parse(&n.to_string()).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Value::Map(entries))
    }
}
