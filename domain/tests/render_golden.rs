//! Golden files: each case in `render_support::golden_cases` must render byte for byte as
//! `tests/golden/<name>.tf` and parse back (hcl-rs) to exactly the expected module block.
//! Run with `UPDATE_GOLDEN=1` to rewrite the files after an intended change, then review the
//! diff: these files are also run through HashiCorp's parser and formatter by the
//! conformance test.

mod render_support;

use domain::render::render_module;
use render_support::{expected_attributes, golden_cases, parse_back, same_attributes};
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden")
}

#[test]
fn golden_files_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for (name, input) in golden_cases() {
        let text = render_module(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = golden_dir().join(format!("{name}.tf"));
        if update {
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if golden != text {
            mismatches.push(format!("{name}:\n--- golden\n{golden}\n--- rendered\n{text}"));
        }
    }
    assert!(mismatches.is_empty(), "rendering changed (UPDATE_GOLDEN=1 to accept):\n{}", mismatches.join("\n"));
}

#[test]
fn golden_cases_parse_back_to_their_values() {
    for (name, input) in golden_cases() {
        let text = render_module(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (label, attributes) = parse_back(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(label, input.instance_name, "{name}");
        let expected = expected_attributes(&input);
        assert!(same_attributes(&attributes, &expected), "{name}:\n{attributes:#?}\n!=\n{expected:#?}");
    }
}

#[test]
fn every_golden_file_belongs_to_a_case() {
    let names: Vec<String> = golden_cases().into_iter().map(|(name, _)| format!("{name}.tf")).collect();
    for entry in std::fs::read_dir(golden_dir()).expect("golden dir") {
        let file = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(names.contains(&file), "stale golden file {file}");
    }
}
