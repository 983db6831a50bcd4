//! `infradesk seed --scale N`: fills the configured database with N realistic requests and
//! their history, for benchmarks (backend::seed). In demo mode the demo users are created
//! first, as `serve` does; the catalog is loaded from `catalog.dir` as at start.

// Printing to stdout is this module's job: it is the command-line output.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use backend::clock::Clock;
use backend::seed::{self, Options, Report, Setting};

use crate::config::{Config, Mode};
use crate::{demo, startup};

#[derive(clap::Args, Debug)]
pub struct SeedArgs {
    /// How many requests to add (each with about ten audit events).
    #[arg(long, value_name = "N")]
    scale: u64,
    /// Add to a database that already holds requests (refused otherwise).
    #[arg(long)]
    append: bool,
    /// The random seed: the same seed, database and time give the same data.
    #[arg(long, default_value_t = seed::DEFAULT_SEED)]
    seed: u64,
}

pub async fn run(config: &Config, clock: &dyn Clock, args: SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = startup::open_database(config).await?;
    db.migrate().await.context("migrating the database")?;
    backend::requests::queue_rows::run_maintenance(&db).await.context("rebuilding after migrating")?;
    let options = Options { append: args.append, seed: args.seed, ..Options::new(args.scale, clock.now_ms()) };
    println!("seeding {} request(s) into {}", args.scale, crate::config::redact_url(&config.database.url));

    let seeding = Instant::now();
    let mut shown = Instant::now();
    let mut progress = |r: &Report| {
        if shown.elapsed() >= Duration::from_secs(10) {
            shown = Instant::now();
            let secs = seeding.elapsed().as_secs_f64();
            println!(
                "  {:>9} requests  {:>10} events  {:>6.0} s  ({:.0} events/s)",
                r.requests,
                r.events,
                secs,
                r.events as f64 / secs.max(0.001)
            );
        }
    };
    let report = seed_database(config, &db, &options, &mut progress).await?;
    let seeded = seeding.elapsed();
    db.close().await;

    let statuses: Vec<String> = report.statuses.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "seeded {} requests (#{}–#{}) with {} revisions, {} queued for review, {} pull requests, {} approvals, \
         {} comments, {} outbox jobs",
        report.requests,
        report.numbers.0,
        report.numbers.1,
        report.revisions,
        report.queued,
        report.pull_requests,
        report.approvals,
        report.comments,
        report.jobs
    );
    println!(
        "and {} audit events ({} about requests); the chain ends at event {}",
        report.events, report.request_events, report.head_seq
    );
    println!("statuses: {}", statuses.join(", "));
    println!(
        "took {:.1} s ({:.1} s seeding, {:.0} events/s)",
        started.elapsed().as_secs_f64(),
        seeded.as_secs_f64(),
        report.events as f64 / seeded.as_secs_f64().max(0.001)
    );
    Ok(())
}

/// Seeds `db` (migrated) as `infradesk seed` does: the demo users first in demo mode (as
/// `serve` creates them), the catalog from `catalog.dir`, the configured environments,
/// routing and URLs. Shared with the queue benchmark.
pub async fn seed_database(
    config: &Config,
    db: &backend::Db,
    options: &Options,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> anyhow::Result<Report> {
    if config.mode == Mode::Demo {
        let created = demo::seed(db, options.now_ms).await.context("creating the demo users")?;
        if created > 0 {
            println!("created {created} demo user(s) (password: {})", demo::DEMO_PASSWORD);
        }
    }
    let names: Vec<String> = config.environments.iter().map(|e| e.name.clone()).collect();
    let catalog = backend::catalog::load_catalog(&config.catalog.dir, &names);
    for failed in &catalog.failed {
        println!("module {failed} does not load and gets no requests (`infradesk catalog check` says why)");
    }
    if catalog.modules.is_empty() {
        bail!("the catalog in {} has no module that loads", config.catalog.dir.display());
    }
    let modules: Vec<domain::catalog::Module> = catalog.modules.into_values().collect();
    let environments: Vec<domain::request::Environment> = config
        .environments
        .iter()
        .map(|e| domain::request::Environment {
            name: e.name.clone(),
            aws_account_id: e.aws_account_id.clone(),
            region: e.region.clone(),
            directory: e.directory.clone(),
            protected: e.protected,
        })
        .collect();
    let pull_url = match &config.github {
        Some(github) => format!("https://github.com/{}/pull/", github.repository),
        None => {
            let repo = backend::infra_repo::resolve(&config.data_dir, &config.infra_repo.path);
            format!("local:{}#pull/", repo.display())
        }
    };
    let setting = Setting {
        modules: &modules,
        environments: &environments,
        path_template: &config.catalog.path_template,
        routing: &config.routing,
        base_url: config.base_url.as_str().trim_end_matches('/'),
        pull_url: &pull_url,
    };
    Ok(seed::seed(db, &setting, options, progress).await?)
}
