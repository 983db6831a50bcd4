use super::super::{TypeConstraint, Validation, Value};
use super::{n, one, parse_ok, s};

const FILE: &str = r#"# A module's inputs.
terraform {
  required_version = ">= 1.5"
}

locals {
  name = "x"
}

variable "bucket_name" {
  description = "Name of the bucket."
  type        = string
}

provider "aws" {
  region = "eu-west-1"
}

variable "tags" {
  type    = map(string)
  default = {}
}

output "arn" {
  value = aws_s3_bucket.this.arn
}

resource "aws_s3_bucket" "this" {
  bucket = var.bucket_name
}

variable "password" {
  type      = string
  sensitive = true
  ephemeral = true
  nullable  = false
}
"#;

#[test]
fn reads_variables_in_order_and_ignores_other_blocks() {
    let parsed = parse_ok(FILE);
    let names: Vec<&str> = parsed.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["bucket_name", "tags", "password"]);
    let lines: Vec<usize> = parsed.variables.iter().map(|v| v.line).collect();
    assert_eq!(lines, [10, 19, 32]);

    let bucket = &parsed.variables[0];
    assert_eq!(bucket.description.as_deref(), Some("Name of the bucket."));
    assert!(bucket.is_required() && bucket.nullable && !bucket.sensitive && !bucket.ephemeral);
    assert!(bucket.validations.is_empty() && bucket.deprecated.is_none());

    let tags = parsed.get("tags").unwrap();
    assert_eq!(tags.default, Some(Value::Map(vec![])));
    assert!(!tags.is_required());

    let password = parsed.get("password").unwrap();
    assert!(password.sensitive && password.ephemeral && !password.nullable);
}

#[test]
fn explicit_null_default_is_optional() {
    let v = one("variable \"x\" {\n  type    = string\n  default = null\n}\n");
    assert_eq!(v.default, Some(Value::Null));
    assert!(!v.is_required());
}

#[test]
fn heredoc_descriptions() {
    let v = one("variable \"x\" {\n  description = <<EOT\nFirst line.\n  Second, indented.\nEOT\n}\n");
    assert_eq!(v.description.as_deref(), Some("First line.\n  Second, indented.\n"));
    let v = one(
        "variable \"x\" {\n  description = <<-DESC\n    Stripped.\n      Kept relative.\n    Costs $${x}.\n  DESC\n}\n",
    );
    assert_eq!(v.description.as_deref(), Some("Stripped.\n  Kept relative.\nCosts ${x}.\n"));
}

#[test]
fn deprecated_message() {
    let v = one("variable \"x\" {\n  deprecated = \"Use y instead.\"\n}\n");
    assert_eq!(v.deprecated.as_deref(), Some("Use y instead."));
}

#[test]
fn validations_keep_the_condition_as_written() {
    let v = one(r#"variable "name" {
  type = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,62}$", var.name)) # trailing comment
    error_message = "Lowercase letters, digits and dashes."
  }
  validation {
    condition = alltrue([
      for part in split("-", var.name) : length(part) > 0
    ])
    error_message = <<-EOT
      No empty parts.
    EOT
  }
  validation {
    condition     = var.name != var.other_name && (var.max_size >= var.min_size)
    error_message = "Name ${var.name} must differ from \"${var.other_name}\"."
  }
}
"#);
    assert_eq!(
        v.validations,
        vec![
            Validation {
                condition_source: r#"can(regex("^[a-z][a-z0-9-]{2,62}$", var.name))"#.into(),
                error_message: "Lowercase letters, digits and dashes.".into(),
                line: 3,
            },
            Validation {
                condition_source: "alltrue([\n      for part in split(\"-\", var.name) : length(part) > 0\n    ])"
                    .into(),
                error_message: "No empty parts.\n".into(),
                line: 7,
            },
            Validation {
                condition_source: "var.name != var.other_name && (var.max_size >= var.min_size)".into(),
                error_message: r#"Name ${var.name} must differ from \"${var.other_name}\"."#.into(),
                line: 15,
            },
        ]
    );
}

#[test]
fn bools_accept_terraform_string_conversion() {
    let v = one("variable \"x\" {\n  sensitive = \"true\"\n  nullable = (false)\n  default = 1\n}\n");
    assert!(v.sensitive && !v.nullable);
}

#[test]
fn byte_order_mark_and_crlf() {
    let parsed = parse_ok(
        "\u{feff}variable \"a\" {\r\n  type = number\r\n}\r\n\r\nvariable \"b\" {\r\n  default = 1.5\r\n}\r\n",
    );
    assert_eq!(parsed.variables[0].type_, TypeConstraint::Number);
    assert_eq!(parsed.variables[1].line, 5);
    assert_eq!(parsed.variables[1].default, Some(n("1.5")));
}

#[test]
fn empty_and_variable_free_files() {
    assert!(parse_ok("").variables.is_empty());
    assert!(parse_ok("# only a comment\n").variables.is_empty());
    assert!(parse_ok("output \"x\" {\n  value = 1\n}\n").variables.is_empty());
}

#[test]
fn serializes_variable_with_type_key() {
    let v = one("variable \"x\" {\n  type = list(string)\n  default = [\"a\"]\n}\n");
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["type"], serde_json::json!({"kind": "list", "of": {"kind": "string"}}));
    assert_eq!(json["default"], serde_json::json!(["a"]));
    assert_eq!(json["nullable"], serde_json::json!(true));
    let back: super::super::Variable = serde_json::from_value(json).unwrap();
    assert_eq!(back, v);
    assert_eq!(v.default, Some(Value::List(vec![s("a")])));
}
