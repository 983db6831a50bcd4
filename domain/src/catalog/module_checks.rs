//! The cross-checks between an overlay and the module's variables (see [`super::build_module`]).

use super::CatalogError;
use super::module::{Presence, field_path};
use super::module_values::{choice_type, choices_from_validations, conforms, violation};
use super::overlay::{Choice, FieldOverlay, FieldRules, Overlay};
use super::overlay_lines::did_you_mean;
use super::types::TypeConstraint;
use super::value::Value;
use super::variables::Variable;

const DECISION_FIX: &str = "add `omit = true` (the module default applies) or `reference_input = \"<non-sensitive \
                            variable that carries e.g. an SSM parameter name>\"` under [fields.<name>] in overlay.toml";

pub(crate) struct Checker<'a> {
    overlay: &'a Overlay,
    variables: &'a [(String, Variable)],
    errors: Vec<CatalogError>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(overlay: &'a Overlay, variables: &'a [(String, Variable)]) -> Self {
        Checker { overlay, variables, errors: Vec::new() }
    }

    pub(crate) fn into_errors(self) -> Vec<CatalogError> {
        self.errors
    }

    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>, fix: impl Into<String>) {
        self.errors.push(self.overlay.error(path, message, fix));
    }

    fn variable(&self, name: &str) -> Option<&'a Variable> {
        self.variables.iter().map(|(_, v)| v).find(|v| v.name == name)
    }

    pub(crate) fn overlay_field(&self, name: &str) -> Option<&'a FieldOverlay> {
        self.overlay.fields.iter().find(|f| f.name == name)
    }

    /// The sensitive variable whose reference `input` carries, if any.
    pub(crate) fn reference_for(&self, input: &str) -> Option<String> {
        let field = self.overlay.fields.iter().find(|f| f.reference_input.as_deref() == Some(input));
        field.map(|f| f.name.clone())
    }

    /// Every `[fields.<name>]` must name a variable of the module.
    pub(crate) fn check_overlay_names(&mut self) {
        for f in &self.overlay.fields {
            if self.variable(&f.name).is_none() {
                let hint = did_you_mean(&f.name, self.variables.iter().map(|(_, v)| v.name.as_str()));
                self.error(
                    &field_path(&f.name),
                    format!("[fields.{}] names a variable the module does not declare", f.name),
                    format!("{hint}remove the section or rename it to one of the module's variables"),
                );
            }
        }
    }

    /// Decides how a variable gets its value; sensitive (and ephemeral) variables need an
    /// explicit decision because they must never be collected, stored or committed.
    pub(crate) fn presence(&mut self, file: &str, v: &Variable, s: &FieldOverlay) -> Presence {
        let path = field_path(&v.name);
        if v.sensitive || v.ephemeral {
            let what = if v.sensitive { "sensitive" } else { "ephemeral" };
            return match (&s.reference_input, s.omit) {
                (None, false) => {
                    self.errors.push(CatalogError {
                        file: file.to_owned(),
                        line: v.line,
                        message: format!("variable \"{}\" is {what} and the overlay does not say how to handle it (it is never collected in the form)", v.name),
                        fix: DECISION_FIX.replace("<name>", &v.name),
                    });
                    Presence::SensitiveOmitted
                }
                (Some(_), true) => {
                    self.error(
                        &format!("{path}.omit"),
                        format!("`{}` sets both omit and reference_input", v.name),
                        "keep one of the two",
                    );
                    Presence::SensitiveOmitted
                }
                (None, true) => {
                    if v.default.is_none() && s.rules.fixed.is_none() {
                        self.error(&format!("{path}.omit"), format!("`{}` is omitted but has no module default, so Terraform would require it", v.name), "give it a non-secret `fixed` value, or use `reference_input` and give the variable a default in the module");
                    }
                    Presence::SensitiveOmitted
                }
                (Some(input), false) => {
                    self.check_reference(v, input, s);
                    Presence::SensitiveByReference { input: input.clone() }
                }
            };
        }
        for (key, set) in [("omit", s.omit), ("reference_input", s.reference_input.is_some())] {
            if set {
                self.error(
                    &format!("{path}.{key}"),
                    format!("`{key}` is only for sensitive variables; `{}` is not sensitive", v.name),
                    format!("remove `{key}` (use `hidden = true` to leave it out of the form)"),
                );
            }
        }
        if self.overlay.naming.variable.as_deref() == Some(v.name.as_str()) {
            return Presence::InstanceName;
        }
        if s.hidden {
            if s.rules.fixed.is_some() {
                self.error(
                    &format!("{path}.hidden"),
                    format!("`{}` is both hidden and fixed", v.name),
                    "keep `fixed` (the value is rendered) or `hidden` (the module default applies)",
                );
            } else if v.default.is_none() {
                self.error(
                    &format!("{path}.hidden"),
                    format!("`{}` is hidden but has no module default, so Terraform would require it", v.name),
                    "give it a `fixed` value instead of hiding it, or show it",
                );
            }
            return Presence::Hidden;
        }
        Presence::Input
    }

    fn check_reference(&mut self, v: &Variable, input: &str, s: &FieldOverlay) {
        let path = format!("{}.reference_input", field_path(&v.name));
        let target = self.variable(input);
        let target_settings = self.overlay_field(input);
        let problem = match target {
            None => Some(format!("names `{input}`, which the module does not declare")),
            Some(t) if t.sensitive || t.ephemeral => Some(format!("names `{input}`, which is itself sensitive")),
            Some(t) if t.name == v.name => Some("names the variable itself".to_owned()),
            Some(_) if target_settings.is_some_and(|t| t.hidden || t.rules.fixed.is_some()) => {
                Some(format!("names `{input}`, which is hidden or fixed, so the form cannot collect it"))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            let hint = did_you_mean(input, self.variables.iter().map(|(_, v)| v.name.as_str()));
            self.error(
                &path,
                format!("reference_input of `{}` {problem}", v.name),
                format!(
                    "{hint}name a non-sensitive, shown variable that carries the reference (e.g. an SSM parameter name)"
                ),
            );
        }
        if v.default.is_none() {
            self.error(&path, format!("`{}` has no module default, so Terraform would still require the secret", v.name), "give the variable a default (e.g. null) in the module; the module reads the secret through the reference");
        }
        if s.rules.fixed.is_some() {
            self.error(&path, format!("`{}` has both reference_input and fixed", v.name), "keep one of the two");
        }
    }

    /// Settings that do not fit the variable's type or presence.
    pub(crate) fn check_settings(&mut self, v: &Variable, s: &FieldOverlay, presence: &Presence) {
        let path = field_path(&v.name);
        let shown = *presence == Presence::Input && s.rules.fixed.is_none();
        let form_keys = [
            ("label", s.label.is_some()),
            ("help", s.help.is_some()),
            ("widget", s.widget.is_some()),
            ("choices", s.choices.is_some()),
            ("advanced", s.advanced),
            ("environments", !s.environments.is_empty()),
            ("allowed", s.rules.allowed.is_some()),
            ("default", s.rules.default.is_some()),
            ("min", s.rules.min.is_some()),
            ("max", s.rules.max.is_some()),
            ("min_length", s.rules.min_length.is_some()),
            ("max_length", s.rules.max_length.is_some()),
        ];
        if !shown {
            for (key, _) in form_keys.iter().filter(|(_, set)| *set) {
                self.error(
                    &format!("{path}.{key}"),
                    format!("`{key}` has no effect: `{}` is not shown in the form", v.name),
                    format!("remove `{key}`"),
                );
            }
            if matches!(presence, Presence::Input | Presence::SensitiveOmitted)
                && let Some(value) = &s.rules.fixed
            {
                self.check_value(&format!("{path}.fixed"), v, value, &v.type_);
            }
            return;
        }
        let element = choice_type(&v.type_);
        if let Some(choices) = &s.choices {
            match element {
                Some(t) => {
                    for (i, c) in choices.iter().enumerate() {
                        self.check_value(&format!("{path}.choices[{i}]"), v, &c.value, t);
                    }
                }
                None => self.error(
                    &format!("{path}.choices"),
                    format!(
                        "`{}` is of type {}; choices need a string, number or bool, or a list or set of them",
                        v.name, v.type_
                    ),
                    "remove `choices`",
                ),
            }
        }
        let choices = s.choices.clone().unwrap_or_else(|| choices_from_validations(v));
        self.check_rules(&path, v, &choices, &s.rules);
        for (env, rules) in &s.environments {
            let env_path = format!("{path}.environments.{env}");
            self.check_rules(&env_path, v, &choices, rules);
            self.check_consistency(&env_path, v, &s.rules.merged(rules), &choices);
        }
        self.check_consistency(&path, v, &s.rules, &choices);
    }

    fn check_rules(&mut self, path: &str, v: &Variable, choices: &[Choice], rules: &FieldRules) {
        if let Some(allowed) = &rules.allowed {
            let Some(element) = choice_type(&v.type_) else {
                self.error(
                    &format!("{path}.allowed"),
                    format!(
                        "`allowed` needs a string, number or bool field, or a list or set of them; `{}` is {}",
                        v.name, v.type_
                    ),
                    "remove `allowed`",
                );
                return;
            };
            for (i, value) in allowed.iter().enumerate() {
                let item = format!("{path}.allowed[{i}]");
                self.check_value(&item, v, value, element);
                if !choices.is_empty() && !choices.iter().any(|c| c.value == *value) {
                    self.error(
                        &item,
                        format!("allowed value {value} is not one of the field's choices"),
                        "add it to `choices` or remove it",
                    );
                }
            }
        }
        for key in ["default", "fixed"] {
            let value = if key == "default" { &rules.default } else { &rules.fixed };
            if let Some(value) = value {
                self.check_value(&format!("{path}.{key}"), v, value, &v.type_);
            }
        }
        let numeric = v.type_ == TypeConstraint::Number;
        if (rules.min.is_some() || rules.max.is_some()) && !numeric {
            self.error(
                &format!("{path}.min"),
                format!("min/max need a number field; `{}` is {}", v.name, v.type_),
                "use min_length/max_length for strings and collections, or remove min/max",
            );
        }
        let sized = matches!(
            v.type_,
            TypeConstraint::String | TypeConstraint::List(_) | TypeConstraint::Set(_) | TypeConstraint::Map(_)
        );
        if (rules.min_length.is_some() || rules.max_length.is_some()) && !sized {
            self.error(
                &format!("{path}.min_length"),
                format!("min_length/max_length need a string, list, set or map field; `{}` is {}", v.name, v.type_),
                "remove them",
            );
        }
    }

    /// Per environment (rules already merged): default and fixed must satisfy the limits.
    /// Choices limit values like `allowed` does (`allowed` is already checked against them).
    fn check_consistency(&mut self, path: &str, v: &Variable, rules: &FieldRules, choices: &[Choice]) {
        let rules = &FieldRules {
            allowed: rules
                .allowed
                .clone()
                .or_else(|| (!choices.is_empty()).then(|| choices.iter().map(|c| c.value.clone()).collect())),
            ..rules.clone()
        };
        let (lo, hi) = (rules.min.as_ref().and_then(|n| n.as_f64()), rules.max.as_ref().and_then(|n| n.as_f64()));
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo > hi
        {
            self.error(&format!("{path}.min"), format!("min {lo} is greater than max {hi}"), "swap or correct them");
        }
        if let (Some(lo), Some(hi)) = (rules.min_length, rules.max_length)
            && lo > hi
        {
            self.error(
                &format!("{path}.min_length"),
                format!("min_length {lo} is greater than max_length {hi}"),
                "swap or correct them",
            );
        }
        for key in ["default", "fixed"] {
            let value = if key == "default" { &rules.default } else { &rules.fixed };
            if let Some(value) = value
                && let Some(problem) = violation(rules, value)
            {
                self.error(
                    &format!("{path}.{key}"),
                    format!("{key} of `{}` here is {value}, which {problem}", v.name),
                    "change the value or the limit",
                );
            }
        }
    }

    fn check_value(&mut self, path: &str, v: &Variable, value: &Value, t: &TypeConstraint) {
        if let Err(problem) = conforms(value, t) {
            self.error(
                path,
                format!("value {value} does not fit `{}` ({}): {problem}", v.name, v.type_),
                format!("write a value of type {t}"),
            );
        }
    }

    /// The naming variable must be a shown-nowhere string; the tags variable a map.
    pub(crate) fn check_naming_and_tags(&mut self) {
        if let Some(name) = self.overlay.naming.variable.clone() {
            let problem = match self.variable(&name) {
                None => Some("the module does not declare it".to_owned()),
                Some(v) if v.sensitive || v.ephemeral => Some("it is sensitive".to_owned()),
                Some(v) if !matches!(v.type_, TypeConstraint::String | TypeConstraint::Any) => {
                    Some(format!("it is of type {}, not string", v.type_))
                }
                Some(_) if self.overlay_field(&name).is_some() => Some(format!("[fields.{name}] configures it too")),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                self.error("naming.variable", format!("naming.variable `{name}`: {problem}"), "name the module's string variable that receives the instance name, and remove its [fields] section");
            }
        }
        let Some(tags) = self.overlay.tags.clone() else { return };
        let problem = match self.variable(&tags.variable) {
            None => Some("the module does not declare it".to_owned()),
            Some(v) if v.sensitive || v.ephemeral => Some("it is sensitive".to_owned()),
            Some(v)
                if !matches!(&v.type_, TypeConstraint::Map(e) if matches!(**e, TypeConstraint::String | TypeConstraint::Any))
                    && v.type_ != TypeConstraint::Any =>
            {
                Some(format!("it is of type {}, not map(string)", v.type_))
            }
            Some(_) if self.overlay_field(&tags.variable).is_some_and(|f| f.hidden) => Some("it is hidden".to_owned()),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            self.error(
                "tags.variable",
                format!("tags.variable `{}`: {problem}", tags.variable),
                "name the module's map(string) tags variable",
            );
        }
    }
}
