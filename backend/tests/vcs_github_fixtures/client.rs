//! The client side of the GitHub tests: a `GitHubVcs` pointed at the fake, and helpers that
//! read what the fake received.
#![allow(dead_code)]

use std::time::Duration;

use backend::vcs::github::{GitHubAuth, GitHubConfig, GitHubVcs};
use backend::vcs::{Author, ChangeSet, FileChange, PullRequestDraft};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::{MockServer, Request, ResponseTemplate};

use crate::fake::{Auth, Fake, INSTALLATION_ID, OWNER, REPO, TOKEN, fixture};

pub const BRANCH: &str = "infradesk/req-12";
pub const FILE: &str = "envs/prod/req-12-logs.tf";
pub const CONTENT: &str =
    "module \"logs\" {\n  source = \"../../modules/s3-bucket\"\n  name   = \"acme-prod-logs\"\n}\n";
pub const READ_TIMEOUT: Duration = Duration::from_millis(300);

pub fn repo(path: &str) -> String {
    format!("/repos/{OWNER}/{REPO}{path}")
}

pub async fn vcs(server: &MockServer, auth: GitHubAuth) -> GitHubVcs {
    let mut config = GitHubConfig::new(OWNER, REPO, auth);
    config.api_url = server.uri().parse().unwrap();
    config.connect_timeout = Duration::from_secs(2);
    config.read_timeout = READ_TIMEOUT;
    GitHubVcs::new(config).unwrap()
}

pub fn token() -> GitHubAuth {
    GitHubAuth::Token(SecretString::from(TOKEN))
}

pub fn app() -> GitHubAuth {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/vcs_github_fixtures/test-only-app-key.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    GitHubAuth::App { app_id: 7, private_key: SecretString::from(pem), installation_id: INSTALLATION_ID }
}

pub async fn start() -> (MockServer, Fake, GitHubVcs) {
    let (server, fake) = Fake::start(Auth::Token).await;
    let vcs = vcs(&server, token()).await;
    (server, fake, vcs)
}

pub fn change(content: Option<&str>) -> ChangeSet {
    ChangeSet {
        branch: BRANCH.into(),
        base: "main".into(),
        message: "Request #12: acme-prod-logs (s3-bucket)".into(),
        author: Author { name: "Alice Example".into(), email: "alice@example.com".into() },
        files: vec![FileChange { path: FILE.into(), content: content.map(str::to_string) }],
    }
}

pub fn draft(labels: &[&str], teams: &[&str]) -> PullRequestDraft {
    PullRequestDraft {
        branch: BRANCH.into(),
        base: "main".into(),
        title: "Request #12: acme-prod-logs".into(),
        body: "Requested by Alice Example.".into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        team_reviewers: teams.iter().map(|s| s.to_string()).collect(),
    }
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// "METHOD /path" of every request from the `from`th on.
pub async fn calls_since(server: &MockServer, from: usize) -> Vec<String> {
    requests(server).await[from..].iter().map(|r| format!("{} {}", r.method, r.url.path())).collect()
}

pub async fn count(server: &MockServer, method: &str, path: &str) -> usize {
    requests(server).await.iter().filter(|r| r.method.as_str() == method && r.url.path() == path).count()
}

pub fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

pub async fn last_body(server: &MockServer, method: &str, path: &str) -> Value {
    let all = requests(server).await;
    body(all.iter().rev().find(|r| r.method.as_str() == method && r.url.path() == path).unwrap())
}

pub fn answer(status: u16, fixture_name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(fixture(fixture_name))
}
