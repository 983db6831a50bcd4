//! `load_catalog` on temporary directories: good modules load, each bad one is reported with
//! file:line and never takes the others down.

use backend::catalog::load_catalog;
use domain::catalog::Presence;
use std::path::Path;

const VARIABLES: &str = r#"variable "name" {
  type = string
}

variable "retention_days" {
  type    = number
  default = 7
}

variable "tags" {
  type    = map(string)
  default = {}
}
"#;

const OVERLAY: &str = r#"title = "Queue"
category = "Messaging"
owner_team = "sre"
risk_tier = "low"
source = "acme/queue/aws"
version = "1.0.0"

[naming]
variable = "name"

[tags]
variable = "tags"
team = "team"
"#;

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn envs() -> Vec<String> {
    ["dev", "staging", "prod"].map(String::from).to_vec()
}

fn messages(catalog: &backend::catalog::Catalog) -> Vec<String> {
    catalog.errors.iter().map(ToString::to_string).collect()
}

#[test]
fn good_module_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "queue/variables.tf", VARIABLES);
    write(
        dir.path(),
        "queue/overlay.toml",
        &format!("{OVERLAY}\n[fields.retention_days.environments.prod]\nmin = 4\n"),
    );
    write(dir.path(), "README.md", "plain files are skipped");
    write(dir.path(), ".git/config", "hidden folders are skipped");
    let catalog = load_catalog(dir.path(), &envs());
    assert!(catalog.errors.is_empty(), "{:#?}", messages(&catalog));
    assert_eq!(catalog.modules.keys().collect::<Vec<_>>(), ["queue"]);
    let queue = &catalog.modules["queue"];
    assert_eq!(queue.field("name").map(|f| &f.presence), Some(&Presence::InstanceName));
    assert_eq!(queue.field("retention_days").map(|f| f.file.as_str()), Some("queue/variables.tf"));
}

#[test]
fn variables_from_all_tf_files_are_merged_in_file_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "queue/variables.tf", VARIABLES);
    write(
        dir.path(),
        "queue/main.tf",
        "resource \"aws_sqs_queue\" \"q\" {}\n\nvariable \"delay\" {\n  type    = number\n  default = 0\n}\n",
    );
    write(dir.path(), "queue/overlay.toml", OVERLAY);
    let catalog = load_catalog(dir.path(), &envs());
    assert!(catalog.errors.is_empty(), "{:#?}", messages(&catalog));
    let names: Vec<&str> = catalog.modules["queue"].fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["delay", "name", "retention_days", "tags"]);
    assert_eq!(catalog.modules["queue"].fields[0].file, "queue/main.tf");
}

#[test]
fn bad_hcl_is_reported_with_file_and_line_and_others_still_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    for id in ["alpha", "broken", "omega"] {
        write(dir.path(), &format!("{id}/variables.tf"), VARIABLES);
        write(dir.path(), &format!("{id}/overlay.toml"), OVERLAY);
    }
    write(
        dir.path(),
        "broken/variables.tf",
        "variable \"name\" {\n  type = string\n}\n\nvariable \"oops\" {\n  type = string\n",
    );
    let catalog = load_catalog(dir.path(), &envs());
    assert_eq!(catalog.modules.keys().collect::<Vec<_>>(), ["alpha", "omega"]);
    assert_eq!(catalog.failed, ["broken"]);
    let e = messages(&catalog);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].starts_with("broken/variables.tf:6: HCL syntax error"), "{e:#?}");
    assert_eq!(catalog.errors_of("broken").count(), 1);
    assert_eq!(catalog.errors_of("alpha").count(), 0);
}

#[test]
fn missing_overlay() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "queue/variables.tf", VARIABLES);
    let catalog = load_catalog(dir.path(), &envs());
    assert!(catalog.modules.is_empty());
    assert_eq!(
        messages(&catalog),
        ["queue/overlay.toml:1: the module has no overlay.toml (add overlay.toml with at least title, category, \
          owner_team, risk_tier, source and version (see docs/CATALOG.md))"]
    );
}

#[test]
fn folder_without_tf_files_and_overlay_errors_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "empty/overlay.toml", "title = \n");
    let catalog = load_catalog(dir.path(), &envs());
    let e = messages(&catalog);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].starts_with("empty/:1: the module folder has no .tf files"), "{e:#?}");
    assert!(e[1].starts_with("empty/overlay.toml:1: overlay:"), "{e:#?}");
}

#[test]
fn overlay_naming_an_unknown_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "queue/variables.tf", VARIABLES);
    write(dir.path(), "queue/overlay.toml", &format!("{OVERLAY}\n[fields.retention]\nlabel = \"Retention\"\n"));
    let catalog = load_catalog(dir.path(), &envs());
    let e = messages(&catalog);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with(
            "queue/overlay.toml:15: [fields.retention] names a variable the module does not declare (did you mean `retention_days`?"
        ),
        "{e:#?}"
    );
}

#[test]
fn sensitive_variable_without_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = format!(
        "{VARIABLES}\nvariable \"token\" {{\n  type      = string\n  default   = null\n  sensitive = true\n}}\n"
    );
    write(dir.path(), "queue/variables.tf", &secret);
    write(dir.path(), "queue/overlay.toml", OVERLAY);
    write(dir.path(), "fixed/variables.tf", &secret);
    write(dir.path(), "fixed/overlay.toml", &format!("{OVERLAY}\n[fields.token]\nomit = true\n"));
    let catalog = load_catalog(dir.path(), &envs());
    let e = messages(&catalog);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("queue/variables.tf:15: variable \"token\" is sensitive and the overlay does not say"),
        "{e:#?}"
    );
    assert!(e[0].contains("[fields.token]"), "{e:#?}");
    assert_eq!(catalog.modules.keys().collect::<Vec<_>>(), ["fixed"]);
}

#[test]
fn unknown_environment_and_unreadable_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "queue/variables.tf", VARIABLES);
    write(dir.path(), "queue/overlay.toml", &format!("{OVERLAY}\n[fields.retention_days.environments.qa]\nmin = 1\n"));
    let catalog = load_catalog(dir.path(), &envs());
    let e = messages(&catalog);
    assert!(e[0].starts_with("queue/overlay.toml:15: unknown environment `qa`"), "{e:#?}");

    let catalog = load_catalog(&dir.path().join("missing"), &envs());
    assert!(catalog.modules.is_empty());
    assert!(messages(&catalog)[0].contains("cannot read"), "{:#?}", messages(&catalog));
}
