//! Writes a corpus of rendered files for the HCL conformance oracle (`conformance/check.mjs`,
//! HashiCorp's parser and formatter). Ignored by default because it writes files; run:
//!
//! ```sh
//! CONFORMANCE_DIR=/tmp/infradesk-conformance \
//!   cargo test -p domain --test render_conformance -- --ignored
//! (cd conformance && npm ci && node check.mjs /tmp/infradesk-conformance)
//! ```
//!
//! `CONFORMANCE_COUNT` sets the number of generated cases (default 10,000; the golden cases
//! are added on top). Generation is deterministic, so a failure can be reproduced by name.

mod render_support;

use domain::render::{RenderInput, render_module};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use render_support::{expected_attributes, golden_cases, requests, to_json};
use std::path::{Path, PathBuf};

fn write_case(dir: &Path, name: &str, input: &RenderInput) {
    let text = render_module(input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let attributes: serde_json::Map<String, serde_json::Value> =
        expected_attributes(input).iter().map(|(k, v)| (k.clone(), to_json(v))).collect();
    let expected = serde_json::json!({ "label": input.instance_name, "attributes": attributes });
    std::fs::write(dir.join(format!("{name}.tf")), text).expect("write .tf");
    std::fs::write(dir.join(format!("{name}.json")), expected.to_string()).expect("write .json");
}

#[test]
#[ignore = "writes the conformance corpus; run explicitly, then conformance/check.mjs"]
fn write_conformance_corpus() {
    let dir = std::env::var_os("CONFORMANCE_DIR")
        .map_or_else(|| std::env::temp_dir().join("infradesk-conformance"), PathBuf::from);
    let count: usize = std::env::var("CONFORMANCE_COUNT").ok().and_then(|c| c.parse().ok()).unwrap_or(10_000);
    std::fs::create_dir_all(&dir).expect("create corpus dir");
    for entry in std::fs::read_dir(&dir).expect("read corpus dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf" || e == "json") {
            std::fs::remove_file(&path).expect("remove old case");
        }
    }
    for (name, input) in golden_cases() {
        write_case(&dir, &format!("golden-{name}"), &input);
    }
    let mut runner = TestRunner::deterministic();
    let strategy = requests();
    for i in 0..count {
        let input = strategy.new_tree(&mut runner).expect("generate").current();
        write_case(&dir, &format!("case-{i:05}"), &input);
    }
    eprintln!("wrote {} cases to {}", count + golden_cases().len(), dir.display());
}
