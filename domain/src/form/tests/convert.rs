use super::{errors, ok, var};
use crate::catalog::Value;
use crate::form::check_value;
use crate::form::convert::parse_number;
use serde_json::json;

#[test]
fn strings_accept_text_numbers_and_bools() {
    assert_eq!(ok("type = string", json!("abc")), json!("abc"));
    assert_eq!(ok("type = string", json!(42)), json!("42"));
    assert_eq!(ok("type = string", json!(1.5)), json!("1.5"));
    assert_eq!(ok("type = string", json!(true)), json!("true"));
    // Spaces are part of a string; only a completely empty field is "not given".
    assert_eq!(ok("type = string\ndefault = \"d\"", json!("  ")), json!("  "));
    assert_eq!(errors("type = string", json!(["a"])), ["x: expected a string, got a list of 1 item(s)"]);
    assert_eq!(errors("type = string", json!({"a": 1})), ["x: expected a string, got an object"]);
}

#[test]
fn numbers_from_json_and_strict_text() {
    let n = "type = number";
    assert_eq!(ok(n, json!(42)), json!(42));
    assert_eq!(ok(n, json!(-1.5)), json!(-1.5));
    assert_eq!(ok(n, json!("42")), json!(42));
    assert_eq!(ok(n, json!(" 42 ")), json!(42));
    assert_eq!(ok(n, json!("-0.25")), json!(-0.25));
    assert_eq!(ok(n, json!("2e6")), json!(2e6));
    assert_eq!(ok(n, json!("007")), json!(7));
    // The exact text is kept (rendered as written), not reformatted through f64.
    let v = check_value(&var(n), &json!("1.50")).unwrap();
    assert_eq!(v, Value::Number(parse_number("1.50").unwrap()));
    assert_eq!(v.to_string(), "1.50");
    for bad in ["+1", "0x1F", "1_000", ".5", "1.", "1e", "inf", "NaN", "1e999", "4 2", "1,5", "١٢", "--1", "12abc"] {
        let e = errors(n, json!(bad));
        assert_eq!(e.len(), 1, "{bad}");
        assert!(e[0].starts_with(&format!("x: \"{bad}\" is not a number: write digits")), "{bad}: {e:?}");
    }
    assert_eq!(errors(n, json!(true)), ["x: expected a number, got the bool true"]);
}

#[test]
fn parse_number_is_strict() {
    assert_eq!(parse_number("0").unwrap().as_str(), "0");
    assert_eq!(parse_number("-00.5").unwrap().as_str(), "-0.5");
    assert_eq!(parse_number("000").unwrap().as_str(), "0");
    assert_eq!(parse_number("1E+3").unwrap().as_str(), "1E+3");
    assert_eq!(parse_number("12e-2").unwrap().as_str(), "12e-2");
    for bad in ["", "-", "+5", "1.2.3", "1e5.0", "0b101", "1__0", " ", "e5", "∞"] {
        assert!(parse_number(bad).is_none(), "{bad}");
    }
}

#[test]
fn bools_accept_only_true_and_false() {
    let b = "type = bool";
    assert_eq!(ok(b, json!(true)), json!(true));
    assert_eq!(ok(b, json!("false")), json!(false));
    assert_eq!(ok(b, json!(" true ")), json!(true));
    for bad in [json!("yes"), json!("True"), json!("1"), json!("on")] {
        assert_eq!(errors(b, bad.clone()), [format!("x: {bad} is not a bool: use true or false")]);
    }
    assert_eq!(errors(b, json!(1)), ["x: expected true or false, got the number 1"]);
}

#[test]
fn required_and_defaults() {
    // No default: required, whatever the type, even when nullable.
    for (ty, raw) in
        [("string", json!("")), ("number", json!("  ")), ("bool", json!(null)), ("list(string)", json!(""))]
    {
        let e = errors(&format!("type = {ty}"), raw);
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("x: is required: enter "), "{e:?}");
    }
    assert_eq!(errors("type = number", json!(null)), ["x: is required: enter a number"]);
    assert_eq!(errors("type = list(string)", json!(null)), ["x: is required: enter a list (`list(string)`)"]);
    // An empty field takes the default; an explicit null default means null.
    assert_eq!(ok("type = number\ndefault = 3", json!("")), json!(3));
    assert_eq!(ok("type = number\ndefault = 3", json!(null)), json!(3));
    assert_eq!(ok("type = string\ndefault = null", json!("")), json!(null));
    assert_eq!(ok("type = string\ndefault = \"\"", json!("")), json!(""));
    // nullable = false: an empty field takes the (non-null) default, as Terraform does for null.
    assert_eq!(ok("type = string\ndefault = \"a\"\nnullable = false", json!(null)), json!("a"));
    // Untyped variables take anything.
    assert_eq!(ok("default = 1", json!({"k": ["v", 2]})), json!({"k": ["v", 2]}));
}

#[test]
fn lists_sets_and_tuples() {
    assert_eq!(ok("type = list(number)", json!(["1", 2, " 3"])), json!([1, 2, 3]));
    assert_eq!(ok("type = list(string)", json!([])), json!([]));
    assert_eq!(ok("type = list(string)", json!(["a", null])), json!(["a", null]));
    assert_eq!(
        errors("type = list(number)", json!(["1", "x", ""])),
        [
            "x[1]: \"x\" is not a number: write digits with an optional leading minus, decimal point and exponent, e.g. 42, -1.5 or 2e6",
            "x[2]: is empty: a number is required here",
        ]
    );
    assert_eq!(
        errors("type = list(string)", json!({"a": "b"})),
        ["x: expected a list (`list(string)`), got an object"]
    );
    // Sets keep the first of equal elements; numbers compare by value.
    assert_eq!(ok("type = set(string)", json!(["b", "a", "b"])), json!(["b", "a"]));
    assert_eq!(ok("type = set(number)", json!([1, "1", 1.0, "01", 2])), json!([1, 2]));
    let t = "type = tuple([string, number, bool])";
    assert_eq!(ok(t, json!(["a", "2", "true"])), json!(["a", 2, true]));
    assert_eq!(errors(t, json!(["a", 2])), ["x: expected exactly 3 item(s) (string, number, bool), got 2"]);
    assert_eq!(errors(t, json!(["a", "b", true])).len(), 1);
}

#[test]
fn maps_keep_keys_and_report_key_paths() {
    assert_eq!(
        ok("type = map(string)", json!({"team": "payments", "cost": 12})),
        json!({"team": "payments", "cost": "12"})
    );
    assert_eq!(
        errors("type = map(number)", json!({"ok": 1, "cost center": "x", "a\"b": []})),
        [
            "x[\"a\\\"b\"]: expected a number, got a list of 0 item(s)",
            "x[\"cost center\"]: \"x\" is not a number: write digits with an optional leading minus, decimal point and exponent, e.g. 42, -1.5 or 2e6",
        ]
    );
    assert_eq!(ok("type = map(list(number))", json!({"a": ["1"]})), json!({"a": [1]}));
}

const WEBSITE: &str = r#"type = object({
  index_document = optional(string, "index.html")
  error_document = optional(string)
  redirect = optional(object({
    host_name = string
    protocol  = optional(string, "https")
  }))
  rules = optional(list(object({
    prefix = string
    code   = optional(number, 301)
  })), [])
  "odd key" = optional(bool, false)
})"#;

#[test]
fn objects_fill_optional_attributes_at_every_depth() {
    assert_eq!(
        ok(WEBSITE, json!({})),
        json!({"index_document": "index.html", "error_document": null, "redirect": null, "rules": [], "odd key": false})
    );
    assert_eq!(
        ok(
            WEBSITE,
            json!({"redirect": {"host_name": "example.com"}, "rules": [{"prefix": "a/"}, {"prefix": "b/", "code": "302"}]})
        ),
        json!({"index_document": "index.html", "error_document": null,
               "redirect": {"host_name": "example.com", "protocol": "https"},
               "rules": [{"prefix": "a/", "code": 301}, {"prefix": "b/", "code": 302}], "odd key": false})
    );
    // An empty optional field in a form means "not given": the default applies; null too.
    let v = ok(WEBSITE, json!({"index_document": "", "error_document": null, "odd key": " "}));
    assert_eq!(
        (&v["index_document"], &v["error_document"], &v["odd key"]),
        (&json!("index.html"), &json!(null), &json!(false))
    );
    // Attributes come out in declaration order, not in the order sent.
    let value = check_value(&var(WEBSITE), &json!({"rules": [], "index_document": "i"})).unwrap();
    let Value::Map(entries) = value else { panic!() };
    let names: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["index_document", "error_document", "redirect", "rules", "odd key"]);
}

#[test]
fn object_errors_name_the_attribute() {
    assert_eq!(
        errors(WEBSITE, json!({"redirect": {}, "rules": [{"code": 1}, {"prefix": "p", "cdoe": 2}], "bogus": 1})),
        [
            "x.redirect.host_name: is required: enter a string",
            "x.rules[0].prefix: is required: enter a string",
            "x.rules[1].cdoe: is not an attribute of this object; allowed: prefix, code",
            "x.bogus: is not an attribute of this object; allowed: index_document, error_document, redirect, rules, odd key",
        ]
    );
    assert_eq!(
        errors(WEBSITE, json!({"odd key": "maybe"})),
        ["x[\"odd key\"]: \"maybe\" is not a bool: use true or false"]
    );
    assert_eq!(
        errors(WEBSITE, json!([1])),
        [format!("x: expected an object (`{}`), got a list of 1 item(s)", var(WEBSITE).type_)]
    );
    // A required attribute may be null (Terraform allows it); an empty string is a string.
    assert_eq!(
        ok("type = object({ a = string, b = number })", json!({"a": "", "b": null})),
        json!({"a": "", "b": null})
    );
    assert_eq!(
        errors("type = object({ a = string, b = number })", json!({"a": "", "b": ""})),
        ["x.b: is empty: a number is required here"]
    );
}

#[test]
fn defaults_are_converted_like_input() {
    // Terraform applies optional attribute defaults to the variable's own default too.
    let body = "type = object({ a = string, b = optional(number, 3), c = optional(list(string), []) })\ndefault = { a = \"x\" }";
    assert_eq!(ok(body, json!(null)), json!({"a": "x", "b": 3, "c": []}));
    let body = "type = list(object({ n = optional(number, 1) }))\ndefault = [{}, { n = 2 }]";
    assert_eq!(ok(body, json!("")), json!([{"n": 1}, {"n": 2}]));
    // A default that does not fit the type is the module's bug, and says so.
    assert_eq!(
        errors("type = number\ndefault = \"many\"", json!(null)),
        [
            "x: the module's default does not fit its type: \"many\" is not a number: write digits with an optional leading minus, decimal point and exponent, e.g. 42, -1.5 or 2e6"
        ]
    );
}

#[test]
fn any_keeps_structure_and_nests_inside_types() {
    assert_eq!(ok("type = any", json!({"a": [1, "2", null, true]})), json!({"a": [1, "2", null, true]}));
    assert_eq!(ok("type = map(any)", json!({"a": {"b": 1}})), json!({"a": {"b": 1}}));
    assert_eq!(ok("type = object({ meta = optional(any) })", json!({"meta": [1]})), json!({"meta": [1]}));
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let e = errors(
        "type = list(object({ port = number, proto = optional(string, \"tcp\") }))",
        json!([
            {"port": "80"}, {"port": "http"}, {"proto": "udp"}, {"port": 1, "extra": true}
        ]),
    );
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with("x[1].port: \"http\" is not a number"));
    assert_eq!(e[1], "x[2].port: is required: enter a number");
    assert_eq!(e[2], "x[3].extra: is not an attribute of this object; allowed: port, proto");
}
