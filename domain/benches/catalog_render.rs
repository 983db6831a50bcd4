//! Speed targets of issue 3 for the pure domain code (docs/BENCHMARKS.md):
//! - parsing a 150-variable `variables.tf`: under 5 ms;
//! - rendering a 40-input module call: under 50 µs.
//!
//! Run: `cargo bench -p domain --bench catalog_render`.

use criterion::{Criterion, criterion_group, criterion_main};
use domain::catalog::{Number, Value, parse_variables};
use domain::render::{ModuleSource, RenderInput, render_module};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

const STORAGE: &str = include_str!("../tests/fixtures/large_storage_variables.tf");
const NETWORK: &str = include_str!("../tests/fixtures/large_network_variables.tf");

/// The top-level `variable` blocks of a fixture file as text, each with the comments and
/// blank lines that follow it, and its name.
fn variable_blocks(source: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in source.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("variable \"") {
            let name = rest.split('"').next().unwrap_or_default().to_owned();
            blocks.push((name, String::new()));
        }
        if let Some((_, text)) = blocks.last_mut() {
            text.push_str(line);
        }
    }
    blocks
}

/// A 150-variable file: all of the storage fixture's variables (111), then the network
/// fixture's in order, skipping the names already taken, until there are 150.
fn variables_150() -> String {
    let mut names = BTreeSet::new();
    let mut text = String::from("# 150 variables taken from the large storage and network test fixtures.\n\n");
    for (name, block) in variable_blocks(STORAGE).into_iter().chain(variable_blocks(NETWORK)) {
        if names.len() == 150 {
            break;
        }
        if names.insert(name) {
            text.push_str(&block);
        }
    }
    text
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn n(text: &str) -> Value {
    Value::Number(Number::parse(text).expect("a valid number"))
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|item| s(item)).collect())
}

/// A database request with 40 inputs as the form produces them: strings, numbers, bools,
/// lists, maps and nested objects, plus the injected tags.
fn render_input_40() -> RenderInput {
    let inputs: Vec<(&str, Value)> = vec![
        ("identifier", s("orders-db")),
        ("engine_version", s("16.4")),
        ("instance_class", s("db.r6g.large")),
        ("allocated_storage", n("100")),
        ("max_allocated_storage", n("1000")),
        ("storage_type", s("gp3")),
        ("iops", n("12000")),
        ("storage_throughput", n("500")),
        ("storage_encrypted", Value::Bool(true)),
        ("kms_key_id", s("arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
        ("db_name", s("orders")),
        ("username", s("orders_admin")),
        ("port", n("5432")),
        ("multi_az", Value::Bool(true)),
        ("publicly_accessible", Value::Bool(false)),
        ("subnet_ids", list(&["subnet-0a1b2c3d", "subnet-0e4f5a6b", "subnet-0c7d8e9f"])),
        ("vpc_security_group_ids", list(&["sg-0123456789abcdef0", "sg-0fedcba9876543210"])),
        ("backup_retention_period", n("14")),
        ("backup_window", s("03:00-04:00")),
        ("maintenance_window", s("sun:04:30-sun:05:30")),
        ("deletion_protection", Value::Bool(true)),
        ("skip_final_snapshot", Value::Bool(false)),
        ("final_snapshot_identifier_prefix", s("orders-db-final")),
        ("copy_tags_to_snapshot", Value::Bool(true)),
        ("performance_insights_enabled", Value::Bool(true)),
        ("performance_insights_retention_period", n("7")),
        ("monitoring_interval", n("60")),
        ("enabled_cloudwatch_logs_exports", list(&["postgresql", "upgrade"])),
        ("auto_minor_version_upgrade", Value::Bool(true)),
        ("apply_immediately", Value::Bool(false)),
        ("ca_cert_identifier", s("rds-ca-rsa2048-g1")),
        ("iam_database_authentication_enabled", Value::Bool(true)),
        ("cpu_credits_ratio", n("1.50")),
        (
            "parameters",
            Value::List(vec![
                map(&[("name", s("log_connections")), ("value", s("1"))]),
                map(&[("name", s("work_mem")), ("value", s("64MB")), ("apply_method", s("pending-reboot"))]),
                map(&[("name", s("shared_preload_libraries")), ("value", s("pg_stat_statements"))]),
            ]),
        ),
        (
            "alarms",
            map(&[
                ("cpu", map(&[("threshold", n("80")), ("periods", n("3")), ("enabled", Value::Bool(true))])),
                ("free_storage", map(&[("threshold_gib", n("20")), ("periods", n("5"))])),
                ("connections", map(&[("threshold", n("400")), ("notify", list(&["dba-oncall", "sre-oncall"]))])),
            ]),
        ),
        (
            "read_replicas",
            Value::List(vec![
                map(&[("name", s("orders-db-ro-1")), ("instance_class", s("db.r6g.large")), ("az", s("eu-west-1b"))]),
                map(&[("name", s("orders-db-ro-2")), ("instance_class", s("db.r6g.large")), ("az", s("eu-west-1c"))]),
            ]),
        ),
        ("timeouts", map(&[("create", s("60m")), ("update", s("80m")), ("delete", s("60m"))])),
        ("labels", map(&[("kubernetes.io/role/internal-elb", s("1")), ("Größe", s("groß")), ("1st", n("1"))])),
        ("description", s("Orders service database; owner: payments team — see runbook ${not_a_reference}")),
        ("tags", map(&[("CostCenter", s("cc-1234")), ("Owner", s("alice")), ("DataClass", s("confidential"))])),
    ];
    assert_eq!(inputs.len(), 40, "the target is a 40-input module call");
    let injected =
        [("team", "payments"), ("requested-by", "alice"), ("infradesk-request", "42"), ("environment", "prod")];
    RenderInput {
        request_number: 42,
        request_url: "https://infradesk.example.com/requests/42".to_owned(),
        instance_name: "orders-db".to_owned(),
        module_source: ModuleSource { source: "acme/rds-postgresql/aws".to_owned(), version: Some("2.3.1".to_owned()) },
        inputs: inputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        tags: Some(("tags".to_owned(), injected.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())),
    }
}

fn parse(c: &mut Criterion) {
    let text = variables_150();
    let parsed = parse_variables("variables.tf", &text);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.variables.len(), 150, "the target is a 150-variable file");
    c.bench_function("parse_variables/150_variables", |b| {
        b.iter(|| parse_variables(black_box("variables.tf"), black_box(&text)));
    });
}

fn render(c: &mut Criterion) {
    let input = render_input_40();
    let rendered = render_module(&input).expect("the request renders");
    assert!(rendered.contains("module \"orders-db\""));
    c.bench_function("render_module/40_inputs", |b| b.iter(|| render_module(black_box(&input))));
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(50);
    targets = parse, render
}
criterion_main!(benches);
