use super::super::{CatalogError, parse_variables};
use super::errors_of;

#[test]
fn display_is_file_line_message_fix() {
    let e = CatalogError { file: "m/variables.tf".into(), line: 7, message: "bad".into(), fix: "do this".into() };
    assert_eq!(e.to_string(), "m/variables.tf:7: bad (do this)");
}

#[test]
fn unknown_type_names_variable_and_lists_valid_types() {
    let errors = errors_of("variable \"ok\" {}\n\nvariable \"size\" {\n  type = strng\n}\n");
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    assert!(e.starts_with("variables.tf:4: variable \"size\": unknown type `strng` (did you mean `string`? valid types: string, number, bool, any, list(T)"), "{e}");
}

#[test]
fn nested_type_errors_point_at_their_line() {
    let src = "variable \"x\" {\n  type = object({\n    a = string\n    b = map(lsit(string))\n  })\n}\n";
    let errors = errors_of(src);
    assert!(
        errors[0].starts_with("variables.tf:4: variable \"x\": unknown type `lsit` (did you mean `list`?"),
        "{}",
        errors[0]
    );
}

#[test]
fn type_grammar_errors() {
    for (ty, expected) in [
        ("optional(string)", "optional() is only allowed directly on an attribute of object"),
        ("list(optional(string))", "optional() is only allowed directly on an attribute of object"),
        ("list(string, number)", "list() takes exactly one argument, found 2"),
        ("map()", "map() takes exactly one argument, found 0"),
        ("tuple(string)", "tuple() takes a list of types"),
        ("object(string)", "object() takes a map of attribute types"),
        ("object({ a = optional(string, \"x\", 1) })", "optional() takes one or two arguments, found 3"),
        ("object({ a = optional(string, var.x) })", "default of optional attribute `a`: `var.x` is a reference"),
        ("\"number\"", "unknown type `\"number\"`"),
        ("map(list)", "list needs its element type here"),
        ("list(\"string\")", "quoted type `\"string\"` is only allowed as the whole type"),
        ("provider::aws::arn(string)", "unknown type `"),
        ("var.x", "`var.x` is not a type"),
        ("object({ (var.k) = string })", "object attribute name `(var.k)` must be a name"),
    ] {
        let errors = errors_of(&format!("variable \"x\" {{\n  type = {ty}\n}}\n"));
        assert!(errors[0].starts_with("variables.tf:2: variable \"x\": "), "{ty}: {}", errors[0]);
        assert!(errors[0].contains(expected), "{ty}: {}", errors[0]);
    }
}

#[test]
fn one_bad_variable_does_not_take_down_the_others() {
    let src = r#"variable "a" {
  type = string
}

variable "b" {
  type    = string
  default = var.a
}

variable "c" {
  type = number
}
"#;
    let parsed = parse_variables("mod/variables.tf", src);
    let names: Vec<&str> = parsed.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 7);
    assert!(
        parsed.errors[0].to_string().starts_with("mod/variables.tf:7: variable \"b\": default: `var.a` is a reference")
    );
}

#[test]
fn block_level_errors() {
    for (src, expected) in [
        ("variable {\n}\n", "variables.tf:1: variable \"\": a variable block needs exactly one label"),
        (
            "variable \"a\" \"b\" {\n}\n",
            "variables.tf:1: variable \"a\": a variable block needs exactly one label (its name), found 2",
        ),
        ("variable \"count\" {\n}\n", "variables.tf:1: variable \"count\": uses a name Terraform reserves"),
        ("variable \"9lives\" {\n}\n", "variables.tf:1: variable \"9lives\": is not a valid name"),
        (
            "variable \"a\" {\n  typ = string\n}\n",
            "variables.tf:2: variable \"a\": unknown argument `typ` (a variable block accepts: type, default",
        ),
        ("variable \"a\" {\n  lifecycle {\n  }\n}\n", "variables.tf:2: variable \"a\": unknown block `lifecycle`"),
        (
            "variable \"a\" {\n  type = string\n  nullable = false\n  default = null\n}\n",
            "variables.tf:4: variable \"a\": has `nullable = false` but `default = null`",
        ),
        (
            "variable \"a\" {\n  sensitive = \"yes\"\n}\n",
            "variables.tf:2: variable \"a\": sensitive: `\"yes\"` is not a bool",
        ),
        (
            "variable \"a\" {\n  description = \"${var.b}\"\n}\n",
            "variables.tf:2: variable \"a\": description: `${var.b}` is an interpolation",
        ),
        (
            "variable \"a\" {\n  description = 42\n}\n",
            "variables.tf:2: variable \"a\": description: `42` is not a string",
        ),
        (
            "variable \"a\" {\n  validation {\n    condition = true\n  }\n}\n",
            "variables.tf:2: variable \"a\": a validation block needs both `condition` and `error_message`",
        ),
        (
            "variable \"a\" {\n  validation {\n    condition = true\n    error_message = \"x\"\n    extra = 1\n  }\n}\n",
            "variables.tf:5: variable \"a\": unexpected content in a validation block",
        ),
        (
            "variable \"a\" {\n}\n\nvariable \"a\" {\n}\n",
            "variables.tf:4: variable \"a\": declared twice (first on line 1)",
        ),
    ] {
        let errors = errors_of(src);
        assert_eq!(errors.len(), 1, "{src}");
        assert!(errors[0].starts_with(expected), "{src}\n got: {}", errors[0]);
    }
}

#[test]
fn syntax_errors_fail_the_file_with_its_line() {
    for (src, line) in [
        ("variable \"a\" {\n  type = string\n}\n\nvariable \"b\" {\n  type =\n}\n", 6),
        ("variable \"a\" {\n  type = string\n  type = number\n}\n", 3),
        ("variable \"a\" {\n  default = {\n    k = 1\n    k = 2\n  }\n}\n", 4),
        ("variable \"a\" {\n  description = <<EOT\nnever closed\n}\n", 3),
    ] {
        let parsed = parse_variables("bad.tf", src);
        assert!(parsed.variables.is_empty());
        assert_eq!(parsed.errors.len(), 1, "{src}");
        let e = &parsed.errors[0];
        assert_eq!((e.file.as_str(), e.line), ("bad.tf", line), "{src}: {e}");
        assert!(e.message.starts_with("HCL syntax error at column "), "{e}");
        if src.contains("<<EOT") {
            assert!(e.fix.contains("heredoc"), "{e}");
        }
    }
}
