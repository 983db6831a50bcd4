//! proptest strategies biased to what breaks HCL: template markers, escapes, quotes, line
//! breaks, invisible and direction-changing characters, heredoc and comment introducers.

use super::n;
use domain::catalog::Value;
use domain::render::ident::RESERVED_INPUT_NAMES;
use domain::render::{ModuleSource, RenderInput};
use proptest::prelude::*;

/// Fragments that matter to HCL's scanner, templates, heredocs, comments and terminals.
pub const DANGEROUS: &[&str] = &[
    "$",
    "%",
    "{",
    "}",
    "${",
    "%{",
    "$${",
    "%%{",
    "$$",
    "%%",
    "~",
    "}",
    "\\",
    "\\\\",
    "\\n",
    "\\u0041",
    "\"",
    "'",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\0",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{ad}",
    "\u{200b}",
    "\u{200d}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "\u{e0041}",
    "<<EOT",
    "<<-EOT",
    "EOT",
    "#",
    "//",
    "/*",
    "*/",
    "=",
    " ",
    ",",
    "[",
    "]",
    "(",
    ")",
    "a",
    "Z",
    "é",
    "e\u{301}",
    "ß",
    "😀",
    "👩‍💻",
    "🇯🇵",
    "${var.x}",
    "%{ if x }",
    "%{ endif }",
    "${~",
    "~}",
    "true",
    "null",
    "-1",
    "1e3",
];

/// Strings built from dangerous fragments and arbitrary characters.
pub fn dangerous_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(DANGEROUS).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

/// Map keys: sometimes plain identifiers (written bare), mostly dangerous strings.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![1 => "[A-Za-z_][A-Za-z0-9_-]{0,8}", 3 => dangerous_string()]
}

/// Numbers as a form would hold them. Floats are written in their shortest round-trip form
/// (what hcl-rs prints); other decimal spellings of the same `f64` are refused by the renderer
/// as inexact, because Terraform reads number literals with arbitrary precision.
pub fn number() -> impl Strategy<Value = Value> {
    let float = proptest::num::f64::POSITIVE
        | proptest::num::f64::NEGATIVE
        | proptest::num::f64::NORMAL
        | proptest::num::f64::SUBNORMAL
        | proptest::num::f64::ZERO;
    prop_oneof![
        any::<i64>().prop_map(|i| n(&i.to_string())),
        any::<u64>().prop_map(|u| n(&u.to_string())),
        float.prop_map(|f| n(&hcl::Number::from_f64(f).map_or_else(|| "0".to_owned(), |n| n.to_string()))),
        proptest::sample::select(&["1.50", "1e3", "0.1", "-0", "2.5E-3", "100.000"][..]).prop_map(n),
    ]
}

/// Nested values (lists and maps up to four levels) with dangerous strings and keys.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        4 => dangerous_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            proptest::collection::vec((key(), inner), 0..4).prop_map(|entries| {
                let mut unique: Vec<(String, Value)> = Vec::new();
                for (k, v) in entries {
                    if !unique.iter().any(|(seen, _)| *seen == k) {
                        unique.push((k, v));
                    }
                }
                Value::Map(unique)
            }),
        ]
    })
}

pub fn sources() -> impl Strategy<Value = ModuleSource> {
    let source = |s: &str, v: Option<&str>| ModuleSource { source: s.to_owned(), version: v.map(str::to_owned) };
    prop_oneof![
        "[0-9]\\.[0-9]{1,2}\\.[0-9]".prop_map(move |v| source("terraform-aws-modules/sqs/aws", Some(&v))),
        "v[0-9]\\.[0-9]".prop_map(move |v| source("git::https://github.com/acme/tf-modules.git//sqs", Some(&v))),
        Just(source("./modules/sqs", None)),
        Just(source("registry.acme.internal/platform/sqs/aws", Some("~> 2.0"))),
    ]
}

/// Random requests: dangerous strings everywhere a user can type, nested values, and
/// sometimes injected tags merged into a user-supplied `tags` map.
pub fn requests() -> impl Strategy<Value = RenderInput> {
    let inputs = proptest::collection::vec(("[a-z_][a-z0-9_]{0,12}", value()), 0..6);
    let user_tags = proptest::option::of(proptest::collection::vec((key(), dangerous_string()), 0..4));
    let injected = proptest::option::of(proptest::collection::vec((key(), dangerous_string()), 1..4));
    ("[a-z][a-z0-9_-]{0,20}", sources(), inputs, user_tags, injected, any::<u32>()).prop_map(
        |(instance, module_source, raw_inputs, user_tags, injected, number)| {
            let mut inputs: Vec<(String, Value)> = Vec::new();
            for (name, value) in raw_inputs {
                let reserved = RESERVED_INPUT_NAMES.contains(&name.as_str());
                if !reserved && name != "tags" && !inputs.iter().any(|(seen, _)| *seen == name) {
                    inputs.push((name, value));
                }
            }
            if let Some(tags) = user_tags {
                inputs
                    .push(("tags".to_owned(), Value::Map(dedup(tags.into_iter().map(|(k, v)| (k, Value::String(v)))))));
            }
            RenderInput {
                request_number: u64::from(number),
                request_url: format!("https://infradesk.example.com/requests/{number}"),
                instance_name: instance,
                module_source,
                inputs,
                tags: injected.map(|tags| ("tags".to_owned(), dedup(tags))),
            }
        },
    )
}

fn dedup<V>(entries: impl IntoIterator<Item = (String, V)>) -> Vec<(String, V)> {
    let mut unique: Vec<(String, V)> = Vec::new();
    for (k, v) in entries {
        if !unique.iter().any(|(seen, _)| *seen == k) {
            unique.push((k, v));
        }
    }
    unique
}
