//! Rendering a request into the Terraform module call an SRE would write.
//!
//! The output of [`render_module`] is a whole `.tf` file:
//!
//! ```text
//! # Managed by Infradesk — request #42: https://infradesk.example.com/requests/42
//!
//! module "orders-db" {
//!   source  = "terraform-aws-modules/rds/aws"
//!   version = "6.10.0"
//!
//!   identifier     = "orders-db"
//!   instance_class = "db.t4g.micro"
//!   tags = {
//!     Team = "payments"
//!   }
//! }
//! ```
//!
//! - The header comment names the request and links back to it; a blank line separates it from
//!   the block, and another separates the meta-arguments (`source`, `version`) from the inputs,
//!   as hand-written Terraform does. The URL comes from configuration but is still checked
//!   (printable ASCII only) so that nothing can end the comment line early.
//! - The block is built with hcl-rs' structures (`Body`, `Block`, `Attribute`, `Expression`,
//!   `ObjectKey`) from typed values — no text templates — and printed with hcl-rs' formatter.
//!   Strings are escaped by [`escape`] rather than hcl-rs, whose marker escaping is injectable.
//! - hcl-rs does not align `=` the way `terraform fmt` does; [`layout`] adds that, working only
//!   on the line structure we generated. The output is byte-identical to `terraform fmt`; the
//!   conformance test (HashiCorp's parser and formatter, `conformance/check.mjs`) checks that.
//! - Deterministic: inputs in the module's declaration order, map keys in the order given, the
//!   merged tags map sorted by key.
//! - Terraform normalizes every string to Unicode NFC when it reads it. Rendering keeps strings
//!   as given (the domain crate carries no Unicode tables), so a decomposed `é` reaches
//!   Terraform composed; normalize form values before storing them if that matters.

pub mod escape;
pub mod expr;
pub mod ident;
pub mod layout;
pub mod path;
pub mod source;

#[cfg(test)]
mod tests;

pub use ident::{IDENTIFIER_RULE, IdentifierError, validate_identifier};
pub use path::{PathError, check_repository_path, target_path};
pub use source::{ModuleSource, SourceKind};

use crate::catalog::Value;
use hcl::{Attribute, Block, BlockLabel, Body, Identifier};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Everything needed to render one request's module call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderInput {
    pub request_number: u64,
    /// Link back to the request, for the header comment (from configuration).
    pub request_url: String,
    /// The module block label; must pass [`validate_identifier`].
    pub instance_name: String,
    /// Pinned by the catalog, never by the form.
    pub module_source: ModuleSource,
    /// Input values in the module's declaration order. Inputs left to the module's default
    /// are simply absent.
    pub inputs: Vec<(String, Value)>,
    /// Tags Infradesk injects (team, requester, request id): the name of the map variable
    /// (e.g. `"tags"`) and the entries. They are merged into that input — injected keys win,
    /// the user's other keys stay, keys sorted — or, when the user gave no value, the input is
    /// added after the others.
    pub tags: Option<(String, Vec<(String, String)>)>,
}

/// Why a request cannot be rendered. `path` fields name the input and the position inside it
/// (`subnets[2]["cidr"]`) so the form can show the error beside the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RenderError {
    #[error("instance name {name:?}: {error}")]
    InvalidInstanceName { name: String, error: IdentifierError },
    #[error("request URL {url:?} must be non-empty printable ASCII without spaces")]
    InvalidRequestUrl { url: String },
    #[error("module source {module_source:?}: {reason}")]
    InvalidSource { module_source: String, reason: String },
    #[error(
        "input name {name:?} is not a Terraform identifier (letters, digits, '_' and '-', starting with a letter or '_')"
    )]
    InvalidInputName { name: String },
    #[error("input name {name:?} is reserved by Terraform for module blocks")]
    ReservedInputName { name: String },
    #[error("input {name:?} is given twice")]
    DuplicateInput { name: String },
    #[error("{path}: key {key:?} appears twice")]
    DuplicateKey { path: String, key: String },
    #[error("{path}: {text:?} is not a number")]
    InvalidNumber { path: String, text: String },
    #[error("{path}: {text} cannot be represented exactly (nearest is {nearest}); use fewer significant digits")]
    InexactNumber { path: String, text: String, nearest: String },
    #[error("{path}: nested deeper than {max} levels")]
    TooDeep { path: String, max: usize },
    #[error("{path}: tags can only be merged into a map, but the value is not one")]
    TagsNotAMap { path: String },
    #[error("formatting failed: {0}")]
    Format(String),
}

/// Renders the request as a complete, `terraform fmt`-clean `.tf` file (see the module docs).
pub fn render_module(input: &RenderInput) -> Result<String, RenderError> {
    validate_identifier(&input.instance_name)
        .map_err(|error| RenderError::InvalidInstanceName { name: input.instance_name.clone(), error })?;
    let url = &input.request_url;
    if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RenderError::InvalidRequestUrl { url: url.clone() });
    }
    let meta = input.module_source.attributes()?;
    let inputs = inputs_with_tags(input)?;

    let mut block = Block::builder("module").add_label(BlockLabel::String(input.instance_name.clone()));
    for (name, value) in &meta {
        block = block.add_attribute(Attribute::new(Identifier::unchecked(*name), expr::string(value)));
    }
    for (name, value) in &inputs {
        // Names were checked by `inputs_with_tags`.
        block = block.add_attribute(Attribute::new(Identifier::unchecked(*name), expr::expression(value, name)?));
    }
    let body = Body::builder().add_block(block.build()).build();
    let mut text = hcl::format::to_string(&body).map_err(|e| RenderError::Format(e.to_string()))?;
    if !inputs.is_empty() {
        text = layout::separate_meta_arguments(&text, meta.len());
    }
    let text = layout::align_equals(&text);
    Ok(format!("# Managed by Infradesk — request #{}: {url}\n\n{text}", input.request_number))
}

/// The inputs to write, names checked, with the injected tags merged in.
fn inputs_with_tags(input: &RenderInput) -> Result<Vec<(&str, Cow<'_, Value>)>, RenderError> {
    let mut inputs: Vec<(&str, Cow<'_, Value>)> = Vec::with_capacity(input.inputs.len() + 1);
    for (name, value) in &input.inputs {
        check_input_name(name)?;
        if inputs.iter().any(|(seen, _)| seen == name) {
            return Err(RenderError::DuplicateInput { name: name.clone() });
        }
        inputs.push((name, Cow::Borrowed(value)));
    }
    let Some((variable, injected)) = &input.tags else {
        return Ok(inputs);
    };
    check_input_name(variable)?;
    match inputs.iter_mut().find(|(name, _)| name == variable) {
        Some((_, value)) => *value = Cow::Owned(merge_tags(Some(value), injected, variable)?),
        None if injected.is_empty() => {}
        None => inputs.push((variable, Cow::Owned(merge_tags(None, injected, variable)?))),
    }
    Ok(inputs)
}

/// The user's map (if any) with the injected entries on top, sorted by key.
fn merge_tags(user: Option<&Value>, injected: &[(String, String)], variable: &str) -> Result<Value, RenderError> {
    let mut merged: BTreeMap<&str, Value> = BTreeMap::new();
    match user {
        None | Some(Value::Null) => {}
        Some(Value::Map(entries)) => merged.extend(entries.iter().map(|(k, v)| (k.as_str(), v.clone()))),
        Some(_) => return Err(RenderError::TagsNotAMap { path: variable.to_owned() }),
    }
    merged.extend(injected.iter().map(|(k, v)| (k.as_str(), Value::String(v.clone()))));
    Ok(Value::Map(merged.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn check_input_name(name: &str) -> Result<(), RenderError> {
    if !ident::is_input_name(name) {
        return Err(RenderError::InvalidInputName { name: name.to_owned() });
    }
    if ident::RESERVED_INPUT_NAMES.contains(&name) {
        return Err(RenderError::ReservedInputName { name: name.to_owned() });
    }
    Ok(())
}
