//! `infradesk render`: checks a values file against one catalog module and environment exactly
//! as the request form does, and prints the module call Infradesk would commit — for SREs' own
//! CI, without a server or a database.

// Printing to stdout is this module's job: it is the command-line output.
#![allow(clippy::print_stdout)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use domain::catalog::{Field, Module, Presence, Value, Variable};
use domain::form::{CheckStatus, FieldError, FormState, check_value};
use domain::render::{render_module, target_path};
use domain::request::{self, Draft, RenderContext, evaluate, render_input};
use serde::Deserialize;

use crate::config::Config;

/// The values file format, shown by `infradesk render --help`.
pub(crate) const VALUES_HELP: &str = r#"The values file is one JSON object (`-` reads it from standard input):

  {
    "instance_name": "exports",
    "team": "payments",
    "requester": "alice",
    "inputs": {
      "intelligent_tiering_days": 180,
      "lifecycle_rules": [{ "id": "expire-tmp", "prefix": "tmp/", "expiration_days": 7 }],
      "tags": { "cost-center": "1234" }
    }
  }

Every key is optional; --instance, --team and --requester override the file. `inputs` maps the
module's variables to JSON values of their type (objects for objects and maps, arrays for lists,
sets and tuples). An input left out, `null` or "" is not given: the overlay's or the module's
default applies, as in the web form. Variables the form does not show are refused: fixed in the
environment, hidden, sensitive, or the one set from the instance name.

On success stdout is `path: <file in the infra repository>`, a blank line, then the file exactly
as Infradesk would commit it (`tail -n +3` gives the file alone); checks Infradesk cannot evaluate
are listed on stderr. Otherwise each problem is printed on stderr as `<field>: <message>`,
nothing on stdout, and the exit status is 1."#;

#[derive(clap::Args, Debug)]
pub(crate) struct RenderArgs {
    /// The catalog directory (default: `catalog.dir` from the configuration).
    #[arg(long, value_name = "DIR")]
    catalog: Option<PathBuf>,
    /// The module id: its folder name in the catalog.
    #[arg(long, value_name = "ID")]
    module: String,
    /// A configured environment.
    #[arg(long, value_name = "ENV")]
    environment: String,
    /// The values file (JSON, see below); `-` for standard input.
    #[arg(long, value_name = "FILE")]
    values: PathBuf,
    /// The instance name (overrides `instance_name` in the values file).
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,
    /// The requesting team's slug (overrides `team` in the values file).
    #[arg(long, value_name = "SLUG")]
    team: Option<String>,
    /// The requester's login, for the injected tags (overrides `requester` in the values file;
    /// default: the operator's user name).
    #[arg(long, value_name = "LOGIN")]
    requester: Option<String>,
}

/// What a values file holds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValuesFile {
    #[serde(default)]
    instance_name: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    requester: Option<String>,
    #[serde(default)]
    inputs: serde_json::Map<String, serde_json::Value>,
}

pub(crate) fn run(config: &Config, args: RenderArgs, operator: String) -> anyhow::Result<ExitCode> {
    let dir = args.catalog.clone().unwrap_or_else(|| config.catalog.dir.clone());
    let environments: Vec<String> = config.environments.iter().map(|e| e.name.clone()).collect();
    let Some(env) = config.environments.iter().find(|e| e.name == args.environment) else {
        bail!("unknown environment `{}`; configured environments: {}", args.environment, environments.join(", "));
    };
    let catalog = backend::catalog::load_catalog(&dir, &environments);
    let Some(module) = catalog.modules.get(&args.module) else {
        if catalog.failed.contains(&args.module) {
            let errors: Vec<String> = catalog.errors_of(&args.module).map(ToString::to_string).collect();
            bail!(
                "module `{}` in {} failed to load (`infradesk catalog check` lists every problem):\n{}",
                args.module,
                dir.display(),
                errors.join("\n")
            );
        }
        let known: Vec<&str> = catalog.modules.keys().map(String::as_str).collect();
        if known.is_empty() {
            let errors: Vec<String> = catalog.errors.iter().map(ToString::to_string).collect();
            bail!("no module loaded from {}:\n{}", dir.display(), errors.join("\n"));
        }
        bail!("unknown module `{}` in {}; modules: {}", args.module, dir.display(), known.join(", "));
    };
    let file = read_values(&args.values)?;
    let requester = args.requester.or(file.requester).unwrap_or(operator);

    let mut errors = Vec::new();
    let team = args.team.or(file.team).unwrap_or_default();
    if team.is_empty() {
        errors.push(field_error(request::TEAM, "is required: give --team <slug> or \"team\" in the values file"));
    } else if let Err(message) = domain::identity::validate_slug("team", &team) {
        errors.push(field_error(request::TEAM, &message));
    }
    let instance_name = args.instance.or(file.instance_name).unwrap_or_default().trim().to_owned();
    let (inputs, refused) = fill_inputs(module, &env.name, &file.inputs, &mut errors);
    let draft = Draft { environment: env.name.clone(), team, instance_name, justification: String::new(), inputs };
    let evaluation = evaluate(module, &draft);
    for error in &evaluation.errors {
        let field = request::top_level(&error.path);
        if refused.iter().any(|r| r == field) {
            // Already reported: its value was refused, so "is required" would only mislead.
            continue;
        }
        if field == request::INSTANCE_NAME && draft.instance_name.is_empty() {
            let example = module.naming.example.as_deref().map(|e| format!(" (e.g. {e})")).unwrap_or_default();
            let message =
                format!("is required: give --instance <name> or \"instance_name\" in the values file{example}");
            errors.push(field_error(request::INSTANCE_NAME, &message));
            continue;
        }
        errors.push(error.clone());
    }
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{error}");
        }
        let n = errors.len();
        eprintln!(
            "infradesk: {n} problem{} with {} for module {} in {}; nothing rendered",
            if n == 1 { "" } else { "s" },
            values_name(&args.values),
            module.id,
            env.name
        );
        return Ok(ExitCode::FAILURE);
    }

    let path = target_path(&config.catalog.path_template, &env.directory, &draft.instance_name, &module.id)
        .context("building the target path")?;
    let url = format!("{}/requests/new", config.base_url.as_str().trim_end_matches('/'));
    let ctx = RenderContext { request_number: 0, request_url: &url, requester: &requester };
    let content =
        render_module(&render_input(module, &draft, &evaluation, &ctx)).context("rendering the module call")?;
    for check in &evaluation.checks {
        if let CheckStatus::NotChecked { reason } = &check.status {
            eprintln!(
                "warning: {}: not checked by Infradesk, Terraform checks it at plan time: `{}` ({reason})",
                check.field, check.condition
            );
        }
    }
    println!("path: {path}");
    println!();
    print!("{content}");
    Ok(ExitCode::SUCCESS)
}

fn values_name(path: &Path) -> String {
    if path == Path::new("-") { "standard input".to_owned() } else { path.display().to_string() }
}

fn read_values(path: &Path) -> anyhow::Result<ValuesFile> {
    let name = values_name(path);
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the values from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading the values file {name}"))?
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("values file {name} is not valid JSON"))?;
    if !json.is_object() {
        bail!("values file {name}: expected a JSON object with instance_name, team, requester and inputs");
    }
    serde_json::from_value(json).with_context(|| format!("values file {name}"))
}

fn field_error(path: &str, message: &str) -> FieldError {
    FieldError { path: path.to_owned(), message: message.to_owned() }
}

/// The form state for the given inputs, every problem with them in `errors`, and the names of
/// the given inputs that were refused.
fn fill_inputs(
    module: &Module,
    environment: &str,
    inputs: &serde_json::Map<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> (FormState, Vec<String>) {
    let mut state = FormState::default();
    let mut refused = Vec::new();
    for name in inputs.keys().filter(|name| module.field(name).is_none()) {
        let known: Vec<&str> =
            module.inputs().filter(|f| f.fixed_in(environment).is_none()).map(|f| f.name.as_str()).collect();
        let message = format!("is not a variable of module {}; its inputs are: {}", module.id, known.join(", "));
        errors.push(field_error(name, &message));
    }
    for field in &module.fields {
        let Some(raw) = inputs.get(&field.name) else { continue };
        if let Some(problem) = not_an_input(module, field, environment) {
            errors.push(field_error(&field.name, &problem));
            refused.push(field.name.clone());
            continue;
        }
        // Type conversion first, on the JSON as given: the form state holds text, and a JSON
        // object written into a string field would otherwise pass as its own text.
        match check_value(&lenient(field), raw) {
            Ok(Value::Null) => {}
            Ok(value) => state.fill(&field.type_, &field.name, &value),
            Err(problems) => {
                errors.extend(problems);
                refused.push(field.name.clone());
            }
        }
    }
    (state, refused)
}

/// Why a variable cannot be given in `environment`, or `None` for a form input.
fn not_an_input(module: &Module, field: &Field, environment: &str) -> Option<String> {
    if field.sensitive && !matches!(field.presence, Presence::SensitiveByReference { .. }) {
        // Possibly fixed to a value the catalog gives; it is not repeated here.
        return Some("is sensitive: Infradesk never collects, stores or commits it; remove it".to_owned());
    }
    match &field.presence {
        Presence::Input => field
            .fixed_in(environment)
            .map(|value| format!("is fixed to {value} in {environment} by the catalog; remove it")),
        Presence::Fixed { value } => Some(format!("is fixed to {value} by the catalog; remove it")),
        Presence::Hidden => Some("is hidden by the catalog (the module's default applies); remove it".to_owned()),
        Presence::InstanceName => Some(format!(
            "is set from the instance name as {:?}; give \"instance_name\" (or --instance) instead",
            module.naming.value
        )),
        Presence::SensitiveOmitted => {
            Some("is sensitive: Infradesk never collects, stores or commits it; remove it".to_owned())
        }
        Presence::SensitiveByReference { input } => Some(format!(
            "is sensitive: Infradesk never collects it; give `{input}`, a reference to the secret, instead"
        )),
    }
}

/// The variable for converting a given value to the field's type: nothing required, nothing
/// validated (the evaluation does both, with the environment's rules).
fn lenient(field: &Field) -> Variable {
    Variable {
        name: field.name.clone(),
        type_: field.type_.clone(),
        type_declared: field.type_declared,
        default: Some(Value::Null),
        description: None,
        sensitive: false,
        nullable: true,
        ephemeral: false,
        deprecated: None,
        validations: Vec::new(),
        line: field.line,
    }
}
