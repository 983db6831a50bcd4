//! `infradesk render`, the command SREs run in their own CI: the target path and the module
//! call of a request file, refusing what the form would refuse, naming what is missing.
#![allow(clippy::unwrap_used)]

mod common;

use backend::Dialect;
use common::cli::Cli;
use common::*;

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
