//! Unit tests for form conversion and validation evaluation, written against variables
//! parsed from HCL the way module authors write them.

mod convert;
mod eval;
mod functions;

use super::{CheckOutcome, CheckStatus, FieldError, check_value, evaluate_validations};
use crate::catalog::{Value, Variable, parse_variables};
use serde_json::json;

/// One variable from its HCL body, e.g. `type = number\n default = 3`.
fn var(body: &str) -> Variable {
    let source = format!("variable \"x\" {{\n{body}\n}}\n");
    let parsed = parse_variables("variables.tf", &source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.variables.into_iter().next().expect("one variable")
}

/// The converted value as JSON (object keys sorted by serde_json).
fn ok(body: &str, raw: serde_json::Value) -> serde_json::Value {
    match check_value(&var(body), &raw) {
        Ok(v) => v.to_json(),
        Err(e) => panic!("{raw} for `{body}`: {e:?}"),
    }
}

/// The errors as `path: message`.
fn errors(body: &str, raw: serde_json::Value) -> Vec<String> {
    match check_value(&var(body), &raw) {
        Ok(v) => panic!("{raw} for `{body}` was accepted as {v:?}"),
        Err(e) => e.iter().map(FieldError::to_string).collect(),
    }
}

/// Evaluates `condition` (written against `var.x`) for a variable of type `ty` holding `raw`.
fn outcome(ty: &str, condition: &str, raw: serde_json::Value) -> CheckOutcome {
    outcome_with(ty, condition, "Invalid.", raw, &|_| None)
}

fn outcome_with(
    ty: &str,
    condition: &str,
    message: &str,
    raw: serde_json::Value,
    others: &dyn Fn(&str) -> Option<Value>,
) -> CheckOutcome {
    let v = var(&format!(
        "type = {ty}\ndefault = null\nvalidation {{\n  condition = {condition}\n  error_message = \"{message}\"\n}}"
    ));
    let value = check_value(&v, &raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
    let mut outcomes = evaluate_validations(&v, &value, others);
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

fn status(ty: &str, condition: &str, raw: serde_json::Value) -> CheckStatus {
    outcome(ty, condition, raw).status
}

#[track_caller]
fn passes(ty: &str, condition: &str, raw: serde_json::Value) {
    assert_eq!(status(ty, condition, raw.clone()), CheckStatus::Passed, "{condition} with {raw}");
}

#[track_caller]
fn fails(ty: &str, condition: &str, raw: serde_json::Value) {
    assert_eq!(
        status(ty, condition, raw.clone()),
        CheckStatus::Failed { message: "Invalid.".into() },
        "{condition} with {raw}"
    );
}

/// Fails because Terraform itself would stop with an error; returns that detail.
#[track_caller]
fn errors_in_terraform(ty: &str, condition: &str, raw: serde_json::Value) -> String {
    match status(ty, condition, raw.clone()) {
        CheckStatus::Failed { message } if message.starts_with("Invalid. (the condition cannot be evaluated") => {
            message
        }
        other => panic!("{condition} with {raw}: {other:?}"),
    }
}

#[track_caller]
fn not_checked(ty: &str, condition: &str, raw: serde_json::Value) -> String {
    match status(ty, condition, raw.clone()) {
        CheckStatus::NotChecked { reason } => reason,
        other => panic!("{condition} with {raw}: {other:?}"),
    }
}

#[test]
fn outcome_records_source_condition_and_line_and_serializes() {
    let o = outcome("string", "length(var.x) > 2", json!("ab"));
    assert_eq!(o.source, "module validation");
    assert_eq!(o.condition, "length(var.x) > 2");
    assert_eq!(o.line, 4);
    assert_eq!(
        serde_json::to_value(&o).unwrap(),
        json!({"field": "x", "source": "module validation", "condition": "length(var.x) > 2", "line": 4,
               "status": {"kind": "failed", "message": "Invalid."}})
    );
    let e = FieldError { path: "subnets[2].cidr".into(), message: "is required".into() };
    assert_eq!(e.to_string(), "subnets[2].cidr: is required");
}
