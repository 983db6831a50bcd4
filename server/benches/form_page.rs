//! Speed target of issue 3 (docs/BENCHMARKS.md): the request form of the largest demo module,
//! server-rendered, in under 10 ms. Builds the real application as `scripts/run` does (the
//! repository's `infradesk.toml` and demo catalog, SQLite in a temporary directory), signs
//! in as `dev` and times sequential `GET`s end to end over loopback with one keep-alive
//! connection, client and server sharing one tokio runtime. Prints p50/p90/p99/max per page.
//!
//! Run: `cargo bench -p server --bench form_page` (`BENCH_REQUESTS=n` changes the 500
//! timed requests per page; `--test`, as `cargo test --benches` passes, does a quick check).
#![allow(clippy::print_stdout)]

mod support;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use support::{BASE_URL, REPO};
/// Requests submitted before timing, so that `/requests?scope=mine` lists something.
const SEEDED_REQUESTS: usize = 20;

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--test");
    let timed = support::env_number("BENCH_REQUESTS", if quick { 5 } else { 500 })? as usize;
    let warm_up = if quick { 2 } else { 50 };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(timed, warm_up))
}

/// The module whose form has the most fields to fill in.
fn largest_module(catalog_dir: &Path) -> anyhow::Result<(String, usize)> {
    let environments: Vec<String> = ["dev", "staging", "prod"].map(str::to_owned).to_vec();
    let catalog = backend::catalog::load_catalog(catalog_dir, &environments);
    ensure!(catalog.errors.is_empty(), "the demo catalog has errors: {:#?}", catalog.errors);
    catalog
        .modules
        .values()
        .map(|m| (m.id.clone(), m.inputs().count()))
        .max_by_key(|(_, inputs)| *inputs)
        .context("the demo catalog is empty")
}

async fn run(timed: usize, warm_up: usize) -> anyhow::Result<()> {
    let catalog_dir = PathBuf::from(REPO).join("catalog");
    let (module, inputs) = largest_module(&catalog_dir)?;
    let app = support::start(&[("INFRADESK_LOG__FILTER", "error")]).await?;
    let address = app.address.clone();
    let client = support::signed_in(&address, "dev").await?;
    seed_requests(&client, &address, &module).await?;

    println!("largest demo module: {module} ({inputs} input fields); {timed} timed requests per page");
    support::header();
    let form = format!("/requests/new/{module}");
    // Each page with something that shows it is the real one, not an error or an empty list.
    let seeded = if module == "rds-postgresql" { "bench-db-00" } else { "My requests" };
    for (path, expected) in [(form.as_str(), "name=\"#key\""), ("/requests?scope=mine", seeded)] {
        let (times, body) = support::measure(&client, &format!("{address}{path}"), warm_up, timed).await?;
        ensure!(body.contains(expected), "GET {path} does not contain {expected:?}:\n{body}");
        support::report(&format!("GET {path}"), &times, body.len());
    }

    app.stop().await
}

/// Submits [`SEEDED_REQUESTS`] database requests through the form, as a browser without
/// JavaScript does.
async fn seed_requests(client: &reqwest::Client, address: &str, module: &str) -> anyhow::Result<()> {
    if module != "rds-postgresql" {
        // The form below is the database's; other modules' lists stay empty.
        return Ok(());
    }
    let url = format!("{address}/requests/new/{module}");
    for i in 0..SEEDED_REQUESTS {
        let page = client.get(&url).send().await?.text().await?;
        let marker = "name=\"#key\" value=\"";
        let start = page.find(marker).context("the form has an idempotency key")? + marker.len();
        let key = page[start..].split('"').next().unwrap_or_default().to_owned();
        let name = format!("bench-db-{i:02}");
        let form = [
            ("#key", key.as_str()),
            ("#team", "payments"),
            ("#environment", "dev"),
            ("#instance_name", name.as_str()),
            ("#justification", "Benchmark data."),
            ("instance_class", "db.t4g.small"),
            ("allocated_storage", "50"),
            ("subnet_group_name", "payments-private"),
            ("master_password_ssm_parameter", "/orders/db/master-password"),
            ("#op", "submit"),
        ];
        let done = client.post(&url).header("Origin", BASE_URL).form(&form).send().await?;
        let location = done.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if done.status() != 303 || !location.starts_with("/requests/") || location.contains("new") {
            bail!("submitting request {i} answered {} to {location:?}", done.status());
        }
    }
    Ok(())
}
