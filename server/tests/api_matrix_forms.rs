//! Who may do what, continued (api_matrix.rs has the request pages and review actions): the
//! catalog and the request form, submitting a request for a team, and resolving a push made
//! outside Infradesk (re-render, accept) — for the seven roles, on SQLite and PostgreSQL, with
//! whether anything changed.
#![allow(clippy::unwrap_used)]

mod common;

use common::forms::*;
use common::roles::*;
use common::*;

#[tokio::test]
async fn the_catalog_the_form_and_submitting_answer_each_role_exactly() {
    for dialect in dialects() {
        let app = spawn_demo_app_with(dialect, &NO_LOGIN_LIMIT).await;
        add_olga(&app).await;

        // Everyone signed in may read the catalog and open a form (303 = to the sign-in page).
        let form = format!("/requests/new/{MODULE}");
        for (path, expected) in [
            ("/requests/new", [200, 200, 200, 200, 200, 200, 303]),
            (form.as_str(), [200, 200, 200, 200, 200, 200, 303]),
            ("/requests/new/no-such-module", [404, 404, 404, 404, 404, 404, 303]),
            ("/account", [200, 200, 200, 200, 200, 200, 303]),
            ("/", [200, 200, 200, 200, 200, 200, 303]),
        ] {
            for (role, want) in ROLES.iter().zip(expected) {
                as_role(&app, *role).await;
                assert_eq!(app.get(path).await.status, want, "GET {path} as {role:?}");
            }
        }

        // Submitting for payments: only its members (dev, dev2) create a request; everyone
        // else is sent back to the form with the reason, and nothing is stored.
        for (i, role) in ROLES.iter().enumerate() {
            as_role(&app, *role).await;
            let before = app.count_rows("SELECT COUNT(*) FROM requests", None).await;
            let key = match role {
                Some(_) => form_key(&app.get(&form).await.body),
                None => format!("00000000-0000-4000-8000-00000000000{i}"),
            };
            let name = format!("db-{i}");
            let answer = app.post_form(&form, &valid_form(&key, &name)).await;
            let after = app.count_rows("SELECT COUNT(*) FROM requests", None).await;
            let member = matches!(role, Some("dev" | "dev2"));
            assert_eq!(after - before, i64::from(member), "submit as {role:?}");
            assert_eq!(answer.status, 303, "submit as {role:?}");
            let to = answer.location().unwrap();
            match role {
                None => assert!(to.starts_with("/login"), "signed out: {to}"),
                Some(_) if member => assert!(to.starts_with("/requests/"), "{to}"),
                Some(_) => {
                    assert!(to.starts_with(&format!("{form}?draft=")), "back to the form: {to}");
                    let html = app.get(to).await.html();
                    assert!(
                        html.contains("only a team&#x27;s members may request for it")
                            || html.contains("only a team's members may request for it"),
                        "{html}"
                    );
                }
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn resolving_an_outside_push_answers_each_role_exactly() {
    for dialect in dialects() {
        let app = spawn_demo_app_with(dialect, &NO_LOGIN_LIMIT).await;
        add_olga(&app).await;
        submit_and_open(&app, "orders-db", 1).await;
        // Someone pushed to the branch by hand.
        let foreign = "1111111111111111111111111111111111111111";
        sqlx::query("UPDATE pull_requests SET changed_outside = 1, head_sha = $1 WHERE request_id = 1")
            .bind(foreign)
            .execute(app.db.pool())
            .await
            .unwrap();

        // Accepting the pushed head: only a reviewer of a routed team outside the requesting
        // team (sre); the requesting team may not accept its own push, admins have no extra
        // power, olga cannot see the request. Tried in this order, sre last (it resolves it).
        let order = [Some("dev"), Some("dev2"), Some("olga"), Some("dba"), Some("admin"), None, Some("sre")];
        for (role, want) in order.into_iter().zip([403, 403, 404, 403, 403, 303, 303]) {
            as_role(&app, role).await;
            let answer = app.post_form("/requests/1/accept-outside-change", &[("head", foreign)]).await;
            assert_eq!(answer.status, want, "accept as {role:?}");
            let accepted = app.count_audit("request.outside_change_accepted").await;
            assert_eq!(accepted, usize::from(role == Some("sre")), "accepted as {role:?}");
        }
        // Re-rendering: only the requesting team; reviewers and admins are refused, olga
        // cannot see it. Each allowed one queues a push of Infradesk's file.
        sqlx::query("UPDATE pull_requests SET changed_outside = 1 WHERE request_id = 1")
            .execute(app.db.pool())
            .await
            .unwrap();
        for (role, want) in ROLES.iter().zip([303, 303, 404, 403, 403, 403, 303]) {
            as_role(&app, *role).await;
            let before = app.count_audit("request.rerender_requested").await;
            let answer = app.post_form("/requests/1/rerender", &[]).await;
            assert_eq!(answer.status, want, "re-render as {role:?}");
            let asked = app.count_audit("request.rerender_requested").await - before;
            let member = matches!(role, Some("dev" | "dev2"));
            if !member {
                assert_eq!(asked, 0, "re-render as {role:?} changed nothing");
            }
            if role.is_none() {
                assert!(answer.location().is_some_and(|to| to.starts_with("/login")));
            }
        }
        assert!(app.count_audit("request.rerender_requested").await >= 1);
        app.stop().await;
    }
}
