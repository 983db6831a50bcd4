//! The file a request's module call is written to, from the environment's path template.
//!
//! The path is used by the VCS layer to write a file inside the infra repository, so it must
//! never point elsewhere: it is relative, has no `.`/`..`/empty segments, no backslashes (a
//! separator on Windows checkouts), no NUL, only `[A-Za-z0-9._/-]`, never enters `.git`, and
//! names a `.tf` file. Every check runs on the *finished* path, so no combination of template
//! and values can get around them.

use super::ident::{IdentifierError, validate_identifier};
use serde::{Deserialize, Serialize};

/// Longest path accepted, in bytes (well under every file system's limit).
pub const MAX_PATH_LEN: usize = 512;
/// Longest path segment accepted, in bytes.
pub const MAX_SEGMENT_LEN: usize = 255;

/// Why a target path could not be built. `Template` errors are configuration errors (SRE's
/// environment settings); the others name the offending value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PathError {
    #[error("path template {template:?}: {reason}")]
    Template { template: String, reason: String },
    #[error("instance name {name:?}: {error}")]
    Instance { name: String, error: IdentifierError },
    #[error("module id {id:?}: {error}")]
    Module { id: String, error: IdentifierError },
    #[error("target path {path:?}: {reason}")]
    Unsafe { path: String, reason: String },
}

/// Fills `template` and checks that the result stays inside the repository.
///
/// Placeholders: `{env_dir}` (the environment's directory, may contain `/`), `{module}` (the
/// catalog module id) and `{instance}` (the instance name); both `{env_dir}` and `{instance}`
/// are required so that a path is unique per instance and environment (instance names are
/// unique within an environment). Example: `{env_dir}/{module}-{instance}.tf` with
/// `envs/prod`, `rds-postgres`, `orders-db` gives `envs/prod/rds-postgres-orders-db.tf`.
pub fn target_path(template: &str, env_directory: &str, instance: &str, module_id: &str) -> Result<String, PathError> {
    validate_identifier(instance).map_err(|error| PathError::Instance { name: instance.to_owned(), error })?;
    validate_identifier(module_id).map_err(|error| PathError::Module { id: module_id.to_owned(), error })?;
    let template_error =
        |reason: &str| PathError::Template { template: template.to_owned(), reason: reason.to_owned() };
    for required in ["{env_dir}", "{instance}"] {
        if !template.contains(required) {
            return Err(template_error(&format!(
                "must contain {required} so that every instance gets its own file; \
                 placeholders are {{env_dir}}, {{module}} and {{instance}}"
            )));
        }
    }
    let mut path = String::with_capacity(template.len() + env_directory.len() + instance.len() + module_id.len());
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        path.push_str(&rest[..open]);
        let after = &rest[open..];
        let (value, len) = if after.starts_with("{env_dir}") {
            (env_directory, "{env_dir}".len())
        } else if after.starts_with("{module}") {
            (module_id, "{module}".len())
        } else if after.starts_with("{instance}") {
            (instance, "{instance}".len())
        } else {
            return Err(template_error(
                "unknown placeholder or stray brace; placeholders are {env_dir}, {module} and {instance}",
            ));
        };
        path.push_str(value);
        rest = &after[len..];
    }
    path.push_str(rest);
    check_repository_path(&path)?;
    Ok(path)
}

/// Checks that `path` is a relative path to a `.tf` file that stays inside the repository.
pub fn check_repository_path(path: &str) -> Result<(), PathError> {
    let unsafe_path = |reason: &str| PathError::Unsafe { path: path.to_owned(), reason: reason.to_owned() };
    if path.is_empty() {
        return Err(unsafe_path("is empty"));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(unsafe_path(&format!("is longer than {MAX_PATH_LEN} bytes")));
    }
    if path.contains('\0') {
        return Err(unsafe_path("contains a NUL character"));
    }
    if path.contains('\\') {
        return Err(unsafe_path("contains a backslash; use '/' to separate directories"));
    }
    if path.starts_with('/') {
        return Err(unsafe_path("is absolute; it must be relative to the repository root"));
    }
    if let Some(bad) = path.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))) {
        return Err(unsafe_path(&format!("contains {bad:?}; only A-Z, a-z, 0-9, '.', '_', '-' and '/' are allowed")));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(unsafe_path("has an empty segment ('//' or a trailing '/')")),
            "." | ".." => return Err(unsafe_path("has a '.' or '..' segment; it must stay inside the repository")),
            s if s.eq_ignore_ascii_case(".git") => return Err(unsafe_path("must not point into .git")),
            s if s.starts_with('-') => return Err(unsafe_path("has a segment starting with '-'")),
            s if s.len() > MAX_SEGMENT_LEN => {
                return Err(unsafe_path(&format!("has a segment longer than {MAX_SEGMENT_LEN} bytes")));
            }
            _ => {}
        }
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    if file.len() <= ".tf".len() || !file.ends_with(".tf") {
        return Err(unsafe_path("must name a .tf file"));
    }
    Ok(())
}
