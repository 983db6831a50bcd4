//! The module's `source` (and `version`) meta-arguments, pinned by the catalog.
//!
//! Terraform only accepts `version` for registry sources; git sources pin with `?ref=`; local
//! paths and other remote sources (S3, HTTP archives…) have no version at all. Passing a
//! version where Terraform would ignore or reject it is a catalog error, not something to drop
//! silently.

use super::RenderError;
use serde::{Deserialize, Serialize};

/// Where the module comes from, as written in the catalog overlay.
///
/// - registry (`terraform-aws-modules/rds/aws`, `app.terraform.io/acme/rds/aws`, optionally
///   `//subdir`): `source` plus a `version` attribute when `version` is set;
/// - git (`git::https://…`, `git::ssh://…`, `git@host:…`, `github.com/…`, `bitbucket.org/…`):
///   `version` is appended to the source as `?ref=<version>` (`&ref=` when the source already
///   has a query), no `version` attribute;
/// - local (`./…`, `../…`) and anything else: `source` only, `version` must be `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSource {
    pub source: String,
    pub version: Option<String>,
}

/// `acme/rds/aws 2.3.1`, or the source alone when it has no version.
impl std::fmt::Display for ModuleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{} {version}", self.source),
            None => f.write_str(&self.source),
        }
    }
}

/// Kinds of module source Terraform treats differently with respect to versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Registry,
    Git,
    Local,
    Other,
}

impl ModuleSource {
    pub fn kind(&self) -> SourceKind {
        let s = self.source.as_str();
        if s.starts_with("./") || s.starts_with("../") {
            SourceKind::Local
        } else if ["git::", "git@", "github.com/", "bitbucket.org/"].iter().any(|p| s.starts_with(p)) {
            SourceKind::Git
        } else if is_registry_address(s) {
            SourceKind::Registry
        } else {
            SourceKind::Other
        }
    }

    /// The `(name, value)` meta-arguments to write, `source` first.
    pub fn attributes(&self) -> Result<Vec<(&'static str, String)>, RenderError> {
        let invalid =
            |reason: &str| RenderError::InvalidSource { module_source: self.source.clone(), reason: reason.to_owned() };
        if self.source.is_empty() || !self.source.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("must be non-empty printable ASCII without spaces"));
        }
        let kind = self.kind();
        let Some(version) = &self.version else {
            return Ok(vec![("source", self.source.clone())]);
        };
        match kind {
            SourceKind::Registry => {
                if version.trim().is_empty() || !version.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
                    return Err(invalid("the version must be a non-empty version constraint such as \"6.10.0\""));
                }
                Ok(vec![("source", self.source.clone()), ("version", version.clone())])
            }
            SourceKind::Git => {
                let ok = !version.is_empty()
                    && version
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'+'));
                if !ok {
                    return Err(invalid("the git ref may only contain A-Z, a-z, 0-9, '.', '_', '-', '/' and '+'"));
                }
                if self.source.contains("?ref=") || self.source.contains("&ref=") {
                    return Err(invalid("the source already pins a ref; remove it or the version"));
                }
                let separator = if self.source.contains('?') { '&' } else { '?' };
                Ok(vec![("source", format!("{}{separator}ref={version}", self.source))])
            }
            SourceKind::Local | SourceKind::Other => {
                Err(invalid("Terraform only supports a version for registry modules (use ?ref= for git)"))
            }
        }
    }
}

/// `[<host>/]<namespace>/<name>/<provider>[//<subdir>]` with simple segments.
fn is_registry_address(s: &str) -> bool {
    let address = s.split_once("//").map_or(s, |(address, _)| address);
    let segments: Vec<&str> = address.split('/').collect();
    (3..=4).contains(&segments.len())
        && !s.contains("::")
        && segments.iter().all(|segment| {
            !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(source: &str, version: Option<&str>) -> ModuleSource {
        ModuleSource { source: source.to_owned(), version: version.map(str::to_owned) }
    }

    #[test]
    fn kinds() {
        assert_eq!(source("terraform-aws-modules/rds/aws", None).kind(), SourceKind::Registry);
        assert_eq!(source("app.terraform.io/acme/rds/aws//modules/db", None).kind(), SourceKind::Registry);
        assert_eq!(source("git::https://example.com/vpc.git", None).kind(), SourceKind::Git);
        assert_eq!(source("github.com/acme/vpc", None).kind(), SourceKind::Git);
        assert_eq!(source("./modules/vpc", None).kind(), SourceKind::Local);
        assert_eq!(source("s3::https://s3.amazonaws.com/b/vpc.zip", None).kind(), SourceKind::Other);
        assert_eq!(source("https://example.com/vpc.zip", None).kind(), SourceKind::Other);
    }

    #[test]
    fn git_ref_is_appended() {
        let attrs = source("git::https://example.com/vpc.git//modules/vpc", Some("v1.2.0")).attributes();
        assert_eq!(attrs, Ok(vec![("source", "git::https://example.com/vpc.git//modules/vpc?ref=v1.2.0".to_owned())]));
        let attrs = source("git::https://example.com/vpc.git?depth=1", Some("v1")).attributes();
        assert_eq!(attrs, Ok(vec![("source", "git::https://example.com/vpc.git?depth=1&ref=v1".to_owned())]));
        assert!(source("git::https://example.com/vpc.git", Some("v1&x=y")).attributes().is_err());
        assert!(source("git::https://example.com/vpc.git?ref=v1", Some("v2")).attributes().is_err());
    }

    #[test]
    fn versions_only_where_terraform_takes_them() {
        assert!(source("./modules/vpc", Some("1.0.0")).attributes().is_err());
        assert!(source("terraform-aws-modules/rds/aws", Some("")).attributes().is_err());
        assert!(source("terraform-aws-modules/rds/aws", Some("~> 6.0\n")).attributes().is_err());
        assert!(source("bad source", None).attributes().is_err());
        assert_eq!(
            source("terraform-aws-modules/rds/aws", Some("~> 6.0")).attributes(),
            Ok(vec![("source", "terraform-aws-modules/rds/aws".to_owned()), ("version", "~> 6.0".to_owned())])
        );
    }
}
