use super::super::{Attribute, TypeConstraint as T, Value};
use super::{n, one, s, type_of};

fn list(t: T) -> T {
    T::List(Box::new(t))
}
fn set(t: T) -> T {
    T::Set(Box::new(t))
}
fn map(t: T) -> T {
    T::Map(Box::new(t))
}
fn req(name: &str, type_: T) -> Attribute {
    Attribute { name: name.to_owned(), type_, optional: false, default: None }
}
fn opt(name: &str, type_: T, default: Option<Value>) -> Attribute {
    Attribute { name: name.to_owned(), type_, optional: true, default }
}

#[test]
fn primitive_keywords() {
    assert_eq!(type_of("string"), T::String);
    assert_eq!(type_of("number"), T::Number);
    assert_eq!(type_of("bool"), T::Bool);
    assert_eq!(type_of("any"), T::Any);
}

#[test]
fn collections() {
    assert_eq!(type_of("list(string)"), list(T::String));
    assert_eq!(type_of("set(number)"), set(T::Number));
    assert_eq!(type_of("map(bool)"), map(T::Bool));
    assert_eq!(type_of("map(any)"), map(T::Any));
    assert_eq!(type_of("list(list(map(set(string))))"), list(list(map(set(T::String)))));
    assert_eq!(type_of("list(\n  string,\n)"), list(T::String));
}

#[test]
fn tuples() {
    assert_eq!(type_of("tuple([string, number, bool])"), T::Tuple(vec![T::String, T::Number, T::Bool]));
    assert_eq!(type_of("tuple([])"), T::Tuple(vec![]));
    assert_eq!(
        type_of("tuple([list(string), object({ a = number })])"),
        T::Tuple(vec![list(T::String), T::Object(vec![req("a", T::Number)])])
    );
}

#[test]
fn objects_keep_attribute_order() {
    assert_eq!(type_of("object({})"), T::Object(vec![]));
    let t = type_of("object({\n    zeta = string\n    alpha = number\n    \"quoted-name\" = bool\n  })");
    assert_eq!(t, T::Object(vec![req("zeta", T::String), req("alpha", T::Number), req("quoted-name", T::Bool)]));
    assert_eq!(
        type_of("object({ a = string, b = number })"),
        T::Object(vec![req("a", T::String), req("b", T::Number)])
    );
}

#[test]
fn optional_attributes_with_and_without_defaults() {
    let t = type_of(
        r#"object({
    name    = string
    size    = optional(number)
    enabled = optional(bool, true)
    tags    = optional(map(string), { team = "core", "cost-center" = "42" })
    ports   = optional(list(number), [80, 443])
    ratio   = optional(number, -0.5)
    note    = optional(string, null)
  })"#,
    );
    let tags = Value::Map(vec![("team".into(), s("core")), ("cost-center".into(), s("42"))]);
    assert_eq!(
        t,
        T::Object(vec![
            req("name", T::String),
            opt("size", T::Number, None),
            opt("enabled", T::Bool, Some(Value::Bool(true))),
            opt("tags", map(T::String), Some(tags)),
            opt("ports", list(T::Number), Some(Value::List(vec![n("80"), n("443")]))),
            opt("ratio", T::Number, Some(n("-0.5"))),
            opt("note", T::String, Some(Value::Null)),
        ])
    );
}

#[test]
fn nested_optional_objects_at_every_depth() {
    let t = type_of(
        r#"list(object({
    name = string
    rules = optional(map(object({
      priority = optional(number, 100)
      match = optional(object({
        paths   = optional(list(string), ["/"])
        headers = optional(map(list(string)), {})
        deep = optional(object({
          level = optional(number, 4)
        }), { level = 5 })
      }), {})
    })), {})
  }))"#,
    );
    let deep = T::Object(vec![opt("level", T::Number, Some(n("4")))]);
    let matcher = T::Object(vec![
        opt("paths", list(T::String), Some(Value::List(vec![s("/")]))),
        opt("headers", map(list(T::String)), Some(Value::Map(vec![]))),
        opt("deep", deep, Some(Value::Map(vec![("level".into(), n("5"))]))),
    ]);
    let rule =
        T::Object(vec![opt("priority", T::Number, Some(n("100"))), opt("match", matcher, Some(Value::Map(vec![])))]);
    assert_eq!(t, list(T::Object(vec![req("name", T::String), opt("rules", map(rule), Some(Value::Map(vec![])))])));
}

#[test]
fn legacy_forms() {
    assert_eq!(type_of("list"), list(T::Any));
    assert_eq!(type_of("map"), map(T::Any));
    assert_eq!(type_of("\"string\""), T::String);
    assert_eq!(type_of("\"list\""), list(T::Any));
    assert_eq!(type_of("\"map\""), map(T::Any));
}

#[test]
fn missing_type_is_any_and_not_declared() {
    let v = one("variable \"x\" {\n  default = 3\n}\n");
    assert_eq!(v.type_, T::Any);
    assert!(!v.type_declared);
    let v = one("variable \"x\" {\n  type = any\n}\n");
    assert_eq!(v.type_, T::Any);
    assert!(v.type_declared);
}

#[test]
fn display_is_terraform_syntax_and_round_trips() {
    let sources = [
        "string",
        "list(map(set(number)))",
        "tuple([string, bool, any])",
        "object({})",
        "object({ name = string, size = optional(number, 10), tags = optional(map(string)) })",
        "map(object({ \"odd key\" = optional(list(string), [\"a$${b}\", \"c\\nd\"]), m = optional(any, { k = [1, -2.5, null] }) }))",
    ];
    for src in sources {
        let t = type_of(src);
        assert_eq!(t.to_string(), src, "display of {src}");
        assert_eq!(type_of(&t.to_string()), t, "round trip of {src}");
    }
}

#[test]
fn serializes_with_kind_tags() {
    let t = type_of("map(object({ a = optional(number, 1) }))");
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "map", "of": {"kind": "object", "of": [
            {"name": "a", "type": {"kind": "number"}, "optional": true, "default": 1}
        ]}})
    );
    assert_eq!(serde_json::from_value::<T>(json).unwrap(), t);
    assert!(T::String.is_primitive() && !T::Any.is_primitive());
}
