//! Speed targets of issue 4 (docs/BENCHMARKS.md), through the real application:
//!
//! 1. A burst of submissions: N forms posted at once (default 500) are all accepted, none
//!    waiting for the pull request; then how long the worker takes to open all N pull
//!    requests in the local git repository.
//! 2. Webhook acknowledgement: signed `pull_request` deliveries at 50 per second for 20 s;
//!    latency of `POST /webhooks/github` (verify, store, answer) end to end over loopback.
//!
//! Run: `cargo bench -p server --bench pull_requests` (`BENCH_BURST=n`, `BENCH_WEBHOOK_SECONDS=s`;
//! `--test`, as `cargo test --benches` passes, does a quick check).
#![allow(clippy::print_stdout)]

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use support::BASE_URL;

const SECRET: &str = "bench-webhook-secret";

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--test");
    let number = |name: &str, full: usize, test: usize| -> anyhow::Result<usize> {
        match std::env::var(name) {
            Ok(n) => n.parse().with_context(|| format!("{name} must be a number")),
            Err(_) => Ok(if quick { test } else { full }),
        }
    };
    let burst = number("BENCH_BURST", 500, 20)?;
    let seconds = number("BENCH_WEBHOOK_SECONDS", 20, 1)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        support::header();
        submissions(burst).await?;
        webhooks(seconds).await
    })
}

async fn submissions(burst: usize) -> anyhow::Result<()> {
    let app = support::start(&[]).await?;
    let client = support::signed_in(&app.address, "dev").await?;
    let url = format!("{}/requests/new/rds-postgresql", app.address);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(burst);
    for i in 0..burst {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let key = format!("bench-burst-key-{i:04}");
            let name = format!("burst-{i:04}");
            let form = [
                ("#key", key.as_str()),
                ("#team", "payments"),
                ("#environment", "dev"),
                ("#instance_name", name.as_str()),
                ("#justification", "Burst benchmark."),
                ("instance_class", "db.t4g.small"),
                ("allocated_storage", "50"),
                ("subnet_group_name", "payments-private"),
                ("master_password_ssm_parameter", "/orders/db/master-password"),
                ("#op", "submit"),
            ];
            let sent = Instant::now();
            let answer = client.post(&url).header("Origin", BASE_URL).form(&form).send().await?;
            let took = sent.elapsed();
            let location =
                answer.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            ensure!(
                answer.status() == 303 && location.starts_with("/requests/") && !location.contains("new"),
                "submission {i} answered {} to {location:?}",
                answer.status()
            );
            anyhow::Ok(took)
        }));
    }
    let mut times = Vec::with_capacity(burst);
    for task in tasks {
        times.push(task.await??);
    }
    let accepted_in = started.elapsed();
    let stored: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM requests").fetch_one(app.db.pool()).await?;
    ensure!(stored.0 == burst as i64, "{} requests stored, expected {burst}", stored.0);
    support::report(&format!("burst: {burst} submissions at once (each)"), &times, 0);
    println!(
        "burst: all {burst} accepted in {:.2}s = {:.0} submissions/s",
        accepted_in.as_secs_f64(),
        burst as f64 / accepted_in.as_secs_f64()
    );
    loop {
        let open: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM requests WHERE status = 'in_review'").fetch_one(app.db.pool()).await?;
        if open.0 == burst as i64 {
            break;
        }
        ensure!(started.elapsed() < Duration::from_secs(1800), "the worker opened only {} pull requests", open.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total = started.elapsed();
    println!(
        "burst: {burst} pull requests opened in the local git repository {:.2}s after the first submission = {:.1} per second",
        total.as_secs_f64(),
        burst as f64 / total.as_secs_f64()
    );
    app.stop().await
}

async fn webhooks(seconds: usize) -> anyhow::Result<()> {
    let app = support::start(&[
        ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
        // Nothing listens there; no job needs GitHub in this benchmark.
        ("INFRADESK_GITHUB__API_URL", "http://127.0.0.1:9"),
        ("INFRADESK_GITHUB_TOKEN", "bench-token"),
        ("INFRADESK_GITHUB_WEBHOOK_SECRET", SECRET),
    ])
    .await?;
    let client = support::client()?;
    let url = format!("{}/webhooks/github", app.address);
    let count = seconds * 50;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(count);
    let mut bytes = 0;
    for i in 0..count {
        tick.tick().await;
        // A realistically sized event (GitHub's pull_request payloads are 20–30 kB).
        let body = serde_json::json!({
            "action": "synchronize",
            "number": 100_000 + i,
            "pull_request": { "number": 100_000 + i, "state": "open", "merged": false,
                              "head": { "sha": format!("{i:040x}"), "ref": "feature" },
                              "updated_at": "2026-11-24T10:00:00Z", "body": "x".repeat(20_000) },
            "repository": { "full_name": "acme/infra" }
        })
        .to_string();
        bytes = body.len();
        let signature = backend::webhooks::signature::sign(SECRET.as_bytes(), body.as_bytes());
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = client
                .post(&url)
                .header("X-GitHub-Event", "pull_request")
                .header("X-GitHub-Delivery", format!("bench-{i}"))
                .header("X-Hub-Signature-256", signature)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await?;
            let took = sent.elapsed();
            ensure!(answer.status() == 202, "delivery {i} answered {}", answer.status());
            anyhow::Ok(took)
        }));
    }
    let mut times = Vec::with_capacity(count);
    for task in tasks {
        times.push(task.await??);
    }
    support::report(&format!("webhook ack at 50/s for {seconds}s ({count})"), &times, bytes);
    let stored: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries").fetch_one(app.db.pool()).await?;
    ensure!(stored.0 == count as i64, "{} deliveries stored, expected {count}", stored.0);
    app.stop().await
}
