//! Shared by the `render_*` test binaries: request builders, the golden cases, value
//! strategies biased to dangerous text, and parsing rendered files back with hcl-rs.
#![allow(dead_code)]

mod strategies;
#[allow(unused_imports)] // not every test binary uses the strategies
pub use strategies::*;

use domain::catalog::{Number, Value};
use domain::render::{ModuleSource, RenderInput};
use std::collections::BTreeMap;

pub const URL: &str = "https://infradesk.example.com/requests/";

pub fn request(number: u64, instance: &str, source: (&str, Option<&str>), inputs: Vec<(&str, Value)>) -> RenderInput {
    RenderInput {
        request_number: number,
        request_url: format!("{URL}{number}"),
        instance_name: instance.to_owned(),
        module_source: ModuleSource { source: source.0.to_owned(), version: source.1.map(str::to_owned) },
        inputs: inputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        tags: None,
    }
}

pub fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

pub fn n(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap_or_else(|| panic!("bad number {text}")))
}

pub fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

const REGISTRY: (&str, Option<&str>) = ("terraform-aws-modules/s3-bucket/aws", Some("4.1.2"));

/// The edge-case strings that each get their own golden file.
pub const EDGE_STRINGS: &[(&str, &str)] = &[
    ("escaped_interpolation", "literal $${not_a_reference}"),
    ("double_escaped_interpolation", "$$${var.x}"),
    ("escaped_directive", "%%{ if true }"),
    ("interpolation", "${var.secret}"),
    ("directive", "%{ for x in [1] }${x}%{ endfor }"),
    ("interpolation_after_marker", "${%${file(\"/etc/passwd\")}"),
    ("trailing_dollar", "price in $"),
    ("trailing_percent", "100%"),
    ("trailing_backslash", "C:\\temp\\"),
    ("crlf", "line one\r\nline two\r\n"),
    ("line_separator", "a\u{2028}b\u{2029}c"),
    ("bidi_override", "admin\u{202e}txt.exe"),
    ("nul", "before\0after"),
    ("emoji", "ship it 🚀 👩‍💻 🇯🇵"),
    ("quotes", "\"quoted\" and 'single' \"\"\" }\n} resource \"x\" \"y\" {"),
    ("heredoc", "<<EOT\nrm -rf /\nEOT\n"),
];

/// Every golden case by name: the file is `tests/golden/<name>.tf`.
pub fn golden_cases() -> Vec<(String, RenderInput)> {
    let mut cases = vec![
        (
            "simple_registry".to_owned(),
            request(
                1,
                "assets",
                REGISTRY,
                vec![
                    ("bucket", s("acme-assets-prod")),
                    ("force_destroy", Value::Bool(false)),
                    ("object_lock_days", n("30")),
                    ("acl", Value::Null),
                ],
            ),
        ),
        (
            "git_source".to_owned(),
            request(
                2,
                "orders-queue",
                ("git::https://github.com/acme/terraform-aws-sqs.git//modules/queue", Some("v2.1.0")),
                vec![("name", s("orders")), ("visibility_timeout_seconds", n("45"))],
            ),
        ),
        ("local_source".to_owned(), request(3, "no-inputs", ("./modules/sns-topic", None), vec![])),
        ("nested".to_owned(), request(4, "orders-db", ("terraform-aws-modules/rds/aws", Some("~> 6.10")), nested())),
        ("tags_merge".to_owned(), tags_merge()),
    ];
    for (i, (name, text)) in EDGE_STRINGS.iter().enumerate() {
        let inputs = vec![("value", s(text)), ("labels", map(vec![(text, s(text)), ("plain", s("x"))]))];
        cases.push((format!("edge_{name}"), request(100 + i as u64, "edge", REGISTRY, inputs)));
    }
    cases
}

fn nested() -> Vec<(&'static str, Value)> {
    vec![
        ("identifier", s("orders-db")),
        ("allocated_storage", n("20")),
        ("max_allocated_storage", n("100")),
        ("backup_window", s("03:00-06:00")),
        ("cpu_credits_ratio", n("1.50")),
        ("min_offset", n("-5")),
        ("multi_az", Value::Bool(true)),
        (
            "parameters",
            Value::List(vec![
                map(vec![("name", s("log_connections")), ("value", s("1"))]),
                map(vec![("name", s("work_mem")), ("value", s("64MB")), ("apply_method", s("pending-reboot"))]),
            ]),
        ),
        ("subnet_ids", Value::List(vec![s("subnet-0a1"), s("subnet-0b2")])),
        ("empty_list", Value::List(vec![])),
        ("empty_map", map(vec![])),
        (
            "labels",
            map(vec![
                ("kubernetes.io/role/elb", s("1")),
                ("with space", s("x")),
                ("true", Value::Bool(true)),
                ("1st", n("1")),
                ("Größe", s("groß")),
                ("a", Value::List(vec![Value::List(vec![n("1"), n("2.5e-7")]), Value::List(vec![])])),
            ]),
        ),
        (
            "monitoring",
            map(vec![
                ("enabled", Value::Bool(true)),
                ("interval", n("60")),
                ("alarms", map(vec![("cpu", map(vec![("threshold", n("80")), ("periods", n("3"))]))])),
            ]),
        ),
    ]
}

fn tags_merge() -> RenderInput {
    let user_tags = map(vec![
        ("team", s("spoofed")),
        ("CostCenter", s("cc-1234")),
        ("infradesk:request", s("999")),
        ("Owner", s("alice")),
    ]);
    let mut input = request(5, "reports", REGISTRY, vec![("bucket", s("acme-reports")), ("tags", user_tags)]);
    let injected = [("team", "payments"), ("requester", "bob"), ("infradesk:request", "5")];
    input.tags = Some(("tags".to_owned(), injected.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()));
    input
}

/// The attributes a rendered file must contain, independently of the renderer: source
/// (with `?ref=` for git), version (registry only), the inputs, and the merged tags.
pub fn expected_attributes(input: &RenderInput) -> Vec<(String, Value)> {
    let source = &input.module_source;
    let mut attributes = Vec::new();
    match (&source.version, source.source.starts_with("git::")) {
        (Some(v), true) => attributes.push(("source".to_owned(), s(&format!("{}?ref={v}", source.source)))),
        (Some(v), false) => {
            attributes.push(("source".to_owned(), s(&source.source)));
            attributes.push(("version".to_owned(), s(v)));
        }
        (None, _) => attributes.push(("source".to_owned(), s(&source.source))),
    }
    attributes.extend(input.inputs.iter().cloned());
    if let Some((variable, injected)) = &input.tags {
        let mut merged = BTreeMap::new();
        if let Some((_, Value::Map(user))) = attributes.iter().find(|(k, _)| k == variable) {
            merged.extend(user.iter().cloned());
        }
        merged.extend(injected.iter().map(|(k, v)| (k.clone(), s(v))));
        let merged = Value::Map(merged.into_iter().collect());
        match attributes.iter_mut().find(|(k, _)| k == variable) {
            Some((_, value)) => *value = merged,
            None => attributes.push((variable.clone(), merged)),
        }
    }
    attributes
}

/// Parses `text` with hcl-rs and returns the label and attributes of its single `module`
/// block, or why the file is not exactly that.
pub fn parse_back(text: &str) -> Result<(String, Vec<(String, Value)>), String> {
    let body = hcl::parse(text).map_err(|e| format!("hcl-rs cannot parse it: {e}"))?;
    let structures: Vec<_> = body.into_inner();
    let [hcl::Structure::Block(block)] = structures.as_slice() else {
        return Err(format!("expected exactly one block, got {} structures", structures.len()));
    };
    if block.identifier() != "module" || block.labels().len() != 1 {
        return Err(format!(
            "expected `module \"<name>\"`, got {} with {} labels",
            block.identifier(),
            block.labels().len()
        ));
    }
    let mut attributes = Vec::new();
    for structure in block.body().iter() {
        let hcl::Structure::Attribute(attribute) = structure else {
            return Err("nested block inside the module block".to_owned());
        };
        attributes.push((attribute.key().to_owned(), literal(attribute.expr())?));
    }
    Ok((block.labels()[0].as_str().to_owned(), attributes))
}

/// A literal value; anything else (templates, references, operations) is an injection.
fn literal(expr: &hcl::Expression) -> Result<Value, String> {
    Ok(match expr {
        hcl::Expression::Null => Value::Null,
        hcl::Expression::Bool(b) => Value::Bool(*b),
        hcl::Expression::Number(num) => n(&num.to_string()),
        hcl::Expression::String(text) => Value::String(text.clone()),
        hcl::Expression::Array(items) => Value::List(items.iter().map(literal).collect::<Result<_, _>>()?),
        hcl::Expression::Object(object) => {
            let mut entries = Vec::new();
            for (key, value) in object {
                let key = match key {
                    hcl::ObjectKey::Identifier(ident) => ident.as_str().to_owned(),
                    hcl::ObjectKey::Expression(hcl::Expression::String(text)) => text.clone(),
                    other => return Err(format!("non-literal object key {other:?}")),
                };
                entries.push((key, literal(value)?));
            }
            Value::Map(entries)
        }
        // hcl-rs parses `-1` as a unary operation on a literal.
        hcl::Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(unary) if unary.operator == hcl::expr::UnaryOperator::Neg => {
                match literal(&unary.expr)? {
                    Value::Number(num) => n(&format!("-{num}")),
                    other => return Err(format!("negated non-number {other:?}")),
                }
            }
            other => return Err(format!("operation {other:?}")),
        },
        other => return Err(format!("not a literal: {other:?}")),
    })
}

/// Value equality with numbers compared by value (`1.50` renders as `1.5`).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

pub fn same_attributes(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
}

/// The JSON a correct parser must produce for `value`. Numbers go through Rust's correctly
/// rounded `f64` parser (serde_json's own `Number::from_str` may be off by one ulp on long
/// decimals, which would make the oracle report false differences).
pub fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(num) => {
            let text = num.as_str();
            if let Ok(i) = text.parse::<i64>() {
                J::from(i)
            } else if let Ok(u) = text.parse::<u64>() {
                J::from(u)
            } else {
                let f: f64 = text.parse().unwrap_or_else(|_| panic!("bad number {text}"));
                serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
            }
        }
        Value::String(text) => J::String(text.clone()),
        Value::List(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}
