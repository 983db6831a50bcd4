//! Whole-configuration checks: every message names the key and the fix. Production mode
//! adds the refusals that keep an unsafe deployment from starting.

use std::net::SocketAddr;
use std::path::Path;

use secrecy::SecretString;
use url::Url;

use backend::vcs::github::GitHubAuth;

use super::{Config, ConfigError, EnvironmentConfig, FileConfig, GitHub, GitHubConfig, Mode, err};

pub(super) struct Secrets {
    github_token: Option<SecretString>,
    webhook_secret: Option<SecretString>,
    app_private_key: Option<SecretString>,
}

impl Secrets {
    pub(super) fn from_env(env: &[(String, String)]) -> Self {
        let get = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
                .map(SecretString::from)
        };
        Self {
            github_token: get("INFRADESK_GITHUB_TOKEN"),
            webhook_secret: get("INFRADESK_GITHUB_WEBHOOK_SECRET"),
            app_private_key: get("INFRADESK_GITHUB_APP_PRIVATE_KEY"),
        }
    }
}

fn read_secret_file(key: &str, path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(key, format!("names {} which cannot be read ({e})", path.display()), "fix the path or its permissions")
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(err(key, format!("names {} which is empty", path.display()), "put the secret in the file"));
    }
    Ok(SecretString::from(text.to_owned()))
}

pub(super) fn validate(raw: FileConfig, source: String, secrets: &Secrets) -> Result<Config, ConfigError> {
    let base_url = Url::parse(&raw.base_url).map_err(|e| {
        err("base_url", format!("{:?} is not a URL ({e})", raw.base_url), "use e.g. https://infradesk.example.com")
    })?;
    if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
        return Err(err(
            "base_url",
            format!("{:?} is not an http(s) URL", raw.base_url),
            "use e.g. https://infradesk.example.com",
        ));
    }
    if base_url.path() != "/" || base_url.query().is_some() {
        return Err(err(
            "base_url",
            "must not have a path or query",
            "serve Infradesk at the root of its own host name",
        ));
    }
    let listen: SocketAddr = raw.listen.parse().map_err(|_| {
        err("listen", format!("{:?} is not an address:port", raw.listen), "use e.g. 127.0.0.1:3000 or 0.0.0.0:3000")
    })?;
    if !(raw.database.url.starts_with("sqlite:")
        || raw.database.url.starts_with("postgres:")
        || raw.database.url.starts_with("postgresql:"))
    {
        return Err(err("database.url", "must start with sqlite:// or postgres://", "e.g. sqlite://data/infradesk.db"));
    }
    if raw.data_dir.as_os_str().is_empty() {
        return Err(err("data_dir", "is empty", "name a directory for local state, e.g. data"));
    }
    if raw.infra_repo.path.as_os_str().is_empty() {
        return Err(err("infra_repo.path", "is empty", "name the local infra repository's directory, e.g. infra-repo"));
    }
    if raw.database.max_connections == 0 {
        return Err(err("database.max_connections", "is 0", "use at least 1"));
    }
    if raw.session.idle_timeout_minutes == 0 || raw.session.absolute_timeout_hours == 0 {
        return Err(err(
            "session",
            "timeouts must be greater than 0",
            "set idle_timeout_minutes and absolute_timeout_hours",
        ));
    }
    if raw.session.idle_timeout_minutes > raw.session.absolute_timeout_hours * 60 {
        return Err(err(
            "session.idle_timeout_minutes",
            "is longer than the absolute timeout",
            "make it at most absolute_timeout_hours × 60",
        ));
    }
    if raw.login_rate_limit.burst == 0 || raw.login_rate_limit.per_minute == 0 {
        return Err(err(
            "login_rate_limit",
            "burst and per_minute must be greater than 0",
            "e.g. burst = 10, per_minute = 6",
        ));
    }
    if raw.infra_repo.base_branch.trim().is_empty() || raw.infra_repo.base_branch.contains(char::is_whitespace) {
        return Err(err("infra_repo.base_branch", "is not a branch name", "e.g. main"));
    }
    validate_environments(&raw.environments)?;
    validate_catalog(&raw)?;
    let known = domain::routing::Known {
        environments: raw.environments.iter().map(|e| e.name.clone()).collect(),
        // Teams live in the database; startup warns about rules naming teams it lacks.
        teams: Vec::new(),
    };
    let routing = raw.routing.check(&known).map_err(|errors| {
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        ConfigError(format!("[routing] has {} problem(s): {}", all.len(), all.join("; ")))
    })?;
    let github = raw.github.as_ref().map(|g| validate_github(g, secrets)).transpose()?;

    if raw.mode == Mode::Production {
        if base_url.scheme() != "https" && !raw.allow_http_base_url {
            return Err(err(
                "base_url",
                format!("is {} but production mode needs https (session cookies would travel in clear text)", base_url),
                "use an https URL, or set allow_http_base_url = true only if a TLS-terminating proxy serves it over https",
            ));
        }
        if let Some(gh) = &github
            && gh.webhook_secret.is_none()
        {
            return Err(err(
                "github.webhook_secret_file",
                "is not set and INFRADESK_GITHUB_WEBHOOK_SECRET is empty, but GitHub is configured",
                "set one of them: production mode never accepts unsigned webhooks",
            ));
        }
    }

    Ok(Config {
        mode: raw.mode,
        base_url,
        listen,
        data_dir: raw.data_dir,
        site_root: raw.site_root,
        database: raw.database,
        session: raw.session,
        login_rate_limit: raw.login_rate_limit,
        log: raw.log,
        infra_repo: raw.infra_repo,
        github,
        catalog: raw.catalog,
        routing,
        environments: raw.environments,
        audit: raw.audit,
        source,
    })
}

fn validate_environments(envs: &[EnvironmentConfig]) -> Result<(), ConfigError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, env) in envs.iter().enumerate() {
        let key = |field: &str| format!("environments[{i}].{field}");
        domain::identity::validate_slug("name", &env.name)
            .map_err(|m| err(&key("name"), m, "rename the environment"))?;
        if !seen.insert(env.name.clone()) {
            return Err(err(
                &key("name"),
                format!("{:?} appears twice", env.name),
                "give every environment its own name",
            ));
        }
        if env.aws_account_id.len() != 12 || !env.aws_account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(err(
                &key("aws_account_id"),
                format!("{:?} is not a 12-digit AWS account id", env.aws_account_id),
                "e.g. \"123456789012\"",
            ));
        }
        let region_ok = env.region.split('-').count() >= 3
            && env.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(err(&key("region"), format!("{:?} is not an AWS region", env.region), "e.g. \"eu-west-1\""));
        }
        let dir = Path::new(&env.directory);
        let dir_ok = !env.directory.is_empty()
            && dir.is_relative()
            && dir.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !dir_ok {
            return Err(err(
                &key("directory"),
                format!("{:?} must be a relative path inside the repository", env.directory),
                "e.g. \"environments/prod\"",
            ));
        }
    }
    Ok(())
}

fn validate_catalog(raw: &FileConfig) -> Result<(), ConfigError> {
    if raw.catalog.dir.as_os_str().is_empty() {
        return Err(err("catalog.dir", "is empty", "name the catalog directory, e.g. catalog"));
    }
    // Try the template on every environment with a sample name, so a broken template stops
    // the server now rather than the first submit.
    for env in &raw.environments {
        domain::render::target_path(&raw.catalog.path_template, &env.directory, "sample", "sample-module").map_err(
            |e| {
                err(
                    "catalog.path_template",
                    e,
                    "use {env_dir}, {module} and {instance}, e.g. \"{env_dir}/{module}-{instance}.tf\"",
                )
            },
        )?;
    }
    Ok(())
}

fn validate_github(g: &GitHubConfig, secrets: &Secrets) -> Result<GitHub, ConfigError> {
    let parts: Vec<&str> = g.repository.split('/').collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(err("github.repository", format!("{:?} is not owner/name", g.repository), "e.g. \"acme/infra\""));
    }
    let api_url = Url::parse(&g.api_url).map_err(|e| {
        err(
            "github.api_url",
            format!("{:?} is not a URL ({e})", g.api_url),
            "use https://api.github.com or your GitHub Enterprise API URL",
        )
    })?;
    let token = match (&secrets.github_token, &g.token_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(path)) => Some(read_secret_file("github.token_file", path)?),
        (None, None) => None,
    };
    let private_key = match (&secrets.app_private_key, &g.private_key_file) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(path)) => Some(read_secret_file("github.private_key_file", path)?),
        (None, None) => None,
    };
    let auth = match (token, g.app_id, g.installation_id, private_key) {
        (Some(_), Some(_), _, _) | (Some(_), _, _, Some(_)) => {
            return Err(err(
                "github.token_file",
                "and a GitHub App are both configured",
                "use either a token or app_id + installation_id + private_key_file, not both",
            ));
        }
        (Some(token), None, None, None) => GitHubAuth::Token(token),
        (Some(token), None, Some(_), None) => {
            tracing::warn!("github.installation_id is ignored: a token is configured");
            GitHubAuth::Token(token)
        }
        (None, Some(app_id), Some(installation_id), Some(private_key)) => {
            GitHubAuth::App { app_id, private_key, installation_id }
        }
        (None, None, None, None) => {
            return Err(err(
                "github.token_file",
                "is not set, INFRADESK_GITHUB_TOKEN is empty and no GitHub App is configured",
                "give a token (file or variable) or app_id + installation_id + private_key_file",
            ));
        }
        (None, app_id, installation_id, private_key) => {
            let missing: Vec<&str> = [
                ("github.app_id", app_id.is_none()),
                ("github.installation_id", installation_id.is_none()),
                ("github.private_key_file (or INFRADESK_GITHUB_APP_PRIVATE_KEY)", private_key.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            return Err(err(
                "github.app_id",
                format!("is incomplete: {} missing", missing.join(", ")),
                "set all three",
            ));
        }
    };
    if g.base_branch.trim().is_empty() || g.base_branch.contains(char::is_whitespace) {
        return Err(err("github.base_branch", format!("{:?} is not a branch name", g.base_branch), "e.g. main"));
    }
    if g.connect_timeout_seconds == 0 || g.read_timeout_seconds == 0 {
        return Err(err(
            "github.read_timeout_seconds",
            "and connect_timeout_seconds must be above zero",
            "e.g. 10 and 30",
        ));
    }
    let webhook_secret = match (&secrets.webhook_secret, &g.webhook_secret_file) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(path)) => Some(read_secret_file("github.webhook_secret_file", path)?),
        (None, None) => None,
    };
    Ok(GitHub {
        repository: g.repository.clone(),
        api_url,
        base_branch: g.base_branch.clone(),
        merge_method: g.merge_method,
        merge_on_approval: g.merge_on_approval,
        require_green_checks: g.require_green_checks,
        connect_timeout: std::time::Duration::from_secs(g.connect_timeout_seconds),
        read_timeout: std::time::Duration::from_secs(g.read_timeout_seconds),
        auth,
        webhook_secret,
    })
}
