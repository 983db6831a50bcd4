//! Identifiers Infradesk writes into Terraform and file names: instance names, module block
//! labels, module ids.
//!
//! Deliberately narrower than HCL's identifier rule (which admits any Unicode letter): ASCII
//! `^[a-z][a-z0-9_-]{0,62}$`. No look-alike letters (Cyrillic `а` vs Latin `a`), no case
//! variants that collide on case-insensitive file systems, always safe in a file path, a git
//! branch name and a Terraform address.

use serde::{Deserialize, Serialize};

/// Longest identifier accepted (bytes = characters, since only ASCII is allowed).
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// What the rule allows, repeated in every error so the user knows how to fix the value.
pub const IDENTIFIER_RULE: &str =
    "use 1 to 63 characters: lowercase letters a-z, digits 0-9, '-' and '_', starting with a letter";

/// Why a name is not a valid identifier. The messages are meant for the person typing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum IdentifierError {
    #[error("the name is empty; {IDENTIFIER_RULE}")]
    Empty,
    #[error("the name is {len} characters long; {IDENTIFIER_RULE}")]
    TooLong { len: usize },
    #[error("the name starts with {found:?}; it must start with a lowercase letter a-z ({IDENTIFIER_RULE})")]
    BadStart { found: char },
    #[error("{found:?} at position {position} is an uppercase letter; write it in lowercase ({IDENTIFIER_RULE})")]
    Uppercase { found: char, position: usize },
    #[error(
        "{found:?} (U+{code:04X}) at position {position} is not an ASCII character — it may only look like one; \
         {IDENTIFIER_RULE}"
    )]
    NotAscii { found: char, code: u32, position: usize },
    #[error("{found:?} at position {position} is not allowed; {IDENTIFIER_RULE}")]
    BadCharacter { found: char, position: usize },
}

/// Checks an instance name, module block label or module id against
/// `^[a-z][a-z0-9_-]{0,62}$`. Positions in errors are 1-based character positions.
pub fn validate_identifier(name: &str) -> Result<(), IdentifierError> {
    let Some(first) = name.chars().next() else {
        return Err(IdentifierError::Empty);
    };
    for (index, found) in name.chars().enumerate() {
        let position = index + 1;
        if !found.is_ascii() {
            return Err(IdentifierError::NotAscii { found, code: found as u32, position });
        }
        if found.is_ascii_uppercase() {
            return Err(IdentifierError::Uppercase { found, position });
        }
        if !(found.is_ascii_lowercase() || found.is_ascii_digit() || found == '-' || found == '_') {
            return Err(IdentifierError::BadCharacter { found, position });
        }
    }
    if !first.is_ascii_lowercase() {
        return Err(IdentifierError::BadStart { found: first });
    }
    if name.len() > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong { len: name.len() });
    }
    Ok(())
}

/// Whether a Terraform input variable name can be written as an attribute name in the module
/// block: an ASCII HCL identifier, `[A-Za-z_][A-Za-z0-9_-]*` (Terraform allows uppercase
/// there). [`RESERVED_INPUT_NAMES`] are checked separately.
pub fn is_input_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Names Terraform reserves in a `module` block (they cannot be variable names).
pub const RESERVED_INPUT_NAMES: &[&str] =
    &["source", "version", "count", "for_each", "providers", "depends_on", "lifecycle", "locals"];
