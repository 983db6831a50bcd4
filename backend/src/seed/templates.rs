//! The revisions the seeder stores, made by the application's own code: a handful of valid
//! forms per module and environment are checked with [`domain::request::evaluate`], routed
//! with the configured [`domain::routing::Routing`] and rendered with
//! [`domain::render::render_module`] once, with a marker instance name and request number.
//! Each request then gets a copy with its own name and number put in place of the markers —
//! checked once per template to give exactly what rendering it for real gives.

use std::collections::HashMap;
use std::sync::Arc;

use domain::catalog::{Module, Presence, TypeConstraint, Value};
use domain::form::FormState;
use domain::render::render_module;
use domain::request::{Draft, Environment, RenderContext, evaluate, initial_state, render_input};
use domain::routing::{Routing, RoutingFacts, RoutingOutcome, changed_inputs};

/// Stands for the instance name in a template.
const NAME_MARKER: &str = "zqxseedinstancezqx";
/// Stands for the request number in a template.
const NUMBER_MARKER: u64 = 987_654_321;
/// What the markers are checked against.
const CHECK_NAME: &str = "check-7";
const CHECK_NUMBER: u64 = 42;

/// The form controls a module needs beyond its prefilled defaults (variables without a
/// default) and its choices (a required choice gets its first allowed value). `{team}` and
/// `{instance}` are put in.
fn required_controls(module_id: &str) -> &'static [(&'static str, &'static str)] {
    match module_id {
        "rds-postgresql" => &[
            ("master_password_ssm_parameter", "/{team}/{instance}/master-password"),
            ("database_name", "app"),
            ("#rows:allowed_security_group_ids", "1"),
            ("allowed_security_group_ids[0]", "sg-0a1b2c3d4e5f60718"),
        ],
        "elasticache-redis" => &[("description", "Sessions and hot keys")],
        "dynamodb-table" => {
            &[("hash_key", "id"), ("#rows:attributes", "1"), ("attributes[0].name", "id"), ("attributes[0].type", "S")]
        }
        "iam-service-role" => &[
            ("description", "Runs the {team} service"),
            ("#rows:trusted_services", "1"),
            ("trusted_services[0]", "ecs-tasks.amazonaws.com"),
        ],
        _ => &[],
    }
}

/// What a revision stores, with markers where the instance name and number go.
pub(super) struct Template {
    pub rendered: String,
    /// `[[name, value], ...]` as `request_revisions.inputs` holds it.
    pub inputs: String,
    pub form: String,
    /// Shared by every revision made from this template.
    pub checks: Arc<str>,
    pub routing: RoutingOutcome,
    /// `routing` as stored (`request_revisions.routing`, the audit details).
    pub routing_json: serde_json::Value,
}

impl Template {
    /// `text` with the markers replaced.
    pub(super) fn fill(text: &str, instance: &str, number: i64) -> String {
        text.replace(NAME_MARKER, instance).replace(&NUMBER_MARKER.to_string(), &number.to_string())
    }
}

/// Everything that makes one template different from another.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub module: usize,
    pub environment: usize,
    pub team: String,
    pub requester: String,
    pub variant: usize,
}

pub(super) struct Templates<'a> {
    modules: &'a [Module],
    environments: &'a [Environment],
    routing: &'a Routing,
    base_url: &'a str,
    /// Valid forms per (module, environment): at least one each (checked by [`Templates::new`]).
    forms: Vec<Vec<Vec<FormState>>>,
    cache: HashMap<Key, Arc<Template>>,
}

impl<'a> Templates<'a> {
    /// Finds the valid forms of every module in every environment. A module without one
    /// cannot be seeded: its name and the first problem are returned.
    pub(super) fn new(
        modules: &'a [Module],
        environments: &'a [Environment],
        routing: &'a Routing,
        base_url: &'a str,
    ) -> Result<Self, String> {
        let mut forms = Vec::new();
        for module in modules {
            let mut per_env = Vec::new();
            for env in environments {
                let found = variants(module, &env.name);
                if found.is_empty() {
                    return Err(format!(
                        "module {} has no form the seeder can fill in for {}: {}",
                        module.id,
                        env.name,
                        first_problem(module, &env.name)
                    ));
                }
                per_env.push(found);
            }
            forms.push(per_env);
        }
        Ok(Self { modules, environments, routing, base_url, forms, cache: HashMap::new() })
    }

    /// How many different forms `module` has in `environment`.
    pub(super) fn variant_count(&self, module: usize, environment: usize) -> usize {
        self.forms[module][environment].len()
    }

    pub(super) fn get(&mut self, key: &Key) -> Result<Arc<Template>, String> {
        if let Some(t) = self.cache.get(key) {
            return Ok(t.clone());
        }
        let module = &self.modules[key.module];
        let env = &self.environments[key.environment];
        let form = self.forms[key.module][key.environment][key.variant].clone();
        let team_form = with_team(&form, &key.team);
        let render = |name: &str, number: u64| {
            render(module, &env.name, &key.team, &key.requester, &team_form, name, number, self.base_url)
        };
        let (rendered, evaluation) = render(NAME_MARKER, NUMBER_MARKER)?;
        let (check, check_eval) = render(CHECK_NAME, CHECK_NUMBER)?;
        let inputs = serde_json::to_string(&evaluation.inputs).map_err(|e| e.to_string())?;
        let fill = |text: &str| {
            text.replace(NAME_MARKER, CHECK_NAME).replace(&NUMBER_MARKER.to_string(), &CHECK_NUMBER.to_string())
        };
        let check_inputs = serde_json::to_string(&check_eval.inputs).map_err(|e| e.to_string())?;
        if fill(&rendered) != check || fill(&inputs) != check_inputs {
            return Err(format!("module {}: the rendered file does not take a name and number in place", module.id));
        }
        let changed = changed_inputs(None, &evaluation.inputs);
        let routing = self.routing.route(&RoutingFacts {
            environment: &env.name,
            module: &module.id,
            risk_tier: module.risk_tier,
            team: &key.team,
            changed_inputs: &changed,
        });
        let template = Arc::new(Template {
            rendered,
            inputs,
            form: serde_json::to_string(&team_form).map_err(|e| e.to_string())?,
            checks: serde_json::to_string(&evaluation.checks).map_err(|e| e.to_string())?.into(),
            routing_json: serde_json::to_value(Some(&routing)).map_err(|e| e.to_string())?,
            routing,
        });
        self.cache.insert(key.clone(), template.clone());
        Ok(template)
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    module: &Module,
    environment: &str,
    team: &str,
    requester: &str,
    form: &FormState,
    instance: &str,
    number: u64,
    base_url: &str,
) -> Result<(String, domain::request::Evaluation), String> {
    let mut form = form.clone();
    for value in form.values.values_mut() {
        *value = value.replace(NAME_MARKER, instance);
    }
    let draft = Draft {
        environment: environment.to_owned(),
        team: team.to_owned(),
        instance_name: instance.to_owned(),
        justification: String::new(),
        inputs: form,
    };
    let evaluation = evaluate(module, &draft);
    if let Some(e) = evaluation.errors.first() {
        return Err(format!("module {} in {environment}: {}: {}", module.id, e.path, e.message));
    }
    let url = format!("{base_url}/requests/{number}");
    let ctx = RenderContext { request_number: number, request_url: &url, requester };
    let content = render_module(&render_input(module, &draft, &evaluation, &ctx)).map_err(|e| e.to_string())?;
    Ok((content, evaluation))
}

/// `{team}` put in.
fn with_team(form: &FormState, team: &str) -> FormState {
    let mut out = form.clone();
    for value in out.values.values_mut() {
        *value = value.replace("{team}", team).replace("{instance}", NAME_MARKER);
    }
    out
}

/// The prefilled form with the required controls; then the same with each choice field
/// turned to another allowed value (variants 1 and 2) when that is still valid.
fn variants(module: &Module, environment: &str) -> Vec<FormState> {
    let base = base_form(module, environment);
    let mut out: Vec<FormState> = Vec::new();
    for shift in 0..3 {
        let mut form = base.clone();
        if shift > 0 {
            for (i, field) in module.inputs().enumerate() {
                if field.type_ != TypeConstraint::String || field.fixed_in(environment).is_some() {
                    continue;
                }
                let allowed = allowed_strings(field, environment);
                if allowed.len() > 1 {
                    form.set(field.name.clone(), allowed[(shift + i) % allowed.len()].clone());
                }
            }
        }
        if is_valid(module, environment, &form) && !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// The prefilled form with [`required_controls`], and the first allowed value of every
/// required choice left empty.
fn base_form(module: &Module, environment: &str) -> FormState {
    let mut base = initial_state(module, environment);
    for (control, value) in required_controls(&module.id) {
        base.set(*control, *value);
    }
    for field in module.inputs().filter(|f| f.required && f.type_ == TypeConstraint::String) {
        if base.get(&field.name).is_none_or(str::is_empty)
            && let Some(first) = allowed_strings(field, environment).into_iter().next()
        {
            base.set(field.name.clone(), first);
        }
    }
    base
}

/// The string values `field` may take in `environment` (its overlay's `allowed`, else its choices).
fn allowed_strings(field: &domain::catalog::Field, environment: &str) -> Vec<String> {
    field
        .rules_in(environment)
        .allowed
        .unwrap_or_else(|| field.choices.iter().map(|c| c.value.clone()).collect())
        .into_iter()
        .filter_map(|v| if let Value::String(s) = v { Some(s) } else { None })
        .collect()
}

/// `form` as a draft of team payments with the check name (what [`variants`] tests).
fn draft_of(environment: &str, form: &FormState) -> Draft {
    let mut form = with_team(form, "payments");
    for value in form.values.values_mut() {
        *value = value.replace(NAME_MARKER, CHECK_NAME);
    }
    Draft {
        environment: environment.to_owned(),
        team: "payments".into(),
        instance_name: CHECK_NAME.into(),
        justification: String::new(),
        inputs: form,
    }
}

fn is_valid(module: &Module, environment: &str, form: &FormState) -> bool {
    evaluate(module, &draft_of(environment, form)).is_valid()
}

fn first_problem(module: &Module, environment: &str) -> String {
    let base = base_form(module, environment);
    let evaluation = evaluate(module, &draft_of(environment, &base));
    let required: Vec<&str> =
        module.inputs().filter(|f| f.required && f.presence == Presence::Input).map(|f| f.name.as_str()).collect();
    match evaluation.errors.first() {
        Some(e) => format!("{}: {} (required inputs: {})", e.path, e.message, required.join(", ")),
        None => "no valid form".into(),
    }
}
