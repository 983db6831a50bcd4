use super::super::{Number, Value};
use super::{default_of, errors_of, n, s};

#[test]
fn scalars() {
    assert_eq!(default_of("null"), Value::Null);
    assert_eq!(default_of("true"), Value::Bool(true));
    assert_eq!(default_of("false"), Value::Bool(false));
    assert_eq!(default_of("\"text\""), s("text"));
    assert_eq!(default_of("\"\""), s(""));
}

#[test]
fn numbers_keep_their_exact_text() {
    for (src, text) in [
        ("42", "42"),
        ("-5", "-5"),
        ("- 1.50", "-1.50"),
        ("1e3", "1e3"),
        ("2.5E-3", "2.5E-3"),
        ("1.0", "1.0"),
        ("0.000001", "0.000001"),
        ("18446744073709551616", "18446744073709551616"),
        ("(7)", "7"),
        ("-(7)", "-7"),
        ("-(-7)", "7"),
    ] {
        assert_eq!(default_of(src), n(text), "{src}");
    }
    let big = Number::parse("18446744073709551616").unwrap();
    assert_eq!(big.as_i64(), None);
    assert_eq!(big.as_f64(), Some(1.8446744073709552e19));
    assert_eq!(Number::parse("-12").unwrap().as_i64(), Some(-12));
    assert!(Number::parse("1x").is_none() && Number::parse(".5").is_none() && Number::parse("").is_none());
}

#[test]
fn strings_unescape_like_terraform() {
    assert_eq!(default_of(r#""a\nb\t\"q\" \\ \u00e9""#), s("a\nb\t\"q\" \\ é"));
    assert_eq!(default_of(r#""cost $${var.x} and %%{if}""#), s("cost ${var.x} and %{if}"));
    assert_eq!(default_of(r#""100%% and $$""#), s("100%% and $$"));
    assert_eq!(default_of(r#""日本語 ✓ 🚀""#), s("日本語 ✓ 🚀"));
}

#[test]
fn heredocs() {
    assert_eq!(default_of("<<EOT\n  keep\n    indent\nEOT"), s("  keep\n    indent\n"));
    assert_eq!(default_of("<<-EOT\n    strip\n      relative\n    EOT"), s("strip\n  relative\n"));
    assert_eq!(default_of("<<EOT\nliteral $${x} %%{y}\nEOT"), s("literal ${x} %{y}\n"));
}

#[test]
fn lists_and_maps_keep_order() {
    assert_eq!(default_of("[]"), Value::List(vec![]));
    assert_eq!(default_of("{}"), Value::Map(vec![]));
    let v = default_of(
        r#"{
    zeta = [1, "two", null, true]
    "alpha-key" = { inner = [{ a = -1.5 }, {}] }
    1 = "numeric key"
    "with space": "colon separator"
  }"#,
    );
    let expected = Value::Map(vec![
        ("zeta".into(), Value::List(vec![n("1"), s("two"), Value::Null, Value::Bool(true)])),
        (
            "alpha-key".into(),
            Value::Map(vec![(
                "inner".into(),
                Value::List(vec![Value::Map(vec![("a".into(), n("-1.5"))]), Value::Map(vec![])]),
            )]),
        ),
        ("1".into(), s("numeric key")),
        ("with space".into(), s("colon separator")),
    ]);
    assert_eq!(v, expected);
    assert_eq!(v.get("1"), Some(&s("numeric key")));
    assert_eq!(v.get("missing"), None);
}

#[test]
fn serde_keeps_key_order_and_numbers() {
    let v = default_of(r#"{ b = 1.50, a = [1e3, -2], c = { z = null, y = "s" } }"#);
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, r#"{"b":1.5,"a":[1000.0,-2],"c":{"z":null,"y":"s"}}"#);
    let back: Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = match &back {
        Value::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
        _ => panic!("not a map"),
    };
    assert_eq!(keys, ["b", "a", "c"]);
    assert_eq!(v.to_json()["a"][1], serde_json::json!(-2));
}

#[test]
fn display_is_an_escaped_hcl_literal() {
    let v = default_of(r#"{ "a b" = ["x$${y}", "p%%{q}", "l\nm", "\"", 3], c = null }"#);
    assert_eq!(v.to_string(), r#"{ "a b" = ["x$${y}", "p%%{q}", "l\nm", "\"", 3], c = null }"#);
}

#[test]
fn non_literal_defaults_name_the_variable() {
    for (src, kind) in [
        ("var.region", "a reference"),
        ("local.tags", "a reference"),
        ("upper(\"a\")", "a function call"),
        ("1 + 2", "an operation"),
        ("!true", "an operation"),
        ("true ? 1 : 2", "a conditional"),
        ("[for x in [1] : x]", "a for expression"),
        ("\"pre-${var.env}\"", "an interpolation"),
        ("\"%{if true}x%{endif}\"", "a template directive"),
        ("{ key = [1, data.x.y] }", "a reference"),
        ("{ (var.k) = 1 }", "a reference"),
    ] {
        let errors = errors_of(&format!("variable \"x\" {{\n  type = any\n  default = {src}\n}}\n"));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("variables.tf:3: variable \"x\": default: `"), "{src}: {}", errors[0]);
        assert!(errors[0].contains(&format!("is {kind}, not a literal value")), "{src}: {}", errors[0]);
    }
}
