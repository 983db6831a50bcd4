//! A catalog module: the module's variables combined with its overlay into the schema the
//! request form is generated from, after cross-checking the two.
//!
//! Everything an SRE can get wrong in an overlay is a catalog error here, at load time, with
//! the file and line to fix, rather than a broken form or a surprising pull request later.

use super::CatalogError;
use super::module_checks::Checker;
use super::module_values::{choices_from_validations, widget_fits};
use super::overlay::{Choice, FieldOverlay, FieldRules, NamingRule, Overlay, RiskTier, TagInjection, Widget};
use super::types::TypeConstraint;
use super::value::Value;
use super::variables::{ParsedVariables, Validation, Variable};
use crate::render::{ModuleSource, validate_identifier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One module as the catalog offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// The folder name; a valid identifier.
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub owner_team: String,
    pub risk_tier: RiskTier,
    /// Pinned by the catalog, never by the form.
    pub source: ModuleSource,
    pub naming: NamingRule,
    pub tags: Option<TagInjection>,
    /// Every variable of the module, in declaration order (files in the order given).
    pub fields: Vec<Field>,
}

impl Module {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields the user fills in (everything with [`Presence::Input`]).
    pub fn inputs(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.presence == Presence::Input)
    }
}

/// How a variable gets its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Presence {
    /// A form field (it may still be fixed in some environments, see [`Field::fixed_in`]).
    Input,
    /// Not shown; always rendered with this value.
    Fixed { value: Value },
    /// Not shown, not rendered: the module default applies.
    Hidden,
    /// Not shown; rendered as [`NamingRule::value_for`] the instance name.
    InstanceName,
    /// A sensitive variable left out: its module default (or a `fixed` value) applies.
    /// It is never collected, stored or committed.
    SensitiveOmitted,
    /// A sensitive variable left out; the form collects `input`, a non-sensitive variable
    /// that carries a reference to the secret (e.g. an SSM parameter name), instead.
    SensitiveByReference { input: String },
}

/// One variable with everything the form needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: TypeConstraint,
    pub type_declared: bool,
    pub presence: Presence,
    /// Declared `sensitive` or `ephemeral`: never collected, stored or committed.
    pub sensitive: bool,
    /// An input without any default (module or overlay): the user must give a value.
    pub required: bool,
    /// What the form prefills: the overlay's default, else the module's. Never set for
    /// sensitive variables.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub default: Option<Value>,
    /// The module's own `default` (never for sensitive variables): an input equal to it is
    /// left out of the module call, as an SRE would write it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub module_default: Option<Value>,
    pub nullable: bool,
    pub label: String,
    /// The overlay's help, else the variable's description.
    pub help: Option<String>,
    pub widget: Widget,
    /// From the overlay, else from a `contains([...], var.<name>)` validation.
    pub choices: Vec<Choice>,
    /// Shown collapsed under "advanced".
    pub advanced: bool,
    /// Rules for every environment (never `fixed`: that is [`Presence::Fixed`]).
    pub rules: FieldRules,
    /// Per-environment overrides of `rules`, key by key.
    pub environments: BTreeMap<String, FieldRules>,
    /// The module's own validation blocks (the form evaluates them).
    pub validations: Vec<Validation>,
    /// Set on the input that carries the reference for a sensitive variable.
    pub reference_for: Option<String>,
    /// Where the variable is declared.
    pub file: String,
    pub line: usize,
}

impl Field {
    /// The rules in force in `environment`.
    pub fn rules_in(&self, environment: &str) -> FieldRules {
        self.environments.get(environment).map_or_else(|| self.rules.clone(), |env| self.rules.merged(env))
    }

    /// The value this field always has in `environment`, if it is fixed there.
    pub fn fixed_in(&self, environment: &str) -> Option<Value> {
        match &self.presence {
            Presence::Fixed { value } => Some(value.clone()),
            Presence::Input => self.rules_in(environment).fixed,
            _ => None,
        }
    }

    /// The user must give a value in `environment`.
    pub fn required_in(&self, environment: &str) -> bool {
        let rules = self.rules_in(environment);
        self.required && rules.default.is_none() && rules.fixed.is_none()
    }
}

/// Combines a module's variables with its overlay. `variables` are the parsed `.tf` files
/// in load order, each with its file name; `environments` are the configured environment
/// names. Any problem in the files, the overlay or between them fails the module, with every
/// problem found.
pub fn build_module(
    id: &str,
    variables: Vec<(String, ParsedVariables)>,
    overlay: &Overlay,
    environments: &[String],
) -> Result<Module, Vec<CatalogError>> {
    let mut errors = Vec::new();
    if let Err(e) = validate_identifier(id) {
        errors.push(CatalogError {
            file: overlay.file.clone(),
            line: 1,
            message: format!("module id (folder name) {id:?} is not an identifier: {e}"),
            fix: "rename the module's folder".to_owned(),
        });
    }
    let mut declared: Vec<(String, Variable)> = Vec::new();
    for (file, parsed) in variables {
        errors.extend(parsed.errors);
        for v in parsed.variables {
            if let Some((first_file, first)) = declared.iter().find(|(_, d)| d.name == v.name) {
                errors.push(CatalogError {
                    file: file.clone(),
                    line: v.line,
                    message: format!(
                        "variable \"{}\" is declared twice (first in {first_file}:{})",
                        v.name, first.line
                    ),
                    fix: "remove or rename one of the two declarations".to_owned(),
                });
            } else {
                declared.push((file.clone(), v));
            }
        }
    }
    for (field, env) in overlay.fields.iter().flat_map(|f| f.environments.keys().map(move |e| (f, e))) {
        if !environments.contains(env) {
            let path = format!("{}.environments.{env}", field_path(&field.name));
            let known = environments.join(", ");
            errors.push(overlay.error(
                &path,
                format!("unknown environment `{env}` in [{path}]"),
                format!("use one of the configured environments: {known}"),
            ));
        }
    }
    if !errors.is_empty() {
        // Cross-checks against a partial variable list would report variables that only
        // failed to parse as unknown; the file errors come first.
        return Err(errors);
    }
    let mut checker = Checker::new(overlay, &declared);
    checker.check_overlay_names();
    let fields: Vec<Field> = declared.iter().map(|(file, v)| field(&mut checker, file, v)).collect();
    checker.check_naming_and_tags();
    let mut errors = checker.into_errors();
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        return Err(errors);
    }
    Ok(Module {
        id: id.to_owned(),
        title: overlay.title.clone(),
        description: overlay.description.clone(),
        category: overlay.category.clone(),
        owner_team: overlay.owner_team.clone(),
        risk_tier: overlay.risk_tier,
        source: overlay.source.clone(),
        naming: overlay.naming.clone(),
        tags: overlay.tags.clone(),
        fields,
    })
}

/// `fields.<name>` as a key path.
pub(crate) fn field_path(name: &str) -> String {
    super::overlay_lines::join("fields", name)
}

fn field(checker: &mut Checker<'_>, file: &str, v: &Variable) -> Field {
    let empty = FieldOverlay { name: v.name.clone(), ..FieldOverlay::default() };
    let settings = checker.overlay_field(&v.name).unwrap_or(&empty);
    let presence = checker.presence(file, v, settings);
    checker.check_settings(v, settings, &presence);
    let sensitive = matches!(presence, Presence::SensitiveOmitted | Presence::SensitiveByReference { .. });
    let choices = settings.choices.clone().unwrap_or_else(|| choices_from_validations(v));
    let widget = settings.widget.unwrap_or_else(|| Widget::default_for(&v.type_, !choices.is_empty()));
    if !widget_fits(widget, &v.type_, !choices.is_empty()) {
        let path = format!("{}.widget", field_path(&v.name));
        checker.error(
            &path,
            format!("widget `{}` does not fit `{}` of type {}", widget.name(), v.name, v.type_),
            widget_fix(&v.type_),
        );
    }
    let mut rules = settings.rules.clone();
    let fixed = rules.fixed.take();
    let presence = match (presence, fixed) {
        (Presence::Input | Presence::SensitiveOmitted, Some(value)) => Presence::Fixed { value },
        (presence, _) => presence,
    };
    let default = if sensitive { None } else { rules.default.clone().or_else(|| v.default.clone()) };
    Field {
        name: v.name.clone(),
        type_: v.type_.clone(),
        type_declared: v.type_declared,
        required: presence == Presence::Input && default.is_none(),
        default,
        module_default: if sensitive { None } else { v.default.clone() },
        nullable: v.nullable,
        label: settings.label.clone().unwrap_or_else(|| humanize(&v.name)),
        help: settings.help.clone().or_else(|| v.description.clone()),
        widget,
        choices,
        advanced: settings.advanced,
        rules,
        environments: settings.environments.clone(),
        validations: v.validations.clone(),
        reference_for: checker.reference_for(&v.name),
        presence,
        sensitive,
        file: file.to_owned(),
        line: v.line,
    }
}

fn widget_fix(t: &TypeConstraint) -> String {
    format!("use `{}` (the default for {t}) or remove `widget`", Widget::default_for(t, false).name())
}

/// `instance_class` → `Instance class`: a readable label when the overlay gives none.
fn humanize(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

impl Widget {
    /// The widget a type gets when the overlay names none.
    pub fn default_for(t: &TypeConstraint, has_choices: bool) -> Widget {
        match t {
            TypeConstraint::String | TypeConstraint::Number if has_choices => Widget::Select,
            TypeConstraint::String => Widget::Text,
            TypeConstraint::Number => Widget::Number,
            TypeConstraint::Bool => Widget::Checkbox,
            TypeConstraint::List(_) | TypeConstraint::Set(_) | TypeConstraint::Tuple(_) => Widget::List,
            TypeConstraint::Map(_) => Widget::Map,
            TypeConstraint::Object(_) => Widget::Object,
            // Free-form: the user types JSON.
            TypeConstraint::Any => Widget::Textarea,
        }
    }

    /// The name used in overlays and messages.
    pub fn name(self) -> &'static str {
        match self {
            Widget::Text => "text",
            Widget::Textarea => "textarea",
            Widget::Number => "number",
            Widget::Checkbox => "checkbox",
            Widget::Select => "select",
            Widget::List => "list",
            Widget::Map => "map",
            Widget::Object => "object",
        }
    }
}
