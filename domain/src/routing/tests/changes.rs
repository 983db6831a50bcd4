//! Which inputs count as changed for `inputs_changed`.

use crate::catalog::{Number, Value};
use crate::routing::changed_inputs;

fn inputs(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs.iter().map(|(n, v)| ((*n).to_string(), v.clone())).collect()
}

fn num(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap())
}

#[test]
fn a_new_request_changes_every_input_given() {
    let current =
        inputs(&[("name", Value::String("orders".into())), ("multi_az", Value::Bool(false)), ("tags", Value::Null)]);
    assert_eq!(changed_inputs(None, &current), vec!["name", "multi_az", "tags"]);
    assert!(changed_inputs(None, &[]).is_empty());
}

#[test]
fn an_edit_changes_what_differs_was_added_or_was_removed() {
    let previous = inputs(&[
        ("name", Value::String("orders".into())),
        ("allocated_storage", num("20")),
        ("tags", Value::Map(vec![("team".into(), Value::String("payments".into()))])),
        ("multi_az", Value::Bool(false)),
    ]);
    let current = inputs(&[
        ("backup_retention_period", num("7")),
        ("name", Value::String("orders".into())),
        ("allocated_storage", num("50")),
        ("tags", Value::Map(vec![("team".into(), Value::String("checkout".into()))])),
    ]);
    assert_eq!(
        changed_inputs(Some(&previous), &current),
        vec!["backup_retention_period", "allocated_storage", "tags", "multi_az"]
    );
}

#[test]
fn an_unchanged_edit_changes_nothing() {
    let same = inputs(&[("name", Value::String("orders".into())), ("ids", Value::List(vec![num("1"), num("2")]))]);
    assert!(changed_inputs(Some(&same), &same).is_empty());
    // Order inside a list is part of the value.
    let swapped = inputs(&[("name", Value::String("orders".into())), ("ids", Value::List(vec![num("2"), num("1")]))]);
    assert_eq!(changed_inputs(Some(&same), &swapped), vec!["ids"]);
}

#[test]
fn a_value_set_to_null_counts_as_changed() {
    let previous = inputs(&[("kms_key", Value::String("alias/x".into()))]);
    let current = inputs(&[("kms_key", Value::Null)]);
    assert_eq!(changed_inputs(Some(&previous), &current), vec!["kms_key"]);
}
