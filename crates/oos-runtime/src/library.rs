//! Finding templates of child executions (ACS::Template, product actions): the store's library
//! first, then directories of template files (`oos_template::TemplateFiles`: `<TemplateName>.yml|yaml|json`).

use std::sync::Arc;

use oos_store::LibraryStore;
use oos_template::TemplateFiles;

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

/// The store's templates, then template files found by the rules of [`TemplateFiles`] (the
/// same as `oos template validate --library`).
pub struct Library {
    store: Option<Arc<dyn LibraryStore>>,
    files: TemplateFiles,
}

impl Library {
    /// The store's templates only.
    pub fn new(store: Option<Arc<dyn LibraryStore>>) -> Self {
        Self { store, files: TemplateFiles::default() }
    }

    /// Then the template files `files` (e.g. `TemplateFiles::scan` of the `--library` directories).
    pub fn with_files(self, files: TemplateFiles) -> Self {
        Self { files, ..self }
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
        match self.files.resolve(name) {
            Some(path) => std::fs::read_to_string(path)
                .map(|content| Some(FoundTemplate { version: None, content }))
                .map_err(|e| format!("{}: {e}", path.display())),
            None => Ok(None),
        }
    }
}
