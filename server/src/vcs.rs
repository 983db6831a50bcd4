//! Chooses the infra repository's host from the configuration: GitHub when `[github]` is
//! set, otherwise the local git repository (created on first start).

use std::sync::Arc;

use anyhow::Context;
use backend::infra_repo::{self, EnvironmentLayout};
use backend::vcs::Vcs;
use backend::vcs::github::{GitHubConfig, GitHubVcs};
use backend::vcs::local_git::LocalGitVcs;

use crate::config::Config;

/// Refuses to start when the database holds pull requests of another host or repository:
/// their numbers would collide with the configured one's.
pub async fn check_recorded_host(db: &backend::Db, config: &Config) -> anyhow::Result<()> {
    let marker = config.github.as_ref().map(|g| format!("/{}/pull/", g.repository));
    let (local, foreign) =
        backend::pulls::foreign_records(db, marker.as_deref()).await.context("reading recorded pull requests")?;
    match (&config.github, local, foreign.is_empty()) {
        (Some(github), n, _) if n > 0 => anyhow::bail!(
            "[github] is set, but the database holds {n} pull request(s) of the local infra repository: their \
             numbers would collide with {}'s. Use a new database for GitHub (the local repository's requests \
             stay in the old one), or remove [github]",
            github.repository
        ),
        (Some(github), _, false) => anyhow::bail!(
            "[github] repository is {}, but the database holds pull requests of another repository ({}): their \
             numbers would collide. Use the repository they came from, or a new database",
            github.repository,
            foreign.join(", ")
        ),
        (None, _, false) => anyhow::bail!(
            "the database holds pull requests on GitHub ({}), but [github] is not set: set it again, or use a new \
             database for the local infra repository",
            foreign.join(", ")
        ),
        _ => Ok(()),
    }
}

pub fn build(config: &Config) -> anyhow::Result<Arc<dyn Vcs>> {
    if let Some(github) = &config.github {
        let (owner, repo) = github.repository.split_once('/').unwrap_or((github.repository.as_str(), ""));
        let mut gh = GitHubConfig::new(owner, repo, github.auth.clone());
        gh.api_url = github.api_url.clone();
        gh.connect_timeout = github.connect_timeout;
        gh.read_timeout = github.read_timeout;
        gh.merge_method = github.merge_method;
        gh.validate().map_err(|e| anyhow::anyhow!("[github]: {e}"))?;
        let vcs = GitHubVcs::new(gh).context("building the GitHub client")?;
        tracing::info!(repository = %github.repository, api = %github.api_url, "pull requests go to GitHub");
        return Ok(Arc::new(vcs));
    }
    let layout: Vec<EnvironmentLayout> = config
        .environments
        .iter()
        .map(|e| EnvironmentLayout {
            name: e.name.clone(),
            directory: e.directory.clone(),
            aws_account_id: e.aws_account_id.clone(),
            region: e.region.clone(),
        })
        .collect();
    let path = infra_repo::resolve(&config.data_dir, &config.infra_repo.path);
    if infra_repo::ensure(&path, &config.infra_repo.base_branch, &layout)
        .context("preparing the local infra repository")?
    {
        tracing::info!(path = %path.display(), "created the local infra repository");
    }
    tracing::info!(path = %path.display(), "pull requests go to the local infra repository");
    Ok(Arc::new(LocalGitVcs::new(path)))
}
