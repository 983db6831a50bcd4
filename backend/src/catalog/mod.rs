//! Loading the module catalog from disk: one folder per module with its `.tf` files and an
//! `overlay.toml` (docs/CATALOG.md). The parsing and cross-checks are `domain::catalog`'s;
//! this is only the file system walk.
//!
//! One bad module never takes the others down: it is left out of `modules`, named in
//! `failed`, and its problems are in `errors` with paths relative to the catalog directory
//! (`rds-postgresql/variables.tf:12: …`), so `infradesk catalog check` and the admin page can
//! show exactly what to fix.

use domain::catalog::{CatalogError, Module, ParsedVariables, build_module, parse_overlay, parse_variables};
use std::collections::BTreeMap;
use std::path::Path;

mod store;
pub use store::{CatalogStore, ReloadSummary};

/// The overlay's file name inside a module folder.
pub const OVERLAY_FILE: &str = "overlay.toml";

/// A loaded catalog. Everything is in a deterministic order (module ids and file names
/// sorted), so two loads of the same directory compare equal.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    pub modules: BTreeMap<String, Module>,
    /// Every problem found, modules in id order, each module's errors by file and line.
    pub errors: Vec<CatalogError>,
    /// Ids (folder names) of the modules that did not load, sorted.
    pub failed: Vec<String>,
}

impl Catalog {
    /// The errors that belong to one module folder.
    pub fn errors_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a CatalogError> + 'a {
        self.errors.iter().filter(move |e| e.file.split('/').next() == Some(id))
    }
}

/// Reads every module folder under `dir`. Folders whose name starts with `.` and plain
/// files (a README) are skipped. `environments` are the configured environment names that
/// overlays may set rules for.
pub fn load_catalog(dir: &Path, environments: &[String]) -> Catalog {
    let mut catalog = Catalog::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            catalog.errors.push(io_error(
                &dir.display().to_string(),
                &e,
                "check the catalog path in the configuration",
            ));
            return catalog;
        }
    };
    let mut folders: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    folders.sort();
    for id in folders {
        match load_module(&dir.join(&id), &id, environments) {
            Ok(module) => {
                catalog.modules.insert(id, module);
            }
            Err(errors) => {
                catalog.errors.extend(errors);
                catalog.failed.push(id);
            }
        }
    }
    catalog
}

/// One module folder: all `*.tf` files in name order (as Terraform reads them), then the
/// overlay. File errors and overlay errors are reported together.
fn load_module(folder: &Path, id: &str, environments: &[String]) -> Result<Module, Vec<CatalogError>> {
    let mut errors = Vec::new();
    let mut tf_files: Vec<String> = match std::fs::read_dir(folder) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| name.ends_with(".tf"))
            .collect(),
        Err(e) => return Err(vec![io_error(id, &e, "make the folder readable")]),
    };
    tf_files.sort();
    if tf_files.is_empty() {
        errors.push(CatalogError {
            file: format!("{id}/"),
            line: 1,
            message: "the module folder has no .tf files".to_owned(),
            fix: "add the module's variables.tf (or remove the folder)".to_owned(),
        });
    }
    let mut variables: Vec<(String, ParsedVariables)> = Vec::new();
    for name in tf_files {
        let file = format!("{id}/{name}");
        match std::fs::read_to_string(folder.join(&name)) {
            Ok(text) => variables.push((file.clone(), parse_variables(&file, &text))),
            Err(e) => errors.push(io_error(&file, &e, "save the file as UTF-8 text")),
        }
    }
    let overlay_file = format!("{id}/{OVERLAY_FILE}");
    let overlay = match std::fs::read_to_string(folder.join(OVERLAY_FILE)) {
        Ok(text) => parse_overlay(&overlay_file, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(vec![CatalogError {
            file: overlay_file,
            line: 1,
            message: "the module has no overlay.toml".to_owned(),
            fix: "add overlay.toml with at least title, category, owner_team, risk_tier, source and version \
                  (see docs/CATALOG.md)"
                .to_owned(),
        }]),
        Err(e) => Err(vec![io_error(&overlay_file, &e, "save the file as UTF-8 text")]),
    };
    match overlay {
        Ok(overlay) if errors.is_empty() => build_module(id, variables, &overlay, environments),
        Ok(_) => {
            errors.extend(variables.into_iter().flat_map(|(_, parsed)| parsed.errors));
            Err(errors)
        }
        Err(overlay_errors) => {
            errors.extend(variables.into_iter().flat_map(|(_, parsed)| parsed.errors));
            errors.extend(overlay_errors);
            Err(errors)
        }
    }
}

fn io_error(file: &str, e: &std::io::Error, fix: &str) -> CatalogError {
    CatalogError { file: file.to_owned(), line: 1, message: format!("cannot read: {e}"), fix: fix.to_owned() }
}
