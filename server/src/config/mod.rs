//! Configuration: `infradesk.toml` layered under `INFRADESK_*` environment variables
//! (nested keys with `__`, e.g. `INFRADESK_DATABASE__URL`), then checked as a whole with
//! messages that name the key and the fix. Secrets come only from the environment or a
//! file and are wrapped so they never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use domain::routing::{ReviewerConfig, Routing, RoutingConfig, RuleConfig};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

mod validate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Seeds demo users and shows them on the login page. For trying Infradesk out.
    Demo,
    /// Refuses unsafe settings.
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// The file's shape. Unknown keys are errors, so a typo never silently does nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub mode: Mode,
    pub base_url: String,
    pub listen: String,
    pub allow_http_base_url: bool,
    pub data_dir: PathBuf,
    pub site_root: PathBuf,
    pub database: DatabaseConfig,
    pub session: SessionConfig,
    pub login_rate_limit: RateLimitConfig,
    pub log: LogConfig,
    pub infra_repo: InfraRepoConfig,
    pub github: Option<GitHubConfig>,
    pub catalog: CatalogConfig,
    pub routing: RoutingConfig,
    pub environments: Vec<EnvironmentConfig>,
    pub audit: AuditConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The server walks the audit hash chain at start and then every this many minutes
    /// (0: at start only). The admin page and /metrics show the last result.
    pub verify_interval_minutes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// One folder per module (docs/CATALOG.md); relative paths are relative to the working
    /// directory.
    pub dir: PathBuf,
    /// Where a request's module call goes in the infra repository: `{env_dir}` (the
    /// environment's directory), `{module}` and `{instance}`.
    pub path_template: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// May carry a password: never printed as is (see the Debug impl and [`redact_url`]).
    pub url: String,
    pub max_connections: u32,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub idle_timeout_minutes: u64,
    pub absolute_timeout_hours: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sign-in attempts one client may make in a burst.
    pub burst: u32,
    /// Attempts regained per minute after the burst is used up.
    pub per_minute: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `info,infradesk=debug`. `RUST_LOG` overrides it.
    pub filter: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfraRepoConfig {
    /// The local git repository used when GitHub is not configured (relative to data_dir).
    pub path: PathBuf,
    pub base_branch: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHubConfig {
    /// `owner/name` of the infra repository.
    pub repository: String,
    pub api_url: String,
    /// The branch pull requests go into.
    #[serde(default = "default_base_branch")]
    pub base_branch: String,
    /// `merge`, `squash` or `rebase`.
    #[serde(default)]
    pub merge_method: backend::vcs::MergeMethod,
    /// Infradesk merges an approved pull request (false: it waits for the merge on GitHub).
    #[serde(default = "yes")]
    pub merge_on_approval: bool,
    /// Infradesk merges only when every check on the head is green (the plan check).
    #[serde(default = "yes")]
    pub require_green_checks: bool,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    #[serde(default = "default_read_timeout")]
    pub read_timeout_seconds: u64,
    /// A token (or INFRADESK_GITHUB_TOKEN)…
    pub token_file: Option<PathBuf>,
    /// …or a GitHub App: its id, the installation on the repository's owner, and its
    /// private key (a PEM file, or INFRADESK_GITHUB_APP_PRIVATE_KEY).
    pub app_id: Option<u64>,
    pub installation_id: Option<u64>,
    pub private_key_file: Option<PathBuf>,
    pub webhook_secret_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

fn default_base_branch() -> String {
    "main".to_owned()
}

fn default_connect_timeout() -> u64 {
    10
}

fn default_read_timeout() -> u64 {
    30
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: String,
    pub aws_account_id: String,
    pub region: String,
    pub directory: String,
    #[serde(default)]
    pub protected: bool,
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Demo,
            base_url: "http://127.0.0.1:3000".into(),
            listen: "127.0.0.1:3000".into(),
            allow_http_base_url: false,
            data_dir: "data".into(),
            site_root: "target/site".into(),
            database: DatabaseConfig { url: "sqlite://data/infradesk.db".into(), max_connections: 10 },
            session: SessionConfig { idle_timeout_minutes: 8 * 60, absolute_timeout_hours: 24 },
            login_rate_limit: RateLimitConfig { burst: 10, per_minute: 6 },
            log: LogConfig { format: LogFormat::Human, filter: "info".into() },
            infra_repo: InfraRepoConfig { path: "infra-repo".into(), base_branch: "main".into() },
            github: None,
            catalog: CatalogConfig { dir: "catalog".into(), path_template: "{env_dir}/{module}-{instance}.tf".into() },
            // Without rules of its own, every request needs one approval from SRE.
            routing: RoutingConfig {
                timezone: "UTC".into(),
                working_hours: Default::default(),
                rules: vec![RuleConfig {
                    name: "default".into(),
                    when: Default::default(),
                    reviewers: vec![ReviewerConfig { team: "sre".into(), approvals: 1 }],
                    sla_hours: Some(16),
                    auto_approve: false,
                }],
            },
            environments: Vec::new(),
            audit: AuditConfig { verify_interval_minutes: 60 },
        }
    }
}

/// The checked configuration the rest of the server uses.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub base_url: Url,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub site_root: PathBuf,
    pub database: DatabaseConfig,
    pub session: SessionConfig,
    pub login_rate_limit: RateLimitConfig,
    pub log: LogConfig,
    pub infra_repo: InfraRepoConfig,
    pub github: Option<GitHub>,
    pub catalog: CatalogConfig,
    pub routing: Routing,
    pub environments: Vec<EnvironmentConfig>,
    pub audit: AuditConfig,
    /// Where the configuration came from, for the log and the audit trail.
    pub source: String,
}

#[derive(Clone, Debug)]
pub struct GitHub {
    pub repository: String,
    pub api_url: Url,
    pub base_branch: String,
    pub merge_method: backend::vcs::MergeMethod,
    pub merge_on_approval: bool,
    pub require_green_checks: bool,
    pub connect_timeout: std::time::Duration,
    pub read_timeout: std::time::Duration,
    /// A token or a GitHub App (secrets never print).
    pub auth: backend::vcs::github::GitHubAuth,
    pub webhook_secret: Option<SecretString>,
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The origin (`scheme://host[:port]`) browsers send for same-site requests.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Summary safe to log and audit: never secrets, never the database password.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "source": self.source,
            "mode": self.mode,
            "base_url": self.base_url.as_str(),
            "listen": self.listen.to_string(),
            "database": redact_url(&self.database.url),
            "environments": self.environments.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
            "catalog": self.catalog.dir.display().to_string(),
            "github": self.github.as_ref().map(|g| serde_json::json!({
                "repository": g.repository,
                "api_url": g.api_url.as_str(),
                "base_branch": g.base_branch,
                "auth": match &g.auth {
                    backend::vcs::github::GitHubAuth::Token(_) => serde_json::json!("token"),
                    backend::vcs::github::GitHubAuth::App { app_id, installation_id, .. } =>
                        serde_json::json!({ "app_id": app_id, "installation_id": installation_id }),
                },
                "webhook_secret": if g.webhook_secret.is_some() { "set" } else { "not set" },
            })),
        })
    }
}

/// A configuration problem, naming the key and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

pub(crate) fn err(key: &str, problem: impl std::fmt::Display, fix: &str) -> ConfigError {
    ConfigError(format!("`{key}` {problem}; {fix}"))
}

/// Environment variables under `INFRADESK_` that are not configuration keys.
const NOT_CONFIG_KEYS: &[&str] =
    &["config", "github_token", "github_webhook_secret", "github_app_private_key", "e2e_base_url"];

/// Reads `path` (if it exists; a missing file given explicitly is an error) and the
/// environment from `env`, then checks everything.
pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
    let default_path = Path::new("infradesk.toml");
    let (file, explicit) = match path {
        Some(p) => (p, true),
        None => (default_path, false),
    };
    if explicit && !file.exists() {
        return Err(ConfigError(format!(
            "config file {} does not exist; create it from infradesk.example.toml",
            file.display()
        )));
    }
    let mut figment = Figment::from(Serialized::defaults(FileConfig::default()));
    let source = if file.exists() {
        figment = figment.merge(Toml::file_exact(file));
        format!("{} + environment", file.display())
    } else {
        "built-in defaults + environment".to_owned()
    };
    let vars: Vec<(String, String)> = env
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("INFRADESK_")?.to_ascii_lowercase();
            (!NOT_CONFIG_KEYS.contains(&key.as_str())).then(|| (key, v.clone()))
        })
        .collect();
    for (key, value) in &vars {
        let path = key.replace("__", ".");
        let parsed: figment::value::Value =
            value.parse().unwrap_or_else(|_| figment::value::Value::from(value.clone()));
        figment = figment.merge(Serialized::default(&path, parsed));
    }
    let raw: FileConfig = figment.extract().map_err(|e| {
        let detail = e.clone().into_iter().map(|e| describe_figment_error(&e)).collect::<Vec<_>>().join("; ");
        ConfigError(detail)
    })?;
    let secrets = validate::Secrets::from_env(env);
    validate::validate(raw, source, &secrets)
}

fn describe_figment_error(e: &figment::Error) -> String {
    let key = if e.path.is_empty() { String::new() } else { format!("`{}`: ", e.path.join(".")) };
    // Values from the environment are merged as serialized `Value`s: name the variable.
    let from = match &e.metadata {
        Some(m) if m.name.contains("Value") => {
            format!(" (from environment variable INFRADESK_{})", e.path.join("__").to_ascii_uppercase())
        }
        Some(m) => format!(" (from {})", m.name),
        None => String::new(),
    };
    format!("{key}{}{from}", e.kind)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
