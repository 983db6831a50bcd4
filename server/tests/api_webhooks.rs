//! `POST /webhooks/github` through the real server, on SQLite and PostgreSQL: the signature
//! matrix (nothing stored for any bad one), ping, other repositories, redeliveries, the
//! state change a delivery makes, and `/metrics` counting it all.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use backend::webhooks::signature::sign;
use common::forms::*;
use common::*;
use serde_json::json;

const SECRET: &str = "whsec_test_0123456789";

async fn github_app(dialect: backend::Dialect) -> TestApp {
    spawn_demo_app_with(
        dialect,
        &[
            ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
            // Nothing listens there: the worker's calls fail and are retried later.
            ("INFRADESK_GITHUB__API_URL", "http://127.0.0.1:9"),
            ("INFRADESK_GITHUB_TOKEN", "ghp_test_token"),
            ("INFRADESK_GITHUB_WEBHOOK_SECRET", SECRET),
        ],
    )
    .await
}

async fn post(
    app: &TestApp,
    event: &str,
    delivery: Option<&str>,
    signature: Option<String>,
    body: &str,
) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}/webhooks/github", app.address))
        .header("X-GitHub-Event", event)
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(d) = delivery {
        request = request.header("X-GitHub-Delivery", d);
    }
    if let Some(s) = signature {
        request = request.header("X-Hub-Signature-256", s);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn merged(pr: i64, head: &str, repository: &str) -> String {
    json!({
        "action": "closed",
        "number": pr,
        "pull_request": { "number": pr, "state": "closed", "merged": true, "merge_commit_sha": "abc",
                          "head": { "sha": head, "ref": "infradesk/1-orders-db" }, "updated_at": "2026-11-24T10:00:00Z" },
        "repository": { "full_name": repository }
    })
    .to_string()
}

async fn deliveries(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM webhook_deliveries", None).await
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    for dialect in dialects() {
        let app = github_app(dialect).await;
        let body = merged(1, "abc", "acme/infra");
        let good = sign(SECRET.as_bytes(), body.as_bytes());
        let mut one_byte = body.clone().into_bytes();
        one_byte[10] ^= 1;
        let one_byte = String::from_utf8(one_byte).unwrap();
        let cases: [(Option<String>, &str); 5] = [
            (None, &body),
            (Some("sha1=0000000000000000000000000000000000000000".into()), &body),
            (Some(sign(b"wrong secret", body.as_bytes())), &body),
            (Some(good.clone()), &one_byte),
            (Some(format!("{}0", &good[..good.len() - 1])), &body),
        ];
        for (i, (signature, payload)) in cases.into_iter().enumerate() {
            let (status, text) = post(&app, "pull_request", Some(&format!("bad-{i}")), signature, payload).await;
            assert_eq!(status, 401, "case {i}: {text}");
            assert!(text.starts_with("refused:"), "{text}");
        }
        assert_eq!(deliveries(&app).await, 0, "nothing stored");

        let ping = json!({"zen": "Keep it logically awesome.", "repository": {"full_name": "acme/infra"}}).to_string();
        let (status, text) =
            post(&app, "ping", Some("p-1"), Some(sign(SECRET.as_bytes(), ping.as_bytes())), &ping).await;
        assert_eq!((status, text.trim()), (200, "pong"));

        let other = merged(1, "abc", "evil/infra");
        let (status, text) =
            post(&app, "pull_request", Some("o-1"), Some(sign(SECRET.as_bytes(), other.as_bytes())), &other).await;
        assert_eq!(status, 403, "{text}");
        let (status, _) = post(&app, "pull_request", None, Some(good.clone()), &body).await;
        assert_eq!(status, 400, "no delivery id");
        assert_eq!(deliveries(&app).await, 0);

        let metrics = app.get("/metrics").await.body;
        assert!(metrics.contains("infradesk_webhook_requests_total{outcome=\"bad_signature\"} 5"), "{metrics}");
        assert!(metrics.contains("infradesk_webhook_requests_total{outcome=\"wrong_repository\"} 1"), "{metrics}");
    }
}

#[tokio::test]
async fn a_signed_delivery_is_stored_once_and_applied_once() {
    for dialect in dialects() {
        let app = github_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
        // The pull request as if the worker had opened it on GitHub (nothing listens at the
        // configured API URL in this test).
        sqlx::query(
            "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
             changed_outside, merged_without_approval, opened_at_ms, updated_at_ms) \
             VALUES (1, 17, 'https://github.com/acme/infra/pull/17', 'infradesk/1-orders-db', 'h1', 'h1', 'open', 0, 0, 0, 0)",
        )
        .execute(app.db.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = 1").execute(app.db.pool()).await.unwrap();

        let body = merged(17, "h1", "ACME/Infra");
        let signature = sign(SECRET.as_bytes(), body.as_bytes());
        let (status, text) = post(&app, "pull_request", Some("d-1"), Some(signature.clone()), &body).await;
        assert_eq!((status, text.trim()), (202, "queued"));
        for _ in 0..9 {
            let (status, text) = post(&app, "pull_request", Some("d-1"), Some(signature.clone()), &body).await;
            assert_eq!((status, text.trim()), (200, "already received"));
        }
        for _ in 0..100 {
            if app.count_audit("request.merged").await == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(app.count_audit("request.merged").await, 1);
        assert_eq!(deliveries(&app).await, 1);
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Merged on GitHub before Infradesk approved it."), "{html}");
        assert!(html.contains("href=\"https://github.com/acme/infra/pull/17\""), "a link to the pull request");

        let metrics = app.get("/metrics").await.body;
        for line in [
            "infradesk_webhook_requests_total{outcome=\"accepted\"} 1",
            "infradesk_webhook_requests_total{outcome=\"duplicate\"} 9",
            "infradesk_webhook_deliveries{outcome=\"applied\"} 1",
        ] {
            assert!(metrics.contains(line), "{line} in {metrics}");
        }
        assert!(metrics.contains("infradesk_outbox_jobs{state=\"pending\"}"), "{metrics}");
    }
}

/// Posts a signed delivery and waits until the background task has processed it.
async fn deliver(app: &TestApp, event: &str, delivery: &str, body: &str) {
    let (status, text) = post(app, event, Some(delivery), Some(sign(SECRET.as_bytes(), body.as_bytes())), body).await;
    assert_eq!(status, 202, "{text}");
    let processed = format!(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE delivery_id = '{delivery}' AND processed_at_ms IS NOT NULL"
    );
    for _ in 0..100 {
        if app.count_rows(&processed, None).await == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {delivery} was not processed");
}

#[tokio::test]
async fn comments_and_reviews_on_github_show_in_the_conversation_as_text() {
    for dialect in dialects() {
        let app = github_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
        sqlx::query(
            "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
             changed_outside, merged_without_approval, opened_at_ms, updated_at_ms) \
             VALUES (1, 17, 'https://github.com/acme/infra/pull/17', 'infradesk/1-orders-db', 'h1', 'h1', 'open', 0, 0, 0, 0)",
        )
        .execute(app.db.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = 1").execute(app.db.pool()).await.unwrap();

        let comment = json!({
            "action": "created",
            "issue": { "number": 17, "pull_request": { "url": "https://api.github.com/repos/acme/infra/pulls/17" } },
            "comment": { "id": 9001, "user": { "login": "octo-reviewer" }, "body": "<script>alert(1)</script> why 100 GB?",
                         "created_at": "2025-11-24T15:00:00Z", "updated_at": "2025-11-24T15:00:00Z",
                         "html_url": "https://github.com/acme/infra/pull/17#issuecomment-9001" },
            "repository": { "full_name": "acme/infra" }
        })
        .to_string();
        deliver(&app, "issue_comment", "c-1", &comment).await;
        let review = json!({
            "action": "submitted",
            "review": { "id": 77, "user": { "login": "octo-reviewer" }, "state": "changes_requested", "body": "use gp3",
                        "commit_id": "h1", "submitted_at": "2025-11-24T15:10:00Z",
                        "html_url": "https://github.com/acme/infra/pull/17#pullrequestreview-77" },
            "pull_request": { "number": 17, "state": "open", "head": { "sha": "h1", "ref": "infradesk/1-orders-db" } },
            "repository": { "full_name": "acme/infra" }
        })
        .to_string();
        deliver(&app, "pull_request_review", "r-1", &review).await;
        assert_eq!(app.count_audit("pull_request.commented").await, 1);

        let html = app.get("/requests/1").await.html();
        assert!(!html.contains("<script>alert(1)</script>"), "never rendered as HTML: {html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; why 100 GB?"), "{html}");
        assert!(html.contains("on GitHub: comment, revision 1"), "labelled as from GitHub: {html}");
        assert!(html.contains("href=\"https://github.com/acme/infra/pull/17#issuecomment-9001\""), "{html}");
        assert!(html.contains("on GitHub: review, changes requested, revision 1"), "{html}");
        assert!(html.contains("not counted: no Infradesk user has this GitHub login"), "the page says why: {html}");
        assert_eq!(html.matches("data-source=\"github\"").count(), 2, "{html}");
        assert_eq!(app.count_audit("request.changes_requested").await, 0);
    }
}

#[tokio::test]
async fn without_github_there_is_no_webhook_endpoint() {
    let app = spawn_demo_app(backend::Dialect::Sqlite).await;
    let (status, text) = post(&app, "ping", Some("p-1"), None, "{}").await;
    assert_eq!(status, 404, "{text}");
}
