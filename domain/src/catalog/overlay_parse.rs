//! Reading `overlay.toml` into an [`Overlay`]: the TOML shape (serde, unknown keys refused)
//! and the checks that need nothing but the file itself.

use super::CatalogError;
use super::overlay::{
    Choice, FieldOverlay, FieldRules, NAMING_PLACEHOLDERS, NamingRule, Overlay, RiskTier, TagInjection, Widget,
    anchored,
};
use super::overlay_lines::{KeyLines, join, to_number, to_value};
use super::value::Value;
use crate::render::{ModuleSource, SourceKind, validate_identifier};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    title: String,
    #[serde(default)]
    description: String,
    category: String,
    owner_team: String,
    risk_tier: RiskTier,
    source: String,
    version: String,
    naming: Option<RawNaming>,
    tags: Option<RawTags>,
    #[serde(default)]
    fields: BTreeMap<String, RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNaming {
    pattern: Option<String>,
    max_length: Option<usize>,
    example: Option<String>,
    variable: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTags {
    variable: String,
    team: Option<String>,
    requester: Option<String>,
    request_id: Option<String>,
    environment: Option<String>,
}

/// serde cannot combine `flatten` with `deny_unknown_fields`, so the rule keys are repeated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    label: Option<String>,
    help: Option<String>,
    widget: Option<Widget>,
    choices: Option<Vec<toml::Value>>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    advanced: bool,
    #[serde(default)]
    omit: bool,
    reference_input: Option<String>,
    allowed: Option<Vec<toml::Value>>,
    default: Option<toml::Value>,
    fixed: Option<toml::Value>,
    min: Option<toml::Value>,
    max: Option<toml::Value>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    #[serde(default)]
    environments: BTreeMap<String, RawRules>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    allowed: Option<Vec<toml::Value>>,
    default: Option<toml::Value>,
    fixed: Option<toml::Value>,
    min: Option<toml::Value>,
    max: Option<toml::Value>,
    min_length: Option<u64>,
    max_length: Option<u64>,
}

/// Where to read about the format; repeated in fixes.
pub const FORMAT_DOC: &str = "docs/CATALOG.md";

/// Reads an overlay file; `file` is only used in messages. A TOML or shape error stops at
/// the first problem (with its line); the other checks report every problem found.
pub fn parse_overlay(file: &str, text: &str) -> Result<Overlay, Vec<CatalogError>> {
    let raw: RawOverlay = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
    let mut p = Parser { file, lines: KeyLines::new(text), errors: Vec::new() };
    let overlay = Overlay {
        file: file.to_owned(),
        source: p.source(raw.source, raw.version),
        naming: p.naming(raw.naming),
        tags: raw.tags.map(|t| p.tags(t)),
        fields: raw.fields.into_iter().map(|(name, f)| p.field(name, f)).collect(),
        owner_team: p.team(raw.owner_team),
        title: p.non_empty("title", raw.title),
        description: raw.description,
        category: p.non_empty("category", raw.category),
        risk_tier: raw.risk_tier,
        lines: KeyLines::default(),
    };
    if p.errors.is_empty() {
        Ok(Overlay { lines: p.lines, ..overlay })
    } else {
        p.errors.sort_by_key(|e| e.line);
        Err(p.errors)
    }
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> CatalogError {
    let line = e.span().map_or(1, |s| super::LineIndex::new(text).line(s.start));
    let message = e.message().trim().to_owned();
    let fix = if message.starts_with("unknown field") {
        format!("check the spelling; the keys each table accepts are listed in {FORMAT_DOC}")
    } else if message.starts_with("missing field") {
        format!("add the key; {FORMAT_DOC} shows a complete overlay")
    } else {
        format!("fix the TOML at this line; {FORMAT_DOC} shows a complete overlay")
    };
    CatalogError { file: file.to_owned(), line, message: format!("overlay: {message}"), fix }
}

struct Parser<'a> {
    file: &'a str,
    lines: KeyLines,
    errors: Vec<CatalogError>,
}

impl Parser<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>, fix: impl Into<String>) {
        let line = self.lines.line(path);
        self.errors.push(CatalogError { file: self.file.to_owned(), line, message: message.into(), fix: fix.into() });
    }

    fn non_empty(&mut self, key: &str, value: String) -> String {
        if value.trim().is_empty() {
            self.error(key, format!("`{key}` is empty"), format!("write a {key} for the catalog page"));
        }
        value
    }

    fn team(&mut self, team: String) -> String {
        if let Err(e) = validate_identifier(&team) {
            self.error(
                "owner_team",
                format!("owner_team {team:?} is not a team slug: {e}"),
                "use the team's slug, e.g. \"sre\"",
            );
        }
        team
    }

    /// Registry address with an exact version, or a git source with a ref: requests must
    /// render the same module tomorrow as today, so ranges (`~> 2.3`) are refused.
    fn source(&mut self, source: String, version: String) -> ModuleSource {
        let module = ModuleSource { source, version: Some(version.clone()) };
        let fix_source = "use a registry address `namespace/name/provider` (e.g. \"acme/rds-postgresql/aws\") \
                          or a git source `git::https://host/repo.git`";
        match module.kind() {
            SourceKind::Registry if !is_exact_version(&version) => self.error(
                "version",
                format!("version {version:?} is not an exact version"),
                "pin an exact release such as \"2.3.1\"; version ranges would change what a request renders",
            ),
            SourceKind::Registry | SourceKind::Git => {
                if let Err(e) = module.attributes() {
                    self.error("source", format!("source {:?}: {e}", module.source), fix_source);
                }
            }
            SourceKind::Local | SourceKind::Other => self.error(
                "source",
                format!("source {:?} is neither a registry address nor git", module.source),
                fix_source,
            ),
        }
        module
    }

    fn naming(&mut self, raw: Option<RawNaming>) -> NamingRule {
        let raw =
            raw.unwrap_or(RawNaming { pattern: None, max_length: None, example: None, variable: None, value: None });
        let rule = NamingRule {
            pattern: raw.pattern.unwrap_or_else(|| "[a-z][a-z0-9_-]*".to_owned()),
            max_length: raw.max_length.unwrap_or(crate::render::ident::MAX_IDENTIFIER_LEN),
            example: raw.example,
            value: raw.value.unwrap_or_else(|| "{name}".to_owned()),
            variable: raw.variable,
        };
        if !(1..=crate::render::ident::MAX_IDENTIFIER_LEN).contains(&rule.max_length) {
            self.error("naming.max_length", format!("max_length {} is out of range", rule.max_length), "use 1 to 63");
        }
        if let Err(e) = regex::Regex::new(&anchored(&rule.pattern)) {
            let first = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
            self.error(
                "naming.pattern",
                format!("naming pattern {:?} is not a valid regex: {first}", rule.pattern),
                "fix the regular expression (Rust regex syntax, matched against the whole name)",
            );
        } else if let Some(example) = &rule.example
            && let Err(e) = rule.check(example)
        {
            self.error(
                "naming.example",
                format!("the example name {example:?} fails the naming rule: {e}"),
                "fix the pattern or the example",
            );
        }
        let mut rest = rule.value.clone();
        for placeholder in NAMING_PLACEHOLDERS {
            rest = rest.replace(placeholder, "");
        }
        if rest.contains(['{', '}']) || !rule.value.contains("{name}") {
            self.error(
                "naming.value",
                format!("naming value {:?} has an unknown placeholder or lacks {{name}}", rule.value),
                "use {name} and optionally {environment} and {team}, e.g. \"{name}-{environment}\"",
            );
        }
        rule
    }

    fn tags(&mut self, raw: RawTags) -> TagInjection {
        let tags = TagInjection {
            variable: raw.variable,
            team: raw.team,
            requester: raw.requester,
            request_id: raw.request_id,
            environment: raw.environment,
        };
        let keys = [
            ("team", &tags.team),
            ("requester", &tags.requester),
            ("request_id", &tags.request_id),
            ("environment", &tags.environment),
        ];
        let mut seen: Vec<&str> = Vec::new();
        for (what, key) in keys {
            let Some(key) = key else { continue };
            if key.is_empty() || key.len() > 128 || key.chars().any(char::is_control) {
                self.error(
                    &format!("tags.{what}"),
                    format!("tag key {key:?} is not a valid tag key"),
                    "use 1 to 128 printable characters, e.g. \"team\"",
                );
            } else if seen.contains(&key.as_str()) {
                self.error(
                    &format!("tags.{what}"),
                    format!("tag key {key:?} is used twice"),
                    "give each injected tag its own key",
                );
            }
            seen.push(key);
        }
        if seen.is_empty() {
            self.error(
                "tags",
                "[tags] injects no tag",
                "set at least one of team, requester, request_id, environment, or remove [tags]",
            );
        }
        tags
    }

    fn field(&mut self, name: String, raw: RawField) -> FieldOverlay {
        let path = join("fields", &name);
        let choices = raw.choices.map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.choice(&format!("{path}.choices[{i}]"), item))
                .collect()
        });
        let rules =
            self.rules(&path, raw.allowed, raw.default, raw.fixed, raw.min, raw.max, raw.min_length, raw.max_length);
        let environments = raw
            .environments
            .into_iter()
            .map(|(env, r)| {
                let env_path = format!("{path}.environments.{env}");
                let rules =
                    self.rules(&env_path, r.allowed, r.default, r.fixed, r.min, r.max, r.min_length, r.max_length);
                (env, rules)
            })
            .collect();
        FieldOverlay {
            name,
            label: raw.label,
            help: raw.help,
            widget: raw.widget,
            choices,
            hidden: raw.hidden,
            advanced: raw.advanced,
            omit: raw.omit,
            reference_input: raw.reference_input,
            rules,
            environments,
        }
    }

    /// A plain value, or `{ value = …, label = "…" }`.
    fn choice(&mut self, path: &str, item: &toml::Value) -> Option<Choice> {
        let labelled =
            item.as_table().filter(|t| t.contains_key("value") && t.keys().all(|k| k == "value" || k == "label"));
        let (value, label) = match labelled {
            Some(t) => (&t["value"], t.get("label").and_then(toml::Value::as_str).map(str::to_owned)),
            None => (item, None),
        };
        let value = self.value(path, value)?;
        let label = label.unwrap_or_else(|| value.as_str().map_or_else(|| value.to_string(), str::to_owned));
        Some(Choice { value, label })
    }

    fn value(&mut self, path: &str, value: &toml::Value) -> Option<Value> {
        to_value(value).map_err(|e| self.error(path, e, "write a string, number, bool, array or table")).ok()
    }

    #[allow(clippy::too_many_arguments)]
    fn rules(
        &mut self,
        path: &str,
        allowed: Option<Vec<toml::Value>>,
        default: Option<toml::Value>,
        fixed: Option<toml::Value>,
        min: Option<toml::Value>,
        max: Option<toml::Value>,
        min_length: Option<u64>,
        max_length: Option<u64>,
    ) -> FieldRules {
        let mut number = |key: &str, v: Option<toml::Value>| {
            v.and_then(|v| to_number(&v).map_err(|e| self.error(&format!("{path}.{key}"), e, "write a number")).ok())
        };
        let (min, max) = (number("min", min), number("max", max));
        let allowed = allowed.map(|items| {
            items.iter().enumerate().filter_map(|(i, v)| self.value(&format!("{path}.allowed[{i}]"), v)).collect()
        });
        FieldRules {
            allowed,
            default: default.and_then(|v| self.value(&format!("{path}.default"), &v)),
            fixed: fixed.and_then(|v| self.value(&format!("{path}.fixed"), &v)),
            min,
            max,
            min_length,
            max_length,
        }
    }
}

/// `MAJOR.MINOR.PATCH` with an optional `-prerelease` / `+build` suffix.
fn is_exact_version(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let suffix_ok = version[core.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) && suffix_ok
}
