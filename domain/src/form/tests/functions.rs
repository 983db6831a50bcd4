//! Each supported function, through conditions shaped like the ones public modules write.

use super::{errors_in_terraform, fails, not_checked, passes};
use serde_json::json;

#[test]
fn regex_and_can_regex() {
    let name = "can(regex(\"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$\", var.x))";
    passes("string", name, json!("my-bucket.logs"));
    fails("string", name, json!("My_Bucket"));
    fails("string", name, json!("a"));
    // regex() itself fails without a match: that is Terraform's error, not a `false`.
    assert!(
        errors_in_terraform("string", "regex(\"^ami-\", var.x) == \"ami-\"", json!("img-1")).contains("found no match")
    );
    passes("string", "regex(\"^ami-\", var.x) == \"ami-\"", json!("ami-0abc"));
    // Capture groups: unnamed give a list, named an object.
    passes("string", "regex(\"^([a-z]+)-(\\\\d+)$\", var.x)[1] == \"42\"", json!("web-42"));
    passes("string", "regex(\"^(?P<env>[a-z]+)-(?P<n>\\\\d+)$\", var.x).env == \"web\"", json!("web-42"));
    passes("string", "regex(\"^(a)?(b)$\", var.x)[0] == null", json!("b"));
    errors_in_terraform("string", "length(regex(\"(?P<a>x)(y)\", var.x)) > 0", json!("xy"));
    // regexall: count matches.
    passes("string", "length(regexall(\"[A-Z]\", var.x)) >= 2", json!("aBcD"));
    fails("string", "length(regexall(\"[A-Z]\", var.x)) >= 2", json!("abcD"));
    passes("string", "length(regexall(\"(\\\\w)=(\\\\d)\", var.x)[1]) == 2", json!("a=1 b=2"));
}

#[test]
fn regex_classes_are_ascii_as_in_re2() {
    // Rust's \d and \w would accept these; RE2's (Terraform's) do not.
    fails("string", "can(regex(\"^\\\\d+$\", var.x))", json!("١٢٣"));
    fails("string", "can(regex(\"^\\\\w+$\", var.x))", json!("é"));
    passes("string", "can(regex(\"^[\\\\w.]+$\", var.x))", json!("a_b.c"));
    fails("string", "can(regex(\"^[\\\\w.]+$\", var.x))", json!("é.c"));
    passes("string", "can(regex(\"^\\\\s$\", var.x))", json!("\t"));
    fails("string", "can(regex(\"^\\\\s$\", var.x))", json!("\u{a0}"));
    passes("string", "can(regex(\"\\\\bend\\\\b\", var.x))", json!("the end."));
    // Unicode itself still works where written explicitly.
    passes("string", "can(regex(\"^\\\\p{L}+$\", var.x))", json!("é"));
    // RE2 reads `[` inside a class literally.
    passes("string", "can(regex(\"^[a[]+$\", var.x))", json!("a[a"));
}

#[test]
fn contains_and_choices() {
    let c = "contains([\"CONFIG_MAP\", \"API\", \"API_AND_CONFIG_MAP\"], var.x)";
    passes("string", c, json!("API"));
    fails("string", c, json!("api"));
    let days = "contains([1, 3, 5, 7, 14, 30], var.x)";
    passes("number", days, json!("14"));
    fails("number", days, json!(2));
    passes("string", "contains([\"mon\", \"tue\"], lower(var.x))", json!("TUE"));
    // Types must match: the string "1" is not in a list of numbers.
    fails("string", "contains([1, 2], var.x)", json!("1"));
    passes("map(string)", "contains(keys(var.x), \"team\") && contains(values(var.x), \"a\")", json!({"team": "a"}));
}

#[test]
fn lengths() {
    passes("list(string)", "length(var.x) >= 2", json!(["a", "b"]));
    fails("list(string)", "length(var.x) >= 2", json!(["a"]));
    passes("map(string)", "length(var.x) <= 1", json!({"a": "b"}));
    passes("string", "length(var.x) == 3", json!("日本語"));
    passes("object({ a = string, b = optional(string) })", "length(var.x) == 2", json!({"a": "x"}));
    passes("list(string)", "length(var.x) == length(distinct(var.x))", json!(["a", "b"]));
    fails("list(string)", "length(var.x) == length(distinct(var.x))", json!(["a", "a"]));
    passes(
        "map(string)",
        "alltrue([for k in keys(var.x) : length(k) >= 3 && length(k) <= 50])",
        json!({"abc": "", "defg": ""}),
    );
}

#[test]
fn string_functions() {
    passes("string", "startswith(var.x, \"vpc-\") && endswith(var.x, \"1\")", json!("vpc-01"));
    fails("string", "startswith(var.x, \"vpc-\")", json!("subnet-1"));
    passes("string", "!strcontains(var.x, \"..\") && !startswith(var.x, \"xn--\")", json!("a.b"));
    fails("string", "!strcontains(var.x, \"..\") && !startswith(var.x, \"xn--\")", json!("a..b"));
    passes("string", "upper(var.x) == \"ABC\" && lower(\"ÀB\") == \"àb\"", json!("abc"));
    passes("string", "trimspace(var.x) == var.x", json!("ok"));
    fails("string", "trimspace(var.x) == var.x", json!(" padded "));
    passes(
        "string",
        "trim(var.x, \"*\") == \"a\" && trimprefix(var.x, \"*\") == \"a**\" && trimsuffix(var.x, \"*\") == \"*a*\"",
        json!("*a**"),
    );
    passes("string", "substr(var.x, 0, 3) == \"arn\" && substr(var.x, -3, -1) == \"xyz\"", json!("arn:aws:xyz"));
    passes(
        "string",
        "replace(var.x, \"-\", \"_\") == \"a_b\" && replace(var.x, \"/[a-z]/\", \"X\") == \"X-X\"",
        json!("a-b"),
    );
    let cidr = "tonumber(split(\"/\", var.x)[1]) >= 16 && tonumber(split(\"/\", var.x)[1]) <= 28";
    passes("string", cidr, json!("10.0.0.0/16"));
    fails("string", cidr, json!("10.0.0.0/8"));
    errors_in_terraform("string", cidr, json!("10.0.0.0"));
    passes("list(string)", "join(\"-\", var.x) == \"a-b\" && length(split(\"\", \"abc\")) == 3", json!(["a", "b"]));
    passes("number", "tostring(var.x) == \"1.5\" && tonumber(\"2\") == 2 && tobool(\"true\")", json!(1.5));
    errors_in_terraform("string", "tonumber(var.x) > 0", json!("0x10"));
}

#[test]
fn number_functions() {
    passes("number", "min(var.x, 10) == 3 && max(var.x, 10) == 10 && max([1, 7, 2]...) == 7", json!(3));
    passes("number", "abs(var.x) == 4 && ceil(1.2) == 2 && floor(-1.5) == -2 && signum(var.x) == -1", json!(-4));
    passes("number", "pow(2, var.x) == 1024", json!(10));
    passes("list(number)", "sum(var.x) == 6", json!([1, 2, 3]));
    errors_in_terraform("list(number)", "sum(var.x) == 0", json!([]));
}

#[test]
fn collection_functions() {
    let logs = "length(setsubtract(var.x, [\"api\", \"audit\", \"scheduler\"])) == 0";
    passes("set(string)", logs, json!(["api", "audit"]));
    fails("set(string)", logs, json!(["api", "kernel"]));
    passes(
        "list(string)",
        "length(setunion(var.x, [\"c\"])) == 3 && setintersection(var.x, [\"b\"]) == [\"b\"]",
        json!(["a", "b"]),
    );
    passes(
        "list(list(string))",
        "flatten(var.x) == [\"a\", \"b\", \"c\"] && concat(var.x...) == [\"a\", \"b\", \"c\"]",
        json!([["a"], ["b", "c"]]),
    );
    passes(
        "list(string)",
        "element(var.x, 4) == \"b\" && element(var.x, -1) == \"c\" && index(var.x, \"c\") == 2",
        json!(["a", "b", "c"]),
    );
    passes(
        "list(string)",
        "reverse(var.x) == [\"a\", \"c\"] && sort(var.x) == [\"a\", \"c\"] && slice(var.x, 1, 2) == [\"a\"]",
        json!(["c", "a"]),
    );
    passes(
        "list(string)",
        "compact(var.x) == [\"a\"] && one([\"z\"]) == \"z\" && one([]) == null",
        json!(["", "a", null]),
    );
    passes(
        "map(number)",
        "lookup(var.x, \"a\", 0) == 1 && lookup(var.x, \"z\", 0) == 0 && merge(var.x, {b = 2}).b == 2",
        json!({"a": 1}),
    );
    passes("number", "length(range(var.x)) == 3 && range(1, 4, 2) == [1, 3] && range(3, 1) == [3, 2]", json!(3));
    errors_in_terraform("number", "length(range(var.x)) > 0", json!(5000));
    passes(
        "list(string)",
        "coalescelist([], var.x) == [\"a\"] && toset([\"a\", \"a\"]) == [\"a\"] && tolist(var.x) == var.x",
        json!(["a"]),
    );
    passes("list(bool)", "anytrue(var.x) && !alltrue(var.x) && alltrue([])", json!([false, true]));
    fails("list(bool)", "anytrue(var.x)", json!([false, null]));
    fails("list(bool)", "alltrue(var.x)", json!([true, null]));
}

#[test]
fn try_can_and_coalesce() {
    let asn = "var.x == null || (try(var.x.asn, 64512) >= 64512 && try(var.x.asn, 64512) <= 4294967294)";
    let ty = "object({ asn = optional(number) })";
    passes(ty, asn, json!(null));
    passes(ty, asn, json!({"asn": 65000}));
    fails(ty, asn, json!({"asn": 100}));
    // try() returns its first argument that evaluates, even when that is null.
    passes(ty, "try(var.x.asn, 1) == null", json!({}));
    errors_in_terraform("string", "try(tonumber(var.x), tonumber(\"y\")) > 0", json!("x"));
    passes("string", "can(tonumber(var.x)) == false", json!("x"));
    // coalesce skips null and "" (Terraform's rule for strings) and fails when nothing is left.
    passes("string", "length(coalesce(var.x, \"abc\")) == 3", json!(null));
    passes("string", "coalesce(var.x, \"\", \"z\") == \"z\"", json!(""));
    passes("number", "coalesce(var.x, 7) == 7", json!(null));
    errors_in_terraform("string", "length(coalesce(var.x, \"\")) <= 37", json!(null));
    passes("string", "var.x == null || length(coalesce(var.x, \"\")) <= 37", json!(null));
}

#[test]
fn unsupported_functions_are_named() {
    for f in ["base64encode(var.x)", "sha256(var.x)", "timestamp()", "file(var.x)", "templatestring(var.x, {})"] {
        let reason = not_checked("string", &format!("{f} != \"\""), json!("a"));
        let name = f.split('(').next().unwrap();
        assert_eq!(reason, format!("function `{name}` is not evaluated by Infradesk"));
    }
}
