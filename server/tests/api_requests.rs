//! Requesting through the real server with JavaScript off (plain form posts), on SQLite and
//! PostgreSQL: the catalog page, the generated form, errors that keep every value, rows
//! added without JavaScript, submit, double submit, instance names, team membership, the
//! request page and lists, and the admin's catalog reload.
#![allow(clippy::unwrap_used)]

mod common;

use common::forms::*;
use common::*;
use sqlx::Row;

async fn count_requests(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) FROM requests", None).await
}

#[tokio::test]
async fn the_catalog_lists_every_demo_module() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let page = app.get("/requests/new").await;
        assert_eq!(page.status, 200);
        for id in [
            "s3-bucket",
            "rds-postgresql",
            "sqs-queue",
            "dynamodb-table",
            "ecr-repository",
            "iam-service-role",
            "elasticache-redis",
            "sns-topic",
        ] {
            assert!(page.body.contains(&format!("href=\"/requests/new/{id}\"")), "{id} is offered");
        }
        // Catalog problems and the reload button are for admins only.
        assert!(!page.body.contains("reload-catalog"));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_form_is_generated_from_the_module_with_environment_limits() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let page = app.get(&format!("/requests/new/{MODULE}")).await;
        assert_eq!(page.status, 200);
        let html = page.html();
        // A select narrowed to dev's allowed classes, the overlay's default chosen.
        assert!(html.contains("<option value=\"db.t4g.micro\" selected"), "dev default preselected");
        assert!(!html.contains("value=\"db.r6g.large\""), "prod classes are not offered in dev");
        // The sensitive password is never a field; its reference is.
        assert!(!html.contains("name=\"master_password\""));
        assert!(html.contains("name=\"master_password_ssm_parameter\""));
        // Hidden fields stay hidden; key/value rows for tags; a number field for storage.
        assert!(!html.contains("name=\"master_username\""));
        assert!(html.contains("name=\"#rows:parameters\"") || html.contains("name=\"#rows:tags\""));
        assert!(html.contains("inputmode=\"decimal\""));
        assert!(html.contains("data-testid=\"preview\""));
        assert!(html.contains("reviewed by"), "the routing outcome is shown before submit");
        app.stop().await;
    }
}

#[tokio::test]
async fn errors_keep_every_value_and_store_nothing() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        let mut form = valid_form(&key, "Orders_DB");
        form.retain(|(k, _)| *k != "instance_class" && *k != "allocated_storage");
        form.push(("instance_class", "db.r6g.large"));
        form.push(("allocated_storage", "ten"));
        let back = app.post_form(&format!("/requests/new/{MODULE}"), &form).await;
        back.assert_redirect(&format!("/requests/new/{MODULE}?draft={key}"));
        let html = app.get(back.location().unwrap()).await.html();
        assert!(html.contains("uppercase letter"), "instance name error shown:\n{html}");
        assert!(html.contains("is not allowed"), "the dev limit is enforced");
        assert!(html.contains("is not a number"), "storage must be a number");
        assert!(html.contains("value=\"Orders_DB\""), "the typed name is kept");
        assert!(html.contains("value=\"ten\""), "the typed storage is kept");
        assert!(html.contains("Orders service needs its own database."), "the justification is kept");
        assert_eq!(count_requests(&app).await, 0, "nothing stored");
        assert_eq!(app.count_audit("request.submitted").await, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn rows_are_added_and_removed_without_javascript() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get("/requests/new/s3-bucket").await.body);
        let path = "/requests/new/s3-bucket";
        let base =
            vec![("#key", key.as_str()), ("#team", "payments"), ("#environment", "dev"), ("#instance_name", "exports")];
        let mut add = base.clone();
        add.extend([("#rows:tags", "0"), ("#op", "add:tags")]);
        app.post_form(path, &add).await.assert_redirect(&format!("{path}?draft={key}#field-tags"));
        let html = app.get(&format!("{path}?draft={key}")).await.html();
        assert!(html.contains("name=\"tags[0].key\""), "a new empty row:\n{html}");
        assert!(html.contains("value=\"exports\""), "other values kept");

        let mut two = base.clone();
        two.extend([
            ("#rows:tags", "2"),
            ("tags[0].key", "cost-center"),
            ("tags[0].value", "42"),
            ("tags[1].key", "owner"),
            ("tags[1].value", "orders"),
            ("#op", "remove:tags[0]"),
        ]);
        app.post_form(path, &two).await;
        let html = app.get(&format!("{path}?draft={key}")).await.html();
        assert!(html.contains("value=\"owner\"") && !html.contains("value=\"cost-center\""), "row 0 removed");
        assert!(html.contains("name=\"tags[0].key\"") && !html.contains("name=\"tags[1].key\""), "rows renumbered");
        assert_eq!(count_requests(&app).await, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn submitting_stores_one_request_with_its_revision_and_audit_event() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        let form = valid_form(&key, "orders-db");
        let done = app.post_form(&format!("/requests/new/{MODULE}"), &form).await;
        done.assert_redirect("/requests/1");
        // The same form again (double click, reload): the same request.
        app.post_form(&format!("/requests/new/{MODULE}"), &form).await.assert_redirect("/requests/1");
        assert_eq!(count_requests(&app).await, 1);
        assert_eq!(app.count_audit("request.submitted").await, 1);

        let row = sqlx::query(
            "SELECT r.status, r.environment, r.instance_name, v.path, v.rendered, v.justification \
             FROM requests r JOIN request_revisions v ON v.request_id = r.id AND v.revision = r.current_revision",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        // The pull request is opened in the background (tests/api_pull_requests.rs).
        let status: String = row.get("status");
        assert!(["pr_pending", "in_review"].contains(&status.as_str()), "{status}");
        assert_eq!(row.get::<String, _>("path"), "environments/dev/rds-postgresql-orders-db.tf");
        let rendered: String = row.get("rendered");
        assert!(
            rendered.starts_with("# Managed by Infradesk — request #1: http://127.0.0.1:3000/requests/1\n"),
            "{rendered}"
        );
        assert!(rendered.contains("module \"orders-db\" {"), "{rendered}");
        assert!(rendered.contains("infradesk-request = \"1\""), "tags carry the number: {rendered}");
        assert!(!rendered.contains("master_password ="), "never the secret: {rendered}");

        let page = app.get("/requests/1").await;
        assert_eq!(page.status, 200);
        let html = page.html();
        assert!(html.contains("Request #1 submitted."), "flash");
        assert!(html.contains("module \"orders-db\""), "the exact file is shown");
        assert!(html.contains("request.submitted"), "timeline");

        // The name is taken in dev now, by a new form too.
        let key2 = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        let back = app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key2, "orders-db")).await;
        let html = app.get(back.location().unwrap()).await.html();
        assert!(html.contains("#1"), "the refusal names the request holding the name:\n{html}");
        assert_eq!(count_requests(&app).await, 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn only_members_may_request_for_a_team() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        let mut form = valid_form(&key, "orders-db");
        form.retain(|(k, _)| *k != "#team");
        form.push(("#team", "checkout"));
        let back = app.post_form(&format!("/requests/new/{MODULE}"), &form).await;
        let html = app.get(back.location().unwrap()).await.html();
        assert!(
            html.contains("only a team&#x27;s members may request for it") || html.contains("only a team's members"),
            "{html}"
        );
        assert_eq!(count_requests(&app).await, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn lists_and_request_pages_respect_teams() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
        app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db"))
            .await
            .assert_redirect("/requests/1");
        let mine = app.get("/requests?scope=mine").await.html();
        assert!(mine.contains("href=\"/requests/1\""), "{mine}");
        let none = app.get("/requests?scope=mine&q=nothing-like-this").await.html();
        assert!(none.contains("No requests match these filters."));
        // "All requests" is for reviewers and admins: a requester asking for it gets their own.
        assert!(app.get("/requests?scope=all").await.html().contains("My requests"));
        app.logout().await;

        // A reviewer sees it; someone in another team does not.
        app.sign_in("sre").await;
        assert_eq!(app.get("/requests/1").await.status, 200);
        assert!(app.get("/requests?scope=all").await.html().contains("href=\"/requests/1\""));
        app.logout().await;
        let actor = domain::audit::Actor::Cli("test".into());
        backend::accounts::create_user(
            &app.db,
            &actor,
            app.clock_now_ms(),
            backend::accounts::NewUser {
                login: "outsider".into(),
                name: "Out Sider".into(),
                password: DEMO_PASSWORD.to_owned().into(),
                github_login: None,
                is_admin: false,
            },
        )
        .await
        .unwrap();
        backend::accounts::add_member(&app.db, &actor, app.clock_now_ms(), "checkout", "outsider").await.unwrap();
        app.sign_in("outsider").await;
        assert_eq!(app.get("/requests/1").await.status, 404);
        assert!(!app.get("/requests?scope=team").await.html().contains("href=\"/requests/1\""));
        app.stop().await;
    }
}

#[tokio::test]
async fn oversized_forms_are_refused_before_parsing() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        let huge = "x".repeat(2 * 1024 * 1024);
        let page = app.post_form(&format!("/requests/new/{MODULE}"), &[("#justification", huge.as_str())]).await;
        assert_eq!(page.status, 413);
        assert_eq!(count_requests(&app).await, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn admins_reload_the_catalog_and_it_is_audited() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("dev").await;
        assert_eq!(app.post_form("/admin/catalog/reload", &[]).await.status, 403);
        app.logout().await;
        app.sign_in("admin").await;
        app.post_form("/admin/catalog/reload", &[]).await.assert_redirect("/requests/new");
        let page = app.get("/requests/new").await.html();
        assert!(page.contains("Catalog reloaded: 8 modules."), "{page}");
        assert!(page.contains("Every module loaded."));
        assert_eq!(app.count_audit("catalog.reloaded").await, 1);
        app.stop().await;
    }
}
