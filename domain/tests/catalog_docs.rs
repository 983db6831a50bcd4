//! The annotated overlay in docs/CATALOG.md is a working overlay: it parses and builds
//! against a module with the variables it names.

use domain::catalog::{Presence, build_module, parse_overlay, parse_variables};

const DOC: &str = include_str!("../../docs/CATALOG.md");

const VARIABLES: &str = r#"
variable "identifier" { type = string }
variable "instance_class" { type = string }
variable "allocated_storage" {
  type    = number
  default = 20
}
variable "allowed_security_group_ids" {
  type    = list(string)
  default = ["sg-1"]
}
variable "deletion_protection" {
  type    = bool
  default = true
}
variable "backup_retention_period" {
  type    = number
  default = 14
}
variable "storage_type" {
  type    = string
  default = "gp2"
}
variable "master_username" {
  type    = string
  default = "admin"
}
variable "master_password" {
  type      = string
  default   = null
  sensitive = true
}
variable "master_password_ssm_parameter" {
  type    = string
  default = null
}
variable "auth_token" {
  type      = string
  default   = null
  sensitive = true
}
variable "tags" {
  type    = map(string)
  default = {}
}
"#;

/// The first ```toml block of the document.
fn example() -> &'static str {
    let start = DOC.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = DOC[start..].find("```").expect("closed");
    &DOC[start..start + len]
}

#[test]
fn documented_overlay_builds() {
    let overlay = parse_overlay("docs/CATALOG.md", example()).unwrap_or_else(|e| panic!("{e:#?}"));
    let variables = vec![("variables.tf".to_owned(), parse_variables("variables.tf", VARIABLES))];
    let environments = ["dev", "staging", "prod"].map(String::from);
    let module = build_module("rds-postgresql", variables, &overlay, &environments).unwrap_or_else(|e| {
        panic!("{:#?}", e.iter().map(ToString::to_string).collect::<Vec<_>>());
    });
    assert_eq!(module.source.source, "acme/rds-postgresql/aws");
    assert_eq!(module.field("identifier").map(|f| &f.presence), Some(&Presence::InstanceName));
    assert_eq!(module.field("auth_token").map(|f| &f.presence), Some(&Presence::SensitiveOmitted));
    let class = module.field("instance_class").expect("declared");
    assert_eq!(
        class.rules_in("prod").default.and_then(|v| v.as_str().map(str::to_owned)).as_deref(),
        Some("db.r6g.large")
    );
}
