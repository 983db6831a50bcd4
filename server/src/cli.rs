//! Command-line interface. `serve` is the default; the user, team and audit commands work on
//! the database directly and are audited as `cli:<operator>`; `catalog check` and `render`
//! need only the configuration and a catalog directory.

// Printing to stdout is this module's job: it is the command-line output.
#![allow(clippy::print_stdout)]

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use backend::accounts::{self, NewTeam, NewUser};
use backend::clock::{Clock, SharedClock, SystemClock};
use clap::{Parser, Subcommand};
use domain::audit::Actor;
use secrecy::SecretString;

use crate::config::{self, Config};
use crate::startup::{self, Application};
use crate::telemetry;

#[path = "cli_render.rs"]
mod render;
#[path = "cli_seed.rs"]
pub mod seed;

#[derive(Parser, Debug)]
#[command(
    name = "infradesk",
    version,
    about = "Self-service infrastructure requests, delivered as reviewed Terraform pull requests"
)]
pub struct Args {
    /// Configuration file (default: ./infradesk.toml if it exists).
    #[arg(long, global = true, env = "INFRADESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the configuration and print it (without secrets).
    CheckConfig,
    /// Work with a module catalog (for SREs' own CI).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Check a values file against a catalog module and environment as the request form does,
    /// and print the module call Infradesk would commit, with its path (for SREs' own CI).
    #[command(after_help = render::VALUES_HELP)]
    Render(render::RenderArgs),
    /// Fill the database with N realistic requests and their audit trail (for benchmarks).
    Seed(seed::SeedArgs),
}

#[derive(Subcommand, Debug)]
enum CatalogCommand {
    /// Load every module of a catalog directory; print each problem as file:line and exit 1 if any.
    Check {
        /// The catalog directory: one folder per module with its .tf files and overlay.toml.
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a local user. The password is read from a prompt, or from stdin with --password-stdin.
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        github_login: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user and end all of their sessions.
    Disable { login: String },
    /// Enable a disabled user again.
    Enable { login: String },
    /// List users.
    List,
}

#[derive(Subcommand, Debug)]
enum TeamCommand {
    /// Create a team.
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        /// Members of a reviewing team review what is routed to it.
        #[arg(long)]
        reviewing: bool,
        #[arg(long)]
        github_team: Option<String>,
    },
    /// Add a user to a team.
    AddMember { team: String, login: String },
    /// List teams.
    List,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the hash chain and report the first broken link; the chain must end at the stored
    /// head (docs/AUDIT.md).
    Verify {
        /// A published head, `<seq>:<hash>` (the admin page shows the current one): event
        /// `seq` must have that hash. Catches a chain rewritten together with its stored head.
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Check an export (CSV or JSON Lines) without the database: every hash, every link
    /// between consecutive events; prints the newest event's hash to compare with a published
    /// head (docs/AUDIT.md).
    VerifyExport {
        file: PathBuf,
        /// The export is of a filtered view: events may be skipped (links are checked where
        /// two records are consecutive events). Without it a skipped event is reported.
        #[arg(long)]
        filtered: bool,
        /// A published head, `<seq>:<hash>`: the export's event with that number must have
        /// that hash.
        #[arg(long)]
        anchor: Option<String>,
    },
}

fn operator_name() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "operator".into())
}

fn operator() -> Actor {
    Actor::Cli(operator_name())
}

fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    Ok(config::load(path, &env)?)
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = load_config(args.config.as_deref())?;
    telemetry::init(&config.log);
    let clock: SharedClock = Arc::new(SystemClock);
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            tracing::info!(config = %config.summary(), "starting Infradesk");
            let app = Application::build(config, clock).await?;
            app.serve(startup::shutdown_signal()).await?;
        }
        Command::CheckConfig => {
            println!("{}", serde_json::to_string_pretty(&config.summary())?);
        }
        Command::Migrate => {
            let db = startup::open_database(&config).await?;
            db.migrate().await?;
            backend::requests::queue_rows::run_maintenance(&db).await?;
            println!("database is up to date");
        }
        Command::User(cmd) => user(&config, clock.as_ref(), cmd).await?,
        Command::Team(cmd) => team(&config, clock.as_ref(), cmd).await?,
        Command::Audit(AuditCommand::Verify { anchor }) => return audit_verify(&config, anchor.as_deref()).await,
        Command::Audit(AuditCommand::VerifyExport { file, filtered, anchor }) => {
            return audit_verify_export(&file, filtered, anchor.as_deref());
        }
        Command::Catalog(CatalogCommand::Check { dir }) => return Ok(catalog_check(&config, &dir)),
        Command::Render(args) => return render::run(&config, args, operator_name()),
        Command::Seed(args) => seed::run(&config, clock.as_ref(), args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn migrated_db(config: &Config) -> anyhow::Result<backend::Db> {
    let db = startup::open_database(config).await?;
    db.migrate().await?;
    backend::requests::queue_rows::run_maintenance(&db).await?;
    Ok(db)
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the password from stdin")?;
        let line = text.lines().next().unwrap_or_default().to_owned();
        return Ok(SecretString::from(line));
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat password: ")?;
    if first != second {
        bail!("the passwords do not match");
    }
    Ok(SecretString::from(first))
}

async fn user(config: &Config, clock: &dyn Clock, cmd: UserCommand) -> anyhow::Result<()> {
    let db = migrated_db(config).await?;
    let actor = operator();
    match cmd {
        UserCommand::Add { login, name, admin, github_login, password_stdin } => {
            let password = read_password(password_stdin)?;
            accounts::create_user(
                &db,
                &actor,
                clock.now_ms(),
                NewUser { login: login.clone(), name, password, github_login, is_admin: admin },
            )
            .await?;
            println!("created user {login}");
        }
        UserCommand::Disable { login } => {
            let ended = accounts::set_disabled(&db, &actor, clock.now_ms(), &login, true).await?;
            println!("disabled {login}; ended {ended} session(s)");
        }
        UserCommand::Enable { login } => {
            accounts::set_disabled(&db, &actor, clock.now_ms(), &login, false).await?;
            println!("enabled {login}");
        }
        UserCommand::List => {
            println!("{:<20} {:<28} {:<6} {:<9} TEAMS", "LOGIN", "NAME", "ADMIN", "STATUS");
            for u in accounts::list_users(&db).await? {
                println!(
                    "{:<20} {:<28} {:<6} {:<9} {}",
                    u.login,
                    u.name,
                    if u.is_admin { "yes" } else { "no" },
                    if u.disabled { "disabled" } else { "active" },
                    u.teams.join(",")
                );
            }
        }
    }
    db.close().await;
    Ok(())
}

async fn team(config: &Config, clock: &dyn Clock, cmd: TeamCommand) -> anyhow::Result<()> {
    let db = migrated_db(config).await?;
    let actor = operator();
    match cmd {
        TeamCommand::Add { slug, name, reviewing, github_team } => {
            accounts::create_team(
                &db,
                &actor,
                clock.now_ms(),
                NewTeam { slug: slug.clone(), name, github_team_slug: github_team, reviewing },
            )
            .await?;
            println!("created team {slug}");
        }
        TeamCommand::AddMember { team, login } => {
            accounts::add_member(&db, &actor, clock.now_ms(), &team, &login).await?;
            println!("added {login} to {team}");
        }
        TeamCommand::List => {
            println!("{:<20} {:<28} {:<10} MEMBERS", "SLUG", "NAME", "REVIEWING");
            for t in accounts::list_teams(&db).await? {
                println!(
                    "{:<20} {:<28} {:<10} {}",
                    t.slug,
                    t.name,
                    if t.reviewing { "yes" } else { "no" },
                    t.members.join(",")
                );
            }
        }
    }
    db.close().await;
    Ok(())
}

/// `--anchor <seq>:<hash>`: a published head.
fn parse_anchor(anchor: Option<&str>) -> anyhow::Result<Option<(i64, String)>> {
    match anchor.map(|a| a.split_once(':').map(|(s, h)| (s.trim().parse::<i64>(), h.trim()))) {
        None => Ok(None),
        Some(Some((Ok(seq), hash))) if seq >= 1 && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some((seq, hash.to_ascii_lowercase())))
        }
        Some(_) => bail!("--anchor must be <seq>:<64 hex digits>, e.g. 1234:0a9a2c…"),
    }
}

async fn audit_verify(config: &Config, anchor: Option<&str>) -> anyhow::Result<ExitCode> {
    let anchor = parse_anchor(anchor)?;
    let db = startup::open_database(config).await?;
    let result = backend::audit::verify_anchored(&db, anchor.as_ref().map(|(seq, hash)| (*seq, hash.as_str()))).await;
    db.close().await;
    let result = result?;
    match result.broken {
        None => {
            println!("audit chain intact: {} events, head {} {}", result.events, result.head_seq, result.head_hash);
            if let Some((seq, hash)) = &anchor {
                println!("anchor: event {seq} has the published hash {hash}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!("audit chain BROKEN at event {}: {}", b.seq, b.reason);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn audit_verify_export(file: &std::path::Path, filtered: bool, anchor: Option<&str>) -> anyhow::Result<ExitCode> {
    use backend::audit::offline::{self, Expect};
    let expect = if filtered { Expect::Filtered } else { Expect::Complete };
    let anchor = parse_anchor(anchor)?;
    let check = offline::verify_file(file, expect, anchor).with_context(|| format!("checking {}", file.display()))?;
    println!("{}", check.summary());
    Ok(if check.broken.is_none() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Environments come from the configuration, so per-environment rules naming an unknown
/// environment are caught here too.
fn catalog_check(config: &Config, dir: &std::path::Path) -> ExitCode {
    let environments: Vec<String> = config.environments.iter().map(|e| e.name.clone()).collect();
    let catalog = backend::catalog::load_catalog(dir, &environments);
    for error in &catalog.errors {
        println!("{error}");
    }
    println!(
        "{}: {} module(s) loaded, {} failed, {} problem(s)",
        dir.display(),
        catalog.modules.len(),
        catalog.failed.len(),
        catalog.errors.len()
    );
    if catalog.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
