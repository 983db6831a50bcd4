//! Chooses the infra repository's host from the configuration: GitHub when `[github]` is
//! set, otherwise the local git repository (created on first start).

use std::sync::Arc;

use anyhow::Context;
use backend::infra_repo::{self, EnvironmentLayout};
use backend::vcs::Vcs;
use backend::vcs::local_git::LocalGitVcs;

use crate::config::Config;

pub fn build(config: &Config) -> anyhow::Result<Arc<dyn Vcs>> {
    if let Some(github) = &config.github {
        anyhow::bail!(
            "github.repository = {:?}: the GitHub connection is not available in this build; remove [github] to use the local infra repository",
            github.repository
        );
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
