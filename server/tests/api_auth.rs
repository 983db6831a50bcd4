//! Sign-in, sign-out, session lifetime and password change, through the real server on
//! SQLite (and PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use domain::audit::Actor;

const WRONG: &str = "Wrong login or password.";
/// The flash as rendered in the page (the text also appears once in the serialized
/// hydration data, which is not something a user sees).
const WRONG_SHOWN: &str = ">Wrong login or password.</p>";

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

#[tokio::test]
async fn login_page_lists_the_demo_accounts() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let page = app.get("/login").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Sign in to Infradesk"));
        assert!(page.body.contains("data-testid=\"demo-accounts\""));
        for login in ["dev", "dev2", "sre", "sre2", "dba", "sec", "admin"] {
            assert!(page.body.contains(&format!("<code>{login}</code>")), "demo login {login} not listed");
        }
        assert!(page.body.contains(&format!("<code>{DEMO_PASSWORD}</code>")));
        app.stop().await;
    }
}

#[tokio::test]
async fn failed_sign_in_flashes_once_keeps_the_login_and_is_audited() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;

        app.login("dev", "not-the-password").await.assert_redirect("/login");
        let page = app.get("/login").await;
        assert_eq!(page.status, 200);
        assert_eq!(count(&page.body, WRONG_SHOWN), 1, "the error is shown exactly once:\n{}", page.body);
        assert!(page.body.contains("value=\"dev\""), "the typed login is kept");
        // A flash is shown once: the next load is clean.
        let again = app.get("/login").await;
        assert_eq!(count(&again.body, WRONG), 0);
        assert!(again.body.contains("value=\"\""));

        app.login("nobody", "whatever-password").await.assert_redirect("/login");
        let page = app.get("/login").await;
        assert_eq!(count(&page.body, WRONG_SHOWN), 1, "unknown users get the same message");
        assert!(page.body.contains("value=\"nobody\""));

        let failures: Vec<_> =
            app.audit_events().await.into_iter().filter(|e| e.action == "auth.sign_in_failed").collect();
        assert_eq!(failures.len(), 2);
        let reasons: Vec<_> = failures.iter().map(|e| (e.subject.as_str(), e.details.as_str())).collect();
        assert!(reasons.iter().any(|(s, d)| *s == "user:dev" && d.contains("wrong_password")), "{reasons:?}");
        assert!(reasons.iter().any(|(s, d)| *s == "user:nobody" && d.contains("unknown_user")), "{reasons:?}");
        assert!(failures.iter().all(|e| !e.details.contains("not-the-password")), "never the password");
        assert_eq!(app.count_audit("auth.signed_in").await, 0);
        // Still signed out.
        app.get("/").await.assert_redirect("/login");

        // Empty fields get their own message and are not checked against the database.
        app.login("dev", "").await.assert_redirect("/login");
        assert!(app.get("/login").await.body.contains(">Enter your login and password.</p>"));
        assert_eq!(app.count_audit("auth.sign_in_failed").await, 2);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_in_sets_a_fresh_http_only_lax_session_cookie() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        // A failed attempt leaves a pre-login session (it carries the flash).
        app.login("dev", "not-the-password").await.assert_redirect("/login");
        let before = app.session_cookie().expect("a pre-login session cookie");
        assert!(app.session_exists(&before).await);

        let response = app.login("dev", DEMO_PASSWORD).await;
        response.assert_redirect("/");
        let cookies = response.set_cookies();
        let cookie = cookies.iter().find(|c| c.starts_with(SESSION_COOKIE)).expect("a session cookie is set");
        let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert!(attrs.contains(&"HttpOnly"), "{cookie}");
        assert!(attrs.contains(&"SameSite=Lax"), "{cookie}");
        assert!(attrs.contains(&"Path=/"), "{cookie}");
        assert!(!attrs.iter().any(|a| a.eq_ignore_ascii_case("secure")), "no Secure on an http base URL: {cookie}");

        let after = app.session_cookie().unwrap();
        assert_ne!(before, after, "the session id changes at sign-in");
        assert!(!app.session_exists(&before).await, "the pre-login session is gone");
        let owner = app.count_rows("SELECT COUNT(*) FROM sessions WHERE id = $1 AND user_id IS NOT NULL", Some(&after));
        assert_eq!(owner.await, 1, "the new session names its user");
        assert_eq!(app.count_audit("auth.signed_in").await, 1);

        let home = app.get("/").await;
        assert_eq!(home.status, 200);
        assert!(home.html().contains("Welcome, Dana Developer"));
        // The sign-in page sends signed-in users home.
        app.get("/login").await.assert_redirect("/");
        app.stop().await;
    }
}

#[tokio::test]
async fn next_is_followed_only_to_local_paths() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let cases = [("//evil.com", "/"), ("https://evil.com/", "/"), ("/\\evil.com", "/"), ("/admin", "/admin")];
        for (next, expected) in cases {
            let response =
                app.post_form("/login", &[("login", "admin"), ("password", DEMO_PASSWORD), ("next", next)]).await;
            response.assert_redirect(expected);
            app.logout().await.assert_redirect("/login");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_client() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        for _ in 0..10 {
            app.login("dev", "not-the-password").await.assert_redirect("/login");
        }
        // The 11th attempt in the burst is refused even with the right password.
        let limited = app.login("dev", DEMO_PASSWORD).await;
        assert_eq!(limited.status, 429);
        let retry: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        assert!(limited.body.contains("Too many sign-in attempts"));
        assert_eq!(app.count_audit("auth.signed_in").await, 0);
        assert_eq!(app.count_audit("auth.sign_in_failed").await, 10, "refused attempts never reach the database");
        app.get("/").await.assert_redirect("/login");

        app.advance(Duration::from_secs(60));
        app.login("dev", DEMO_PASSWORD).await.assert_redirect("/");
        assert_eq!(app.get("/").await.status, 200);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_out_deletes_the_session_and_is_audited() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("sre").await;
        let id = app.session_cookie().unwrap();
        assert!(app.session_exists(&id).await);

        app.logout().await.assert_redirect("/login");
        let signed_in = app.count_rows("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL", None).await;
        assert_eq!(signed_in, 0, "the signed-in session row is deleted");
        assert_eq!(app.count_audit("auth.signed_out").await, 1);
        let event = app.audit_events().await.into_iter().find(|e| e.action == "auth.signed_out").unwrap();
        assert_eq!(event.subject, "user:sre");
        assert!(app.get("/login").await.body.contains("You are signed out."));
        app.get("/").await.assert_redirect("/login");
        // Signing out again while signed out is harmless and not audited.
        app.logout().await.assert_redirect("/login");
        assert_eq!(app.count_audit("auth.signed_out").await, 1);
        app.stop().await;
    }
}

/// Sign-out is a privilege change: the "signed out" flash lives in a new session, never
/// under the id the signed-in browser held.
#[tokio::test]
async fn sign_out_rotates_the_session_id() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("sre").await;
        let id = app.session_cookie().unwrap();
        app.logout().await.assert_redirect("/login");
        assert!(!app.session_exists(&id).await, "the signed-in session's id is not reused");
        assert_ne!(app.session_cookie().as_deref(), Some(id.as_str()));
        app.stop().await;
    }
}

#[tokio::test]
async fn idle_sessions_expire() {
    for dialect in dialects() {
        let app = spawn_app_with(
            dialect,
            &[("INFRADESK_SESSION__IDLE_TIMEOUT_MINUTES", "30"), ("INFRADESK_SESSION__ABSOLUTE_TIMEOUT_HOURS", "1")],
        )
        .await;
        app.sign_in("dev").await;
        app.advance(minutes(20));
        assert_eq!(app.get("/").await.status, 200, "20 idle minutes are within the timeout");
        app.advance(minutes(31));
        app.get("/").await.assert_redirect("/login");
        app.stop().await;
    }
}

/// A session used every 10 minutes stays signed in until the absolute timeout (60 min
/// here), then is signed out, all measured on the injected clock.
#[tokio::test]
async fn active_sessions_end_at_the_absolute_timeout() {
    for dialect in dialects() {
        let app = spawn_app_with(
            dialect,
            &[("INFRADESK_SESSION__IDLE_TIMEOUT_MINUTES", "30"), ("INFRADESK_SESSION__ABSOLUTE_TIMEOUT_HOURS", "1")],
        )
        .await;
        app.sign_in("dev").await;
        for step in 1..=6 {
            app.advance(minutes(10));
            let page = app.get("/").await;
            assert_eq!(page.status, 200, "still signed in after {} minutes of activity", step * 10);
        }
        app.advance(minutes(10));
        app.get("/").await.assert_redirect("/login");
        app.get("/account").await.assert_redirect("/login?next=%2Faccount");
        app.stop().await;
    }
}

/// Any signed-in request, page load or server-function call (what a hydrated app makes on
/// client-side navigation), restarts the idle window, measured on the injected clock.
#[tokio::test]
async fn signed_in_requests_restart_the_idle_window() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("admin").await;
        let id = app.session_cookie().unwrap();
        let expiry = |app: &TestApp| {
            let id = id.clone();
            let db = app.db.clone();
            async move {
                use sqlx::Row;
                let row = sqlx::query("SELECT expiry_unix FROM sessions WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
                row.try_get::<i64, _>("expiry_unix").unwrap()
            }
        };
        let idle_s = i64::try_from(app.config.session.idle_timeout_minutes * 60).unwrap();
        let at_sign_in = expiry(&app).await;

        app.advance(minutes(10));
        assert_eq!(app.call("admin_overview").await.status, 200);
        let after_call = expiry(&app).await;
        assert!(after_call >= at_sign_in + 600, "a server-function call restarts the idle window");

        app.advance(minutes(10));
        assert_eq!(app.get("/").await.status, 200);
        let after_page = expiry(&app).await;
        let expected = app.clock_now_s() + idle_s;
        assert!((after_page - expected).abs() <= 1, "page loads restart it from the injected clock");
        app.stop().await;
    }
}

#[tokio::test]
async fn disabling_a_user_ends_their_live_session() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("dev").await;
        assert_eq!(app.get("/").await.status, 200);

        let ended =
            backend::accounts::set_disabled(&app.db, &Actor::System, app.clock_now_ms(), "dev", true).await.unwrap();
        assert_eq!(ended, 1);
        app.get("/").await.assert_redirect("/login");
        let rows = app.count_rows(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = $1",
            Some("dev"),
        );
        assert_eq!(rows.await, 0);

        // The right password does not let a disabled user back in.
        app.login("dev", DEMO_PASSWORD).await.assert_redirect("/login");
        assert_eq!(count(&app.get("/login").await.body, WRONG_SHOWN), 1);
        let last = app.audit_events().await.into_iter().find(|e| e.action == "auth.sign_in_failed").unwrap();
        assert!(last.details.contains("disabled"), "{}", last.details);
        app.stop().await;
    }
}

async fn change(app: &TestApp, current: &str, new: &str, confirm: &str) -> Page {
    let form = [("current_password", current), ("new_password", new), ("confirm_password", confirm)];
    app.post_form("/account/password", &form).await
}

#[tokio::test]
async fn changing_the_password() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        app.sign_in("dev").await;
        // A second browser of the same user.
        let (other, _jar) = new_client();
        let form = [("login", "dev"), ("password", DEMO_PASSWORD)];
        let signed_in = other.post(format!("{}/login", app.address)).header("Origin", BASE_URL).form(&form);
        assert_eq!(signed_in.send().await.unwrap().status(), 303);
        let original = app.password_hash("dev").await;
        let new = "correct horse battery staple";

        change(&app, DEMO_PASSWORD, new, "something else entirely").await.assert_redirect("/account");
        let page = app.get("/account").await;
        assert!(page.body.contains(">The new passwords do not match. Nothing was changed.</p>"), "{}", page.body);

        change(&app, DEMO_PASSWORD, "short", "short").await.assert_redirect("/account");
        let page = app.get("/account").await;
        assert!(page.body.contains(">Password not changed: password is too short: use at least 12 characters.</p>"));

        change(&app, "not-the-password", new, new).await.assert_redirect("/account");
        assert!(app.get("/account").await.body.contains(">Password not changed: current password is wrong.</p>"));
        assert_eq!(app.password_hash("dev").await, original, "nothing changed so far");
        assert_eq!(app.count_audit("user.password_changed").await, 0);

        let before = app.session_cookie().unwrap();
        change(&app, DEMO_PASSWORD, new, new).await.assert_redirect("/account");
        let page = app.get("/account").await;
        assert_eq!(page.status, 200, "this session stays signed in");
        assert!(page.body.contains(">Password changed. Your other sessions were signed out.</p>"));
        assert_ne!(app.session_cookie().unwrap(), before, "the session id is cycled");
        assert_ne!(app.password_hash("dev").await, original);
        assert_eq!(app.count_audit("user.password_changed").await, 1);
        let other_home = other.get(format!("{}/", app.address)).send().await.unwrap();
        assert_eq!(other_home.status(), 303, "the other session is signed out");

        app.logout().await.assert_redirect("/login");
        app.login("dev", DEMO_PASSWORD).await.assert_redirect("/login");
        app.login("dev", new).await.assert_redirect("/");
        app.stop().await;
    }
}

#[tokio::test]
async fn password_change_needs_a_signed_in_user() {
    for dialect in dialects() {
        let app = spawn_app(dialect).await;
        let new = "x".repeat(20);
        change(&app, DEMO_PASSWORD, &new, &new).await.assert_redirect("/login");
        assert_eq!(app.count_audit("user.password_changed").await, 0);
        app.stop().await;
    }
}
