//! Reviewing through the real server with JavaScript off, on SQLite and PostgreSQL: the queue
//! lists what is routed to the reviewer, four eyes hold, and an approval merges the pull
//! request in the local infra repository.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::forms::*;
use common::*;

async fn status(app: &TestApp) -> String {
    let row: (String,) =
        sqlx::query_as("SELECT status FROM requests WHERE id = 1").fetch_one(app.db.pool()).await.unwrap();
    row.0
}

async fn wait_for(app: &TestApp, want: &str) {
    for _ in 0..100 {
        if status(app).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("request #1 stayed {}, expected {want}", status(app).await);
}

async fn version(app: &TestApp) -> String {
    let row: (i64,) =
        sqlx::query_as("SELECT version FROM requests WHERE id = 1").fetch_one(app.db.pool()).await.unwrap();
    row.0.to_string()
}

#[tokio::test]
async fn a_routed_reviewer_approves_from_the_queue_and_the_pull_request_is_merged() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
        wait_for(&app, "in_review").await;

        // The requester cannot decide (not in a routed team, and it is their own request).
        let v = version(&app).await;
        app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v)]).await;
        assert!(
            app.get("/requests/1")
                .await
                .html()
                .contains("Not recorded: only members of a team this request is routed to (sre)")
        );
        app.logout().await;

        // A reviewer of another team sees the request but cannot decide on it.
        app.sign_in("dba").await;
        assert!(app.get("/queue").await.html().contains("Nothing is waiting for your teams."));
        app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v)]).await;
        assert_eq!(status(&app).await, "in_review");
        app.logout().await;

        app.sign_in("sre").await;
        let queue = app.get("/queue").await.html();
        assert!(queue.contains("/requests/1") && queue.contains("orders-db"), "{queue}");
        // The filters carry their counts over open requests; this one needs sre, and sre.
        for shown in ["1 listed.", "Needs me (1)", "in review (1)", "changes requested (0)", "dev (1)", "needs you"] {
            assert!(queue.contains(shown), "{shown}: {queue}");
        }
        let mine = app.get("/queue?mine=1&environment=dev").await.html();
        assert!(mine.contains("/requests/1") && mine.contains("checked"), "{mine}");
        let none = app.get("/queue?status=changes_requested&environment=prod").await.html();
        assert!(none.contains("Nothing matches these filters.") && none.contains("prod (0)"), "{none}");
        let page = app.get("/requests/1").await.html();
        assert!(page.contains("Approve revision 1") && page.contains("sre</strong>: 0 of 1"), "{page}");
        // Rejecting needs a reason; the refusal keeps what was typed.
        app.post_form("/requests/1/decide", &[("decision", "reject"), ("version", &v), ("comment", "")]).await;
        assert!(app.get("/requests/1").await.html().contains("a comment is required"));
        app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v), ("comment", "ship it")])
            .await
            .assert_redirect("/requests/1");
        assert!(app.get("/requests/1").await.html().contains("is approved; Infradesk merges its pull request"));
        wait_for(&app, "merged").await;
        let repo = app.data_dir().join("infra-repo");
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["show", "main:environments/dev/rds-postgresql-orders-db.tf"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("module \"orders-db\""), "merged into main");
        assert!(app.get("/queue").await.html().contains("Nothing is waiting for your teams."));
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("sam") || html.contains("sre</strong>: 1 of 1"), "{html}");
        assert!(html.contains("ship it"), "the conversation shows the comment");
        assert_eq!(app.count_audit("request.approved").await, 1);
        assert_eq!(app.count_audit("request.merged").await, 1);
    }
}
