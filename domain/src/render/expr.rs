//! Typed values to hcl-rs expressions.
//!
//! Every value becomes a literal expression built from its type: `null`, `true`/`false`, a
//! number from its parsed numeric value, an escaped quoted string, a list, or an object. No
//! user text is ever copied into the output unescaped.

use super::RenderError;
use super::escape::{escape_template_literal, is_bare_key};
use crate::catalog::{Number, Value};
use hcl::expr::TemplateExpr;
use hcl::{Expression, Identifier, Object, ObjectKey};

/// Deeper values are refused: no real module input nests this far, and both our recursion and
/// hcl-rs' formatter recurse once per level.
pub const MAX_DEPTH: usize = 32;

/// A string literal. It is handed to hcl-rs as a quoted template whose source we escaped
/// ourselves (see [`super::escape`] for why not `Expression::String`); the escaping guarantees
/// the template consists of literal text only.
pub fn string(s: &str) -> Expression {
    quoted(escape_template_literal(s, false))
}

fn quoted(escaped: String) -> Expression {
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(escaped)))
}

/// An object key: bare when that is unambiguous, otherwise a quoted string with non-ASCII
/// characters escaped (keeps terraform fmt's column counting byte-based, see `layout`).
pub fn object_key(key: &str) -> ObjectKey {
    if is_bare_key(key) {
        // Checked by `is_bare_key`, which is stricter than HCL's identifier rule.
        ObjectKey::Identifier(Identifier::unchecked(key))
    } else {
        ObjectKey::Expression(quoted(escape_template_literal(key, true)))
    }
}

/// Converts a value; `path` names the input (and position inside it) for error messages, e.g.
/// `subnets[2].cidr`.
pub fn expression(value: &Value, path: &str) -> Result<Expression, RenderError> {
    expression_at(value, &Path::Root(path), 0)
}

/// Where a value sits inside an input. Built as a chain and printed only for an error
/// message: formatting every nested position up front was most of the render time.
enum Path<'a> {
    Root(&'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
        }
    }
}

fn expression_at(value: &Value, path: &Path<'_>, depth: usize) -> Result<Expression, RenderError> {
    if depth > MAX_DEPTH {
        return Err(RenderError::TooDeep { path: path.to_string(), max: MAX_DEPTH });
    }
    Ok(match value {
        Value::Null => Expression::Null,
        Value::Bool(b) => Expression::Bool(*b),
        // Checked without the path first; a failure is repeated with it for the message.
        Value::Number(n) => Expression::Number(number(n, "").or_else(|_| number(n, &path.to_string()))?),
        Value::String(s) => string(s),
        Value::List(items) => Expression::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| expression_at(item, &Path::Index(path, i), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut object = Object::with_capacity(entries.len());
            for (key, item) in entries {
                if object.insert(object_key(key), expression_at(item, &Path::Key(path, key), depth + 1)?).is_some() {
                    return Err(RenderError::DuplicateKey { path: path.to_string(), key: key.clone() });
                }
            }
            Expression::Object(object)
        }
    })
}

/// A number from its numeric value, never from its text: integers exactly (i64/u64), anything
/// else through `f64`, whose shortest representation is what hcl-rs prints. A number that
/// `f64` cannot hold exactly (`12345678901234567890123`, `0.1000000000000000000001`) is
/// refused rather than silently rounded; cosmetic differences (`1.50` → `1.5`, `1e3` → `1000`)
/// are accepted because the value is the same.
pub fn number(n: &Number, path: &str) -> Result<hcl::Number, RenderError> {
    let text = n.as_str();
    let invalid = || RenderError::InvalidNumber { path: path.to_owned(), text: text.to_owned() };
    let wanted = Decimal::parse(text).ok_or_else(invalid)?;
    let rendered = if let Ok(i) = text.parse::<i64>() {
        hcl::Number::from(i)
    } else if let Ok(u) = text.parse::<u64>() {
        hcl::Number::from(u)
    } else {
        text.parse::<f64>().ok().and_then(hcl::Number::from_f64).ok_or_else(invalid)?
    };
    let shown = rendered.to_string();
    if Decimal::parse(&shown).as_ref() != Some(&wanted) {
        return Err(RenderError::InexactNumber { path: path.to_owned(), text: text.to_owned(), nearest: shown });
    }
    Ok(rendered)
}

/// A decimal number in canonical form (`0.<digits> × 10^exponent`, no leading or trailing
/// zeros) so that `1.50`, `15e-1` and `1.5` compare equal. Only HCL's number grammar
/// (`-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`) is accepted.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => {
                let exp = &rest[i + 1..];
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if !all_digits(digits) {
                    return None;
                }
                (&rest[..i], exp.parse::<i64>().ok()?)
            }
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if !all_digits(int) || (mantissa.contains('.') && !all_digits(frac)) {
            return None;
        }
        let all = format!("{int}{frac}");
        let leading = all.len() - all.trim_start_matches('0').len();
        let digits = all.trim_matches('0').to_owned();
        if digits.is_empty() {
            return Some(Decimal { negative: false, digits, exponent: 0 });
        }
        let exponent =
            exponent.checked_add(i64::try_from(int.len()).ok()?)?.checked_sub(i64::try_from(leading).ok()?)?;
        Some(Decimal { negative, digits, exponent })
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Result<String, RenderError> {
        let n = Number::parse(text).unwrap_or_else(|| panic!("catalog rejects {text}"));
        number(&n, "x").map(|n| n.to_string())
    }

    #[test]
    fn numbers_keep_their_value() {
        for (text, shown) in [
            ("0", "0"),
            ("-0", "0"),
            ("42", "42"),
            ("-7", "-7"),
            ("1.50", "1.5"),
            ("1e3", "1000"),
            ("0.1", "0.1"),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("1e300", "1e300"),
            ("2.5e-7", "2.5e-7"),
        ] {
            assert_eq!(num(text).ok().as_deref(), Some(shown), "{text}");
        }
    }

    #[test]
    fn inexact_numbers_are_refused() {
        for text in ["12345678901234567890123", "0.10000000000000000000001", "123456789.123456789"] {
            assert!(num(text).is_err(), "{text}");
        }
    }

    #[test]
    fn decimal_grammar_is_strict() {
        for text in ["", "-", "1.", ".5", "1e", "1e+", "+1", "inf", "NaN", "1_000", "0x10", " 1"] {
            assert_eq!(Decimal::parse(text), None, "{text:?}");
        }
        assert_eq!(Decimal::parse("001.500e2"), Decimal::parse("150"));
    }
}
