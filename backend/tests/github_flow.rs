//! The outbox and webhooks against a fake GitHub (the same fake as `vcs_github.rs`): a
//! submitted request becomes exactly one pull request on GitHub with its labels, despite
//! 502s and a response lost after GitHub acted; a merge reported by webhook merges the
//! request. On SQLite and PostgreSQL; time is a manual clock.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "vcs_github_fixtures/fake/mod.rs"]
#[allow(dead_code)]
mod fake;
mod requests_fixtures;

use std::sync::Arc;
use std::time::Duration;

use backend::outbox::worker::{Outcome, Worker, WorkerConfig};
use backend::vcs::github::{GitHubAuth, GitHubConfig, GitHubVcs};
use backend::{Db, ManualClock, webhooks};
use common::*;
use fake::{Auth, Fake, OWNER, REPO, Script, TOKEN};
use requests_fixtures::*;
use secrecy::SecretString;
use serde_json::json;
use wiremock::ResponseTemplate;

async fn github(db: &Db) -> (wiremock::MockServer, Fake, Worker, ManualClock) {
    let (server, fake) = Fake::start(Auth::Token).await;
    let mut config = GitHubConfig::new(OWNER, REPO, GitHubAuth::Token(SecretString::from(TOKEN)));
    config.api_url = server.uri().parse().unwrap();
    config.read_timeout = Duration::from_millis(300);
    let clock = ManualClock::new(T0);
    let vcs = GitHubVcs::with_clock(config, Arc::new(clock.clone())).unwrap();
    let worker = Worker::new(
        db.clone(),
        Arc::new(vcs),
        Arc::new(clock.clone()),
        WorkerConfig::new("main", "https://infradesk.example.com"),
    );
    (server, fake, worker, clock)
}

async fn submit(db: &Db, alice: i64) -> i64 {
    let m = module("rds-postgresql");
    let mut r = simple("k-1", &m, "orders-db");
    r.user = (alice, "alice");
    submit_simple(db, T0, r).await.unwrap().number()
}

async fn status(db: &Db, number: i64) -> String {
    let row: (String,) =
        sqlx::query_as("SELECT status FROM requests WHERE id = $1").bind(number).fetch_one(db.pool()).await.unwrap();
    row.0
}

#[tokio::test]
async fn a_request_becomes_one_pull_request_on_github_despite_502s_and_a_lost_answer() {
    each_db(|db| async move {
        let p = people(&db).await;
        let (_server, fake, worker, clock) = github(&db).await;
        let pulls = format!("/repos/{OWNER}/{REPO}/pulls");
        fake.script("POST", &pulls, Script::Answer(ResponseTemplate::new(502)));
        fake.script("POST", &pulls, Script::Answer(ResponseTemplate::new(502)));
        fake.script("POST", &pulls, Script::ApplyThenDelay(Duration::from_millis(600)));
        let n = submit(&db, p.alice).await;

        let mut outcomes = Vec::new();
        for _ in 0..6 {
            if let Some((_, outcome)) = worker.run_once().await.unwrap() {
                outcomes.push(outcome);
            }
            if status(&db, n).await == "in_review" {
                break;
            }
            clock.advance(Duration::from_secs(600));
        }
        assert_eq!(outcomes.len(), 4, "{outcomes:?}");
        assert!(outcomes[..3].iter().all(|o| matches!(o, Outcome::Retrying { .. })), "{outcomes:?}");
        assert_eq!(outcomes[3], Outcome::Done);
        let (pr_number, head) = {
            let state = fake.lock();
            assert_eq!(state.prs.len(), 1, "exactly one pull request on GitHub");
            let pr = &state.prs[0];
            assert_eq!(pr.head, format!("infradesk/{n}-orders-db"));
            assert_eq!(pr.labels, ["infradesk", "env:dev", "module:rds-postgresql"]);
            assert!(pr.body.contains(&format!("https://infradesk.example.com/requests/{n}")));
            assert_eq!(state.commits.iter().filter(|c| c.branch == pr.head).count(), 1, "one commit");
            let content = state.files.get(&(pr.head.clone(), format!("envs/dev/request-{n}.tf"))).cloned();
            assert_eq!(content.as_deref(), Some(format!("# request #{n}\n").as_str()));
            (pr.number, state.branches[&pr.head].clone())
        };

        // GitHub merges it (before any approval) and says so by webhook.
        let body = json!({
            "action": "closed",
            "pull_request": { "number": pr_number, "state": "closed", "merged": true,
                              "merge_commit_sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6",
                              "head": { "sha": head, "ref": format!("infradesk/{n}-orders-db") },
                              "updated_at": "2026-11-24T10:00:00Z" },
            "repository": { "full_name": format!("{OWNER}/{REPO}") }
        })
        .to_string();
        webhooks::receive(&db, T0, "d-merge", "pull_request", Some("closed"), &body).await.unwrap();
        webhooks::process_pending(&db, T0).await.unwrap();
        assert_eq!(status(&db, n).await, "merged");
        assert!(backend::pulls::of_request(&db, n).await.unwrap().unwrap().merged_without_approval);
    })
    .await;
}
