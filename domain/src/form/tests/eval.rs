//! The evaluator's language: operators, references, `for` expressions, conditionals, null
//! handling and what is deliberately left "not checked".

use super::{errors_in_terraform, fails, not_checked, outcome_with, passes, status};
use crate::catalog::{Number, Value};
use crate::form::CheckStatus;
use serde_json::json;

#[test]
fn comparisons_and_numeric_ranges() {
    let range = "var.x >= 60 && var.x <= 1209600";
    passes("number", range, json!(60));
    passes("number", range, json!("1209600"));
    fails("number", range, json!(59));
    fails("number", range, json!(1209601));
    passes("number", "var.x > 90 && var.x < 100", json!(99.9));
    passes("number", "var.x != 3 && !(var.x == 4)", json!(5));
    // Strings convert to numbers for comparison, as in Terraform (e.g. a string-typed version).
    passes("string", "var.x >= 1.2 && var.x <= 1.3", json!("1.2"));
    // `==` never converts: a number is not equal to its text.
    fails("string", "var.x == 5", json!("5"));
    passes("number", "var.x == 5.0", json!("5"));
    assert!(
        errors_in_terraform("string", "var.x > 1", json!("abc"))
            .contains("a number is required, and \"abc\" is not one")
    );
}

#[test]
fn arithmetic() {
    passes("number", "var.x % 2 == 0 && var.x / 4 == 2.5 && var.x * 2 - 1 == 19 && -var.x < 0", json!(10));
    fails("number", "var.x % 2 == 0", json!(7));
    passes("number", "floor(var.x) == var.x", json!(3));
    fails("number", "floor(var.x) == var.x", json!(3.5));
    assert!(errors_in_terraform("number", "10 / var.x > 1", json!(0)).contains("division by zero"));
}

#[test]
fn logic_short_circuits_like_terraform_1_12() {
    // The side that decides wins, in either position; errors on the other side do not count.
    passes("string", "var.x == null || length(var.x) > 2", json!(null));
    passes("string", "length(var.x) > 2 || var.x == null", json!(null));
    fails("string", "var.x != null && length(var.x) > 2", json!(null));
    passes("string", "var.x == null || length(var.x) > 2", json!("abcd"));
    fails("string", "var.x == null || length(var.x) > 2", json!("ab"));
    // Without a deciding side, the error is Terraform's.
    let detail = errors_in_terraform("string", "var.x != null || length(var.x) > 2", json!(null));
    assert!(detail.contains("null"), "{detail}");
    // Logic operands must be bools; "true" converts.
    passes("string", "var.x && true", json!("true"));
    errors_in_terraform("number", "var.x || false", json!(1));
}

#[test]
fn conditionals_evaluate_only_the_chosen_branch() {
    let c = "var.x == null ? true : var.x > 0";
    passes("number", c, json!(null));
    passes("number", c, json!(1));
    fails("number", c, json!(-1));
    passes("string", "var.x == null ? true : contains([\"Enabled\", \"Suspended\"], var.x)", json!("Enabled"));
    assert!(errors_in_terraform("bool", "var.x ? true : false", json!(null)).contains("is null"));
}

#[test]
fn null_values_behave_like_terraform() {
    assert!(errors_in_terraform("list(string)", "length(var.x) > 0", json!(null)).contains("null"));
    errors_in_terraform("string", "startswith(var.x, \"a\")", json!(null));
    errors_in_terraform("string", "contains([\"a\"], var.x)", json!(null));
    errors_in_terraform("object({ a = string })", "var.x.a == \"\"", json!(null));
    passes("object({ a = optional(string) })", "var.x.a == null", json!({}));
    // A condition that is null, or not a bool, stops Terraform.
    assert!(errors_in_terraform("bool", "var.x", json!(null)).contains("the condition is null"));
    assert!(errors_in_terraform("string", "var.x", json!("abc")).contains("must be true or false, not a string"));
    passes("string", "var.x", json!("true"));
}

#[test]
fn attribute_index_and_splat_access() {
    let ty = "object({ slo = object({ availability = number }), tags = map(string), ports = list(number) })";
    let v = json!({"slo": {"availability": 99.5}, "tags": {"team": "a", "cost center": "b"}, "ports": [80, 443]});
    passes(ty, "var.x.slo.availability > 90 && var.x.slo[\"availability\"] < 100", v.clone());
    passes(ty, "var.x.tags[\"cost center\"] == \"b\" && var.x.tags.team == \"a\"", v.clone());
    passes(ty, "var.x.ports[1] == 443 && var.x.ports.0 == 80", v.clone());
    assert!(errors_in_terraform(ty, "var.x.ports[2] > 0", v.clone()).contains("index 2 is out of range"));
    assert!(errors_in_terraform(ty, "var.x.tags.owner == \"\"", v.clone()).contains("no attribute \"owner\""));
    passes(ty, "try(var.x.tags.owner, \"none\") == \"none\"", v.clone());
    let rules = "list(object({ enabled = bool, name = string }))";
    let r = json!([{"enabled": true, "name": "a"}, {"enabled": true, "name": "b"}]);
    passes(rules, "alltrue(var.x[*].enabled) && length(var.x.*.name) == 2", r);
    passes("object({ a = string })", "length(var.x[*]) == 1", json!({"a": "b"}));
    passes("list(string)", "length(var.x[*]) == 0", json!(null));
}

#[test]
fn for_expressions_over_lists_and_maps() {
    let thumbprints = "alltrue([for t in var.x : can(regex(\"^[0-9a-f]{40}$\", t))])";
    passes("list(string)", thumbprints, json!(["0123456789abcdef0123456789abcdef01234567"]));
    fails("list(string)", thumbprints, json!(["0123456789abcdef0123456789abcdef01234567", "nope"]));
    passes("list(string)", thumbprints, json!([]));
    let groups = "map(object({ min_size = number, desired_size = number, max_size = number }))";
    let sizes = "alltrue([for k, g in var.x : g.min_size <= g.desired_size && g.desired_size <= g.max_size])";
    passes(groups, sizes, json!({"a": {"min_size": 1, "desired_size": 2, "max_size": 3}}));
    fails(
        groups,
        sizes,
        json!({"a": {"min_size": 1, "desired_size": 2, "max_size": 3}, "b": {"min_size": 3, "desired_size": 2, "max_size": 3}}),
    );
    passes(
        groups,
        "sum([for g in values(var.x) : g.max_size]) <= 10",
        json!({"a": {"min_size": 1, "desired_size": 1, "max_size": 4}, "b": {"min_size": 1, "desired_size": 1, "max_size": 6}}),
    );
    // Keys come in sorted order, indexes as numbers; `if` filters.
    passes("map(number)", "join(\",\", [for k, v in var.x : \"${k}=${v}\"]) == \"a=1,b=2\"", json!({"b": 2, "a": 1}));
    passes("list(string)", "[for i, s in var.x : i if s == \"c\"] == [2]", json!(["a", "b", "c"]));
    // Object results, with and without grouping.
    passes("list(string)", "length({for s in var.x : s => upper(s)}) == 2", json!(["a", "b"]));
    errors_in_terraform("list(string)", "length({for s in var.x : s => 1}) == 2", json!(["a", "a"]));
    passes("list(string)", "length({for s in var.x : s => 1...}[\"a\"]) == 2", json!(["a", "a"]));
    // Nested, as public modules write it.
    let nested = "alltrue(flatten([for name, e in var.x : [for a in values(e.assoc) : contains([\"cluster\", \"namespace\"], a.type)]]))";
    let ty = "map(object({ assoc = optional(map(object({ type = string })), {}) }))";
    passes(ty, nested, json!({"admin": {"assoc": {"p": {"type": "cluster"}}}, "dev": {}}));
    fails(ty, nested, json!({"admin": {"assoc": {"p": {"type": "global"}}}}));
    errors_in_terraform("string", "alltrue([for c in var.x : true])", json!("abc"));
}

#[test]
fn templates_and_interpolated_error_messages() {
    passes("string", "\"${var.x}-suffix\" == \"a-suffix\"", json!("a"));
    passes("number", "\"n=${var.x}\" == \"n=5\"", json!(5));
    let o = outcome_with("number", "var.x <= 10", "Got ${var.x}, the limit is 10.", json!(12), &|_| None);
    assert_eq!(o.status, CheckStatus::Failed { message: "Got 12, the limit is 10.".into() });
    let o = outcome_with("number", "var.x <= 10", "Limit ${local.max}.", json!(12), &|_| None);
    assert_eq!(o.status, CheckStatus::Failed { message: "Limit ${local.max}.".into() });
    assert!(
        not_checked("string", "\"%{ if var.x != \"\" }y%{ endif }\" == \"y\"", json!("a"))
            .contains("template directives")
    );
}

#[test]
fn other_variables_come_from_the_caller() {
    let cond = "var.x <= var.threshold";
    let threshold = |name: &str| (name == "threshold").then(|| Value::Number(Number::parse("64").unwrap()));
    assert_eq!(outcome_with("number", cond, "m", json!(16), &threshold).status, CheckStatus::Passed);
    assert_eq!(
        outcome_with("number", cond, "m", json!(65), &threshold).status,
        CheckStatus::Failed { message: "m".into() }
    );
    assert_eq!(
        outcome_with("number", cond, "m", json!(16), &|_| None).status,
        CheckStatus::NotChecked { reason: "refers to `var.threshold`, whose value is not known here".into() }
    );
}

#[test]
fn outside_the_subset_is_never_passed() {
    for (ty, condition, reason) in [
        (
            "list(string)",
            "alltrue([for c in var.x : can(cidrhost(c, 0))])",
            "network function `cidrhost` is not evaluated by Infradesk",
        ),
        (
            "list(string)",
            "length(var.x) > 0 && can(cidrnetmask(var.x[0]))",
            "network function `cidrnetmask` is not evaluated by Infradesk",
        ),
        (
            "list(string)",
            "cidrsubnet(var.x[0], 8, 1) != \"\"",
            "network function `cidrsubnet` is not evaluated by Infradesk",
        ),
        ("list(string)", "format(\"%s\", var.x[0]) != \"\"", "function `format` is not evaluated by Infradesk"),
        ("list(string)", "length(jsonencode(var.x)) < 100", "function `jsonencode` is not evaluated by Infradesk"),
        (
            "list(string)",
            "length(var.x) <= local.max",
            "refers to `local.max`, which Infradesk does not know when checking a form",
        ),
        (
            "list(string)",
            "contains(data.aws_availability_zones.all.names, var.x[0])",
            "refers to `data.aws_availability_zones`, which Infradesk does not know when checking a form",
        ),
        (
            "list(string)",
            "provider::aws::arn_parse(var.x[0]).service == \"s3\"",
            "provider function `provider::aws::arn_parse` is not evaluated by Infradesk",
        ),
        (
            "list(string)",
            "try(cidrhost(var.x[0], 0), \"\") != \"\"",
            "network function `cidrhost` is not evaluated by Infradesk",
        ),
        (
            "list(string)",
            "count.index >= 0",
            "refers to `count.index`, which Infradesk does not know when checking a form",
        ),
        (
            "list(string)",
            "can(regex(\"\\\\Qa.b\\\\E\", var.x[0]))",
            "the regular expression \"\\\\Qa.b\\\\E\" is not understood by Infradesk's regex engine (error: unrecognized escape sequence)",
        ),
    ] {
        assert_eq!(not_checked(ty, condition, json!(["10.0.0.0/16"])), reason, "{condition}");
    }
    // An unknown result still decides nothing, but a side that decides on its own does.
    passes("string", "var.x == \"any\" || can(cidrhost(var.x, 0))", json!("any"));
    fails("string", "var.x != \"any\" && can(cidrhost(var.x, 0))", json!("any"));
    passes("string", "var.x == \"any\" || cidrhost(var.x, 0) != \"\"", json!("any"));
    not_checked("string", "!can(cidrhost(var.x, 0))", json!("10.0.0.0/8"));
    not_checked("string", "can(cidrhost(var.x, 0)) == true", json!("10.0.0.0/8"));
    not_checked("string", "can(cidrhost(var.x, 0)) ? true : false", json!("10.0.0.0/8"));
    // An empty list has nothing to check, so there is nothing left unknown.
    passes("list(string)", "alltrue([for c in var.x : can(cidrhost(c, 0))])", json!([]));
    // alltrue decides on a known false even beside an unknown element.
    fails("list(string)", "alltrue([for c in var.x : can(cidrhost(c, 0)) && c != \"x\"])", json!(["10.0.0.0/8", "x"]));
}

#[test]
fn expensive_conditions_stop_at_the_step_budget() {
    let reason = not_checked(
        "number",
        "length(flatten([for a in range(1000) : [for b in range(1000) : a + b]])) > var.x",
        json!(1),
    );
    assert_eq!(reason, "the condition needs more than 1000000 evaluation steps");
    // Work that grows with the square of the input is charged too: each reference to a
    // variable costs its size, and set operations are linear.
    let big: Vec<String> = (0..20_000).map(|i| format!("item-{i}")).collect();
    let quadratic = "alltrue([for c in var.x : contains(var.x, c)])";
    assert_eq!(not_checked("list(string)", quadratic, json!(big)), reason);
    passes(
        "list(string)",
        "length(distinct(var.x)) == length(var.x) && length(setsubtract(var.x, var.x)) == 0",
        json!(big),
    );
}

#[test]
fn unreadable_condition_text_is_not_checked() {
    // The catalog always hands over a parsed condition; a hand-built one may be broken.
    let mut v = super::var("type = string\nvalidation {\n condition = true\n error_message = \"m\"\n}");
    v.validations[0].condition_source = "length(var.x".into();
    let outcomes = crate::form::evaluate_validations(&v, &Value::String("a".into()), &|_| None);
    assert!(
        matches!(&outcomes[0].status, CheckStatus::NotChecked { reason } if reason.starts_with("the condition could not be read"))
    );
    assert_eq!(status("string", "true", json!("a")), CheckStatus::Passed);
}
