//! Cross-site request refusal, role-based pages and server functions, redirects for
//! signed-out visitors, error pages and operations endpoints.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const DEMO_LOGINS: [&str; 7] = ["admin", "dba", "dev", "dev2", "sec", "sre", "sre2"];

/// `POST /login` with the right password and the given extra headers (no default Origin).
async fn raw_login(app: &TestApp, headers: &[(&str, &str)]) -> Page {
    let mut request =
        app.client.post(format!("{}/login", app.address)).form(&[("login", "admin"), ("password", DEMO_PASSWORD)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_anything_happens() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let refused: [&[(&str, &str)]; 6] = [
            &[("Origin", "https://evil.example")],
            &[("Origin", "null")],
            &[("Origin", "http://127.0.0.1:3001")],
            &[("Sec-Fetch-Site", "cross-site"), ("Origin", BASE_URL)],
            &[("Sec-Fetch-Site", "same-site")],
            &[],
        ];
        for headers in refused {
            let page = raw_login(&app, headers).await;
            assert_eq!(page.status, 403, "{headers:?} must be refused");
            assert!(page.body.contains("Request refused"), "{}", page.body);
            assert!(page.set_cookies().is_empty(), "no session for a refused request");
        }
        let neither = raw_login(&app, &[]).await;
        assert!(neither.body.contains("neither an Origin nor a Sec-Fetch-Site header"));
        let events = app.audit_events().await;
        assert!(events.iter().all(|e| !e.action.starts_with("auth.")), "refused requests are not audited: {events:?}");
        assert_eq!(app.session_rows().await, 0);
        assert!(app.session_cookie().is_none());
        app.stop().await;
    }
}

#[tokio::test]
async fn same_site_posts_are_accepted_including_loopback_aliases() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let accepted: [&[(&str, &str)]; 4] = [
            &[("Origin", BASE_URL)],
            &[("Origin", "http://localhost:3000")],
            &[("Sec-Fetch-Site", "same-origin")],
            &[("Sec-Fetch-Site", "same-origin"), ("Origin", BASE_URL)],
        ];
        for headers in accepted {
            raw_login(&app, headers).await.assert_redirect("/");
            app.logout().await.assert_redirect("/login");
        }
        assert_eq!(app.count_audit("auth.signed_in").await, 4);
        app.stop().await;
    }
}

#[tokio::test]
async fn cross_site_sign_out_and_password_change_are_refused() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("dev").await;
        let hash = app.password_hash("dev").await;
        let evil =
            |path: &str| app.client.post(format!("{}{path}", app.address)).header("Origin", "https://evil.example");
        assert_eq!(evil("/logout").send().await.unwrap().status(), 403);
        let form = [
            ("current_password", DEMO_PASSWORD),
            ("new_password", "pwned-pwned-pwned"),
            ("confirm_password", "pwned-pwned-pwned"),
        ];
        assert_eq!(evil("/account/password").form(&form).send().await.unwrap().status(), 403);
        assert_eq!(evil("/api/admin_overview").send().await.unwrap().status(), 403);
        assert_eq!(app.get("/").await.status, 200, "still signed in");
        assert_eq!(app.password_hash("dev").await, hash, "password unchanged");
        assert_eq!(app.count_audit("auth.signed_out").await, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn pages_are_shown_by_role() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        // (login, /queue, /admin)
        for (login, queue, admin) in [("dev", 403, 403), ("sre", 200, 403), ("dba", 200, 403), ("admin", 403, 200)] {
            app.sign_in(login).await;
            let page = app.get("/queue").await;
            assert_eq!(page.status, queue, "/queue for {login}");
            if queue == 200 {
                assert!(page.body.contains("Approval queue"));
            } else {
                assert!(page.body.contains("<h1>Forbidden</h1>"));
            }
            let page = app.get("/admin").await;
            assert_eq!(page.status, admin, "/admin for {login}");
            if admin == 200 {
                assert!(page.body.contains("data-testid=\"users-table\""));
                for demo in DEMO_LOGINS {
                    assert!(page.body.contains(&format!("<td><code>{demo}</code></td>")), "/admin lists {demo}");
                }
                assert!(page.body.contains("data-testid=\"teams-table\""));
            } else {
                assert!(page.body.contains("<h1>Forbidden</h1>"));
                assert!(!page.body.contains("users-table"), "no user list for {login}");
            }
            assert_eq!(app.get("/account").await.status, 200);
            app.logout().await.assert_redirect("/login");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.get("/").await.assert_redirect("/login");
        app.get("/admin").await.assert_redirect("/login?next=%2Fadmin");
        app.get("/queue").await.assert_redirect("/login?next=%2Fqueue");
        app.get("/account").await.assert_redirect("/login?next=%2Faccount");
        // The round trip: sign in with that `next` and land on the page.
        let back =
            app.post_form("/login", &[("login", "admin"), ("password", DEMO_PASSWORD), ("next", "/admin")]).await;
        back.assert_redirect("/admin");
        assert_eq!(app.get("/admin").await.status, 200);
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_paths_get_the_not_found_page() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        for path in ["/no-such-page", "/admin/x/y", "/pkg/missing.js"] {
            let page = app.get(path).await;
            assert_eq!(page.status, 404, "{path}");
            if !path.starts_with("/pkg/") {
                assert!(page.body.contains("Page not found"), "{path}: {}", page.body);
            }
        }
        app.sign_in("dev").await;
        let page = app.get("/no-such-page").await;
        assert_eq!(page.status, 404);
        assert!(page.body.contains("Page not found"));
        app.stop().await;
    }
}

#[tokio::test]
async fn admin_server_function_needs_an_admin() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let signed_out = app.call("admin_overview").await;
        assert_eq!(signed_out.status, 401, "signed out: {}", signed_out.body);
        assert!(signed_out.body.contains("SignedOut"), "{}", signed_out.body);

        app.sign_in("dev").await;
        let dev = app.call("admin_overview").await;
        assert_eq!(dev.status, 403, "a developer gets 403, not data: {}", dev.body);
        assert!(dev.body.contains("Forbidden"), "{}", dev.body);
        assert!(!dev.body.contains("Ada Admin") && !dev.body.contains("users"), "no data leaks: {}", dev.body);
        app.logout().await;

        app.sign_in("admin").await;
        let admin = app.call("admin_overview").await;
        assert_eq!(admin.status, 200, "{}", admin.body);
        let json: serde_json::Value = serde_json::from_str(&admin.body).unwrap();
        let mut logins: Vec<&str> =
            json["users"].as_array().unwrap().iter().map(|u| u["login"].as_str().unwrap()).collect();
        logins.sort_unstable();
        assert_eq!(logins, DEMO_LOGINS);
        assert!(json["users"].as_array().unwrap().iter().all(|u| u.get("password_hash").is_none()));
        let teams = json["teams"].as_array().unwrap();
        assert_eq!(teams.len(), 5);
        app.stop().await;
    }
}

#[tokio::test]
async fn operations_endpoints_answer() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let health = app.get("/healthz").await;
        assert_eq!((health.status.as_u16(), health.body.as_str()), (200, "ok\n"));
        let ready = app.get("/readyz").await;
        assert_eq!((ready.status.as_u16(), ready.body.as_str()), (200, "ready\n"));
        assert!(health.headers.get("x-request-id").is_some(), "every response carries a request id");
        app.stop().await;
    }
}

#[tokio::test]
async fn malformed_requests_get_plain_errors() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let post = |path: &str| app.client.post(format!("{}{path}", app.address)).header("Origin", BASE_URL);
        // Not a form.
        let json = post("/login").header("Content-Type", "application/json").body("{\"login\":\"admin\"}");
        let page = read(json.send().await.unwrap()).await;
        assert!(page.status.is_client_error(), "{}", page.status);
        // Oversized body (limit is 1 MiB).
        let huge = post("/login").header("Content-Type", "application/x-www-form-urlencoded").body("a".repeat(2 << 20));
        let page = read(huge.send().await.unwrap()).await;
        assert_eq!(page.status, 413);
        // Overlong login and password are refused without a database lookup.
        let long = "x".repeat(5000);
        app.login(&long, &long).await.assert_redirect("/login");
        assert!(app.get("/login").await.body.contains(">Enter your login and password.</p>"));
        // SQL-looking input is just a wrong login.
        app.login("admin' OR '1'='1", "x' OR '1'='1").await.assert_redirect("/login");
        assert_eq!(app.count_audit("auth.sign_in_failed").await, 1);
        assert_eq!(app.count_audit("auth.signed_in").await, 0);
        // A server function that does not exist.
        let missing = app.call("no_such_function").await;
        assert!(!missing.status.is_success());
        app.stop().await;
    }
}
