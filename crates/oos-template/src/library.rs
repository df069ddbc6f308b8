//! Where product actions (`ACS::<Product>::<Name>`) and nested templates are looked up by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::TemplateError;
use crate::model::Template;

/// Looks a template up by name (e.g. `ACS::ECS::StopInstance`, matched case-insensitively).
pub trait TemplateLibrary: Send + Sync {
    fn find(&self, name: &str) -> Option<Arc<Template>>;
}

/// A library backed by a directory tree of template files, each named by its file stem
/// (`CloudProductActions/ECS/YAML/ACS::ECS::StopInstance.yml` → `ACS::ECS::StopInstance`).
/// When a YAML and a JSON twin exist, the YAML one is kept.
#[derive(Debug, Default)]
pub struct DirectoryLibrary {
    templates: HashMap<String, Arc<Template>>,
    /// Files that were found but could not be parsed.
    pub rejected: Vec<(PathBuf, TemplateError)>,
}

impl DirectoryLibrary {
    /// Reads every `.yml`/`.yaml`/`.json` file under `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        // YAML first, so that it wins over its JSON twin.
        files.sort_by_key(|path| (path.extension().is_some_and(|e| e == "json"), path.clone()));
        let mut library = Self::default();
        for path in files {
            let Some(name) = path.file_stem().and_then(|stem| stem.to_str()).map(str::to_ascii_lowercase) else {
                continue;
            };
            if library.templates.contains_key(&name) {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            match crate::parse(&text) {
                Ok(template) => {
                    library.templates.insert(name, Arc::new(template));
                }
                Err(error) => library.rejected.push((path, error)),
            }
        }
        Ok(library)
    }

    /// Adds (or replaces) a template under `name`.
    pub fn insert(&mut self, name: &str, template: Template) {
        self.templates.insert(name.to_ascii_lowercase(), Arc::new(template));
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

impl TemplateLibrary for DirectoryLibrary {
    fn find(&self, name: &str) -> Option<Arc<Template>> {
        let key = name.trim().to_ascii_lowercase();
        self.templates.get(&key).or_else(|| self.templates.get(&key.replace("::", "-"))).cloned()
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yml" | "yaml" | "json")) {
            files.push(path);
        }
    }
    Ok(())
}
