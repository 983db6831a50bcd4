//! Speed target of the scale issue (docs/BENCHMARKS.md): the approval queue — 50 rows out of
//! 1,000,000 requests and about 10,000,000 audit events — in under 20 ms (p99) on SQLite and
//! PostgreSQL. Seeds the database with `infradesk seed`'s own code (backend::seed, through
//! `server::cli::seed::seed_database`) unless it already holds requests, starts the real
//! application on it as `scripts/run` does, signs in as reviewers and times sequential `GET
//! /queue` pages (unfiltered, filtered, the next page) end to end over loopback with one
//! keep-alive connection. Prints p50/p90/p99/max per page.
//!
//! Run: `cargo bench -p server --bench queue`. Environment:
//! - `BENCH_QUEUE_SCALE` — requests to seed (default 1,000,000);
//! - `BENCH_QUEUE_DB` — the database (`sqlite:///tmp/q.db`, `postgres://…`): seeded when it
//!   holds no request, reused as it is otherwise (seed once, measure many times); default: a
//!   new SQLite file in a temporary directory;
//! - `BENCH_REQUESTS` — timed requests per page (default 500).
//!
//! `--test` (as `cargo test --benches` passes) runs the same path at 2,000 requests with a few
//! timed requests and no timing assertion.
#![allow(clippy::print_stdout)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::ensure;
use backend::seed::{Options, Report};
use support::REPO;

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--test");
    let scale = support::env_number("BENCH_QUEUE_SCALE", if quick { 2_000 } else { 1_000_000 })?;
    let timed = support::env_number("BENCH_REQUESTS", if quick { 5 } else { 500 })? as usize;
    let warm_up = if quick { 2 } else { 50 };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(scale, timed, warm_up))
}

async fn run(scale: u64, timed: usize, warm_up: usize) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let url = std::env::var("BENCH_QUEUE_DB")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}/queue.db", temp.path().display()));
    seed_unless_seeded(&url, scale).await?;

    let app = support::start(&[("INFRADESK_DATABASE__URL", &url), ("INFRADESK_LOG__FILTER", "error")]).await?;
    let address = app.address.clone();
    let requests = count(&app.db, "SELECT COUNT(*) FROM requests").await?;
    let events = count(&app.db, "SELECT COUNT(*) FROM audit_events").await?;
    let in_review = count(&app.db, "SELECT COUNT(*) FROM requests WHERE status = 'in_review'").await?;
    let queued = count(&app.db, "SELECT COUNT(*) FROM review_queue").await?;
    settle().await;

    let sre = support::signed_in(&address, "sre").await?;
    let dba = support::signed_in(&address, "dba").await?;
    // The second page starts after the first page's last row, as its "Next page" link does.
    let ids = (user_id(&app.db, "sre").await?, user_id(&app.db, "dba").await?);
    let first = backend::requests::queue(&app.db, &Page::new("sre", None, None).query(ids)).await?;
    // The request page of a seeded request loads (its revision, review, pull request, timeline).
    if let Some(item) = first.items.first() {
        let page = sre.get(format!("{address}/requests/{}", item.number)).send().await?;
        ensure!(page.status() == 200, "GET /requests/{} answered {}", item.number, page.status());
        let body = page.text().await?;
        ensure!(body.contains(&item.instance_name), "the page of #{} does not show its name:\n{body}", item.number);
    }
    let pages = [
        Page::new("sre", None, None),
        Page { after: first.next_after, ..Page::new("sre", None, None) },
        Page::new("sre", Some("prod"), None),
        Page::new("sre", None, Some("rds-postgresql")),
        Page::new("sre", Some("staging"), Some("s3-bucket")),
        Page::new("dba", None, None),
        // Nothing matches (dba reviews prod databases only).
        Page::new("dba", Some("dev"), None),
        Page { mine: true, ..Page::new("sre", None, None) },
        Page { status: "changes_requested", ..Page::new("sre", None, None) },
        Page { status: "open", ..Page::new("sre", Some("prod"), None) },
    ];

    println!(
        "{} ({requests} requests, {in_review} in review, {queued} review_queue rows, {events} audit events); {timed} timed requests per page",
        redact(&url)
    );
    support::header();
    for page in &pages {
        let client = if page.who == "sre" { &sre } else { &dba };
        let path = page.path();
        let (times, body) = support::measure(client, &format!("{address}{path}"), warm_up, timed).await?;
        let rows = body.matches("<td><a href=\"/requests/").count();
        ensure!(body.contains("Approval queue"), "GET {path} as {} is not the queue:\n{body}", page.who);
        support::report(&format!("{} GET {path} ({rows} rows)", page.who), &times, body.len());
    }
    // The queries alone (the page's rows, then its counts per filter), for where the time goes.
    for page in &pages {
        let query = page.query(ids);
        let (mut rows, mut counts) = (Vec::with_capacity(timed), Vec::with_capacity(timed));
        for i in 0..warm_up + timed {
            let started = Instant::now();
            let found = backend::requests::queue(&app.db, &query).await?;
            let rows_done = started.elapsed();
            let counted = backend::requests::queue_counts(&app.db, &query).await?;
            if i >= warm_up {
                rows.push(rows_done);
                counts.push(started.elapsed() - rows_done);
            }
            ensure!(found.items.len() <= 50);
            ensure!(found.next_after.is_some() || counted.listed == found.items.len() as i64);
        }
        support::report(&format!("  rows only: {} {}", page.who, page.path()), &rows, 0);
        support::report(&format!("  counts only: {} {}", page.who, page.path()), &counts, 0);
    }
    app.stop().await
}

/// One queue page: whose, and its filters.
struct Page {
    who: &'static str,
    environment: Option<&'static str>,
    module: Option<&'static str>,
    status: &'static str,
    mine: bool,
    after: Option<(i64, i64)>,
}

impl Page {
    fn new(who: &'static str, environment: Option<&'static str>, module: Option<&'static str>) -> Page {
        Page { who, environment, module, status: "in_review", mine: false, after: None }
    }

    fn path(&self) -> String {
        let mut params = Vec::new();
        params.extend(self.environment.map(|e| format!("environment={e}")));
        params.extend(self.module.map(|m| format!("module={m}")));
        if self.status != "in_review" {
            params.push(format!("status={}", self.status));
        }
        if self.mine {
            params.push("mine=1".to_owned());
        }
        params.extend(self.after.map(|(at, n)| format!("after={at}-{n}")));
        if params.is_empty() { "/queue".to_owned() } else { format!("/queue?{}", params.join("&")) }
    }

    /// What the page asks the backend (the demo reviewers are in one reviewing team each);
    /// `ids`: sre's and dba's user ids.
    fn query(&self, ids: (i64, i64)) -> backend::requests::QueueQuery {
        backend::requests::QueueQuery {
            teams: vec![self.who.to_owned()],
            user_id: if self.who == "sre" { ids.0 } else { ids.1 },
            environment: self.environment.map(str::to_owned),
            module: self.module.map(str::to_owned),
            team: None,
            status: backend::requests::QueueStatus::parse(self.status),
            needs_me: self.mine,
            after: self.after,
            limit: 50,
        }
    }
}

/// Seeds `url` at `scale` requests unless it already holds requests.
async fn seed_unless_seeded(url: &str, scale: u64) -> anyhow::Result<()> {
    let config = config(url)?;
    let db = server::startup::open_database(&config).await?;
    db.migrate().await?;
    backend::requests::queue_rows::run_maintenance(&db).await?;
    let existing = count(&db, "SELECT COUNT(*) FROM requests").await?;
    if existing > 0 {
        println!("{} holds {existing} requests already: measuring those", redact(url));
        db.close().await;
        return Ok(());
    }
    println!("seeding {scale} requests into {} …", redact(url));
    let started = Instant::now();
    let mut shown = Instant::now();
    let mut progress = |r: &Report| {
        if shown.elapsed() >= Duration::from_secs(30) {
            shown = Instant::now();
            println!("  {:>9} requests {:>10} events {:>6.0} s", r.requests, r.events, started.elapsed().as_secs_f64());
        }
    };
    let now = backend::Clock::now_ms(&backend::SystemClock);
    let report = server::cli::seed::seed_database(&config, &db, &Options::new(scale, now), &mut progress).await?;
    println!(
        "seeded {} requests and {} audit events in {:.1} s",
        report.requests,
        report.events,
        started.elapsed().as_secs_f64()
    );
    db.close().await;
    Ok(())
}

async fn user_id(db: &backend::Db, login: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE login = $1").bind(login).fetch_one(db.pool()).await?)
}

/// The configuration `support::start` runs the application with, on `url`.
fn config(url: &str) -> anyhow::Result<server::config::Config> {
    let catalog = PathBuf::from(REPO).join("catalog");
    let env: Vec<(String, String)> = [
        ("INFRADESK_MODE", "demo".to_owned()),
        ("INFRADESK_BASE_URL", support::BASE_URL.to_owned()),
        ("INFRADESK_DATABASE__URL", url.to_owned()),
        ("INFRADESK_CATALOG__DIR", catalog.display().to_string()),
        ("INFRADESK_LOG__FILTER", "error".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    server::config::load(Some(&PathBuf::from(REPO).join("infradesk.toml")), &env)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

async fn count(db: &backend::Db, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::Row::try_get(&sqlx::query(sql).fetch_one(db.pool()).await?, 0)?)
}

/// Waits until the application's start-up work is done, so that it is not timed with the
/// pages: the outbox worker opening the pull requests of seeded requests still waiting for one,
/// the start-up walk of the audit chain (ten million events: a minute or two) and the
/// reconcile, which asks the host about every open pull request. Done when the process has
/// used under 5 % of a core for 4 s (Linux: /proc/self/stat), at most 20 minutes.
async fn settle() {
    let started = Instant::now();
    let mut quiet = 0;
    let mut last = cpu_ticks();
    while quiet < 2 && started.elapsed() < Duration::from_secs(1_200) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = cpu_ticks();
        // Clock ticks are 1/100 s: 10 in 2 s is 5 % of a core.
        quiet = match (last, now) {
            (Some(a), Some(b)) if b - a < 10 => quiet + 1,
            (None, _) | (_, None) => 2,
            _ => 0,
        };
        last = now;
    }
    println!("start-up work done after {:.0} s", started.elapsed().as_secs_f64());
}

/// User and system CPU time of this process in clock ticks.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn redact(url: &str) -> String {
    server::config::redact_url(url)
}
