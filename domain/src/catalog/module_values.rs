//! Value-level checks shared by the overlay cross-checks: type conformance of overlay
//! literals, limits, widget compatibility, and choices read from `contains()` validations.

use super::overlay::{Choice, FieldRules, Widget};
use super::types::TypeConstraint;
use super::value::Value;
use super::variables::Variable;
use hcl::edit::expr::{BinaryOperator, Expression, TraversalOperator};

/// The type choices and `allowed` values have: the field's own for primitives, the element
/// type for lists and sets of primitives.
pub(crate) fn choice_type(t: &TypeConstraint) -> Option<&TypeConstraint> {
    match t {
        TypeConstraint::List(e) | TypeConstraint::Set(e) if e.is_primitive() => Some(e),
        t if t.is_primitive() => Some(t),
        _ => None,
    }
}

/// Why `value` breaks `rules`, if it does.
pub(crate) fn violation(rules: &FieldRules, value: &Value) -> Option<String> {
    let items: Vec<&Value> = match value {
        Value::List(items) => items.iter().collect(),
        other => vec![other],
    };
    if let Some(allowed) = &rules.allowed
        && let Some(bad) = items.iter().find(|item| !allowed.contains(item))
    {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return Some(format!("is not allowed ({bad}; allowed: {})", list.join(", ")));
    }
    if let Value::Number(n) = value {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if rules.min.as_ref().and_then(|m| m.as_f64()).is_some_and(|m| x < m) {
            return Some(format!("is below the minimum {}", rules.min.as_ref().map_or("", |m| m.as_str())));
        }
        if rules.max.as_ref().and_then(|m| m.as_f64()).is_some_and(|m| x > m) {
            return Some(format!("is above the maximum {}", rules.max.as_ref().map_or("", |m| m.as_str())));
        }
    }
    let (len, unit) = match value {
        Value::String(s) => (s.chars().count() as u64, "characters"),
        Value::List(items) => (items.len() as u64, "items"),
        Value::Map(entries) => (entries.len() as u64, "entries"),
        _ => return None,
    };
    if let Some(min) = rules.min_length.filter(|m| len < *m) {
        return Some(format!("is too short: {len} {unit}, at least {min} needed"));
    }
    rules.max_length.filter(|m| len > *m).map(|max| format!("is too long: {len} {unit}, at most {max} allowed"))
}

/// Whether a literal fits a type exactly. Stricter than Terraform's conversions (no
/// `"5"` for a number): an overlay is written by SRE and should say what it means.
pub(crate) fn conforms(value: &Value, t: &TypeConstraint) -> Result<(), String> {
    match (t, value) {
        (TypeConstraint::Any, _) | (_, Value::Null) => Ok(()),
        (TypeConstraint::String, Value::String(_))
        | (TypeConstraint::Number, Value::Number(_))
        | (TypeConstraint::Bool, Value::Bool(_)) => Ok(()),
        (TypeConstraint::List(e) | TypeConstraint::Set(e), Value::List(items)) => {
            items.iter().try_for_each(|i| conforms(i, e))
        }
        (TypeConstraint::Tuple(types), Value::List(items)) if types.len() == items.len() => {
            items.iter().zip(types).try_for_each(|(i, t)| conforms(i, t))
        }
        (TypeConstraint::Map(e), Value::Map(entries)) => {
            entries.iter().try_for_each(|(k, v)| conforms(v, e).map_err(|p| format!("[{k:?}]: {p}")))
        }
        (TypeConstraint::Object(attributes), Value::Map(entries)) => {
            if let Some((k, _)) = entries.iter().find(|(k, _)| !attributes.iter().any(|a| a.name == *k)) {
                return Err(format!("the object has no attribute `{k}`"));
            }
            for a in attributes {
                match entries.iter().find(|(k, _)| *k == a.name) {
                    Some((_, v)) => conforms(v, &a.type_).map_err(|p| format!(".{}: {p}", a.name))?,
                    None if a.optional => {}
                    None => return Err(format!("attribute `{}` is required", a.name)),
                }
            }
            Ok(())
        }
        (t, v) => Err(format!("{v} is not a {}", short(t))),
    }
}

fn short(t: &TypeConstraint) -> String {
    match t {
        TypeConstraint::Object(_) => "object".to_owned(),
        TypeConstraint::Tuple(items) => format!("tuple of {} items", items.len()),
        other => other.to_string(),
    }
}

/// Whether a widget can present a type.
pub(crate) fn widget_fits(widget: Widget, t: &TypeConstraint, has_choices: bool) -> bool {
    match widget {
        Widget::Text => matches!(t, TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Any),
        Widget::Textarea => matches!(t, TypeConstraint::String | TypeConstraint::Any),
        Widget::Number => *t == TypeConstraint::Number,
        Widget::Checkbox => *t == TypeConstraint::Bool,
        Widget::Select => has_choices && choice_type(t).is_some(),
        Widget::List => matches!(t, TypeConstraint::List(_) | TypeConstraint::Set(_) | TypeConstraint::Tuple(_)),
        Widget::Map => matches!(t, TypeConstraint::Map(_)),
        Widget::Object => matches!(t, TypeConstraint::Object(_)),
    }
}

/// Choices read from a `contains([...], var.<name>)` validation, so a module that already
/// lists its allowed values gets a select without any overlay setting.
pub(crate) fn choices_from_validations(v: &Variable) -> Vec<Choice> {
    if !matches!(v.type_, TypeConstraint::String | TypeConstraint::Number) {
        return Vec::new();
    }
    let found = v.validations.iter().find_map(|validation| {
        let source = &validation.condition_source;
        let expr = hcl::edit::parser::parse_expr(source).ok()?;
        contains_choices(&expr, v, source)
    });
    let label = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
    found.unwrap_or_default().into_iter().map(|value| Choice { label: label(&value), value }).collect()
}

/// `contains([literals], var.<name>)`, also as `var.<name> == null || contains(...)` (the
/// usual form for an optional input). Any other condition yields nothing.
fn contains_choices(expr: &Expression, v: &Variable, source: &str) -> Option<Vec<Value>> {
    match expr {
        Expression::Parenthesis(p) => contains_choices(p.inner(), v, source),
        Expression::BinaryOp(op) if *op.operator.value() == BinaryOperator::Or => {
            if is_null_check(&op.lhs_expr, v) {
                contains_choices(&op.rhs_expr, v, source)
            } else if is_null_check(&op.rhs_expr, v) {
                contains_choices(&op.lhs_expr, v, source)
            } else {
                None
            }
        }
        Expression::FuncCall(call) if !call.name.is_namespaced() && call.name.name.value().as_str() == "contains" => {
            let args: Vec<&Expression> = call.args.iter().collect();
            let [list, target] = args.as_slice() else { return None };
            if !is_var(target, v) {
                return None;
            }
            match super::value::literal(list, source) {
                Ok(Value::List(items)) if items.iter().all(|i| *i != Value::Null && conforms(i, &v.type_).is_ok()) => {
                    Some(items)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_var(expr: &Expression, v: &Variable) -> bool {
    let Expression::Traversal(t) = expr else { return false };
    matches!(&t.expr, Expression::Variable(var) if var.value().as_str() == "var")
        && matches!(t.operators.as_slice(), [op] if matches!(op.value(), TraversalOperator::GetAttr(a) if a.value().as_str() == v.name))
}

fn is_null_check(expr: &Expression, v: &Variable) -> bool {
    matches!(expr, Expression::BinaryOp(op) if *op.operator.value() == BinaryOperator::Eq
        && ((is_var(&op.lhs_expr, v) && matches!(op.rhs_expr, Expression::Null(_)))
            || (is_var(&op.rhs_expr, v) && matches!(op.lhs_expr, Expression::Null(_)))))
}
