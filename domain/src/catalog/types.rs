//! Terraform type constraints (`type = ...` in a `variable` block), read from the
//! expression syntax tree rather than evaluated: a type constraint is not a value, and
//! Terraform reads it the same way (keywords and constructor calls, never references).

use super::Located;
use super::value::{Value, literal, snippet, write_key};
use hcl::edit::Span;
use hcl::edit::expr::{Expression, FuncCall, ObjectKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A Terraform type constraint, nested to any depth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum TypeConstraint {
    String,
    Number,
    Bool,
    /// `any`: Terraform infers the type from the value given.
    Any,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    /// Attributes in declaration order (the form shows them in that order).
    Object(Vec<Attribute>),
}

/// One attribute of an `object({...})` type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: TypeConstraint,
    /// Declared with `optional(T)` or `optional(T, default)`: the caller may leave it out.
    pub optional: bool,
    /// The second argument of `optional(T, default)`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub default: Option<Value>,
}

/// What the error messages offer as the valid choices.
pub const VALID_TYPES: &str = "string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]), \
     object({ name = T, ... }) with optional(T) or optional(T, default) for object attributes";

const KEYWORDS: [&str; 4] = ["string", "number", "bool", "any"];
const CONSTRUCTORS: [&str; 6] = ["list", "set", "map", "tuple", "object", "optional"];

impl TypeConstraint {
    /// Reads the `type` argument of a `variable` block. Besides the current syntax this
    /// accepts the legacy forms Terraform still loads: bare `list` and `map` (= `list(any)`,
    /// `map(any)`) and Terraform 0.11's quoted `"string"`, `"list"` and `"map"`.
    pub(crate) fn from_expression(expr: &Expression, source: &str) -> Result<TypeConstraint, Located> {
        if let Expression::String(quoted) = expr {
            return match quoted.value().as_str() {
                "string" => Ok(TypeConstraint::String),
                "list" => Ok(TypeConstraint::List(Box::new(TypeConstraint::Any))),
                "map" => Ok(TypeConstraint::Map(Box::new(TypeConstraint::Any))),
                other => Err(unknown(expr.span(), &format!("\"{other}\""))),
            };
        }
        if let Expression::Variable(ident) = expr {
            match ident.value().as_str() {
                "list" => return Ok(TypeConstraint::List(Box::new(TypeConstraint::Any))),
                "map" => return Ok(TypeConstraint::Map(Box::new(TypeConstraint::Any))),
                _ => {}
            }
        }
        parse(expr, source)
    }

    /// True for `string`, `number` and `bool`.
    pub fn is_primitive(&self) -> bool {
        matches!(self, TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool)
    }
}

fn parse(expr: &Expression, source: &str) -> Result<TypeConstraint, Located> {
    match expr {
        Expression::Variable(ident) => match ident.value().as_str() {
            "string" => Ok(TypeConstraint::String),
            "number" => Ok(TypeConstraint::Number),
            "bool" => Ok(TypeConstraint::Bool),
            "any" => Ok(TypeConstraint::Any),
            other @ ("list" | "set" | "map" | "tuple" | "object") => {
                Err(Located::new(expr.span(), format!("{other} needs its element type here"), usage(other)))
            }
            other => Err(unknown(expr.span(), other)),
        },
        Expression::FuncCall(call) => constructor(call, expr, source),
        Expression::String(_) => Err(Located::new(
            expr.span(),
            format!("quoted type `{}` is only allowed as the whole type", snippet(expr.span(), source)),
            "write the type without quotes, e.g. `list(string)`",
        )),
        _ => Err(Located::new(
            expr.span(),
            format!("`{}` is not a type", snippet(expr.span(), source)),
            format!("use one of: {VALID_TYPES}"),
        )),
    }
}

fn constructor(call: &FuncCall, expr: &Expression, source: &str) -> Result<TypeConstraint, Located> {
    let name = call.name.name.value().as_str();
    let args: Vec<&Expression> = call.args.iter().collect();
    if call.name.is_namespaced() || !CONSTRUCTORS.contains(&name) {
        return Err(unknown(expr.span(), &snippet(call.name.name.span(), source)));
    }
    if name == "optional" {
        return Err(Located::new(
            expr.span(),
            "optional() is only allowed directly on an attribute of object({ ... })".to_owned(),
            "make the whole variable optional with `default` instead, or move optional() onto an object attribute",
        ));
    }
    let [arg] = args.as_slice() else {
        return Err(Located::new(
            expr.span(),
            format!("{name}() takes exactly one argument, found {}", args.len()),
            usage(name),
        ));
    };
    if call.args.expand_final() {
        return Err(Located::new(expr.span(), format!("{name}() does not accept `...`"), usage(name)));
    }
    match name {
        "list" => Ok(TypeConstraint::List(Box::new(parse(arg, source)?))),
        "set" => Ok(TypeConstraint::Set(Box::new(parse(arg, source)?))),
        "map" => Ok(TypeConstraint::Map(Box::new(parse(arg, source)?))),
        "tuple" => match arg {
            Expression::Array(items) => {
                items.iter().map(|item| parse(item, source)).collect::<Result<_, _>>().map(TypeConstraint::Tuple)
            }
            _ => Err(Located::new(arg.span(), "tuple() takes a list of types".to_owned(), usage(name))),
        },
        _ => match arg {
            Expression::Object(object) => {
                let mut attributes = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    attributes.push(attribute(key, value.expr(), source)?);
                }
                Ok(TypeConstraint::Object(attributes))
            }
            _ => Err(Located::new(arg.span(), "object() takes a map of attribute types".to_owned(), usage(name))),
        },
    }
}

fn attribute(key: &ObjectKey, expr: &Expression, source: &str) -> Result<Attribute, Located> {
    let name = match key {
        ObjectKey::Ident(ident) => ident.value().as_str().to_owned(),
        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
        ObjectKey::Expression(other) => {
            return Err(Located::new(
                other.span(),
                format!("object attribute name `{}` must be a name", snippet(other.span(), source)),
                "write attribute names as identifiers, e.g. `object({ name = string })`",
            ));
        }
    };
    let optional_call = match expr {
        Expression::FuncCall(call) if !call.name.is_namespaced() && call.name.name.value().as_str() == "optional" => {
            Some(call)
        }
        _ => None,
    };
    let Some(call) = optional_call else {
        return Ok(Attribute { name, type_: parse(expr, source)?, optional: false, default: None });
    };
    let args: Vec<&Expression> = call.args.iter().collect();
    let (type_expr, default) = match args.as_slice() {
        [t] => (*t, None),
        [t, d] => {
            let default = literal(d, source).map_err(|e| Located {
                message: format!("default of optional attribute `{name}`: {}", e.message),
                ..e
            })?;
            (*t, Some(default))
        }
        _ => {
            return Err(Located::new(
                expr.span(),
                format!("optional() takes one or two arguments, found {}", args.len()),
                usage("optional"),
            ));
        }
    };
    Ok(Attribute { name, type_: parse(type_expr, source)?, optional: true, default })
}

fn usage(name: &str) -> String {
    match name {
        "tuple" => "write it as tuple([T, ...]), e.g. tuple([string, number])".to_owned(),
        "object" => "write it as object({ name = T, ... }), e.g. object({ name = string })".to_owned(),
        "optional" => "write it as optional(T) or optional(T, default) inside object({ ... })".to_owned(),
        other => format!("write it as {other}(T), e.g. {other}(string)"),
    }
}

fn unknown(span: Option<std::ops::Range<usize>>, found: &str) -> Located {
    let bare = found.trim_matches('"');
    let suggestion = KEYWORDS
        .iter()
        .chain(CONSTRUCTORS.iter())
        .filter(|k| **k != "optional")
        .map(|k| (edit_distance(bare, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    Located::new(span, format!("unknown type `{found}`"), format!("{suggestion}valid types: {VALID_TYPES}"))
}

/// Levenshtein distance, for "did you mean" on mistyped keywords.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Terraform's own syntax, e.g. `list(object({ name = string, size = optional(number, 10) }))`.
impl fmt::Display for TypeConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeConstraint::String => f.write_str("string"),
            TypeConstraint::Number => f.write_str("number"),
            TypeConstraint::Bool => f.write_str("bool"),
            TypeConstraint::Any => f.write_str("any"),
            TypeConstraint::List(t) => write!(f, "list({t})"),
            TypeConstraint::Set(t) => write!(f, "set({t})"),
            TypeConstraint::Map(t) => write!(f, "map({t})"),
            TypeConstraint::Tuple(items) => {
                f.write_str("tuple([")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("])")
            }
            TypeConstraint::Object(attributes) if attributes.is_empty() => f.write_str("object({})"),
            TypeConstraint::Object(attributes) => {
                f.write_str("object({ ")?;
                for (i, a) in attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, &a.name)?;
                    match (&a.optional, &a.default) {
                        (false, _) => write!(f, " = {}", a.type_)?,
                        (true, None) => write!(f, " = optional({})", a.type_)?,
                        (true, Some(d)) => write!(f, " = optional({}, {d})", a.type_)?,
                    }
                }
                f.write_str(" })")
            }
        }
    }
}
