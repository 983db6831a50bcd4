//! The catalog the running server offers: loaded at start, reloaded without a restart (admin
//! action or SIGHUP). Readers take an `Arc` snapshot, so a reload never changes a module
//! under a request being checked; requests store the module definition they were made with.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use domain::audit::Actor;
use serde_json::json;

use super::{Catalog, load_catalog};
use crate::audit::{self, Entry};
use crate::db::{Db, DbError};

#[derive(Debug)]
pub struct CatalogStore {
    dir: PathBuf,
    environments: Vec<String>,
    current: RwLock<Arc<Loaded>>,
}

/// One load of the catalog directory.
#[derive(Debug)]
pub struct Loaded {
    pub catalog: Catalog,
    pub loaded_at_ms: i64,
}

/// What a reload found, for the admin page and the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReloadSummary {
    pub modules: usize,
    pub failed: Vec<String>,
    pub errors: usize,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl CatalogStore {
    /// Loads `dir` now; problems are logged (one bad module never stops the server).
    pub fn load(dir: PathBuf, environments: Vec<String>, now_ms: i64) -> CatalogStore {
        let catalog = load_catalog(&dir, &environments);
        log_problems(&catalog);
        CatalogStore { dir, environments, current: RwLock::new(Arc::new(Loaded { catalog, loaded_at_ms: now_ms })) }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The catalog as last loaded.
    pub fn current(&self) -> Arc<Loaded> {
        self.current.read().map_or_else(|poisoned| poisoned.into_inner().clone(), |c| c.clone())
    }

    /// Reads the directory again and swaps the new catalog in, recording `catalog.reloaded`.
    pub async fn reload(&self, db: &Db, actor: &Actor, now_ms: i64) -> Result<ReloadSummary, DbError> {
        let dir = self.dir.clone();
        let environments = self.environments.clone();
        let catalog =
            tokio::task::spawn_blocking(move || load_catalog(&dir, &environments)).await.unwrap_or_else(|e| {
                let mut failed = Catalog::default();
                failed.errors.push(domain::catalog::CatalogError {
                    file: self.dir.display().to_string(),
                    line: 0,
                    message: format!("loading panicked: {e}"),
                    fix: "report this as a bug".to_owned(),
                });
                failed
            });
        log_problems(&catalog);
        let old = self.current();
        let summary = summarize(&old.catalog, &catalog);
        audit::record(
            db,
            now_ms,
            Entry {
                actor,
                action: "catalog.reloaded",
                subject: "catalog",
                details: json!({
                    "dir": self.dir.display().to_string(),
                    "modules": summary.modules,
                    "failed": summary.failed,
                    "errors": summary.errors,
                    "added": summary.added,
                    "removed": summary.removed,
                    "changed": summary.changed,
                }),
            },
        )
        .await?;
        let loaded = Arc::new(Loaded { catalog, loaded_at_ms: now_ms });
        match self.current.write() {
            Ok(mut current) => *current = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        tracing::info!(modules = summary.modules, failed = summary.failed.len(), "catalog reloaded");
        Ok(summary)
    }
}

fn summarize(old: &Catalog, new: &Catalog) -> ReloadSummary {
    let ids = |c: &Catalog| c.modules.keys().cloned().collect::<std::collections::BTreeSet<_>>();
    let (before, after) = (ids(old), ids(new));
    ReloadSummary {
        modules: new.modules.len(),
        failed: new.failed.clone(),
        errors: new.errors.len(),
        added: after.difference(&before).cloned().collect(),
        removed: before.difference(&after).cloned().collect(),
        changed: after
            .intersection(&before)
            .filter(|id| old.modules.get(*id) != new.modules.get(*id))
            .cloned()
            .collect(),
    }
}

fn log_problems(catalog: &Catalog) {
    for error in &catalog.errors {
        tracing::warn!(%error, "catalog problem");
    }
    tracing::info!(modules = catalog.modules.len(), failed = catalog.failed.len(), "catalog loaded");
}
