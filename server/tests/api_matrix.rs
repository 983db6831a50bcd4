//! Who may do what, through the real server on SQLite and PostgreSQL: every request page and
//! request action for the requester, another member of the requesting team, a member of another
//! team, a reviewer of the routed team, a reviewer of another team, an admin and someone signed
//! out — the exact answer each gets, and (for actions) whether anything changed.
#![allow(clippy::unwrap_used)]

mod common;

use common::roles::*;
use common::*;

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count_rows(sql, None).await
}

#[tokio::test]
async fn every_page_and_action_answers_each_role_exactly() {
    for dialect in dialects() {
        let app = spawn_demo_app_with(dialect, &NO_LOGIN_LIMIT).await;
        add_olga(&app).await;
        submit_and_open(&app, "orders-db", 1).await;
        submit_and_open(&app, "cache-db", 2).await;

        // Pages: (path, expected per role in ROLES order; 303 = to the sign-in page).
        let pages: [(&str, [u16; 7]); 8] = [
            ("/requests/1", [200, 200, 404, 200, 200, 200, 303]),
            ("/requests/1/edit", [200, 200, 404, 404, 404, 404, 303]),
            ("/queue", [403, 403, 403, 200, 200, 403, 303]),
            ("/admin", [403, 403, 403, 403, 403, 200, 303]),
            ("/requests?scope=all", [200, 200, 200, 200, 200, 200, 303]),
            // The audit trail and its exports: reviewers and admins.
            ("/audit?request=1", [403, 403, 403, 200, 200, 200, 303]),
            ("/audit/export.csv?request=1", [403, 403, 403, 200, 200, 200, 303]),
            ("/audit/export.jsonl", [403, 403, 403, 200, 200, 200, 303]),
        ];
        for (path, expected) in pages {
            for (role, want) in ROLES.iter().zip(expected) {
                as_role(&app, *role).await;
                let page = app.get(path).await;
                assert_eq!(page.status, want, "GET {path} as {role:?}");
            }
        }

        // Comments: everyone who can see the request; the others change nothing.
        for (role, want, counts) in ROLES
            .iter()
            .zip([303, 303, 404, 303, 303, 303, 303])
            .zip([true, true, false, true, true, true, false])
            .map(|((r, w), c)| (r, w, c))
        {
            as_role(&app, *role).await;
            let before = count(&app, "SELECT COUNT(*) FROM review_comments").await;
            let v = version(&app, 1).await;
            let answer = app
                .post_form("/requests/1/decide", &[("decision", "comment"), ("comment", "a note"), ("version", &v)])
                .await;
            assert_eq!(answer.status, want, "comment as {role:?}");
            let after = count(&app, "SELECT COUNT(*) FROM review_comments").await;
            assert_eq!(after - before, i64::from(counts), "comment stored as {role:?}");
        }

        // Cancelling #2 and editing it: refused for everyone but the requesting team and (for
        // cancel) admins; tried by the refused roles first.
        for (role, want) in [(Some("olga"), 404), (Some("sre"), 403), (Some("dba"), 403), (None, 303)] {
            as_role(&app, role).await;
            let v = version(&app, 2).await;
            let answer = app.post_form("/requests/2/cancel", &[("version", &v), ("reason", "no")]).await;
            assert_eq!(answer.status, want, "cancel as {role:?}");
            let answer = app.post_form("/requests/2/edit", &[("#version", &v), ("#op", "submit")]).await;
            let want_edit = if role.is_none() { 303 } else { 404 };
            assert_eq!(answer.status, want_edit, "edit as {role:?}");
            assert_eq!(app.count_audit("request.cancelled").await, 0);
            assert_eq!(app.count_audit("request.edited").await, 0);
        }
        as_role(&app, Some("admin")).await;
        let answer = app.post_form("/requests/2/edit", &[("#version", "3"), ("#op", "submit")]).await;
        assert_eq!(answer.status, 404, "admins do not edit other teams' requests");

        // Approving #1: every role tries, the routed reviewer (sre) last; only sre counts — a
        // reviewer of another team (dba) and an admin outside the routed teams are refused.
        let approvers = ROLES.iter().copied().filter(|r| *r != Some("sre")).chain([Some("sre")]);
        for role in approvers {
            as_role(&app, role).await;
            let v = version(&app, 1).await;
            let answer = app.post_form("/requests/1/decide", &[("decision", "approve"), ("version", &v)]).await;
            let approvals = count(&app, "SELECT COUNT(*) FROM approvals WHERE request_id = 1").await;
            assert_eq!(approvals, i64::from(role == Some("sre")), "approve as {role:?}");
            let status = if role == Some("sre") { "approved" } else { "in_review" };
            let row: (String,) =
                sqlx::query_as("SELECT status FROM requests WHERE id = 1").fetch_one(app.db.pool()).await.unwrap();
            assert_eq!(row.0, status, "after approve as {role:?}");
            if matches!(role, Some("dba") | Some("admin")) {
                assert_eq!(answer.status, 303, "approve as {role:?}");
                let page = app.get("/requests/1").await.html();
                assert!(
                    page.contains(
                        "Not recorded: only members of a team this request is routed to (sre) can decide on it"
                    ),
                    "approve as {role:?}: {page}"
                );
            }
        }
        assert_eq!(app.count_audit("request.approved").await, 1);
        assert_eq!(app.count_audit("request.approval_recorded").await, 0);

        // Admin retry: admins only.
        for role in ROLES {
            as_role(&app, role).await;
            let answer = app.post_form("/admin/jobs/1/retry", &[("back", "/admin")]).await;
            let want = if role == Some("admin") { 303 } else { 403 };
            assert_eq!(answer.status, want, "retry as {role:?}");
        }

        // The requesting team's other member may cancel #2; then it is done.
        as_role(&app, Some("dev2")).await;
        let v = version(&app, 2).await;
        app.post_form("/requests/2/cancel", &[("version", &v), ("reason", "duplicate")]).await;
        assert_eq!(app.count_audit("request.cancelled").await, 1);
    }
}
