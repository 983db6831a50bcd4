//! From request to pull request through the real server, on SQLite and PostgreSQL, with the
//! local git infra repository: the worker opens the pull request in the background, the
//! request page shows it, a failure shows its reason, and an admin's retry finishes it.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::forms::*;
use common::*;

fn git(repo: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(repo).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Polls the request's status until it is `want` (the worker runs on its own task).
async fn wait_for_status(app: &TestApp, number: i64, want: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        let row: (String,) = sqlx::query_as("SELECT status FROM requests WHERE id = $1")
            .bind(number)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        last = row.0;
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("request #{number} stayed {last}, expected {want}");
}

async fn submit(app: &TestApp, name: &str) {
    let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
    app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, name)).await;
}

/// The demo app where `dev` submitted `orders-db` (#1) and its pull request is open; the
/// local infra repository's path.
async fn request_in_review(dialect: backend::Dialect) -> (TestApp, std::path::PathBuf) {
    let app = spawn_demo_app(dialect).await;
    let repo = app.data_dir().join("infra-repo");
    app.sign_in("dev").await;
    submit(&app, "orders-db").await;
    wait_for_status(&app, 1, "in_review").await;
    (app, repo)
}

#[tokio::test]
async fn a_submitted_request_gets_its_pull_request_in_the_local_repository() {
    for dialect in dialects() {
        let (app, repo) = request_in_review(dialect).await;

        let file = "environments/dev/rds-postgresql-orders-db.tf";
        let content = git(&repo, &["show", &format!("infradesk/1-orders-db:{file}")]);
        assert!(content.contains("module \"orders-db\" {"), "{content}");
        assert_eq!(git(&repo, &["log", "-1", "--format=%an", "infradesk/1-orders-db"]), "dev");
        assert_eq!(git(&repo, &["rev-list", "--count", "main..infradesk/1-orders-db"]), "1");
        assert_eq!(app.count_audit("request.pr_opened").await, 1);

        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Pull request #1 (open)"), "{html}");
        assert!(html.contains("infradesk/1-orders-db"), "branch shown");
        assert!(html.contains("in review"), "status label");
    }
}

#[tokio::test]
async fn a_failed_pull_request_shows_why_and_an_admin_retry_opens_it() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        let repo = app.data_dir().join("infra-repo");
        // The base branch is gone: opening the pull request fails at once (not transient).
        git(&repo, &["branch", "-m", "main", "trunk"]);
        app.sign_in("dev").await;
        submit(&app, "orders-db").await;
        wait_for_status(&app, 1, "failed").await;
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Opening the pull request failed: not found: branch main"), "{html}");
        assert!(html.contains("An Infradesk admin can retry it."), "{html}");
        assert!(!html.contains("data-testid=\"retry-job\""), "requesters cannot retry");
        let job_id = app.count_rows("SELECT MIN(id) FROM outbox_jobs", None).await;
        let denied = app.post_form(&format!("/admin/jobs/{job_id}/retry"), &[("back", "/requests/1")]).await;
        assert_eq!(denied.status, 403);

        app.logout().await;
        app.sign_in("admin").await;
        let admin = app.get("/admin").await.html();
        assert!(admin.contains("1 open, 1 failed") && admin.contains("not found: branch main"), "{admin}");
        assert!(app.get("/requests/1").await.html().contains("data-testid=\"retry-job\""));

        git(&repo, &["branch", "-m", "trunk", "main"]);
        let retried = app.post_form(&format!("/admin/jobs/{job_id}/retry"), &[("back", "/requests/1")]).await;
        retried.assert_redirect("/requests/1");
        wait_for_status(&app, 1, "in_review").await;
        assert_eq!(app.count_audit("request.retried").await, 1);
        let retried_by: Vec<_> =
            app.audit_events().await.into_iter().filter(|e| e.action == "request.retried").map(|e| e.actor).collect();
        assert_eq!(retried_by, ["user:admin"]);
        assert!(app.get("/admin").await.html().contains("Nothing is waiting"));
        // Retrying again changes nothing.
        let again = app.post_form(&format!("/admin/jobs/{job_id}/retry"), &[("back", "https://evil.example/")]).await;
        again.assert_redirect("/admin#jobs");
        assert_eq!(app.count_audit("request.retried").await, 1);
    }
}

#[tokio::test]
async fn the_requesting_team_cancels_and_the_pull_request_is_closed() {
    for dialect in dialects() {
        let (app, repo) = request_in_review(dialect).await;
        app.logout().await;

        // A reviewer of another team may read the request but not cancel it.
        app.sign_in("sre").await;
        let refused = app.post_form("/requests/1/cancel", &[("version", "3"), ("reason", "no")]).await;
        assert_eq!(refused.status, 403);
        app.logout().await;

        // Another member of the requesting team may; the reason is required.
        app.sign_in("dev2").await;
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Cancel request #1"), "{html}");
        app.post_form("/requests/1/cancel", &[("version", "3"), ("reason", " ")]).await.assert_redirect("/requests/1");
        assert!(app.get("/requests/1").await.html().contains("Say why the request is cancelled"));
        let stale = app.post_form("/requests/1/cancel", &[("version", "2"), ("reason", "duplicate")]).await;
        stale.assert_redirect("/requests/1");
        assert!(app.get("/requests/1").await.html().contains("changed by someone else meanwhile"));
        app.post_form("/requests/1/cancel", &[("version", "3"), ("reason", "duplicate of #7")]).await;
        wait_for_status(&app, 1, "cancelled").await;
        for _ in 0..100 {
            if git(&repo, &["branch", "--list", "infradesk/*"]).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(git(&repo, &["branch", "--list", "infradesk/*"]), "", "the branch is deleted");
        let cancelled: Vec<_> =
            app.audit_events().await.into_iter().filter(|e| e.action == "request.cancelled").collect();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].actor, "user:dev2");
        assert!(cancelled[0].details.contains("duplicate of #7"));
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Pull request #1 (closed)") && !html.contains("Cancel request #1"), "{html}");
        // The timeline says what happened, with the reason; requesters get no audit-page link.
        assert!(html.contains("in review → cancelled") && html.contains("“duplicate of #7”"), "{html}");
        assert!(!html.contains("data-testid=\"full-history\""), "{html}");
    }
}

fn edit_form<'a>(key: &'a str, version: &'a str, storage: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = valid_form(key, "orders-db");
    form.retain(|(k, _)| *k != "allocated_storage" && *k != "#environment" && *k != "#team");
    // Posted values for what an edit cannot change are ignored.
    form.extend([("allocated_storage", storage), ("#version", version), ("#environment", "prod"), ("#team", "search")]);
    form
}

#[tokio::test]
async fn an_edit_makes_a_new_revision_and_a_new_commit_on_the_pull_request() {
    for dialect in dialects() {
        let (app, repo) = request_in_review(dialect).await;
        assert!(app.get("/requests/1").await.html().contains("Edit (new revision)"));

        let page = app.get("/requests/1/edit").await;
        assert_eq!(page.status, 200);
        let html = page.html();
        assert!(html.contains("Edit request #1") && html.contains("Save revision 2"), "{html}");
        let key = form_key(&page.body);

        // An invalid value keeps the form, with the error, and stores nothing.
        let bad = app.post_form("/requests/1/edit", &edit_form(&key, "3", "5")).await;
        let back = bad.location().unwrap().to_owned();
        assert!(back.starts_with(&format!("/requests/1/edit?draft={key}")), "{back}");
        let html = app.get(&back).await.html();
        assert!(html.contains("value=\"5\""), "the typed value is kept");
        assert_eq!(app.count_rows("SELECT COUNT(*) FROM request_revisions", None).await, 1);

        // A stale version is refused with the reason.
        app.post_form("/requests/1/edit", &edit_form(&key, "2", "80")).await;
        assert!(app.get(&back).await.html().contains("changed by someone else meanwhile"));

        app.post_form("/requests/1/edit", &edit_form(&key, "3", "80")).await.assert_redirect("/requests/1");
        assert_eq!(app.count_rows("SELECT COUNT(*) FROM request_revisions", None).await, 2);
        let html = app.get("/requests/1").await.html();
        assert!(html.contains("Revision 2 saved"), "{html}");
        let storage_line = |text: &str| {
            text.lines().any(|l| l.trim_start().starts_with("allocated_storage") && l.trim_end().ends_with("= 80"))
        };
        assert!(storage_line(&html), "the page shows the new file");
        // What changed since revision 1: the setting highlighted with its old value, and the diff.
        assert!(html.contains("1 setting changed since revision 1 (highlighted)."), "{html}");
        assert!(html.contains("was 50"), "{html}");
        let diff = &html[html.find("data-testid=\"rendered-diff\"").expect("the rendered diff")..];
        let diff_line = |sign: char, value: &str| {
            diff.split("<code>").any(|cell| {
                let text = cell.split("</code>").next().unwrap_or_default();
                text.starts_with(&format!("{sign}  allocated_storage"))
                    && text.trim_end().ends_with(&format!("= {value}"))
            })
        };
        assert!(diff_line('-', "50") && diff_line('+', "80"), "{diff}");

        // The worker pushes revision 2 to the same branch.
        let file = "infradesk/1-orders-db:environments/dev/rds-postgresql-orders-db.tf";
        for _ in 0..100 {
            if storage_line(&git(&repo, &["show", file])) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(storage_line(&git(&repo, &["show", file])));
        assert_eq!(git(&repo, &["rev-list", "--count", "main..infradesk/1-orders-db"]), "2");
        assert_eq!(app.count_audit("request.edited").await, 1);
        let row: (String, String) = sqlx::query_as("SELECT environment, status FROM requests WHERE id = 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(row, ("dev".to_owned(), "in_review".to_owned()), "environment unchanged");

        // Someone outside the team cannot edit.
        app.logout().await;
        app.sign_in("sre").await;
        assert_eq!(app.get("/requests/1/edit").await.status, 404);
        assert_eq!(app.post_form("/requests/1/edit", &edit_form(&key, "5", "90")).await.status, 404);
    }
}
