//! Shared by the server benches: the real application built as `scripts/run` builds it (the
//! repository's `infradesk.toml` and demo catalog, SQLite in a temporary directory, demo
//! users), a signed-in client, and a latency report.
#![allow(dead_code, clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::ensure;
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

/// Starts the application with `extra` configuration variables on top of the demo setup.
pub async fn start(extra: &[(&str, &str)]) -> anyhow::Result<Running> {
    let catalog_dir = PathBuf::from(REPO).join("catalog");
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().display().to_string();
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
    let config = server::config::load(Some(&PathBuf::from(REPO).join("infradesk.toml")), &env)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let app = Application::build(config, Arc::new(backend::SystemClock)).await?;
    let address = format!("http://{}", app.addr);
    let db = app.db.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(async move {
        let _ = stopped.await;
    }));
    Ok(Running { address, db, data_dir: dir, stop, server })
}

pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// A client signed in as `login` (a demo user).
pub async fn signed_in(address: &str, login: &str) -> anyhow::Result<reqwest::Client> {
    let client = client()?;
    let answer = client
        .post(format!("{address}/login"))
        .header("Origin", BASE_URL)
        .form(&[("login", login), ("password", server::demo::DEMO_PASSWORD)])
        .send()
        .await?;
    ensure!(answer.status() == 303, "sign-in answered {}", answer.status());
    Ok(client)
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
