//! Property tests: whatever a user types, rendering yields exactly one `module` block with the
//! expected attributes, whose values parse back (hcl-rs) identical to the input — no
//! interpolation, directive, extra attribute, block or line ever appears.
//!
//! Case counts (120,000 in total by default, 100,000 of them strings) can be changed for all properties at once with
//! `PROPTEST_CASES=<n>`; the string property dominates and is cheap.

mod render_support;

use domain::catalog::Value;
use domain::render::{check_repository_path, render_module, target_path, validate_identifier};
use proptest::prelude::*;
use proptest::test_runner::Config;
use render_support::{dangerous_string, expected_attributes, parse_back, request, requests, same_attributes, value};

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
    // No regression files: they would be written into the source tree on failure; the
    // failing input is printed instead.
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Renders, parses back and compares; returns the rendered text for further checks.
fn check_round_trip(input: &domain::render::RenderInput) -> Result<String, TestCaseError> {
    let text = render_module(input).map_err(|e| TestCaseError::fail(format!("render failed: {e}")))?;
    let (label, attributes) = parse_back(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&label, &input.instance_name);
    let expected = expected_attributes(input);
    prop_assert!(same_attributes(&attributes, &expected), "{:?}\n!=\n{:?}\n{}", attributes, expected, text);
    Ok(text)
}

/// Checks the shape that no string may change: the same number of lines (newlines are always
/// escaped) and no raw control or invisible character anywhere in the file.
fn check_shape(rendered: &str, lines: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(rendered.lines().count(), lines, "{}", rendered);
    let raw = rendered.chars().any(|c| c != '\n' && domain::render::escape::needs_unicode_escape(c));
    prop_assert!(!raw, "raw control or invisible character in output");
    Ok(())
}

// 100,000 strings, split in two properties of 50,000 so the two test threads share the work.
proptest! {
    #![proptest_config(config(50_000))]

    /// A dangerous string as a top-level value, a list item and a map value.
    #[test]
    fn strings_round_trip_as_values(text in dangerous_string()) {
        let input = request(1, "edge", ("acme/queue/aws", Some("1.0.0")), vec![
            ("value", Value::String(text.clone())),
            ("list", Value::List(vec![Value::String(text.clone())])),
            ("labels", Value::Map(vec![("plain".into(), Value::String(text))])),
        ]);
        check_shape(&check_round_trip(&input)?, 14)?;
    }

    /// A dangerous string as a map key, next to a bare key (so `=` alignment is exercised) and
    /// inside a nested map.
    #[test]
    fn strings_round_trip_as_keys(text in dangerous_string()) {
        prop_assume!(text != "plain");
        let nested = Value::Map(vec![(text.clone(), Value::Null)]);
        let labels = Value::Map(vec![
            (text.clone(), Value::Bool(true)),
            ("plain".into(), Value::Bool(false)),
            ("nested".into(), nested),
        ]);
        let input = request(1, "edge", ("./modules/queue", None), vec![("labels", labels)]);
        check_shape(&check_round_trip(&input)?, 13)?;
    }
}

proptest! {
    #![proptest_config(config(5_000))]

    /// Nested lists and maps of every kind of value.
    #[test]
    fn values_round_trip(v in value()) {
        check_round_trip(&request(2, "nested", ("./modules/x", None), vec![("v", v)]))?;
    }

    /// Whole requests: several inputs, all source kinds, injected tags merged into user tags.
    #[test]
    fn requests_round_trip(input in requests()) {
        check_round_trip(&input)?;
    }
}

/// The identifier rule, written independently: `^[a-z][a-z0-9_-]{0,62}$`.
fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

fn identifier_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,70}",
        "[a-zA-Z0-9_. /-]{0,10}",
        // Look-alikes: Cyrillic a/e/o, Latin small capital, fullwidth, dotless i, Kelvin sign.
        "[a-z\u{430}\u{435}\u{43e}\u{1d00}\u{ff41}\u{131}\u{212a}]{1,8}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn identifiers_follow_the_rule(name in identifier_like()) {
        prop_assert_eq!(validate_identifier(&name).is_ok(), is_identifier(&name), "{:?}", name);
    }

    /// No template or value can produce a path outside the repository.
    #[test]
    fn target_paths_stay_inside_the_repository(
        template in prop_oneof![
            Just("{env_dir}/{module}-{instance}.tf".to_owned()),
            "[a-z{}./\\\\_-]{0,12}\\{env_dir\\}[a-z{}./\\\\_-]{0,6}\\{instance\\}[a-z{}./\\\\_-]{0,6}",
        ],
        env_dir in prop_oneof!["[a-z]{1,5}(/[a-z]{1,5}){0,2}", "[a-zA-Z0-9./\\\\:_ -]{0,12}"],
        instance in identifier_like(),
        module in identifier_like(),
    ) {
        if let Ok(path) = target_path(&template, &env_dir, &instance, &module) {
            prop_assert!(check_repository_path(&path).is_ok());
            prop_assert!(!path.starts_with('/') && !path.contains('\\') && !path.contains('\0'));
            prop_assert!(path.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."), "{}", path);
            prop_assert!(path.ends_with(".tf") && path.contains(&instance));
            prop_assert!(is_identifier(&instance) && is_identifier(&module));
        }
    }
}
