//! Reading a module's `variable` blocks: the module's own interface is the source of truth
//! for the request form, so SRE never describe the same inputs twice.
//!
//! Parsing uses hcl-edit (re-exported by hcl-rs as `hcl::edit`) rather than `hcl::Body`
//! because only hcl-edit keeps byte spans: they give every error its line and let us keep
//! each validation condition exactly as written.

use super::types::TypeConstraint;
use super::value::{Value, literal, snippet};
use super::{CatalogError, LineIndex, Located};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Structure};
use serde::{Deserialize, Serialize};

/// One `variable` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    /// `Any` when the block has no `type` (see `type_declared`).
    #[serde(rename = "type")]
    pub type_: TypeConstraint,
    /// False when the block has no `type` argument. Terraform then accepts any value; we do
    /// not guess a type from the default, the form decides how to present it.
    pub type_declared: bool,
    /// `None`: no `default`, so the caller must give a value. `Some(Value::Null)`: an explicit
    /// `default = null`, so the input is optional.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::catalog::value::present")]
    pub default: Option<Value>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// Terraform's default is `true`: a caller may pass `null`.
    pub nullable: bool,
    pub ephemeral: bool,
    /// The `deprecated` message (Terraform 1.15+), when present.
    pub deprecated: Option<String>,
    pub validations: Vec<Validation>,
    /// One-based line of the `variable` keyword.
    pub line: usize,
}

impl Variable {
    /// Required: no `default` at all.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// One `validation` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    /// The condition exactly as written in the file (taken from the parser's span, trimmed),
    /// e.g. `can(regex("^[a-z]+$", var.name))`.
    pub condition_source: String,
    /// The message when it is a literal string. A message that is computed (interpolations,
    /// function calls) is kept as written, without the enclosing quotes, e.g. `Bad ${var.x}.`.
    pub error_message: String,
    /// One-based line of the `validation` keyword.
    pub line: usize,
}

/// Everything that could be read from one file: the good variables in declaration order,
/// and one error per variable that could not be read (the others are unaffected).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedVariables {
    pub variables: Vec<Variable>,
    pub errors: Vec<CatalogError>,
}

impl ParsedVariables {
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

const ARGUMENTS: &str = "type, default, description, sensitive, nullable, ephemeral, deprecated and validation blocks";
const RESERVED: [&str; 8] =
    ["source", "version", "providers", "count", "for_each", "lifecycle", "depends_on", "locals"];

/// Parses the `variable` blocks of one `.tf` file; `file` is only used in messages. Other
/// blocks (`locals`, `output`, `terraform`, `provider`, resources) are ignored. A syntax
/// error fails the whole file (the HCL parser does not recover) with the line it reports.
pub fn parse_variables(file: &str, source: &str) -> ParsedVariables {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let body = match hcl::edit::parser::parse_body(source) {
        Ok(body) => body,
        Err(err) => return ParsedVariables { variables: Vec::new(), errors: vec![syntax_error(file, &err)] },
    };
    let lines = LineIndex::new(source);
    let mut parsed = ParsedVariables::default();
    for block in body.blocks().filter(|b| b.has_ident("variable")) {
        let line = lines.line_of(block.span(), 1);
        let label = block.labels.first().map_or("", |l| l.as_str());
        let result = variable(block, source, &lines, line).and_then(|v| match parsed.get(&v.name) {
            Some(first) => Err(Located::new(
                block.span(),
                format!("declared twice (first on line {})", first.line),
                "remove or rename one of the two declarations",
            )),
            None => Ok(v),
        });
        match result {
            Ok(v) => parsed.variables.push(v),
            Err(e) => parsed.errors.push(CatalogError {
                file: file.to_owned(),
                line: lines.line_of(e.span, line),
                message: format!("variable \"{label}\": {}", e.message),
                fix: e.fix,
            }),
        }
    }
    parsed
}

fn syntax_error(file: &str, err: &hcl::edit::parser::Error) -> CatalogError {
    let location = err.location();
    let fix = if err.message().contains("redefined") {
        "each argument or object key may appear only once; remove the duplicate".to_owned()
    } else if err.message().contains("heredoc") {
        "end the heredoc with its closing delimiter (e.g. EOT) alone on a line".to_owned()
    } else if err.message().starts_with("invalid block body") {
        // The parser backtracks to the start of an attribute whose value it cannot read, so
        // the real mistake may be further down inside that value.
        format!(
            "the argument `{}` could not be read: look inside its value for an unclosed quote, bracket or brace",
            err.line().trim()
        )
    } else {
        format!("check the syntax near `{}`; `terraform validate` reports the same problem", err.line().trim())
    };
    CatalogError {
        file: file.to_owned(),
        line: location.line(),
        message: format!("HCL syntax error at column {}: {}", location.column(), err.message()),
        fix,
    }
}

fn variable(block: &Block, source: &str, lines: &LineIndex, line: usize) -> Result<Variable, Located> {
    let [label] = block.labels.as_slice() else {
        return Err(Located::new(
            block.span(),
            format!("a variable block needs exactly one label (its name), found {}", block.labels.len()),
            "write it as variable \"name\" { ... }",
        ));
    };
    let name = label.as_str();
    if !is_identifier(name) {
        return Err(Located::new(
            block.span(),
            "is not a valid name".to_owned(),
            "start with a letter or underscore, then letters, digits, underscores or dashes",
        ));
    }
    if RESERVED.contains(&name) {
        return Err(Located::new(
            block.span(),
            "uses a name Terraform reserves for module call arguments".to_owned(),
            format!("rename it; reserved names are: {}", RESERVED.join(", ")),
        ));
    }
    let mut v = Variable {
        name: name.to_owned(),
        type_: TypeConstraint::Any,
        type_declared: false,
        default: None,
        description: None,
        sensitive: false,
        nullable: true,
        ephemeral: false,
        deprecated: None,
        validations: Vec::new(),
        line,
    };
    let mut null_default_span = None;
    for structure in block.body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let expr = &attr.value;
                match attr.key.value().as_str() {
                    "type" => {
                        v.type_ = TypeConstraint::from_expression(expr, source)?;
                        v.type_declared = true;
                    }
                    "default" => {
                        let value = literal(expr, source).map_err(|e| prefix("default", e))?;
                        if value == Value::Null {
                            null_default_span = expr.span();
                        }
                        v.default = Some(value);
                    }
                    "description" => v.description = Some(string(expr, source, "description")?),
                    "deprecated" => v.deprecated = Some(string(expr, source, "deprecated")?),
                    "sensitive" => v.sensitive = boolean(expr, source, "sensitive")?,
                    "nullable" => v.nullable = boolean(expr, source, "nullable")?,
                    "ephemeral" => v.ephemeral = boolean(expr, source, "ephemeral")?,
                    other => {
                        return Err(Located::new(
                            attr.span(),
                            format!("unknown argument `{other}`"),
                            format!("a variable block accepts: {ARGUMENTS}"),
                        ));
                    }
                }
            }
            Structure::Block(inner) if inner.has_ident("validation") => {
                v.validations.push(validation(inner, source, lines.line_of(inner.span(), line))?);
            }
            Structure::Block(inner) => {
                return Err(Located::new(
                    inner.span(),
                    format!("unknown block `{}`", inner.ident.value().as_str()),
                    format!("a variable block accepts: {ARGUMENTS}"),
                ));
            }
        }
    }
    if !v.nullable && null_default_span.is_some() {
        return Err(Located::new(
            null_default_span,
            "has `nullable = false` but `default = null`".to_owned(),
            "give a non-null default, or remove `nullable = false`",
        ));
    }
    Ok(v)
}

fn validation(block: &Block, source: &str, line: usize) -> Result<Validation, Located> {
    let mut condition = None;
    let mut message = None;
    for structure in block.body.iter() {
        match structure {
            Structure::Attribute(attr) if attr.has_key("condition") => condition = Some(&attr.value),
            Structure::Attribute(attr) if attr.has_key("error_message") => message = Some(&attr.value),
            other => {
                return Err(Located::new(
                    other.span(),
                    "unexpected content in a validation block".to_owned(),
                    "a validation block has exactly `condition` and `error_message`",
                ));
            }
        }
    }
    let (Some(condition), Some(message)) = (condition, message) else {
        return Err(Located::new(
            block.span(),
            "a validation block needs both `condition` and `error_message`".to_owned(),
            "add the missing argument",
        ));
    };
    let condition_source = match condition.span().and_then(|s| source.get(s)) {
        Some(text) => text.trim().to_owned(),
        None => condition.to_string().trim().to_owned(),
    };
    let error_message = match literal(message, source) {
        Ok(Value::String(s)) => s,
        _ => {
            let text = message.span().and_then(|s| source.get(s)).unwrap_or_default().trim();
            let unquoted = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
            unquoted.unwrap_or(text).to_owned()
        }
    };
    Ok(Validation { condition_source, error_message, line })
}

fn string(expr: &Expression, source: &str, what: &str) -> Result<String, Located> {
    match literal(expr, source).map_err(|e| prefix(what, e))? {
        Value::String(s) => Ok(s),
        _ => Err(Located::new(
            expr.span(),
            format!("{what}: `{}` is not a string", snippet(expr.span(), source)),
            "write a quoted string or a heredoc",
        )),
    }
}

fn boolean(expr: &Expression, source: &str, what: &str) -> Result<bool, Located> {
    match literal(expr, source).map_err(|e| prefix(what, e))? {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        _ => Err(Located::new(
            expr.span(),
            format!("{what}: `{}` is not a bool", snippet(expr.span(), source)),
            format!("write `{what} = true` or `{what} = false`"),
        )),
    }
}

fn prefix(what: &str, e: Located) -> Located {
    Located { message: format!("{what}: {}", e.message), ..e }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}
