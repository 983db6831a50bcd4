//! A request as the form describes it: checking a filled-in form against a catalog module for
//! one environment, and turning the result into what the renderer needs.
//!
//! [`evaluate`] is the single judge of a form: the browser runs it as the user types (wasm)
//! and the server runs it again on preview and submit, so both always agree. It returns the
//! typed inputs, every field error (each naming its field, what is wrong and what is
//! allowed) and the checks list reviewers see later: overlay limits, the naming rule and the
//! module's own validations, each passed, failed or "not checked by Infradesk".

pub mod changes;
pub mod status;
#[cfg(test)]
mod tests;
pub use status::Status;
pub mod transition;

use crate::catalog::{Field, Module, Presence, Value};
use crate::form::{
    CheckOutcome, CheckStatus, FieldError, FormState, NAMING_RULE, OVERLAY_LIMIT, check_value, evaluate_validations,
};
use crate::render::RenderInput;
use serde::{Deserialize, Serialize};

/// The longest justification a request may carry.
pub const MAX_JUSTIFICATION: usize = 4000;

/// The form's own fields, as error paths: not module inputs.
pub const INSTANCE_NAME: &str = "instance_name";
pub const JUSTIFICATION: &str = "justification";
pub const ENVIRONMENT: &str = "environment";
pub const TEAM: &str = "team";

/// Control names of the form's own fields. `#` cannot appear in a Terraform identifier, so
/// they never collide with a module input's controls.
pub mod control {
    pub const ENVIRONMENT: &str = "#environment";
    pub const TEAM: &str = "#team";
    pub const INSTANCE_NAME: &str = "#instance_name";
    pub const JUSTIFICATION: &str = "#justification";
    /// The idempotency key: one request per form, however often it is sent.
    pub const KEY: &str = "#key";
    /// The submit button pressed: `submit`, `preview`, `environment`, `add:<path>`, `remove:<path>[i]`.
    pub const OP: &str = "#op";
    /// On an edit form: the request version the form was loaded at.
    pub const VERSION: &str = "#version";
}

/// An environment as requesters see it: one AWS account and region, one directory in the
/// infra repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub aws_account_id: String,
    pub region: String,
    pub directory: String,
    pub protected: bool,
}

/// A filled-in request form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub environment: String,
    pub team: String,
    pub instance_name: String,
    pub justification: String,
    /// The module inputs' controls (see [`crate::form::state`]).
    pub inputs: FormState,
}

impl Draft {
    /// Reads a posted form (pairs in document order): the form's own fields, the rest as
    /// module input controls. Returns the draft and the control values `#key` and `#op`.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> (Draft, Option<String>, Option<String>) {
        let mut draft = Draft::default();
        let (mut key, mut op) = (None, None);
        let mut inputs = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                control::ENVIRONMENT => draft.environment = value,
                control::TEAM => draft.team = value,
                control::INSTANCE_NAME => draft.instance_name = value.trim().to_owned(),
                control::JUSTIFICATION => draft.justification = value,
                control::KEY => key = Some(value),
                control::OP => op = Some(value),
                _ if name.starts_with('#') && !name.starts_with(crate::form::state::ROWS) => {}
                _ => inputs.push((name, value)),
            }
        }
        draft.inputs = FormState::from_pairs(inputs);
        (draft, key, op)
    }
}

/// What the form amounts to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The module call's inputs in declaration order: values the user gave that differ from
    /// the module's default, fixed values, the instance name's variable.
    pub inputs: Vec<(String, Value)>,
    pub errors: Vec<FieldError>,
    pub checks: Vec<CheckOutcome>,
}

impl Evaluation {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors of one form field (a variable, `instance_name`, `justification`).
    pub fn errors_for<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| top_level(&e.path) == field)
    }
}

/// `subnets[2].cidr` → `subnets`.
pub fn top_level(path: &str) -> &str {
    path.find(['[', '.']).map_or(path, |i| &path[..i])
}

/// A form prefilled for `environment`: defaults and fixed values of every input.
pub fn initial_state(module: &Module, environment: &str) -> FormState {
    let mut state = FormState::default();
    for field in module.inputs() {
        let value = field
            .fixed_in(environment)
            .or_else(|| field.rules_in(environment).default)
            .or_else(|| module_default(field))
            .or(field.default.clone());
        if let Some(value) = value {
            state.fill(&field.type_, &field.name, &value);
        }
    }
    state
}

/// Re-fills the inputs fixed in `environment` (after the user switched environments), keeping
/// everything else the user typed.
pub fn apply_environment(module: &Module, environment: &str, state: &mut FormState) {
    for field in module.inputs() {
        if let Some(value) = field.fixed_in(environment) {
            state.clear(&field.name);
            state.fill(&field.type_, &field.name, &value);
        }
    }
}

/// Checks a form for `module` (the environment is the draft's; the caller checks that it
/// and the team exist).
pub fn evaluate(module: &Module, draft: &Draft) -> Evaluation {
    let env = draft.environment.as_str();
    let mut out = Evaluation::default();
    check_instance_name(module, &draft.instance_name, &mut out);
    if draft.justification.chars().count() > MAX_JUSTIFICATION {
        out.errors.push(FieldError {
            path: JUSTIFICATION.to_owned(),
            message: format!("is too long: at most {MAX_JUSTIFICATION} characters"),
        });
    }

    // Every variable's effective value first: validations may refer to other variables.
    let mut values: Vec<(&Field, Option<Value>)> = Vec::new();
    for field in &module.fields {
        let value = match &field.presence {
            Presence::Input => input_value(field, env, &draft.inputs, &mut out),
            Presence::Fixed { value } => Some(value.clone()),
            Presence::InstanceName => {
                Some(Value::String(module.naming.value_for(&draft.instance_name, env, &draft.team)))
            }
            Presence::Hidden | Presence::SensitiveOmitted | Presence::SensitiveByReference { .. } => None,
        };
        values.push((field, value));
    }
    let effective = |name: &str| -> Option<Value> {
        values.iter().find(|(f, _)| f.name == name).and_then(|(f, v)| v.clone().or_else(|| module_default(f)))
    };
    for (field, value) in &values {
        let Some(value) = value else { continue };
        if field.presence != Presence::Input {
            continue;
        }
        let failed_before = out.errors.len();
        check_limits(field, env, value, &mut out);
        // Terraform would not run the module's validations on a value the overlay refuses;
        // neither do we, so one mistake gives one message.
        if out.errors.len() > failed_before {
            continue;
        }
        for check in evaluate_validations(&as_variable(field), value, &|name| effective(name)) {
            if let CheckStatus::Failed { message } = &check.status {
                out.errors.push(FieldError { path: field.name.clone(), message: message.clone() });
            }
            out.checks.push(check);
        }
    }
    out.inputs = values
        .into_iter()
        .filter_map(|(field, value)| {
            let value = value?;
            let keep = match field.presence {
                // Fixed values are pinned even when they equal today's module default.
                Presence::Fixed { .. } | Presence::InstanceName => true,
                _ => field.fixed_in(env).is_some() || module_default(field).as_ref() != Some(&value),
            };
            keep.then(|| (field.name.clone(), value))
        })
        .collect();
    out
}

/// The typed value of one input: fixed in this environment, given, or `None` (not given:
/// the module default applies).
fn input_value(field: &Field, env: &str, state: &FormState, out: &mut Evaluation) -> Option<Value> {
    if let Some(fixed) = field.fixed_in(env) {
        return Some(fixed);
    }
    let mut errors = Vec::new();
    let raw = state.to_json(&field.type_, &field.name, &mut errors);
    if !errors.is_empty() {
        out.errors.extend(errors);
        return None;
    }
    let rules = field.rules_in(env);
    let mut variable = as_variable(field);
    // An empty field falls back to the overlay's default for this environment, then the
    // module's; without either the field is required.
    variable.default = rules.default.or_else(|| field.module_default.clone());
    match check_value(&variable, &raw) {
        Ok(Value::Null) => None,
        Ok(value) => Some(value),
        Err(errors) => {
            out.errors.extend(errors);
            None
        }
    }
}

/// The module's default as Terraform sees it: converted to the type, so `{}` for an object
/// of optional attributes compares equal to the same object written out in full.
fn module_default(field: &Field) -> Option<Value> {
    field.module_default.as_ref()?;
    check_value(&as_variable(field), &serde_json::Value::Null).ok()
}

fn as_variable(field: &Field) -> crate::catalog::Variable {
    crate::catalog::Variable {
        name: field.name.clone(),
        type_: field.type_.clone(),
        type_declared: field.type_declared,
        default: field.module_default.clone(),
        description: None,
        sensitive: false,
        nullable: field.nullable,
        ephemeral: false,
        deprecated: None,
        validations: field.validations.clone(),
        line: field.line,
    }
}

fn check_instance_name(module: &Module, name: &str, out: &mut Evaluation) {
    let condition = format!(
        "lowercase letters, digits and '-', matching {}, at most {} characters",
        module.naming.pattern, module.naming.max_length
    );
    let status = if name.trim().is_empty() {
        let example = module.naming.example.as_deref().map(|e| format!(", e.g. {e}")).unwrap_or_default();
        CheckStatus::Failed { message: format!("is required: enter a name for this instance{example}") }
    } else {
        match module.naming.check(name) {
            Ok(()) => CheckStatus::Passed,
            Err(message) => CheckStatus::Failed { message },
        }
    };
    if let CheckStatus::Failed { message } = &status {
        out.errors.push(FieldError { path: INSTANCE_NAME.to_owned(), message: message.clone() });
    }
    out.checks.push(CheckOutcome {
        field: INSTANCE_NAME.to_owned(),
        source: NAMING_RULE.to_owned(),
        condition,
        line: 0,
        status,
    });
}

/// The overlay's limits for this environment (choices count as allowed values).
fn check_limits(field: &Field, env: &str, value: &Value, out: &mut Evaluation) {
    let mut rules = field.rules_in(env);
    if rules.allowed.is_none() && !field.choices.is_empty() {
        rules.allowed = Some(field.choices.iter().map(|c| c.value.clone()).collect());
    }
    let mut parts = Vec::new();
    if let Some(allowed) = &rules.allowed {
        parts.push(format!("one of {}", allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
    }
    if let Some(min) = &rules.min {
        parts.push(format!("at least {}", min.as_str()));
    }
    if let Some(max) = &rules.max {
        parts.push(format!("at most {}", max.as_str()));
    }
    match (rules.min_length, rules.max_length) {
        (Some(lo), Some(hi)) => parts.push(format!("length {lo} to {hi}")),
        (Some(lo), None) => parts.push(format!("length at least {lo}")),
        (None, Some(hi)) => parts.push(format!("length at most {hi}")),
        (None, None) => {}
    }
    if parts.is_empty() || *value == Value::Null {
        return;
    }
    let scope = if field.environments.contains_key(env) { format!(" in {env}") } else { String::new() };
    let status = match crate::catalog::module_values::violation(&rules, value) {
        Some(problem) => {
            // "is not allowed" already names the offending value.
            let message = if problem.starts_with("is not allowed") {
                format!("{problem}{scope}")
            } else {
                format!("{value} {problem}{scope}")
            };
            out.errors.push(FieldError { path: field.name.clone(), message: message.clone() });
            CheckStatus::Failed { message }
        }
        None => CheckStatus::Passed,
    };
    out.checks.push(CheckOutcome {
        field: field.name.clone(),
        source: OVERLAY_LIMIT.to_owned(),
        condition: format!("{}{scope}: {}", field.name, parts.join("; ")),
        line: 0,
        status,
    });
}

/// Everything about a request the renderer needs besides the evaluation.
pub struct RenderContext<'a> {
    pub request_number: u64,
    pub request_url: &'a str,
    pub requester: &'a str,
}

/// The render input for an evaluated, valid draft.
pub fn render_input(module: &Module, draft: &Draft, evaluation: &Evaluation, ctx: &RenderContext<'_>) -> RenderInput {
    let request_id = ctx.request_number.to_string();
    RenderInput {
        request_number: ctx.request_number,
        request_url: ctx.request_url.to_owned(),
        instance_name: draft.instance_name.clone(),
        module_source: module.source.clone(),
        inputs: evaluation.inputs.clone(),
        tags: module
            .tags
            .as_ref()
            .map(|t| (t.variable.clone(), t.entries(&draft.team, ctx.requester, &request_id, &draft.environment))),
    }
}
