//! Unit tests for the catalog parser, one file per concern.

mod errors;
mod types;
mod values;
mod variables;

use super::{ParsedVariables, TypeConstraint, Value, Variable, parse_variables};

/// Parses a file that must yield no errors.
fn parse_ok(source: &str) -> ParsedVariables {
    let parsed = parse_variables("variables.tf", source);
    assert!(parsed.errors.is_empty(), "unexpected errors: {:#?}", parsed.errors);
    parsed
}

/// The single variable in `source`.
fn one(source: &str) -> Variable {
    let mut parsed = parse_ok(source);
    assert_eq!(parsed.variables.len(), 1);
    parsed.variables.remove(0)
}

/// The type of `variable "x" { type = <type_src> }`.
fn type_of(type_src: &str) -> TypeConstraint {
    one(&format!("variable \"x\" {{\n  type = {type_src}\n}}\n")).type_
}

/// The default of `variable "x" { default = <default_src> }`.
fn default_of(default_src: &str) -> Value {
    one(&format!("variable \"x\" {{\n  default = {default_src}\n}}\n")).default.expect("has a default")
}

/// The errors (as displayed) of a file that must yield some.
fn errors_of(source: &str) -> Vec<String> {
    let parsed = parse_variables("variables.tf", source);
    assert!(!parsed.errors.is_empty(), "expected errors, parsed {:#?}", parsed.variables);
    parsed.errors.iter().map(ToString::to_string).collect()
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn n(text: &str) -> Value {
    Value::Number(super::Number::parse(text).expect("valid number"))
}
