//! The local infra repository used on the embedded default: a real git repository on disk
//! that stands in for the GitHub infra repo. Created on first start with a README and one
//! directory per configured environment. Uses the git CLI ([`crate::vcs::git_cli`]).

use std::path::{Path, PathBuf};

use crate::vcs::git_cli::{GitError, git};

#[derive(Clone, Debug)]
pub struct EnvironmentLayout {
    pub name: String,
    pub directory: String,
    pub aws_account_id: String,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InfraRepoError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0} exists but is not a git repository; point infra_repo.path elsewhere or remove it")]
    NotARepository(String),
}

fn write(path: &Path, content: &str) -> Result<(), InfraRepoError> {
    let io = |source| InfraRepoError::Io { path: path.display().to_string(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, content).map_err(io)
}

/// Creates the repository if it does not exist yet; returns whether it was created.
/// An existing repository is left exactly as it is.
pub fn ensure(path: &Path, base_branch: &str, environments: &[EnvironmentLayout]) -> Result<bool, InfraRepoError> {
    if path.join(".git").exists() {
        return Ok(false);
    }
    if path.exists() && std::fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return Err(InfraRepoError::NotARepository(path.display().to_string()));
    }
    std::fs::create_dir_all(path).map_err(|source| InfraRepoError::Io { path: path.display().to_string(), source })?;
    git(path, &["init", "--quiet", "--initial-branch", base_branch])?;

    let mut readme = String::from(
        "# Infrastructure\n\nTerraform for every environment. Changes arrive as pull requests opened by Infradesk;\n\
         each request becomes one file under its environment's directory.\n\n| environment | AWS account | region | directory |\n| --- | --- | --- | --- |\n",
    );
    for env in environments {
        readme
            .push_str(&format!("| {} | {} | {} | `{}/` |\n", env.name, env.aws_account_id, env.region, env.directory));
        write(
            &path.join(&env.directory).join("README.md"),
            &format!(
                "# {}\n\nAWS account {} in {}. Files here are written by Infradesk.\n",
                env.name, env.aws_account_id, env.region
            ),
        )?;
    }
    write(&path.join("README.md"), &readme)?;
    git(path, &["add", "--all"])?;
    git(path, &["commit", "--quiet", "-m", "Initial layout of the infra repository"])?;
    Ok(true)
}

/// Where the repository's working copy lives, resolved against the data directory.
pub fn resolve(data_dir: &Path, configured: &Path) -> PathBuf {
    if configured.is_absolute() { configured.to_owned() } else { data_dir.join(configured) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_layout_once() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("infra");
        let envs = vec![EnvironmentLayout {
            name: "dev".into(),
            directory: "environments/dev".into(),
            aws_account_id: "111111111111".into(),
            region: "eu-west-1".into(),
        }];
        assert!(ensure(&repo, "main", &envs).unwrap());
        assert!(repo.join("environments/dev/README.md").exists());
        let log = git(&repo, &["log", "--format=%an|%s", "main"]).unwrap();
        assert_eq!(log, "Infradesk|Initial layout of the infra repository");
        // Second start: untouched.
        assert!(!ensure(&repo, "main", &envs).unwrap());
        assert_eq!(git(&repo, &["rev-list", "--count", "main"]).unwrap(), "1");
    }

    #[test]
    fn refuses_a_non_empty_directory_that_is_not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "x").unwrap();
        assert!(matches!(ensure(dir.path(), "main", &[]), Err(InfraRepoError::NotARepository(_))));
    }
}
