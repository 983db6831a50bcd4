//! `build_module`: the combined schema, and every cross-check between an overlay, the
//! module's variables and the configured environments.

use domain::catalog::{Module, Presence, Value, Widget, build_module, parse_overlay, parse_variables};

const VARIABLES: &str = r#"variable "name" {
  type = string
}

variable "size" {
  description = "How big."
  type        = string
  default     = "small"

  validation {
    condition     = var.size == null || contains(["small", "medium", "large"], var.size)
    error_message = "Pick a size."
  }
}

variable "retention_days" {
  type    = number
  default = 7
}

variable "password" {
  type      = string
  default   = null
  sensitive = true
}

variable "password_parameter" {
  type    = string
  default = null
}

variable "settings" {
  type = object({
    enabled = optional(bool, true)
    limits  = list(number)
  })
  default = { limits = [] }
}

variable "zones" {
  type    = list(string)
  default = []
}

variable "tags" {
  type    = map(string)
  default = {}
}
"#;

const OVERLAY: &str = r#"title = "Thing"
category = "Test"
owner_team = "sre"
risk_tier = "medium"
source = "acme/thing/aws"
version = "1.0.0"

[naming]
variable = "name"

[tags]
variable = "tags"
team = "team"
"#;

fn envs() -> Vec<String> {
    ["dev", "staging", "prod"].map(String::from).to_vec()
}

fn build(variables: &str, extra: &str) -> Result<Module, Vec<String>> {
    let overlay = parse_overlay("m/overlay.toml", &format!("{OVERLAY}{extra}"))
        .map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let parsed = vec![("m/variables.tf".to_owned(), parse_variables("m/variables.tf", variables))];
    build_module("thing", parsed, &overlay, &envs()).map_err(|e| e.iter().map(ToString::to_string).collect())
}

const OMIT: &str = "\n[fields.password]\nomit = true\n";

fn ok(extra: &str) -> Module {
    build(VARIABLES, &format!("{OMIT}{extra}")).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// The single error of an overlay that must fail (the password decision is included).
fn error(extra: &str) -> String {
    let e = build(VARIABLES, &format!("{OMIT}{extra}")).expect_err("expected an error");
    assert_eq!(e.len(), 1, "{e:#?}");
    e.into_iter().next().unwrap_or_default()
}

#[test]
fn combined_schema_in_declaration_order() {
    let m = ok("[fields.size]\nlabel = \"Size\"\n");
    let names: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["name", "size", "retention_days", "password", "password_parameter", "settings", "zones", "tags"]
    );
    assert_eq!(m.id, "thing");
    assert_eq!(m.field("name").map(|f| &f.presence), Some(&Presence::InstanceName));
    let size = m.field("size").expect("size");
    assert_eq!((size.label.as_str(), size.help.as_deref()), ("Size", Some("How big.")));
    assert_eq!(size.widget, Widget::Select, "choices come from the contains() validation");
    assert_eq!(size.choices.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["small", "medium", "large"]);
    let retention = m.field("retention_days").expect("retention");
    assert_eq!(
        (retention.label.as_str(), retention.widget, retention.required),
        ("Retention days", Widget::Number, false)
    );
    let password = m.field("password").expect("password");
    assert_eq!(password.presence, Presence::SensitiveOmitted);
    assert!(password.sensitive && password.default.is_none());
    assert_eq!(m.field("settings").map(|f| f.widget), Some(Widget::Object));
    assert_eq!(m.field("zones").map(|f| f.widget), Some(Widget::List));
    assert_eq!(m.field("tags").map(|f| f.widget), Some(Widget::Map));
    assert_eq!(m.inputs().count(), 6);
    let json = serde_json::to_value(&m).expect("serializes");
    assert_eq!(json["fields"][3]["presence"]["kind"], "sensitive_omitted");
    assert_eq!(json["fields"][1]["type"]["kind"], "string");
}

#[test]
fn per_environment_rules_merge_over_field_rules() {
    let m = ok("[fields.retention_days]\nmin = 1\nmax = 30\n\n[fields.retention_days.environments.prod]\nmin = 14\n\
                default = 14\nfixed = 21\n\n[fields.zones.environments.dev]\nmax_length = 1\n");
    let f = m.field("retention_days").expect("field");
    let prod = f.rules_in("prod");
    assert_eq!(prod.min.map(|n| n.as_str().to_owned()).as_deref(), Some("14"));
    assert_eq!(prod.max.map(|n| n.as_str().to_owned()).as_deref(), Some("30"));
    assert_eq!(f.fixed_in("prod").map(|v| v.to_string()).as_deref(), Some("21"));
    assert_eq!(f.fixed_in("dev"), None);
    assert_eq!(f.rules_in("dev").min.map(|n| n.as_str().to_owned()).as_deref(), Some("1"));
    assert_eq!(m.field("zones").and_then(|f| f.rules_in("dev").max_length), Some(1));
}

#[test]
fn fixed_hidden_and_required() {
    let vars = VARIABLES.replace(
        "variable \"zones\" {\n  type    = list(string)\n  default = []",
        "variable \"zones\" {\n  type = list(string)",
    );
    let m = build(&vars, &format!("{OMIT}[fields.retention_days]\nfixed = 30\n[fields.size]\nhidden = true\n"))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        m.field("retention_days").map(|f| &f.presence),
        Some(&Presence::Fixed { value: Value::Number(domain::catalog::Number::parse("30").expect("n")) })
    );
    assert_eq!(m.field("size").map(|f| &f.presence), Some(&Presence::Hidden));
    let zones = m.field("zones").expect("zones");
    assert!(zones.required && zones.required_in("dev"));
    let m = build(&vars, &format!("{OMIT}[fields.zones.environments.dev]\ndefault = [\"a\"]\n")).expect("builds");
    let zones = m.field("zones").expect("zones");
    assert!(zones.required && !zones.required_in("dev") && zones.required_in("prod"));
}

#[test]
fn unknown_variable_is_reported_at_the_overlay_key() {
    let e = error("\n[fields.retention_dayz]\nlabel = \"x\"\n");
    assert_eq!(
        e,
        "m/overlay.toml:18: [fields.retention_dayz] names a variable the module does not declare \
         (did you mean `retention_days`? remove the section or rename it to one of the module's variables)"
    );
}

#[test]
fn sensitive_variable_needs_a_decision() {
    let e = build(VARIABLES, "").expect_err("no decision");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("m/variables.tf:21: variable \"password\" is sensitive and the overlay does not say"),
        "{}",
        e[0]
    );
    assert!(e[0].contains("omit = true") && e[0].contains("reference_input"), "{}", e[0]);

    let m = build(VARIABLES, "[fields.password]\nreference_input = \"password_parameter\"\n").expect("by reference");
    assert_eq!(
        m.field("password").map(|f| &f.presence),
        Some(&Presence::SensitiveByReference { input: "password_parameter".into() })
    );
    assert_eq!(m.field("password_parameter").and_then(|f| f.reference_for.as_deref()), Some("password"));

    let e =
        build(VARIABLES, "[fields.password]\nreference_input = \"pasword_parameter\"\n").expect_err("unknown input");
    assert!(e[0].starts_with("m/overlay.toml:15: reference_input of `password` names `pasword_parameter`, which the module does not declare (did you mean `password_parameter`?"), "{e:#?}");
    let e = build(VARIABLES, "[fields.password]\nreference_input = \"password_parameter\"\nomit = true\n")
        .expect_err("both");
    assert!(e[0].contains("sets both omit and reference_input"), "{e:#?}");
    let e = build(VARIABLES, "[fields.password]\nomit = true\nlabel = \"Password\"\n").expect_err("label");
    assert!(e[0].contains("`label` has no effect: `password` is not shown"), "{e:#?}");

    let required_secret = VARIABLES.replace("  default   = null\n  sensitive = true", "  sensitive = true");
    let e = build(&required_secret, OMIT).expect_err("omitted required secret");
    assert!(e[0].contains("`password` is omitted but has no module default"), "{e:#?}");
    build(&required_secret, "[fields.password]\nomit = true\nfixed = \"not-a-secret\"\n")
        .expect("fixed non-secret value");

    let ephemeral = VARIABLES.replace("sensitive = true", "ephemeral = true");
    let e = build(&ephemeral, "").expect_err("ephemeral too");
    assert!(e[0].contains("is ephemeral and the overlay does not say"), "{e:#?}");
}

#[test]
fn decisions_only_for_sensitive_variables() {
    let e = error("[fields.size]\nomit = true\n");
    assert!(e.starts_with("m/overlay.toml:18: `omit` is only for sensitive variables"), "{e}");
}

#[test]
fn values_must_fit_the_type() {
    let e = error("[fields.retention_days]\nchoices = [7, \"thirty\"]\n");
    assert!(
        e.starts_with(
            "m/overlay.toml:18: value \"thirty\" does not fit `retention_days` (number): \"thirty\" is not a number"
        ),
        "{e}"
    );
    let e = error("[fields.zones.environments.prod]\nallowed = [\"a\", 1]\n");
    assert!(e.contains("value 1 does not fit `zones` (list(string))"), "{e}");
    let e = error("[fields.settings]\nfixed = { enabled = true }\n");
    assert!(e.contains("attribute `limits` is required"), "{e}");
    let e = error("[fields.settings]\nfixed = { limits = [\"x\"] }\n");
    assert!(e.contains(".limits: \"x\" is not a number"), "{e}");
    let e = error("[fields.settings]\nfixed = { limits = [], colour = \"red\" }\n");
    assert!(e.contains("the object has no attribute `colour`"), "{e}");
    let e = error("[fields.settings]\nchoices = [1]\n");
    assert!(e.contains("choices need a string, number or bool"), "{e}");
}

#[test]
fn rules_must_be_consistent() {
    let e = error("[fields.size]\nchoices = [\"s\", \"m\"]\n[fields.size.environments.prod]\nallowed = [\"xl\"]\n");
    assert!(e.starts_with("m/overlay.toml:20: allowed value \"xl\" is not one of the field's choices"), "{e}");
    let e = error("[fields.retention_days]\ndefault = 7\n[fields.retention_days.environments.prod]\nmin = 14\n");
    assert!(e.contains("default of `retention_days` here is 7, which is below the minimum 14"), "{e}");
    let e = error("[fields.size.environments.prod]\ndefault = \"huge\"\n");
    assert!(e.contains("default of `size` here is \"huge\", which is not allowed"), "{e}");
    let e = error("[fields.retention_days]\nmin = 10\nmax = 5\n");
    assert!(e.contains("min 10 is greater than max 5"), "{e}");
    let e = error("[fields.size]\nmin = 1\n");
    assert!(e.contains("min/max need a number field"), "{e}");
    let e = error("[fields.retention_days]\nmax_length = 3\n");
    assert!(e.contains("min_length/max_length need a string, list, set or map field"), "{e}");
    let e = error("[fields.retention_days]\nwidget = \"checkbox\"\n");
    assert!(e.contains("widget `checkbox` does not fit `retention_days` of type number (use `number`"), "{e}");
    let e = error("[fields.size]\nfixed = \"large\"\nlabel = \"Size\"\n");
    assert!(e.contains("`label` has no effect"), "{e}");
}

#[test]
fn unknown_environment() {
    let e = error("[fields.retention_days.environments.production]\nmin = 14\n");
    assert!(e.starts_with("m/overlay.toml:17: unknown environment `production`"), "{e}");
    assert!(e.contains("dev, staging, prod"), "{e}");
}

#[test]
fn hidden_needs_a_default() {
    let vars = VARIABLES.replace(
        "variable \"zones\" {\n  type    = list(string)\n  default = []",
        "variable \"zones\" {\n  type = list(string)",
    );
    let e = build(&vars, &format!("{OMIT}[fields.zones]\nhidden = true\n")).expect_err("hidden required");
    assert!(e[0].contains("`zones` is hidden but has no module default"), "{e:#?}");
    let e = error("[fields.size]\nhidden = true\nfixed = \"large\"\n");
    assert!(e.contains("both hidden and fixed"), "{e}");
}

#[test]
fn naming_and_tag_variables_must_fit() {
    let overlay = OVERLAY.replace("variable = \"name\"", "variable = \"retention_days\"");
    let o = parse_overlay("m/overlay.toml", &format!("{overlay}{OMIT}")).expect("parses");
    let parsed = vec![("m/variables.tf".to_owned(), parse_variables("m/variables.tf", VARIABLES))];
    let e = build_module("thing", parsed.clone(), &o, &envs()).expect_err("number name");
    assert!(e[0].to_string().contains("naming.variable `retention_days`: it is of type number, not string"), "{e:#?}");

    let overlay = OVERLAY.replace("variable = \"tags\"", "variable = \"zones\"");
    let o = parse_overlay("m/overlay.toml", &format!("{overlay}{OMIT}")).expect("parses");
    let e = build_module("thing", parsed.clone(), &o, &envs()).expect_err("list tags");
    assert!(
        e[0].to_string()
            .starts_with("m/overlay.toml:12: tags.variable `zones`: it is of type list(string), not map(string)"),
        "{e:#?}"
    );

    let o = parse_overlay("m/overlay.toml", &format!("{OVERLAY}{OMIT}")).expect("parses");
    let e = build_module("Thing", parsed, &o, &envs()).expect_err("bad id");
    assert!(e[0].to_string().contains("module id (folder name) \"Thing\" is not an identifier"), "{e:#?}");
}

#[test]
fn file_errors_and_duplicates_across_files() {
    let o = parse_overlay("m/overlay.toml", &format!("{OVERLAY}{OMIT}")).expect("parses");
    let parsed = vec![
        ("m/main.tf".to_owned(), parse_variables("m/main.tf", "variable \"tags\" {\n  type = map(string)\n}\n")),
        ("m/variables.tf".to_owned(), parse_variables("m/variables.tf", VARIABLES)),
    ];
    let e = build_module("thing", parsed, &o, &envs()).expect_err("duplicate");
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].to_string(),
        "m/variables.tf:45: variable \"tags\" is declared twice (first in m/main.tf:1) (remove or rename one of the two declarations)"
    );

    let broken = format!("{VARIABLES}\nvariable \"bad\" {{\n  type = strng\n}}\n");
    let e = build(&broken, OMIT).expect_err("bad type");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].starts_with("m/variables.tf:51: variable \"bad\": unknown type `strng`"), "{e:#?}");
}
