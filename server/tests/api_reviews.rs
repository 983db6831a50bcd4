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
        // "Needs me": the box stays ticked, the request is listed with its badge, and only it.
        let mine = app.get("/queue?mine=1&environment=dev").await.html();
        assert!(mine.contains("name=\"mine\" value=\"1\" checked"), "the box stays ticked: {mine}");
        assert!(mine.contains("href=\"/requests/1\"") && mine.contains("data-testid=\"needs-me\""), "{mine}");
        assert!(mine.contains("1 listed.") && count(&mine, "data-testid=\"needs-me\"") == 1, "{mine}");
        let unticked = app.get("/queue?environment=dev").await.html();
        assert!(!unticked.contains("name=\"mine\" value=\"1\" checked"), "{unticked}");
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
        let approved = app.get("/requests/1").await.html();
        assert!(
            approved.contains("Request #1 is approved; Infradesk merges it into the base branch now."),
            "{approved}"
        );
        assert!(
            approved.contains("Plan check: not configured (local infra repository): an approved request is merged"),
            "{approved}"
        );
        // A decision from the page as it was before the approval loses, and says what won.
        app.post_form("/requests/1/decide", &[("decision", "request_changes"), ("version", &v), ("comment", "wait")])
            .await
            .assert_redirect("/requests/1");
        let lost = app.get("/requests/1").await.html();
        assert!(lost.contains("was changed by someone else meanwhile"), "{lost}");
        assert!(
            lost.contains("Last change: request.approved by user:sre at ")
                || lost.contains("Last change: request.merged by system at "),
            "{lost}"
        );
        assert!(lost.contains("Your comment was: wait"), "{lost}");
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
        // The approval counted for sre, by sre (Sam), once.
        let approvals = &html[html.find("data-testid=\"approvals\"").unwrap()..];
        let approvals = &approvals[..approvals.find("</div>").unwrap()];
        assert!(approvals.contains("<strong>sre</strong>: 1 of 1 — sre</li>"), "{approvals}");
        assert!(!approvals.contains("Not counted"), "{approvals}");
        assert!(html.contains("ship it"), "the conversation shows the comment");
        assert_eq!(app.count_audit("request.approved").await, 1);
        assert_eq!(app.count_audit("request.merged").await, 1);
    }
}

/// A revision of request #1 by whoever is signed in (the requesting team edits).
async fn edit(app: &TestApp, storage: &str) {
    let key = form_key(&app.get("/requests/1/edit").await.body);
    let v = version(app).await;
    let mut form = valid_form(&key, "orders-db");
    form.retain(|(k, _)| *k != "allocated_storage");
    form.extend([("allocated_storage", storage), ("#version", v.as_str())]);
    app.post_form("/requests/1/edit", &form).await.assert_redirect("/requests/1");
}

/// The decision buttons follow the server's rule: a member of the requesting team who is
/// also a routed reviewer decides; anyone who authored any revision does not, and is told why.
#[tokio::test]
async fn the_decision_buttons_show_exactly_to_whom_the_server_lets_decide() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        // dev2 is in payments (the requesting team) and now also in sre (routed).
        let cli = domain::audit::Actor::Cli("test".into());
        backend::accounts::add_member(&app.db, &cli, 0, "sre", "dev2").await.unwrap();
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
        wait_for(&app, "in_review").await;
        let page = app.get("/requests/1").await.html();
        assert!(!page.contains("data-testid=\"approve\""), "the requester: {page}");
        app.logout().await;

        app.sign_in("dev2").await;
        let page = app.get("/requests/1").await.html();
        assert!(page.contains("data-testid=\"approve\"") && !page.contains("decide-refusal"), "{page}");
        // dev2 edits (revision 2), then dev (revision 3): dev2 authored a past revision.
        edit(&app, "60").await;
        app.logout().await;
        app.sign_in("dev").await;
        edit(&app, "70").await;
        app.logout().await;
        app.sign_in("dev2").await;
        let page = app.get("/requests/1").await.html();
        assert!(page.contains("Approve revision") || page.contains("revision 3"), "{page}");
        assert!(!page.contains("data-testid=\"approve\""), "a past editor: {page}");
        assert!(page.contains("You cannot decide on this request: you edited it."), "{page}");
        let v = version(&app).await;
        app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v)]).await;
        let page = app.get("/requests/1").await.html();
        assert!(page.contains("Not recorded: you cannot decide on this request: you edited it"), "{page}");
        assert_eq!(app.count_rows("SELECT COUNT(*) FROM approvals", None).await, 0);
        app.logout().await;

        // A reviewer of another team is told why too; the routed reviewer decides.
        app.sign_in("dba").await;
        let page = app.get("/requests/1").await.html();
        assert!(!page.contains("data-testid=\"approve\""), "{page}");
        assert!(page.contains("Only members of a team this request is routed to (sre) can decide on it."), "{page}");
        app.logout().await;
        app.sign_in("sre").await;
        let page = app.get("/requests/1").await.html();
        assert!(page.contains("Approve revision 3") && !page.contains("decide-refusal"), "{page}");
        app.logout().await;

        // Before anyone else edits, a requesting-team member who is a routed reviewer approves.
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "cache-db")).await;
        app.logout().await;
        for _ in 0..100 {
            let row: (String,) =
                sqlx::query_as("SELECT status FROM requests WHERE id = 2").fetch_one(app.db.pool()).await.unwrap();
            if row.0 == "in_review" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.sign_in("dev2").await;
        let page = app.get("/requests/2").await.html();
        assert!(page.contains("data-testid=\"approve\""), "{page}");
        let row: (i64,) =
            sqlx::query_as("SELECT version FROM requests WHERE id = 2").fetch_one(app.db.pool()).await.unwrap();
        app.post_form("/requests/2/decide", &[("decision", "approve"), ("version", &row.0.to_string())]).await;
        assert_eq!(app.count_rows("SELECT COUNT(*) FROM approvals WHERE request_id = 2", None).await, 1);
    }
}

/// The queue shows each request's age beside the time requested, and highlights what is
/// overdue (the test clock moves; nothing sleeps for it).
#[tokio::test]
async fn the_queue_shows_ages_and_highlights_overdue_requests() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
        wait_for(&app, "in_review").await;
        app.logout().await;

        app.sign_in("sre").await;
        let queue = app.get("/queue").await.html();
        assert!(queue.contains("(under a minute ago)"), "{queue}");
        assert!(!queue.contains("class=\"overdue\"") && !queue.contains("overdue since"), "{queue}");
        app.advance(Duration::from_secs(3 * 3600 + 120));
        let queue = app.get("/queue").await.html();
        assert!(queue.contains("(3 h ago)"), "{queue}");
        assert!(!queue.contains("overdue since"), "16 working hours are not up: {queue}");

        // Ten days on the SLA (16 working hours) is long past; the session has lapsed too.
        app.advance(Duration::from_secs(10 * 86_400));
        app.sign_in("sre").await;
        let queue = app.get("/queue").await.html();
        assert!(queue.contains("(10 d ago)"), "{queue}");
        let row = &queue[queue.find("<tbody>").unwrap()..];
        assert!(row.contains("<tr class=\"overdue\">") && row.contains("overdue since "), "{queue}");
    }
}

/// With GitHub, the request page says what the plan check means for merging and the
/// approval says what happens next — for checks required, not required, and merging left
/// to GitHub.
#[tokio::test]
async fn with_github_the_plan_check_line_and_the_approval_say_what_happens() {
    let cases = [
        (
            None,
            "Plan check: no checks reported yet (Infradesk merges an approved request once every check passed)",
            "Request #1 is approved; Infradesk merges its pull request once the plan check passes.",
        ),
        (
            Some(("INFRADESK_GITHUB__REQUIRE_GREEN_CHECKS", "false")),
            "Plan check: no checks reported yet (not required: Infradesk merges an approved request without waiting for it)",
            "Request #1 is approved; Infradesk merges its pull request now.",
        ),
        (
            Some(("INFRADESK_GITHUB__MERGE_ON_APPROVAL", "false")),
            "Plan check: no checks reported yet (an approved request is merged on GitHub)",
            "Request #1 is approved; Infradesk says on its pull request who approved; merge it on GitHub (Infradesk does not merge it).",
        ),
    ];
    for dialect in dialects() {
        for (setting, plan, flash) in cases {
            let mut vars = vec![
                ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
                // Nothing listens there: the worker's calls fail and are retried later.
                ("INFRADESK_GITHUB__API_URL", "http://127.0.0.1:9"),
                ("INFRADESK_GITHUB_TOKEN", "ghp_test_token"),
            ];
            vars.extend(setting);
            let app = spawn_demo_app_with(dialect, &vars).await;
            app.sign_in("dev").await;
            let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
            app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
            // The pull request as if the worker had opened it on GitHub.
            sqlx::query(
                "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
                 changed_outside, merged_without_approval, opened_at_ms, updated_at_ms) \
                 VALUES (1, 17, 'https://github.com/acme/infra/pull/17', 'infradesk/1-orders-db', 'h1', 'h1', 'open', 0, 0, 0, 0)",
            )
            .execute(app.db.pool())
            .await
            .unwrap();
            sqlx::query("UPDATE requests SET status = 'in_review' WHERE id = 1").execute(app.db.pool()).await.unwrap();
            app.logout().await;

            app.sign_in("sre").await;
            let page = app.get("/requests/1").await.html();
            assert!(page.contains(plan), "{setting:?}: {page}");
            let v = version(&app).await;
            app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v)]).await;
            let page = app.get("/requests/1").await.html();
            assert!(page.contains(flash), "{setting:?}: {page}");
            assert_eq!(status(&app).await, "approved");
        }
    }
}
