//! The `infradesk` binary's admin commands against a temporary SQLite database (and
//! PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use backend::Dialect;
use common::cli::Cli;
use common::*;

#[tokio::test]
async fn users_and_teams_are_managed_from_the_command_line() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let cli = Cli { env: &env };

        let out = cli.ok(&["user", "add", "bob", "--name", "Bob", "--password-stdin"], "correct horse battery\n");
        assert!(out.contains("created user bob"), "{out}");
        assert!(cli.ok(&["team", "add", "web", "--name", "Web"], "").contains("created team web"));
        assert!(cli.ok(&["team", "add-member", "web", "bob"], "").contains("added bob to web"));

        let list = cli.ok(&["user", "list"], "");
        let bob = list.lines().find(|l| l.starts_with("bob ")).unwrap_or_else(|| panic!("bob listed:\n{list}"));
        let columns: Vec<&str> = bob.split_whitespace().collect();
        assert_eq!(columns, ["bob", "Bob", "no", "active", "web"], "{bob}");
        let teams = cli.ok(&["team", "list"], "");
        assert!(teams.lines().any(|l| l.starts_with("web ") && l.trim_end().ends_with("bob")), "{teams}");

        // The password works where it matters: signing in.
        let db = env.connect().await;
        let signed_in = backend::accounts::sign_in(
            &db,
            0,
            "bob",
            secrecy::SecretString::from("correct horse battery"),
            "127.0.0.1",
        )
        .await
        .unwrap();
        assert!(signed_in.is_ok(), "bob can sign in with the password from stdin");

        assert!(cli.ok(&["user", "disable", "bob"], "").contains("disabled bob"));
        let list = cli.ok(&["user", "list"], "");
        assert!(list.lines().any(|l| l.starts_with("bob ") && l.contains("disabled")), "{list}");

        let verify = cli.ok(&["audit", "verify"], "");
        assert!(verify.contains("audit chain intact"), "{verify}");
        let events = backend::audit::recent(&db, 100, None).await.unwrap();
        for action in ["user.created", "team.created", "team.member_added", "user.disabled"] {
            let event = events.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} audited"));
            assert_eq!(event.actor, "cli:tester", "{action} names the operator");
        }
        db.close().await;
        env.cleanup().await;
    }
}

#[tokio::test]
async fn command_line_mistakes_get_clear_messages() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let cli = Cli { env: &env };
        let err = cli.fails(&["user", "add", "amy", "--name", "Amy", "--password-stdin"], "short\n");
        assert!(err.contains("too short") && err.contains("12"), "{err}");
        let list = cli.ok(&["user", "list"], "");
        assert!(!list.contains("amy"), "nothing was created:\n{list}");

        cli.ok(&["user", "add", "amy", "--name", "Amy", "--password-stdin"], "a long enough password\n");
        let err =
            cli.fails(&["user", "add", "amy", "--name", "Amy again", "--password-stdin"], "another long password\n");
        assert!(err.contains("already exists"), "{err}");
        let err = cli.fails(&["user", "disable", "nobody"], "");
        assert!(err.contains("nobody") && err.contains("does not exist"), "{err}");
        let err = cli.fails(&["team", "add-member", "no-team", "amy"], "");
        assert!(err.contains("no-team"), "{err}");
        let err =
            cli.fails(&["user", "add", "Not A Slug", "--name", "X", "--password-stdin"], "a long enough password\n");
        assert!(err.contains("login"), "{err}");
        env.cleanup().await;
    }
}

#[tokio::test]
async fn check_config_prints_no_secrets() {
    let env = TestEnv::new(backend::Dialect::Sqlite).await;
    let cli = Cli { env: &env };
    let mut command = Command::new(env!("CARGO_BIN_EXE_infradesk"));
    command.arg("check-config").current_dir(env.dir.path());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INFRADESK_")) {
        command.env_remove(key);
    }
    command.envs(env.env(&[
        ("INFRADESK_GITHUB__REPOSITORY", "acme/infra"),
        ("INFRADESK_GITHUB__API_URL", "https://api.github.com"),
        ("INFRADESK_GITHUB_TOKEN", "ghp_SECRET_TOKEN_0123456789"),
    ]));
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("acme/infra") && !stdout.contains("SECRET"), "{stdout}");
    // A configuration error exits non-zero with the key in the message.
    let err = cli.fails(&["--config", "missing.toml", "check-config"], "");
    assert!(err.contains("missing.toml"), "{err}");
}

/// `catalog check` for SREs' own CI: the demo catalog passes; a broken module is reported
/// as file:line with exit status 1 while the good modules still load.
#[tokio::test]
async fn catalog_check_reports_file_and_line() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let cli = Cli { env: &env };
    let environments = ["dev", "staging", "prod"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "[[environments]]\nname = \"{name}\"\naws_account_id = \"{}\"\nregion = \"eu-west-1\"\ndirectory = \"environments/{name}\"\n",
                format!("{}", i + 1).repeat(12)
            )
        })
        .collect::<String>();
    let config = env.toml_file("catalog.toml", &environments);
    let config = config.display().to_string();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog");

    let out = cli.ok(&["--config", &config, "catalog", "check", demo], "");
    assert!(out.contains("8 module(s) loaded, 0 failed, 0 problem(s)"), "{out}");

    let broken = env.dir.path().join("broken-catalog");
    std::fs::create_dir_all(broken.join("m1")).unwrap();
    std::fs::write(broken.join("m1/variables.tf"), "variable \"x\" {\n  type = strng\n}\n").unwrap();
    let out = cli.run(&["--config", &config, "catalog", "check", &broken.display().to_string()], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a broken catalog must fail: {stdout}");
    assert!(stdout.contains("m1/variables.tf:2: variable \"x\": unknown type `strng`"), "{stdout}");
    assert!(stdout.contains("1 failed"), "{stdout}");
}

/// `audit verify`: an intact chain passes, with or without a published head as `--anchor`; a
/// wrong anchor, and a chain edited in the database, exit 1 naming the event.
#[tokio::test]
async fn audit_verify_reports_tampering_and_checks_an_anchor() {
    for dialect in dialects() {
        let env = TestEnv::new(dialect).await;
        let cli = Cli { env: &env };
        cli.ok(&["migrate"], "");
        let db = env.connect().await;
        for i in 1..=5 {
            let subject = format!("thing:{i}");
            let entry = backend::audit::Entry {
                actor: &domain::audit::Actor::System,
                action: "test.event",
                subject: &subject,
                details: serde_json::json!({ "i": i }),
            };
            backend::audit::record(&db, 1_764_000_000_000 + i, entry).await.unwrap();
        }
        let events = backend::audit::recent(&db, 100, None).await.unwrap();
        let (head_seq, head_hash) = backend::audit::head(&db).await.unwrap();
        assert_eq!(head_seq, 5);
        let hash_of = |seq: i64| events.iter().find(|e| e.seq == seq).unwrap().hash.clone();

        let out = cli.ok(&["audit", "verify"], "");
        assert!(out.contains(&format!("audit chain intact: 5 events, head 5 {head_hash}")), "{out}");
        // The head shown on the admin page, published and passed back later.
        let out = cli.ok(&["audit", "verify", "--anchor", &format!("{head_seq}:{head_hash}")], "");
        assert!(out.contains("audit chain intact") && out.contains("anchor: event 5 has the published hash"), "{out}");
        cli.ok(&["audit", "verify", "--anchor", &format!("3:{}", hash_of(3).to_uppercase())], "");

        let verify = |args: &[&str]| {
            let out = cli.run(args, "");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let (code, out) = verify(&["audit", "verify", "--anchor", &format!("3:{}", hash_of(2))]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("audit chain BROKEN at event 3:") && out.contains("published head"), "{out}");
        let (code, out) = verify(&["audit", "verify", "--anchor", &format!("9:{head_hash}")]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("audit chain BROKEN at event 9:"), "{out}");
        for bad in ["5", "five:abc", &format!("0:{head_hash}"), "5:0a9a2c"] {
            let err = cli.fails(&["audit", "verify", "--anchor", bad], "");
            assert!(err.contains("--anchor must be <seq>:<64 hex digits>"), "{bad}: {err}");
        }

        // One byte of event 4, changed by someone with database access.
        let bypass: &[&str] = match dialect {
            Dialect::Sqlite => &["DROP TRIGGER audit_events_no_update"],
            Dialect::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
        };
        for sql in bypass {
            sqlx::query(sql).execute(db.pool()).await.unwrap();
        }
        let edited =
            sqlx::query("UPDATE audit_events SET subject = 'thing:5' WHERE seq = 4").execute(db.pool()).await.unwrap();
        assert_eq!(edited.rows_affected(), 1);
        let (code, out) = verify(&["audit", "verify"]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("audit chain BROKEN at event 4: content does not match its hash"), "{out}");
        // An anchor before the break still matches; the break is reported.
        let (code, out) = verify(&["audit", "verify", "--anchor", &format!("2:{}", hash_of(2))]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("audit chain BROKEN at event 4:"), "{out}");
        db.close().await;
        env.cleanup().await;
    }
}
