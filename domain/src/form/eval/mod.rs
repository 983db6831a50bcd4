//! Evaluating `validation` conditions: a small interpreter for the part of Terraform's
//! expression language that validations use, so a form can show the module's own
//! `error_message` before anything reaches Terraform.
//!
//! Supported: literals, string templates with `${…}`, `var.<name>` (the variable itself;
//! other variables through the caller's lookup), attribute and index access, splats,
//! `== != < <= > >= && || !`, `+ - * / %`, unary `-`, `a ? b : c`, `for` expressions over lists
//! and maps (with `if` and `...` grouping), and the functions in [`functions`]. Anything else —
//! other functions, `local.`/`data.`/`module.` references, template directives — stops the
//! evaluation with a reason, and the check is reported as not checked, never as passed.
//!
//! Faithful to Terraform where it matters for the verdict:
//! - `&&` and `||` short-circuit the way Terraform 1.12+ (and OpenTofu 1.10+) do: when one
//!   side decides the result, errors on the other side do not count, so
//!   `var.x == null || length(var.x) > 0` passes on null (older Terraform versions evaluated
//!   both sides and failed there). `a ? b : c` evaluates only the chosen branch.
//! - An evaluation error (`length(null)`, `regex()` without a match, a missing attribute) is
//!   what Terraform stops on, so the check fails, with the reason added to the message.
//! - Automatic conversions: strings to numbers for arithmetic and comparisons, `"true"` to
//!   bool for logic, numbers and bools to strings for string functions; `==` never converts
//!   (`1 == "1"` is false).
//!
//! Known differences: numbers are `f64` (Terraform uses 512-bit floats); `length` of a string
//! counts Unicode scalar values, Terraform counts grapheme clusters (they differ only for
//! combining sequences); sets are treated as lists (indexing a set does not fail); strings
//! are not NFC-normalized; regular expressions: see [`re2`].

mod access;
mod collections;
pub mod functions;
mod re2;
mod val;

use super::{CheckOutcome, CheckStatus, MODULE_VALIDATION};
use crate::catalog::{Validation, Value, Variable};
use hcl::edit::expr::{BinaryOp, BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Element, Template};
use std::collections::{BTreeMap, HashMap};
use val::{Halt, R, V, equals, error, not_checked};

/// Beyond this many evaluation steps a condition is "not checked" rather than slowing the
/// form down (a few thousand list items through nested `for` expressions).
const MAX_STEPS: usize = 1_000_000;

/// Evaluates every `validation` of `var` on `value` (the output of
/// [`check_value`](super::check_value)). `others` gives the values of other variables of the
/// same module (Terraform 1.9+ lets a condition refer to them); `None` makes a condition that
/// needs that variable "not checked".
pub fn evaluate_validations(
    var: &Variable,
    value: &Value,
    others: &dyn Fn(&str) -> Option<Value>,
) -> Vec<CheckOutcome> {
    var.validations
        .iter()
        .map(|validation| CheckOutcome {
            field: var.name.clone(),
            source: MODULE_VALIDATION.to_owned(),
            condition: validation.condition_source.clone(),
            line: validation.line,
            status: evaluate(var, value, others, validation),
        })
        .collect()
}

fn evaluate(
    var: &Variable,
    value: &Value,
    others: &dyn Fn(&str) -> Option<Value>,
    validation: &Validation,
) -> CheckStatus {
    let expr = match hcl::edit::parser::parse_expr(&validation.condition_source) {
        Ok(expr) => expr,
        Err(e) => {
            return CheckStatus::NotChecked { reason: format!("the condition could not be read: {}", e.message()) };
        }
    };
    let mut ctx = Ctx::new(var, value, others);
    let stop = |detail: String| format!("the condition cannot be evaluated, Terraform stops with an error: {detail}");
    let verdict = match ctx.eval(&expr) {
        Ok(V::Unknown(reason)) | Err(Halt::NotChecked(reason)) => return CheckStatus::NotChecked { reason },
        Ok(V::Null) => Err(stop("the condition is null; it must be true or false".to_owned())),
        Ok(result) => result
            .bool()
            .map_err(|_| stop(format!("the condition must be true or false, not a {}", result.type_name()))),
        Err(Halt::Error(detail)) => Err(stop(detail)),
    };
    match verdict {
        Ok(true) => CheckStatus::Passed,
        Ok(false) => CheckStatus::Failed { message: ctx.message(&validation.error_message) },
        Err(detail) => {
            CheckStatus::Failed { message: format!("{} ({detail})", ctx.message(&validation.error_message)) }
        }
    }
}

/// Evaluation state: the values in reach, `for` variables, a step budget and compiled
/// regular expressions (a `for` over a list would otherwise compile the same one per item).
pub(crate) struct Ctx<'a> {
    name: &'a str,
    value: V,
    others: &'a dyn Fn(&str) -> Option<Value>,
    other_values: HashMap<String, Option<V>>,
    scope: Vec<(String, V)>,
    steps: usize,
    regexes: HashMap<String, Result<regex::Regex, String>>,
}

impl<'a> Ctx<'a> {
    fn new(var: &'a Variable, value: &'a Value, others: &'a dyn Fn(&str) -> Option<Value>) -> Self {
        Ctx {
            name: &var.name,
            value: V::from_value(value),
            others,
            other_values: HashMap::new(),
            scope: Vec::new(),
            steps: 0,
            regexes: HashMap::new(),
        }
    }

    /// Counts `work` against the step budget.
    pub(crate) fn charge(&mut self, work: usize) -> R<()> {
        self.steps = self.steps.saturating_add(work);
        if self.steps > MAX_STEPS {
            return not_checked(format!("the condition needs more than {MAX_STEPS} evaluation steps"));
        }
        Ok(())
    }

    /// The module's `error_message`, with `${…}` interpolations evaluated when they can be
    /// (the catalog keeps a computed message as written); otherwise as written.
    fn message(&mut self, raw: &str) -> String {
        if !raw.contains("${") {
            return raw.to_owned();
        }
        match hcl::edit::parser::parse_expr(&format!("\"{raw}\"")).map(|e| self.eval(&e)) {
            Ok(Ok(V::Str(s))) => s,
            _ => raw.to_owned(),
        }
    }

    pub(crate) fn eval(&mut self, expr: &Expression) -> R<V> {
        self.charge(1)?;
        match expr {
            Expression::Null(_) => Ok(V::Null),
            Expression::Bool(b) => Ok(V::Bool(*b.value())),
            Expression::Number(n) => match n.value().as_f64() {
                Some(f) if f.is_finite() => Ok(V::Num(f)),
                _ => not_checked("a number literal is out of range"),
            },
            Expression::String(s) => Ok(V::Str(s.value().clone())),
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Array(items) => items.iter().map(|e| self.eval(e)).collect::<R<_>>().map(V::List),
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_owned(),
                        ObjectKey::Expression(e) => self.eval(e)?.known()?.str()?,
                    };
                    map.insert(key, self.eval(value.expr())?);
                }
                Ok(V::Map(map))
            }
            Expression::Variable(ident) => self.lookup(ident.value().as_str()),
            Expression::Traversal(t) => {
                let (root, rest) = match (&t.expr, t.operators.first().map(|o| o.value())) {
                    (Expression::Variable(root), Some(TraversalOperator::GetAttr(attr)))
                        if root.value().as_str() == "var" && !self.in_scope("var") =>
                    {
                        (self.variable(attr.value().as_str())?, &t.operators[1..])
                    }
                    (Expression::Variable(root), Some(TraversalOperator::GetAttr(attr)))
                        if !self.in_scope(root.value().as_str()) =>
                    {
                        return not_checked(format!(
                            "refers to `{}.{}`, which Infradesk does not know when checking a form",
                            root.value().as_str(),
                            attr.value().as_str()
                        ));
                    }
                    _ => (self.eval(&t.expr)?, &t.operators[..]),
                };
                self.traverse(root, rest)
            }
            Expression::FuncCall(call) => functions::call(self, call),
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                let chosen = match cond {
                    V::Null => return error("the condition of `? :` is null; it must be true or false"),
                    other => other.bool()?,
                };
                self.eval(if chosen { &c.true_expr } else { &c.false_expr })
            }
            Expression::UnaryOp(op) => {
                let v = self.eval(&op.expr)?;
                match op.operator.value() {
                    UnaryOperator::Not => Ok(match v.bool_or_unknown()? {
                        Some(b) => V::Bool(!b),
                        None => v,
                    }),
                    UnaryOperator::Neg => Ok(V::Num(-v.num()?)),
                }
            }
            Expression::BinaryOp(op) => self.binary(op),
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn in_scope(&self, name: &str) -> bool {
        self.scope.iter().any(|(n, _)| n == name)
    }

    fn lookup(&mut self, name: &str) -> R<V> {
        let Some(found) = self.scope.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()) else {
            return not_checked(format!("refers to `{name}`, which Infradesk does not know when checking a form"));
        };
        self.charge(found.size())?;
        Ok(found)
    }

    /// `var.<name>`: this variable's value, or another variable's through the caller.
    fn variable(&mut self, name: &str) -> R<V> {
        let found = if name == self.name {
            Some(self.value.clone())
        } else {
            let others = self.others;
            self.other_values.entry(name.to_owned()).or_insert_with(|| others(name).as_ref().map(V::from_value)).clone()
        };
        let Some(found) = found else {
            return not_checked(format!("refers to `var.{name}`, whose value is not known here"));
        };
        self.charge(found.size())?;
        Ok(found)
    }

    fn template(&mut self, template: &Template) -> R<V> {
        let mut out = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(text) => out.push_str(text.value()),
                Element::Interpolation(i) => match self.eval(&i.expr)?.known()? {
                    V::Null => return error("a null value cannot be included in a string template"),
                    v => out.push_str(&v.str()?),
                },
                Element::Directive(_) => {
                    return not_checked("template directives (`%{ if }`, `%{ for }`) are not evaluated by Infradesk");
                }
            }
        }
        Ok(V::Str(out))
    }

    fn binary(&mut self, op: &BinaryOp) -> R<V> {
        use BinaryOperator as B;
        // Both sides first: `logic` decides which results count.
        let lhs = self.eval(&op.lhs_expr);
        let rhs = self.eval(&op.rhs_expr);
        let operator = *op.operator.value();
        if matches!(operator, B::And | B::Or) {
            return logic(operator == B::And, lhs, rhs);
        }
        let (lhs, rhs) = (lhs?, rhs?);
        match operator {
            B::Eq | B::NotEq => Ok(match equals(&lhs, &rhs) {
                Some(eq) => V::Bool(eq == (operator == B::Eq)),
                None => V::Unknown(lhs.unknown_reason().or(rhs.unknown_reason()).unwrap_or_default().to_owned()),
            }),
            _ => {
                let (a, b) = (lhs.num()?, rhs.num()?);
                let result = match operator {
                    B::Less => return Ok(V::Bool(a < b)),
                    B::LessEq => return Ok(V::Bool(a <= b)),
                    B::Greater => return Ok(V::Bool(a > b)),
                    B::GreaterEq => return Ok(V::Bool(a >= b)),
                    B::Plus => a + b,
                    B::Minus => a - b,
                    B::Mul => a * b,
                    B::Div | B::Mod if b == 0.0 => return error("division by zero"),
                    B::Div => a / b,
                    B::Mod => a % b,
                    // `&&`, `||`, `==` and `!=` were handled above.
                    other => return not_checked(format!("the operator `{other}` is not evaluated by Infradesk")),
                };
                if result.is_finite() {
                    Ok(V::Num(result))
                } else {
                    not_checked("a number is out of Infradesk's range")
                }
            }
        }
    }
}

/// `&&` / `||` over two evaluated sides, as Terraform 1.12+ and OpenTofu 1.10+ do: a side
/// that decides the result (`false` for `&&`, `true` for `||`) wins, whatever happened on the
/// other side (an error, or something outside the subset); otherwise an error on either side
/// is Terraform's error, and an unknown side leaves the result unknown.
fn logic(and: bool, lhs: R<V>, rhs: R<V>) -> R<V> {
    let decisive = !and;
    let decides = |side: &R<V>| matches!(side, Ok(v) if v.bool_or_unknown() == Ok(Some(decisive)));
    if decides(&lhs) || decides(&rhs) {
        return Ok(V::Bool(decisive));
    }
    for side in [&lhs, &rhs] {
        if let Err(Halt::Error(e)) = side {
            return error(e.clone());
        }
    }
    let (lhs, rhs) = (lhs?, rhs?);
    Ok(match (operand(&lhs)?, operand(&rhs)?) {
        // Neither decides, so both are the other value.
        (Some(x), Some(_)) => V::Bool(x),
        _ => V::Unknown(lhs.unknown_reason().or(rhs.unknown_reason()).unwrap_or_default().to_owned()),
    })
}

fn operand(v: &V) -> R<Option<bool>> {
    match v {
        V::Null => error("a logical operator's operand is null; it must be true or false"),
        other => other.bool_or_unknown(),
    }
}
