//! The audit page, its exports and the scheduled chain verification through the real server,
//! on SQLite and PostgreSQL: an export of a filtered view holds exactly the rows the page
//! lists across all its pages; `infradesk audit verify-export` accepts an untouched export and
//! names the event of an edited or missing line; bad filter values are reported and kept; the
//! admin page shows the last verification (intact, or broken with its event) and the head.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use backend::audit::{self, Entry};
use backend::{Clock, Dialect};
use common::forms::*;
use common::*;
use domain::audit::Actor;
use server::startup::Application;

/// The `data-seq` of every row of an audit page.
fn page_seqs(html: &str) -> Vec<i64> {
    html.split("data-seq=\"").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
}

/// The "Older →" link of an audit page.
fn older_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

/// Follows "Older →" from `path` and returns every row's seq.
async fn all_rows(app: &TestApp, path: &str) -> Vec<i64> {
    let mut seqs = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        seqs.extend(page_seqs(&page.body));
        next = older_link(&page.body);
    }
    seqs
}

/// The seq column of a CSV export (header skipped) or of JSON Lines.
fn export_seqs(body: &str) -> Vec<i64> {
    if body.starts_with('{') {
        body.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_i64().unwrap()).collect()
    } else {
        let mut reader = csv_lines(body);
        reader.remove(0);
        reader.iter().map(|l| l.split(',').next().unwrap().parse().unwrap()).collect()
    }
}

/// CSV records (details may hold quoted newlines, so split on lines that start a record).
fn csv_lines(body: &str) -> Vec<String> {
    let mut records: Vec<String> = Vec::new();
    let mut quotes = 0;
    for line in body.lines() {
        if quotes % 2 == 1 {
            let last = records.last_mut().unwrap();
            last.push('\n');
            last.push_str(line);
        } else {
            records.push(line.to_owned());
        }
        quotes += line.matches('"').count();
    }
    records
}

/// A submitted request (#1, payments, dev, MODULE) and 130 more events from several actors.
async fn fill(app: &TestApp) {
    app.sign_in("dev").await;
    let key = form_key(&app.get(&format!("/requests/new/{MODULE}")).await.body);
    let answer = app.post_form(&format!("/requests/new/{MODULE}"), &valid_form(&key, "orders-db")).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    app.logout().await;
    let actors = [Actor::User("dev".into()), Actor::Cli("ops".into()), Actor::System];
    for i in 0..130_usize {
        let subject = format!("thing:{i}");
        let entry = Entry {
            actor: &actors[i % 3],
            action: if i % 2 == 0 { "test.even" } else { "test.odd" },
            subject: &subject,
            details: serde_json::json!({ "i": i, "note": "comma, \"quote\"\nnewline" }),
        };
        audit::record(&app.db, app.clock_now_ms() + i64::try_from(i).unwrap(), entry).await.unwrap();
    }
}

const VIEWS: [&str; 9] = [
    "",
    "actor=user%3Adev",
    "action=test.even",
    "request=1",
    "team=payments",
    "environment=dev",
    "module=rds-postgresql",
    "actor=dev&action=test.odd",
    "from=2000-01-01&to=2100-12-31",
];

#[tokio::test]
async fn an_export_holds_exactly_the_rows_of_every_page_of_its_view() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        fill(&app).await;
        app.sign_in("sre").await;
        for view in VIEWS {
            // Each export adds an event, so the view is read again before each.
            for (ext, content_type) in [("csv", "text/csv"), ("jsonl", "application/jsonl")] {
                let rows = all_rows(&app, &format!("/audit?{view}")).await;
                assert!(!rows.is_empty(), "{view}: no rows");
                if view.is_empty() {
                    assert!(rows.len() > 130, "several pages: {}", rows.len());
                }
                let exported = app.get(&format!("/audit/export.{ext}?{view}")).await;
                assert_eq!(exported.status, 200, "{view}.{ext}");
                let header =
                    |h: &str| exported.headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                assert!(header("content-type").starts_with(content_type), "{}", header("content-type"));
                assert!(header("content-disposition").starts_with("attachment; filename=\"infradesk-audit-"));
                assert_eq!(export_seqs(&exported.body), rows, "{view}.{ext} against the page's rows");
            }
        }
        // Each download is itself recorded: who, which filter, which format.
        let events = app.audit_events().await;
        let exports: Vec<_> = events.iter().filter(|e| e.action == "audit.exported").collect();
        assert_eq!(exports.len(), VIEWS.len() * 2);
        let newest = exports[0];
        assert_eq!((newest.actor.as_str(), newest.subject.as_str()), ("user:sre", "audit"));
        let details: serde_json::Value = serde_json::from_str(&newest.details).unwrap();
        assert_eq!(details["format"], "jsonl");
        assert_eq!(details["filter"], serde_json::json!({ "from": "2000-01-01", "to": "2100-12-31" }));
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_filter_values_are_named_and_kept_in_the_form() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("admin").await;
        let page = app.get("/audit?from=yesterday&request=abc&actor=system").await;
        assert_eq!(page.status, 200);
        let html = page.html();
        assert!(html.contains("data-testid=\"audit-errors\""), "{html}");
        assert!(html.contains("is not a date or time"), "{html}");
        assert!(html.contains("is not a request number"), "{html}");
        assert!(html.contains("value=\"yesterday\""), "kept: {html}");
        assert!(html.contains("value=\"system\""), "kept: {html}");
        assert!(!html.contains("Download CSV"), "no export of a view that cannot be shown");
        let export = app.get("/audit/export.csv?from=yesterday").await;
        assert_eq!(export.status, 400);
        assert!(export.body.contains("is not a date or time"), "{}", export.body);

        let empty = app.get("/audit?actor=user%3Anobody").await.html();
        assert!(empty.contains("No events match these filters."), "{empty}");
        let page = app.get("/audit?action=config.loaded").await.html();
        assert!(page.contains("Download JSON Lines"), "{page}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_requests_full_history_is_one_click_from_its_events_and_from_its_page() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        fill(&app).await;
        app.sign_in("sre").await;
        // From an event about the request in any view of the audit page …
        let page = app.get("/audit?action=request.submitted").await.html();
        assert!(page.contains("<a href=\"/audit?request=1\" class=\"history\">full history</a>"), "{page}");
        // … and from the request's own page, for a reviewer.
        let request = app.get("/requests/1").await.html();
        assert!(request.contains("href=\"/audit?request=1\" data-testid=\"full-history\""), "{request}");
        // The link lists the request's events and nothing else, without a link to itself.
        let history = app.get("/audit?request=1").await.html();
        assert!(history.contains("request.submitted") && history.contains("request.pr_requested"), "{history}");
        assert!(!history.contains("test.even") && !history.contains("class=\"history\""), "{history}");
        app.stop().await;
    }
}

/// Runs `infradesk audit verify-export` in an empty directory.
fn verify_export(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infradesk"));
    command.args(["audit", "verify-export"]).args(args).current_dir(dir);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INFRADESK_")) {
        command.env_remove(key);
    }
    let out = command.env("INFRADESK_LOG__FILTER", "warn").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test]
async fn verify_export_accepts_an_untouched_export_and_names_an_edited_or_missing_event() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        fill(&app).await;
        app.sign_in("sre").await;
        let dir = tempfile::tempdir().unwrap();
        for ext in ["csv", "jsonl"] {
            // The export stops at the head as it is when it starts.
            let (head_seq, head_hash) = audit::head(&app.db).await.unwrap();
            let body = app.get(&format!("/audit/export.{ext}")).await.body;
            let file = dir.path().join(format!("full.{ext}"));
            std::fs::write(&file, &body).unwrap();
            let path = file.to_str().unwrap();
            let (ok, out) = verify_export(dir.path(), &[path]);
            assert!(ok, "{out}");
            assert!(out.contains("export intact"), "{out}");
            assert!(out.contains(&format!("newest event {head_seq} has hash {head_hash}")), "{out}");
            let anchor = format!("{head_seq}:{head_hash}");
            let (ok, out) = verify_export(dir.path(), &["--anchor", &anchor, path]);
            assert!(ok && out.contains("contains the published head"), "{out}");

            // One byte of one event's subject (event 100: `thing:…`).
            let records = if ext == "csv" { csv_lines(&body) } else { body.lines().map(str::to_owned).collect() };
            let at = records.iter().position(|r| r.starts_with("100,") || r.starts_with("{\"seq\":100,")).unwrap();
            let mut edited = records.clone();
            edited[at] = edited[at].replacen("thing:", "thing;", 1);
            let file = dir.path().join(format!("edited.{ext}"));
            std::fs::write(&file, edited.join("\n") + "\n").unwrap();
            let (ok, out) = verify_export(dir.path(), &[file.to_str().unwrap()]);
            assert!(!ok, "{out}");
            assert!(out.contains("BROKEN at event 100: content does not match its hash"), "{out}");

            // A line taken out.
            let mut missing = records.clone();
            missing.remove(at);
            let file = dir.path().join(format!("missing.{ext}"));
            std::fs::write(&file, missing.join("\n") + "\n").unwrap();
            let (ok, out) = verify_export(dir.path(), &[file.to_str().unwrap()]);
            assert!(!ok, "{out}");
            assert!(out.contains("BROKEN at event 100: event 100 is missing"), "{out}");
        }
        // A filtered export skips events by design: --filtered checks what it has.
        let body = app.get("/audit/export.jsonl?action=test.even").await.body;
        let file = dir.path().join("filtered.jsonl");
        std::fs::write(&file, &body).unwrap();
        let (ok, out) = verify_export(dir.path(), &[file.to_str().unwrap()]);
        assert!(!ok && out.contains("is missing"), "{out}");
        let (ok, out) = verify_export(dir.path(), &["--filtered", file.to_str().unwrap()]);
        assert!(ok && out.contains("gap(s) (filtered export)"), "{out}");
        app.stop().await;
    }
}

/// The value of an unlabelled gauge in the Prometheus text.
fn gauge(metrics: &str, name: &str) -> Option<i64> {
    metrics.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.trim_start_matches("{}");
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// Polls the admin page until the scheduled verification has a result.
async fn verification_on_admin_page(client: &reqwest::Client, address: &str) -> String {
    for _ in 0..200 {
        let page = read(client.get(format!("{address}/admin")).send().await.unwrap()).await;
        assert_eq!(page.status, 200);
        let html = page.html();
        if !html.contains("Not finished yet") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the audit chain verification never finished");
}

#[tokio::test]
async fn the_admin_page_shows_the_last_verification_and_the_head() {
    for dialect in dialects() {
        let app = spawn_demo_app(dialect).await;
        app.sign_in("admin").await;
        let html = verification_on_admin_page(&app.client, &app.address).await;
        assert!(html.contains("intact"), "{html}");
        let (seq, hash) = audit::head(&app.db).await.unwrap();
        assert!(html.contains(&format!("event {seq}, hash <code class=\"hash\">{hash}</code>")), "{html}");
        assert!(html.contains("as an anchor"), "{html}");
        let metrics = app.get("/metrics").await.body;
        assert_eq!(gauge(&metrics, "infradesk_audit_chain_intact"), Some(1), "{metrics}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_chain_tampered_with_while_the_server_was_down_shows_as_broken() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let db = env.connect().await;
        db.migrate().await.unwrap();
        for i in 0..3 {
            let entry = Entry {
                actor: &Actor::System,
                action: "test.event",
                subject: "thing",
                details: serde_json::json!({ "i": i }),
            };
            audit::record(&db, 1_764_000_000_000, entry).await.unwrap();
        }
        let unprotect = match dialect {
            Dialect::Sqlite => "DROP TRIGGER audit_events_no_update",
            Dialect::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER USER",
        };
        sqlx::query(unprotect).execute(db.pool()).await.unwrap();
        sqlx::query("UPDATE audit_events SET details = '{\"i\":9}' WHERE seq = 2").execute(db.pool()).await.unwrap();
        db.close().await;

        let clock: Arc<dyn Clock> = Arc::new(manual_clock());
        let app = Application::build(env.demo_config(&[]), clock).await.unwrap();
        let address = format!("http://{}", app.addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(async move {
            let _ = stopped.await;
        }));
        let (client, _) = new_client();
        let login = client
            .post(format!("{address}/login"))
            .header("Origin", BASE_URL)
            .form(&[("login", "admin"), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 303);
        let html = verification_on_admin_page(&client, &address).await;
        assert!(html.contains("BROKEN at event 2"), "{html}");
        assert!(html.contains("content does not match its hash"), "{html}");
        let metrics = read(client.get(format!("{address}/metrics")).send().await.unwrap()).await.body;
        assert_eq!(gauge(&metrics, "infradesk_audit_chain_intact"), Some(0), "{metrics}");
        let _ = stop.send(());
        let _ = server.await;
        env.cleanup().await;
    }
}
