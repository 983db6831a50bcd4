//! The `infradesk` binary's admin commands against a temporary SQLite database (and
//! PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use backend::Dialect;
use common::*;

struct Cli<'a> {
    env: &'a TestEnv,
}

impl Cli<'_> {
    /// Runs the binary in the temp dir (so no `infradesk.toml` is picked up) with only
    /// this environment's configuration, feeding `stdin`.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_infradesk"));
        command.args(args).current_dir(self.env.dir.path());
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INFRADESK_")) {
            command.env_remove(key);
        }
        command.envs(self.env.env(&[("INFRADESK_LOG__FILTER", "warn")])).env("USER", "tester");
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    #[track_caller]
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "infradesk {args:?} failed: {stdout}\n{stderr}");
        stdout
    }

    #[track_caller]
    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "infradesk {args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        stderr
    }
}

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
