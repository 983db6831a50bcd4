//! Startup: configuration errors that name the key, production-mode refusals, secrets kept
//! out of output, schema version checks, the local infra repository and the audit of the
//! configuration load.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use backend::{Clock, Dialect};
use common::*;
use domain::audit::Actor;
use server::config;
use server::startup::Application;

const HTTPS: &str = "https://infradesk.example.com";

async fn build(env: &TestEnv, file: Option<&Path>, extra: &[(&str, &str)]) -> anyhow::Result<Application> {
    let config = config::load(file, &env.env(extra)).unwrap_or_else(|e| panic!("config should load: {e}"));
    let clock: Arc<dyn Clock> = Arc::new(manual_clock());
    Application::build(config, clock).await
}

/// Stops a built application: serve with a shutdown that is already due.
async fn close(app: Application) {
    app.serve(async {}).await.unwrap();
}

fn load_err(env: &TestEnv, file: Option<&Path>, extra: &[(&str, &str)]) -> String {
    match config::load(file, &env.env(extra)) {
        Ok(_) => panic!("configuration {extra:?} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn production_needs_an_https_base_url() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let message = load_err(&env, None, &[("INFRADESK_MODE", "production")]);
    assert!(message.contains("`base_url`") && message.contains("https"), "{message}");
    assert!(message.contains("allow_http_base_url"), "the message names the way out: {message}");
    // Behind a TLS-terminating proxy the operator may say so explicitly.
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let extra = [("INFRADESK_MODE", "production"), ("INFRADESK_ALLOW_HTTP_BASE_URL", "true")];
        close(build(&env, None, &extra).await.unwrap()).await;
        env.cleanup().await;
    }
}

#[tokio::test]
async fn production_refuses_enabled_demo_users() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        close(build(&env, None, &[]).await.unwrap()).await; // demo mode seeds the demo users

        let production = [("INFRADESK_MODE", "production"), ("INFRADESK_BASE_URL", HTTPS)];
        let message = format!("{:#}", build(&env, None, &production).await.err().expect("production must refuse"));
        assert!(message.contains("demo users"), "{message}");
        for login in ["admin", "dev", "sre"] {
            assert!(message.contains(login), "{login} is named: {message}");
        }
        assert!(message.contains("infradesk user disable"), "the message says how to fix it: {message}");

        // Following the advice makes it start.
        let db = env.connect().await;
        for login in server::demo::demo_logins() {
            backend::accounts::set_disabled(&db, &Actor::System, 0, login, true).await.unwrap();
        }
        db.close().await;
        close(build(&env, None, &production).await.unwrap()).await;
        env.cleanup().await;
    }
}

#[tokio::test]
async fn production_refuses_github_without_a_webhook_secret() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let github = [
        ("INFRADESK_MODE", "production"),
        ("INFRADESK_BASE_URL", HTTPS),
        ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
        ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
        ("INFRADESK_GITHUB_TOKEN", "ghp_test"),
    ];
    let message = load_err(&env, None, &github);
    assert!(message.contains("`github.webhook_secret_file`"), "{message}");
    assert!(message.contains("INFRADESK_GITHUB_WEBHOOK_SECRET"), "{message}");
    let mut with_secret = github.to_vec();
    with_secret.push(("INFRADESK_GITHUB_WEBHOOK_SECRET", "whsec-1234"));
    assert!(config::load(None, &env.env(&with_secret)).is_ok());
}

#[tokio::test]
async fn github_needs_exactly_one_way_to_sign_in() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let base =
        [("INFRADESK_GITHUB__REPOSITORY", "acme/infra"), ("INFRADESK_GITHUB__API_URL", "https://api.github.com")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        all
    };
    let none = load_err(&env, None, &with(&[]));
    assert!(none.contains("`github.token_file`") && none.contains("app_id"), "{none}");
    let partial = load_err(&env, None, &with(&[("INFRADESK_GITHUB__APP_ID", "7")]));
    assert!(partial.contains("github.installation_id") && partial.contains("private_key_file"), "{partial}");
    let both = load_err(&env, None, &with(&[("INFRADESK_GITHUB_TOKEN", "t"), ("INFRADESK_GITHUB__APP_ID", "7")]));
    assert!(both.contains("both configured"), "{both}");
    let app = with(&[
        ("INFRADESK_GITHUB__APP_ID", "7"),
        ("INFRADESK_GITHUB__INSTALLATION_ID", "42"),
        ("INFRADESK_GITHUB_APP_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----"),
    ]);
    let config = config::load(None, &env.env(&app)).unwrap();
    let summary = config.summary().to_string();
    assert!(summary.contains("\"app_id\":7") && !summary.contains("BEGIN RSA"), "{summary}");
}

#[tokio::test]
async fn configuration_errors_name_the_key() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 5] = [
        (&[("INFRADESK_LISTEN", "nonsense")], &["`listen`", "nonsense"]),
        (&[("INFRADESK_DATABASE__MAX_CONNECTIONS", "abc")], &["max_connections"]),
        (&[("INFRADESK_BOGUS", "1")], &["bogus"]),
        (&[("INFRADESK_MODE", "staging")], &["mode", "staging"]),
        (&[("INFRADESK_DATABASE__URL", "mysql://db/x")], &["`database.url`"]),
    ];
    for (extra, expected) in cases {
        let message = load_err(&env, None, extra);
        for needle in expected {
            assert!(message.contains(needle), "{extra:?}: {message:?} should contain {needle:?}");
        }
    }
    let message = load_err(&env, None, &[("INFRADESK_DATABASE__MAX_CONNECTIONS", "abc")]);
    assert!(message.contains("INFRADESK_DATABASE__MAX_CONNECTIONS"), "names the variable: {message}");

    let bad_account = env.toml_file(
        "bad.toml",
        "[[environments]]\nname = \"prod\"\naws_account_id = \"12345\"\nregion = \"eu-west-1\"\ndirectory = \"environments/prod\"\n",
    );
    let message = load_err(&env, Some(&bad_account), &[]);
    assert!(message.contains("`environments[0].aws_account_id`") && message.contains("12345"), "{message}");

    let typo = env.toml_file("typo.toml", "[database]\nurll = \"sqlite://x.db\"\n");
    let message = load_err(&env, Some(&typo), &[]);
    assert!(message.contains("urll"), "{message}");

    let missing = env.dir.path().join("missing.toml");
    let message = load_err(&env, Some(&missing), &[]);
    assert!(message.contains("missing.toml") && message.contains("does not exist"), "{message}");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_the_summary() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let token_file = env.toml_file("token", "ghp_FROMFILE_0123456789\n");
    let token_path = token_file.display().to_string();
    let config = env.config(&[
        ("INFRADESK_MODE", "production"),
        ("INFRADESK_BASE_URL", HTTPS),
        ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
        ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
        ("INFRADESK_GITHUB_TOKEN", "ghp_SECRET_TOKEN_0123456789"),
        ("INFRADESK_GITHUB_WEBHOOK_SECRET", "whsec_SECRET_9876543210"),
    ]);
    let from_file = env.config(&[
        ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
        ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
        ("INFRADESK_GITHUB__TOKEN_FILE", token_path.as_str()),
    ]);
    let outputs = [format!("{config:?}"), format!("{config:#?}"), config.summary().to_string()];
    for output in outputs {
        assert!(!output.contains("SECRET"), "a secret leaked: {output}");
    }
    assert!(!format!("{from_file:?}").contains("FROMFILE"));
    assert_eq!(config.summary()["github"]["auth"], "token");
}

/// The database URL may carry a password: `Debug` of the configuration redacts it, as
/// `summary()` does.
#[tokio::test]
async fn the_database_password_never_appears_in_debug_output() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let config = env.config(&[("INFRADESK_DATABASE__URL", "postgres://infradesk:Pa55w0rdSECRET@db:5432/infradesk")]);
    assert!(!config.summary().to_string().contains("Pa55w0rdSECRET"));
    assert!(!format!("{config:?}").contains("Pa55w0rdSECRET"), "{config:?}");
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_binary_is_refused() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        close(build(&env, None, &[]).await.unwrap()).await;
        let db = env.connect().await;
        let sql = match dialect {
            Dialect::Sqlite => {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99999999, 'from the future', 1, X'00', 0)"
            }
            Dialect::Postgres => {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99999999, 'from the future', true, '\\x00'::bytea, 0)"
            }
        };
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        db.close().await;

        let error = build(&env, None, &[]).await.err().expect("a newer schema must be refused");
        let message = format!("{error:#}");
        assert!(message.contains("newer") && message.contains("99999999"), "{message}");
        env.cleanup().await;
    }
}

const ENVIRONMENTS: &str = r#"
[[environments]]
name = "staging"
aws_account_id = "111111111111"
region = "eu-west-1"
directory = "environments/staging"

[[environments]]
name = "prod"
aws_account_id = "222222222222"
region = "us-east-1"
directory = "environments/prod"
protected = true
"#;

fn git(repo: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(repo).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_local_infra_repository_is_created_once() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let file = env.toml_file("infradesk.toml", ENVIRONMENTS);
        close(build(&env, Some(&file), &[]).await.unwrap()).await;

        let repo = env.dir.path().join("infra-repo");
        let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
        for needle in ["staging", "111111111111", "prod", "222222222222", "us-east-1"] {
            assert!(readme.contains(needle), "README lists {needle}:\n{readme}");
        }
        for dir in ["environments/staging", "environments/prod"] {
            assert!(repo.join(dir).join("README.md").is_file(), "{dir} exists");
        }
        let log = git(&repo, &["log", "--oneline", "main"]);
        assert_eq!(log.lines().count(), 1, "one commit:\n{log}");
        assert!(git(&repo, &["status", "--porcelain"]).is_empty(), "the work tree is clean");

        // A restart leaves the repository alone.
        close(build(&env, Some(&file), &[]).await.unwrap()).await;
        assert_eq!(git(&repo, &["rev-list", "--count", "main"]).trim(), "1");
        env.cleanup().await;
    }
}

#[tokio::test]
async fn every_start_audits_the_configuration() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let secret = [
            ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
            ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
            ("INFRADESK_GITHUB_TOKEN", "ghp_SECRET_TOKEN_0123456789"),
        ];
        close(build(&env, None, &[]).await.unwrap()).await;
        close(build(&env, None, &secret).await.unwrap()).await;

        let db = env.connect().await;
        let events = backend::audit::recent(&db, 1000, None).await.unwrap();
        let loaded: Vec<_> = events.iter().filter(|e| e.action == "config.loaded").collect();
        assert_eq!(loaded.len(), 2, "one event per start");
        assert!(loaded.iter().all(|e| e.actor == "system" && e.subject == "config"), "{loaded:?}");
        let newest = loaded[0];
        assert!(newest.details.contains("\"mode\":\"demo\"") && newest.details.contains("acme/infra"), "{newest:?}");
        assert!(events.iter().all(|e| !e.details.contains("SECRET")), "no secret in the audit trail");
        assert!(backend::audit::verify(&db).await.unwrap().broken.is_none(), "the chain is intact");
        db.close().await;
        env.cleanup().await;
    }
}

/// An unreachable database stops the start with the real reason, not a pool timeout.
#[tokio::test]
async fn an_unreachable_database_is_reported_precisely() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let err = build(&env, None, &[("INFRADESK_DATABASE__URL", "postgres://infradesk@127.0.0.1:1/infradesk")])
        .await
        .err()
        .expect("must not start without its database");
    let message = format!("{err:#}");
    assert!(message.contains("cannot open the database"), "{message}");
    assert!(message.contains("Connection refused"), "{message}");
    assert_eq!(message.matches("Connection refused").count(), 1, "said once: {message}");
}

/// Pull request numbers are the host's: a database whose pull requests came from another
/// host or repository is refused, with what to do.
#[tokio::test]
async fn pull_requests_of_another_host_are_not_mixed() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        close(build(&env, None, &[]).await.unwrap()).await;
        let record = |number: i64, url: &'static str| {
            let db = env.connect();
            async move {
                let db = db.await;
                for sql in [
                    format!(
                        "INSERT INTO requests (team_id, requester_id, module_id, environment, instance_name, status, \
                         current_revision, idempotency_key, created_at_ms, updated_at_ms) SELECT t.id, u.id, 's3-bucket', \
                         'dev', 'x{number}', 'in_review', 1, 'k{number}', 0, 0 FROM teams t, users u \
                         WHERE t.slug = 'payments' AND u.login = 'dev'"
                    ),
                    format!(
                        "INSERT INTO pull_requests (request_id, number, url, branch, rendered_head, head_sha, state, \
                         opened_at_ms, updated_at_ms) SELECT MAX(id), {number}, '{url}', 'b{number}', 'h', 'h', 'open', 0, 0 \
                         FROM requests"
                    ),
                ] {
                    sqlx::query(&sql).execute(db.pool()).await.unwrap();
                }
                db.close().await;
            }
        };
        record(1, "local:/srv/infra-repo#pull/1").await;
        let github = [
            ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
            ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
            ("INFRADESK_GITHUB_TOKEN", "ghp_test_token_0123456789"),
        ];
        let message = build(&env, None, &github).await.err().expect("refused").to_string();
        assert!(message.contains("1 pull request(s) of the local infra repository"), "{message}");
        assert!(message.contains("Use a new database for GitHub"), "{message}");
        // Still fine locally.
        close(build(&env, None, &[]).await.unwrap()).await;

        record(2, "https://github.com/acme/other/pull/2").await;
        let message = build(&env, None, &[]).await.err().expect("refused").to_string();
        assert!(message.contains("https://github.com/acme/other/pull/2") && message.contains("[github] is not set"));
        env.cleanup().await;
    }
}
