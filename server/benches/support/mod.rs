//! Shared by the server benches: the real application built as `scripts/run` builds it (the
//! repository's `infradesk.toml` and demo catalog, SQLite in a temporary directory, demo
//! users), signed-in clients, timed sequential requests, a latency report, and numbers from
//! the environment.
#![allow(dead_code, clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use server::config::Config;
use server::startup::Application;

pub const BASE_URL: &str = "http://127.0.0.1:3000";
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

pub struct Running {
    pub address: String,
    pub db: backend::Db,
    pub data_dir: tempfile::TempDir,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}

/// The demo configuration `scripts/run` uses (the repository's `infradesk.toml` and catalog,
/// demo mode, SQLite under `data_dir`, any free port), with `extra` configuration variables
/// on top (e.g. `INFRADESK_DATABASE__URL` for another database).
pub fn config(data_dir: &std::path::Path, extra: &[(&str, &str)]) -> anyhow::Result<Config> {
    let catalog_dir = PathBuf::from(REPO).join("catalog");
    let data_dir = data_dir.display().to_string();
    let mut env: Vec<(String, String)> = [
        ("INFRADESK_MODE", "demo".to_owned()),
        ("INFRADESK_LISTEN", "127.0.0.1:0".to_owned()),
        ("INFRADESK_BASE_URL", BASE_URL.to_owned()),
        ("INFRADESK_DATABASE__URL", format!("sqlite://{data_dir}/bench.db")),
        ("INFRADESK_DATA_DIR", data_dir.clone()),
        ("INFRADESK_SITE_ROOT", data_dir),
        ("INFRADESK_CATALOG__DIR", catalog_dir.display().to_string()),
        ("INFRADESK_LOG__FILTER", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    server::config::load(Some(&PathBuf::from(REPO).join("infradesk.toml")), &env)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

/// Starts the application with `extra` configuration variables on top of the demo setup
/// ([`config`], in a new temporary directory).
pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let config = config(dir.path(), extra)?;
    let app = Application::build(config, Arc::new(backend::SystemClock)).await?;
    let address = format!("http://{}", app.addr);
    let db = app.db.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(async move {
        let _ = stopped.await;
    }));
    Ok(Running { address, db, data_dir: dir, stop, server })
}

/// A whole number from the environment variable `name` (`_` allowed as a separator), or
/// `default` when it is not set.
pub fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(n) => n.replace('_', "").parse().with_context(|| format!("{name} must be a number")),
        Err(_) => Ok(default),
    }
}

pub fn client() -> anyhow::Result<reqwest::Client> {
    client_with_timeout(Some(Duration::from_secs(60)))
}

/// A cookie-keeping client that does not follow redirects; `None`: no overall timeout (a
/// download of millions of events takes minutes).
pub fn client_with_timeout(timeout: Option<Duration>) -> anyhow::Result<reqwest::Client> {
    let builder = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none());
    Ok(match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    }
    .build()?)
}

/// A client signed in as `login` (a demo user).
pub async fn signed_in(address: &str, login: &str) -> anyhow::Result<reqwest::Client> {
    sign_in(client()?, address, login).await
}

/// `client` after signing in as `login` (a demo user) through `POST /login`.
pub async fn sign_in(client: reqwest::Client, address: &str, login: &str) -> anyhow::Result<reqwest::Client> {
    let answer = client
        .post(format!("{address}/login"))
        .header("Origin", BASE_URL)
        .form(&[("login", login), ("password", server::demo::DEMO_PASSWORD)])
        .send()
        .await?;
    ensure!(answer.status() == 303, "sign-in answered {}", answer.status());
    Ok(client)
}

/// Times `timed` sequential GETs after `warm_up` untimed ones; every answer must be a 200.
/// Returns the times and the last body.
pub async fn measure(
    client: &reqwest::Client,
    url: &str,
    warm_up: usize,
    timed: usize,
) -> anyhow::Result<(Vec<Duration>, String)> {
    let mut times = Vec::with_capacity(timed);
    let mut last = Vec::new();
    for i in 0..warm_up + timed {
        let started = Instant::now();
        let response = client.get(url).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        let took = started.elapsed();
        ensure!(status == 200, "GET {url} answered {status}");
        last = body.to_vec();
        if i >= warm_up {
            times.push(took);
        }
    }
    Ok((times, String::from_utf8(last)?))
}

pub fn header() {
    println!("{:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}", "what", "p50", "p90", "p99", "max", "mean", "bytes");
}

pub fn report(what: &str, times: &[Duration], bytes: usize) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let mean = sorted.iter().sum::<Duration>() / sorted.len().max(1) as u32;
    let ms = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1000.0);
    println!(
        "{what:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {bytes:>9}",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(at(1.0)),
        ms(mean)
    );
}
