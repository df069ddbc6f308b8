//! Finding templates of child executions (ACS::Template, product actions): the store's library
//! first, then directories of template files named `<TemplateName>.yml|yaml|json`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oos_store::LibraryStore;

/// A template found by name: its version (if known) and content.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundTemplate {
    pub version: Option<String>,
    pub content: String,
}

/// Where child templates come from.
#[async_trait::async_trait]
pub trait TemplateSource: Send + Sync {
    async fn find(&self, name: &str, version: Option<&str>) -> Result<Option<FoundTemplate>, String>;
}

/// The store's templates, then template files under the given directories.
pub struct Library {
    store: Option<Arc<dyn LibraryStore>>,
    files: HashMap<String, PathBuf>,
}

impl Library {
    /// Indexes every `*.yml`, `*.yaml` and `*.json` file under `dirs` (recursively) by file stem.
    pub fn new(store: Option<Arc<dyn LibraryStore>>, dirs: &[PathBuf]) -> Self {
        let mut files = HashMap::new();
        for dir in dirs {
            index(dir, &mut files);
        }
        Self { store, files }
    }
}

fn index(dir: &Path, files: &mut HashMap<String, PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            index(&path, files);
        } else if let (Some(stem), Some(ext)) = (path.file_stem().and_then(|s| s.to_str()), path.extension().and_then(|e| e.to_str()))
            && matches!(ext, "yml" | "yaml" | "json")
        {
            files.entry(stem.to_owned()).or_insert(path);
        }
    }
}

#[async_trait::async_trait]
impl TemplateSource for Library {
    async fn find(&self, name: &str, version: Option<&str>) -> Result<Option<FoundTemplate>, String> {
        if let Some(store) = &self.store {
            let wanted = match version {
                Some(v) => Some(v.trim_start_matches('v').parse::<i64>().map_err(|_| format!("bad TemplateVersion {v}"))?),
                None => None,
            };
            if let Some((number, content)) = store.library_template(name, wanted).await.map_err(|e| e.to_string())? {
                return Ok(Some(FoundTemplate { version: Some(format!("v{number}")), content }));
            }
        }
        match self.files.get(name) {
            Some(path) => std::fs::read_to_string(path)
                .map(|content| Some(FoundTemplate { version: None, content }))
                .map_err(|e| format!("{}: {e}", path.display())),
            None => Ok(None),
        }
    }
}
