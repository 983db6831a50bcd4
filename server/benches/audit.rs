//! Speed targets of the audit issue (docs/BENCHMARKS.md): the audit page with any single
//! filter on 10,000,000 events in under 50 ms (p99), and an export of at least 200,000 events a
//! second with memory flat, on SQLite and PostgreSQL.
//!
//! Fills the database with a valid hash chain of synthetic events (about 70 % of them about
//! requests, each request's events clustered in time, with their `audit_request_scope` rows;
//! the rest sign-ins and other changes), unless it already holds that many; starts the real
//! application on it as `scripts/run` does and waits for its start-up chain verification
//! (reported); signs in as a reviewer and times sequential `GET /audit?…` pages for each single
//! filter end to end over loopback on one keep-alive connection; then downloads exports and
//! reports events per second and the process's memory (RSS) before, at peak and after.
//!
//! Run: `cargo bench -p server --bench audit`. Environment:
//! - `BENCH_AUDIT_EVENTS` — events to have (default 10,000,000);
//! - `BENCH_AUDIT_DB` — the database (`sqlite:///tmp/audit.db`, `postgres://…`): filled up to
//!   `BENCH_AUDIT_EVENTS` when it holds fewer events, reused as it is otherwise; default: a new
//!   SQLite file in a temporary directory;
//! - `BENCH_AUDIT_PARTS` — what to measure after the start-up verification, comma-separated:
//!   `pages`, `export` (the three downloads), `verify` (`backend::audit::verify` once more, as
//!   `infradesk audit verify` runs it, with the application idle); default: all three;
//! - `BENCH_REQUESTS` — timed requests per page (default 300).
//!
//! `--test` (as `cargo test --benches` passes) runs the same path on 3,000 events with a few
//! timed requests.
#![allow(clippy::print_stdout)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use domain::audit::{AuditEvent, canonical_details};

/// A request event's (request, team, environment, module) indexes, for `audit_request_scope`.
type Scope = (i64, usize, usize, usize);

const TEAMS: usize = 40;
const USERS: usize = 500;
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const MODULES: [&str; 8] = [
    "s3-bucket",
    "rds-postgresql",
    "sqs-queue",
    "sns-topic",
    "dynamodb-table",
    "elasticache-redis",
    "ecr-repository",
    "iam-service-role",
];
const REQUEST_ACTIONS: [&str; 8] = [
    "request.submitted",
    "pull_request.opened",
    "request.commented",
    "request.approval_recorded",
    "request.approved",
    "pull_request.merged",
    "request.edited",
    "request.cancelled",
];
/// Two years of history.
const SPAN_MS: i64 = 2 * 365 * 86_400_000;

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--test");
    let events = support::env_number("BENCH_AUDIT_EVENTS", if quick { 3_000 } else { 10_000_000 })?;
    let timed = support::env_number("BENCH_REQUESTS", if quick { 3 } else { 300 })? as usize;
    let parts = Parts::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(i64::try_from(events)?, timed, if quick { 1 } else { 30 }, parts))
}

/// What to measure (`BENCH_AUDIT_PARTS`).
#[derive(Clone, Copy)]
struct Parts {
    pages: bool,
    export: bool,
    verify: bool,
}

impl Parts {
    fn from_env() -> anyhow::Result<Parts> {
        let Some(list) = std::env::var("BENCH_AUDIT_PARTS").ok().filter(|p| !p.trim().is_empty()) else {
            return Ok(Parts { pages: true, export: true, verify: true });
        };
        let mut parts = Parts { pages: false, export: false, verify: false };
        for part in list.split(',').map(str::trim) {
            match part {
                "pages" => parts.pages = true,
                "export" => parts.export = true,
                "verify" => parts.verify = true,
                other => anyhow::bail!("BENCH_AUDIT_PARTS: unknown part {other:?} (pages, export, verify)"),
            }
        }
        Ok(parts)
    }
}

async fn run(target: i64, timed: usize, warm_up: usize, parts: Parts) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let url = std::env::var("BENCH_AUDIT_DB")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}/audit.db", temp.path().display()));
    fill(&url, target).await?;

    let started = Instant::now();
    let app = support::start(&[
        ("INFRADESK_DATABASE__URL", &url),
        ("INFRADESK_LOG__FILTER", "error"),
        ("INFRADESK_AUDIT__VERIFY_INTERVAL_MINUTES", "0"),
    ])
    .await?;
    let address = app.address.clone();
    let admin = support::signed_in(&address, "admin").await?;
    let verification = loop {
        let page = admin.get(format!("{address}/admin")).send().await?.text().await?;
        if !page.contains("Not finished yet") {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(verification.contains("chain-ok"), "the start-up verification did not find the chain intact");
    let (head, _) = backend::audit::head(&app.db).await?;
    // The admin page says how long the walk took: "…, took 61.2 s".
    let took = verification.split(", took ").nth(1).and_then(|t| t.split('<').next()).unwrap_or("?");
    println!(
        "{} ({head} audit events); start-up verification of the whole chain took {took}, done {:.1} s after start",
        server::config::redact_url(&url),
        started.elapsed().as_secs_f64()
    );

    if parts.pages {
        let sre = support::signed_in(&address, "sre").await?;
        let middle = head / 2;
        let middle_request = target * 7 / 10 / 7 / 2;
        let day = |ms: i64| domain::utc::rfc3339_ms(ms)[..10].to_owned();
        let now = backend::Clock::now_ms(&backend::SystemClock);
        let pages: Vec<(&str, String)> = vec![
            ("newest", "/audit".to_owned()),
            ("an older page", format!("/audit?before={middle}")),
            ("actor", "/audit?actor=user%3Au17".to_owned()),
            ("action", "/audit?action=request.approved".to_owned()),
            ("request", format!("/audit?request={middle_request}")),
            ("team", "/audit?team=team-07".to_owned()),
            ("environment", "/audit?environment=prod".to_owned()),
            ("module", "/audit?module=rds-postgresql".to_owned()),
            ("one day a year ago", format!("/audit?from={0}&to={0}", day(now - SPAN_MS / 2))),
            ("from a month ago", format!("/audit?from={}", day(now - 30 * 86_400_000))),
            ("up to a year ago", format!("/audit?to={}", day(now - SPAN_MS / 2))),
            ("team, older page", format!("/audit?team=team-07&before={middle}")),
        ];
        println!("{timed} timed requests per page after {warm_up} untimed ones");
        support::header();
        for (what, path) in &pages {
            let (times, body) = support::measure(&sre, &format!("{address}{path}"), warm_up, timed).await?;
            let rows = body.matches("<tr data-seq=").count();
            ensure!(body.contains("Audit trail") && rows > 0, "GET {path} listed no events");
            support::report(&format!("{what} ({rows} rows)"), &times, body.len());
        }
    }
    if parts.export {
        println!();
        // A download of millions of events takes longer than the page client's 60 s timeout.
        let downloader = support::sign_in(support::client_with_timeout(None)?, &address, "sre").await?;
        for path in ["/audit/export.csv", "/audit/export.jsonl", "/audit/export.csv?team=team-07"] {
            export(&downloader, &address, path, temp.path()).await?;
        }
    }
    if parts.verify {
        println!();
        let started = Instant::now();
        let v = backend::audit::verify(&app.db).await?;
        let took = started.elapsed().as_secs_f64();
        ensure!(v.broken.is_none(), "the chain is broken: {:?}", v.broken);
        println!("backend::audit::verify: {} events in {took:.1} s = {:.0} events/s", v.events, v.events as f64 / took);
    }
    app.stop().await
}

/// Downloads an export to a file; prints events per second and the process's memory.
async fn export(client: &reqwest::Client, address: &str, path: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kb(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let before = rss_kb();
    let started = Instant::now();
    let response = client.get(format!("{address}{path}")).send().await?;
    ensure!(response.status() == 200, "GET {path} answered {}", response.status());
    let file = dir.join("export.out");
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(&file).await?);
    let (mut bytes, mut lines) = (0_u64, 0_u64);
    let mut response = response;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    let took = started.elapsed();
    sampler.abort();
    let events = if path.contains(".csv") { lines.saturating_sub(1) } else { lines };
    println!(
        "GET {path}: {events} events, {:.0} MB in {:.1} s = {:.0} events/s; RSS {} MB before, {} MB peak, {} MB after",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64(),
        before / 1024,
        peak.load(Ordering::Relaxed).max(before) / 1024,
        rss_kb() / 1024,
    );
    tokio::fs::remove_file(&file).await?;
    Ok(())
}

/// This process's resident memory (server and client share it), from /proc.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// A small deterministic generator (xorshift), so every run builds the same data.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }
}

/// Appends synthetic events (a valid chain continuing from the stored head) until the
/// database holds `target` events. Written in multi-row inserts, 10,000 events per
/// transaction, with their `audit_request_scope` rows.
async fn fill(url: &str, target: i64) -> anyhow::Result<()> {
    let db = backend::Db::connect(url, &backend::db::DbOptions::default()).await?;
    db.migrate().await?;
    let (mut seq, mut hash) = backend::audit::head(&db).await?;
    if seq >= target {
        println!("{} holds {seq} audit events already: measuring those", server::config::redact_url(url));
        db.close().await;
        return Ok(());
    }
    println!("adding {} audit events to {} …", target - seq, server::config::redact_url(url));
    let started = Instant::now();
    let now = backend::Clock::now_ms(&backend::SystemClock);
    let step = (SPAN_MS / target.max(1)).max(1);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::try_from(seq).unwrap_or(0));
    // Requests are numbered from the event number so that appending continues them.
    let mut request = seq / 10;
    let mut pending: Vec<(AuditEvent, Option<Scope>)> = Vec::new();
    let mut left_in_request = 0;
    let mut scope = (0, 0, 0);
    while seq < target {
        seq += 1;
        let at_ms = now - SPAN_MS + (seq - 1) * step;
        let (actor, action, subject, details, in_scope) = if rng.below(10) < 7 {
            if left_in_request == 0 {
                request += 1;
                left_in_request = 5 + rng.below(5);
                let env = [0, 0, 0, 1, 1, 2][rng.below(6)];
                scope = (rng.below(TEAMS), env, rng.below(MODULES.len()));
            }
            left_in_request -= 1;
            let action = REQUEST_ACTIONS[rng.below(REQUEST_ACTIONS.len())];
            let details = serde_json::json!({ "revision": 1 + rng.below(3), "note": "synthetic" });
            (format!("user:u{}", rng.below(USERS)), action, format!("request:{request}"), details, Some(scope))
        } else {
            let user = rng.below(USERS);
            let details = serde_json::json!({ "client": "10.0.0.1" });
            (format!("user:u{user}"), "auth.signed_in", format!("user:u{user}"), details, None)
        };
        let details = canonical_details(&details);
        let mut event = AuditEvent {
            seq,
            at_ms,
            actor,
            action: action.to_owned(),
            subject,
            details,
            prev_hash: hash,
            hash: String::new(),
        };
        event.hash = event.expected_hash();
        hash = event.hash.clone();
        let scope = in_scope.map(|(t, e, m)| (request, t, e, m));
        pending.push((event, scope));
        if pending.len() == 10_000 || seq == target {
            write(&db, &pending).await?;
            pending.clear();
            if seq % 1_000_000 == 0 {
                let secs = started.elapsed().as_secs_f64();
                println!("  {seq:>10} events {secs:>6.0} s");
            }
        }
    }
    if db.dialect() == backend::Dialect::Postgres {
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    println!("filled in {:.1} s", started.elapsed().as_secs_f64());
    db.close().await;
    Ok(())
}

async fn write(db: &backend::Db, events: &[(AuditEvent, Option<Scope>)]) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    for chunk in events.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO audit_events (seq, at_ms, actor, action, subject, details, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 8;
            let sep = if i == 0 { "" } else { "," };
            sql.push_str(&format!(
                "{sep}(${},${},${},${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8
            ));
        }
        let mut q = sqlx::query(&sql);
        for (e, _) in chunk {
            q = q
                .bind(e.seq)
                .bind(e.at_ms)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.subject)
                .bind(&e.details)
                .bind(&e.prev_hash)
                .bind(&e.hash);
        }
        q.execute(&mut *tx).await?;
        let scoped: Vec<(i64, (i64, usize, usize, usize))> =
            chunk.iter().filter_map(|(e, s)| s.map(|s| (e.seq, s))).collect();
        if !scoped.is_empty() {
            let mut sql =
                String::from("INSERT INTO audit_request_scope (seq, request_id, team, environment, module) VALUES ");
            for i in 0..scoped.len() {
                let b = i * 5;
                let sep = if i == 0 { "" } else { "," };
                sql.push_str(&format!("{sep}(${},${},${},${},${})", b + 1, b + 2, b + 3, b + 4, b + 5));
            }
            let mut q = sqlx::query(&sql);
            for (seq, (request, team, env, module)) in &scoped {
                q = q
                    .bind(*seq)
                    .bind(*request)
                    .bind(format!("team-{team:02}"))
                    .bind(ENVIRONMENTS[*env])
                    .bind(MODULES[*module]);
            }
            q.execute(&mut *tx).await?;
        }
    }
    let (last, _) = events.last().map(|(e, _)| (e.seq, ())).unwrap_or_default();
    let hash = events.last().map(|(e, _)| e.hash.clone()).unwrap_or_default();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
