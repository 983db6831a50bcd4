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

/// `render` for SREs' own CI, against the demo catalog and the repository's own configuration.
struct Render<'a> {
    cli: Cli<'a>,
    config: String,
    catalog: String,
}

impl<'a> Render<'a> {
    fn new(env: &'a TestEnv) -> Self {
        Render {
            cli: Cli { env },
            config: concat!(env!("CARGO_MANIFEST_DIR"), "/../infradesk.toml").to_owned(),
            catalog: concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog").to_owned(),
        }
    }

    /// Writes `values` to a file in the temp dir and renders `module` in `environment` with
    /// it; returns (success, stdout, stderr).
    fn run(&self, module: &str, environment: &str, values: &str, extra: &[&str]) -> (bool, String, String) {
        let file = self.cli.env.dir.path().join(format!("{module}-{environment}.json"));
        std::fs::write(&file, values).unwrap();
        let file = file.display().to_string();
        let mut args = vec!["--config", &self.config, "render", "--catalog", &self.catalog];
        args.extend(["--module", module, "--environment", environment, "--values", &file]);
        args.extend(extra);
        let out = self.cli.run(&args, "");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        (out.status.success(), stdout, stderr)
    }

    /// A run that must fail: nothing on stdout; returns stderr.
    #[track_caller]
    fn fails(&self, module: &str, environment: &str, values: &str, extra: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(module, environment, values, extra);
        assert!(!ok, "render {module} in {environment} should fail: {stdout}\n{stderr}");
        assert!(stdout.is_empty(), "nothing is rendered on failure: {stdout}");
        stderr
    }
}

const EXPORTS: &str = r#"{
  "instance_name": "exports",
  "team": "payments",
  "inputs": {
    "intelligent_tiering_days": 180,
    "lifecycle_rules": [{ "id": "expire-tmp", "prefix": "tmp/", "expiration_days": 7 }],
    "tags": { "cost-center": "1234" }
  }
}"#;

#[tokio::test]
async fn render_prints_the_target_path_and_the_module_call() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let render = Render::new(&env);
    let (ok, stdout, stderr) = render.run("s3-bucket", "dev", EXPORTS, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stderr.is_empty(), "no warnings for the demo module: {stderr}");
    let hcl = stdout
        .strip_prefix("path: environments/dev/s3-bucket-exports.tf\n\n")
        .unwrap_or_else(|| panic!("the path first, then a blank line:\n{stdout}"));
    assert!(hcl.starts_with("# Managed by Infradesk — request #0: http://127.0.0.1:3000/requests/new\n"), "{hcl}");
    assert!(hcl.contains("module \"exports\" {\n"), "{hcl}");
    assert!(hcl.ends_with("}\n"), "{hcl}");
    let line = |name: &str| {
        hcl.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .map(|l| l.split_once('=').unwrap().1.trim().to_owned())
            .unwrap_or_else(|| panic!("{name} rendered:\n{hcl}"))
    };
    assert_eq!(line("bucket"), "\"acme-dev-exports\"", "the naming rule's value");
    assert_eq!(line("intelligent_tiering_days"), "180");
    assert_eq!(line("expiration_days"), "7");
    assert_eq!(line("block_public_access"), "true", "fixed values are rendered");
    assert_eq!(line("cost-center"), "\"1234\"");
    assert_eq!(line("team"), "\"payments\"");
    assert_eq!(line("requested-by"), "\"tester\"", "the operator is the default requester");
    assert!(!hcl.contains("force_destroy"), "inputs left out keep the module default:\n{hcl}");

    // Flags override the file; `force_destroy` may be given where it is not fixed.
    let values = r#"{ "instance_name": "from-file", "team": "web", "inputs": { "force_destroy": true } }"#;
    let (ok, stdout, stderr) =
        render.run("s3-bucket", "dev", values, &["--instance", "logs", "--team", "payments", "--requester", "amy"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("path: environments/dev/s3-bucket-logs.tf\n"), "{stdout}");
    assert!(stdout.contains("module \"logs\" {") && stdout.contains("\"acme-dev-logs\""), "{stdout}");
    assert!(stdout.contains("= \"amy\"") && stdout.contains("= \"payments\"") && !stdout.contains("web"), "{stdout}");
    assert!(stdout.contains("force_destroy"), "{stdout}");
}

#[tokio::test]
async fn render_refuses_values_the_form_would_refuse() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let render = Render::new(&env);
    let values = |inputs: &str| format!(r#"{{ "instance_name": "exports", "team": "payments", "inputs": {inputs} }}"#);

    // Below the overlay's minimum.
    let err = render.fails("s3-bucket", "dev", &values(r#"{ "intelligent_tiering_days": 10 }"#), &[]);
    assert!(err.contains("intelligent_tiering_days: 10 is below the minimum 90"), "{err}");
    assert!(err.contains("nothing rendered"), "{err}");

    // A variable the module does not have, named with the ones it does.
    let err = render.fails("s3-bucket", "dev", &values(r#"{ "lifecycle": [] }"#), &[]);
    assert!(err.contains("lifecycle: is not a variable of module s3-bucket"), "{err}");
    assert!(err.contains("lifecycle_rules"), "{err}");

    // Fixed in prod (but not in dev, above), fixed everywhere, hidden, the naming variable,
    // a sensitive one: none of them can be given.
    let err = render.fails("s3-bucket", "prod", &values(r#"{ "force_destroy": true }"#), &[]);
    assert!(err.contains("force_destroy: is fixed to false in prod by the catalog; remove it"), "{err}");
    let inputs = r#"{ "block_public_access": false, "object_ownership": "ObjectWriter", "bucket": "mine" }"#;
    let err = render.fails("s3-bucket", "dev", &values(inputs), &[]);
    assert!(err.contains("block_public_access: is fixed to true by the catalog"), "{err}");
    assert!(err.contains("object_ownership: is hidden by the catalog"), "{err}");
    assert!(err.contains("bucket: is set from the instance name"), "{err}");
    let err = render.fails("rds-postgresql", "dev", &values(r#"{ "master_password": "hunter2" }"#), &[]);
    assert!(err.contains("master_password: is sensitive") && err.contains("master_password_ssm_parameter"), "{err}");
    assert!(!err.contains("hunter2"), "a secret is never echoed: {err}");

    // Wrong types, with the position inside the value; no second "is required" for them.
    let inputs =
        r#"{ "tags": "team=web", "versioning": { "enabled": "maybe" }, "lifecycle_rules": [{ "prefix": "a/" }] }"#;
    let err = render.fails("s3-bucket", "dev", &values(inputs), &[]);
    assert!(err.contains("tags: expected a map"), "{err}");
    assert!(err.contains("versioning.enabled: \"maybe\" is not a bool"), "{err}");
    assert!(err.contains("lifecycle_rules[0].id: is required"), "{err}");
    assert!(err.contains("3 problems"), "{err}");

    // The instance name and team are required, and the messages say where to give them.
    let err = render.fails("s3-bucket", "dev", r#"{ "inputs": {} }"#, &[]);
    assert!(err.contains("instance_name: is required: give --instance"), "{err}");
    assert!(err.contains("team: is required: give --team"), "{err}");
    let err = render.fails("s3-bucket", "dev", &values("{}"), &["--instance", "Exports"]);
    assert!(err.contains("instance_name:") && err.contains("lowercase"), "{err}");
}

#[tokio::test]
async fn render_names_unknown_modules_environments_and_broken_files() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let render = Render::new(&env);

    let err = render.fails("s3", "dev", EXPORTS, &[]);
    assert!(err.contains("unknown module `s3`") && err.contains("s3-bucket, sns-topic, sqs-queue"), "{err}");
    let err = render.fails("s3-bucket", "qa", EXPORTS, &[]);
    assert!(err.contains("unknown environment `qa`") && err.contains("dev, staging, prod"), "{err}");

    let err = render.fails("s3-bucket", "dev", "{ \"instance_name\": \"exports\",\n  \"inputs\": { ", &[]);
    assert!(err.contains("s3-bucket-dev.json is not valid JSON") && err.contains("line 2"), "{err}");
    let err = render.fails("s3-bucket", "dev", r#"{ "instance": "exports" }"#, &[]);
    assert!(err.contains("s3-bucket-dev.json") && err.contains("unknown field `instance`"), "{err}");
    let err = render.fails("s3-bucket", "dev", r#"[{ "instance_name": "exports" }]"#, &[]);
    assert!(err.contains("expected a JSON object"), "{err}");
}

/// A module that failed to load reports its own errors; a check Infradesk cannot evaluate is
/// a warning on stderr, never a pass or a failure.
#[tokio::test]
async fn render_reports_broken_modules_and_checks_it_cannot_evaluate() {
    let env = TestEnv::new(Dialect::Sqlite).await;
    let mut render = Render::new(&env);
    let catalog = env.dir.path().join("catalog");
    let overlay = "title = \"Subnet\"\ncategory = \"Network\"\nowner_team = \"sre\"\nrisk_tier = \"low\"\n\
                   source = \"acme/subnet/aws\"\nversion = \"1.0.0\"\n";
    std::fs::create_dir_all(catalog.join("subnet")).unwrap();
    std::fs::write(catalog.join("subnet/overlay.toml"), overlay).unwrap();
    let variables = "variable \"cidr\" {\n  type = string\n\n  validation {\n    \
                     condition     = can(cidrhost(var.cidr, 0))\n    error_message = \"Not a CIDR block.\"\n  }\n}\n";
    std::fs::write(catalog.join("subnet/variables.tf"), variables).unwrap();
    std::fs::create_dir_all(catalog.join("broken")).unwrap();
    std::fs::write(catalog.join("broken/overlay.toml"), overlay).unwrap();
    std::fs::write(catalog.join("broken/variables.tf"), "variable \"x\" {\n  type = strng\n}\n").unwrap();
    render.catalog = catalog.display().to_string();

    let values = r#"{ "instance_name": "private-a", "team": "payments", "inputs": { "cidr": "10.0.0.0/24" } }"#;
    let (ok, stdout, stderr) = render.run("subnet", "staging", values, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("path: environments/staging/subnet-private-a.tf\n"), "{stdout}");
    assert!(stdout.contains("cidr = \"10.0.0.0/24\""), "{stdout}");
    assert!(stderr.contains("warning: cidr: not checked by Infradesk"), "{stderr}");
    assert!(stderr.contains("`can(cidrhost(var.cidr, 0))`") && stderr.contains("cidrhost"), "{stderr}");

    let err = render.fails("broken", "staging", values, &[]);
    assert!(err.contains("module `broken`") && err.contains("failed to load"), "{err}");
    assert!(err.contains("broken/variables.tf:2: variable \"x\": unknown type `strng`"), "{err}");
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
