//! Fixtures for tests that play GitHub's side of a request: deliveries applied at once,
//! GitHub logins mapped to users, reviews as GitHub sends them, routes with their queue rows.
#![allow(dead_code)] // each test binary uses a different subset

use backend::Db;
use serde_json::{Value, json};

use crate::common::T0;
use crate::decision_fixtures::route;

/// Stores delivery `id` of `event` and applies every pending one, as the server does.
pub async fn deliver(db: &Db, id: &str, event: &str, body: &Value) {
    let action = body["action"].as_str();
    backend::webhooks::receive(db, T0, id, event, action, &body.to_string()).await.unwrap();
    backend::webhooks::process_pending(db, T0).await.unwrap();
}

/// Gives each `(login, github login)` pair's user that GitHub login.
pub async fn map_github(db: &Db, pairs: &[(&str, &str)]) {
    for (login, gh) in pairs {
        sqlx::query("UPDATE users SET github_login = $1 WHERE login = $2")
            .bind(gh)
            .bind(login)
            .execute(db.pool())
            .await
            .unwrap();
    }
}

/// A `pull_request_review` payload: review `id` by `login` in `state` on `commit` of pull
/// request `pr`.
#[allow(clippy::too_many_arguments)]
pub fn review(
    action: &str,
    pr: i64,
    id: i64,
    login: &str,
    state: &str,
    body: Option<&str>,
    commit: &str,
    at: &str,
) -> Value {
    json!({
        "action": action,
        "review": { "id": id, "user": { "login": login }, "state": state, "body": body, "commit_id": commit,
                    "submitted_at": at, "html_url": format!("https://github.com/acme/infra/pull/{pr}#pullrequestreview-{id}") },
        "pull_request": { "number": pr, "state": "open", "head": { "sha": commit, "ref": "x" } },
        "repository": { "full_name": "acme/infra" }
    })
}

/// An approval submitted on GitHub at T0 (16:00 UTC).
pub fn approval(pr: i64, id: i64, login: &str, commit: &str) -> Value {
    review("submitted", pr, id, login, "approved", None, commit, "2025-11-24T16:00:00Z")
}

/// Routes request `n` (after its pull request opened) and rewrites its queue rows, as storing
/// a revision's routing does.
pub async fn routed(db: &Db, n: i64, sre: u32, dba: u32) {
    route(db, n, sre, dba).await;
    let mut tx = db.begin_write().await.unwrap();
    backend::requests::queue_rows::refresh(&mut tx, n).await.unwrap();
    tx.commit().await.unwrap();
}
