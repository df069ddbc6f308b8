//! Where product actions (`ACS::<Product>::<Name>`) and nested templates are looked up by name:
//! the one set of rules ([`TemplateFiles`]) that `oos template validate --library` and the
//! runtime's `--library` directories (`oos run`, `oos server`) share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::TemplateError;
use crate::model::Template;

/// Looks a template up by name (e.g. `ACS::ECS::StopInstance`), by the rules of [`TemplateFiles`].
pub trait TemplateLibrary: Send + Sync {
    fn find(&self, name: &str) -> Option<Arc<Template>>;
}

/// The template files under a list of directories (searched recursively), and the rules that
/// map a template name to one of them:
///
/// 1. a file's name is its stem, and a name `A::B::C` also matches the stem `A-B-C`
///    (`ACS::ECS::RunCommand` → `ACS::ECS::RunCommand.yml` or `ACS-ECS-RunCommand.json`…);
/// 2. a stem equal to the name (or its `-` form) wins over one equal only when ASCII case is
///    ignored;
/// 3. then YAML (`.yml`, `.yaml`) wins over JSON (a YAML and a JSON twin are one template);
/// 4. then the earlier directory of the list, then the smaller path.
///
/// Surrounding blanks of the name are ignored.
#[derive(Debug, Default, Clone)]
pub struct TemplateFiles {
    /// (directory index, path), sorted so that the first match of a rank is the one to take.
    files: Vec<(usize, PathBuf)>,
}

impl TemplateFiles {
    /// Every `.yml`, `.yaml` and `.json` file under `dirs`; a directory that cannot be read is an error.
    pub fn scan(dirs: &[PathBuf]) -> std::io::Result<Self> {
        let mut files = Vec::new();
        for (index, dir) in dirs.iter().enumerate() {
            let mut found = Vec::new();
            collect_files(dir, &mut found)?;
            files.extend(found.into_iter().map(|path| (index, path)));
        }
        files.sort_by(|a, b| (is_json(&a.1), a.0, &a.1).cmp(&(is_json(&b.1), b.0, &b.1)));
        Ok(Self { files })
    }

    /// The file template `name` resolves to, if any.
    pub fn resolve(&self, name: &str) -> Option<&Path> {
        let name = name.trim();
        let dashed = name.replace("::", "-");
        let stem_of = |path: &Path| path.file_stem().and_then(|stem| stem.to_str()).map(str::to_owned);
        let exact = self.files.iter().find(|(_, path)| stem_of(path).is_some_and(|stem| stem == name || stem == dashed));
        let found = exact.or_else(|| {
            self.files.iter().find(|(_, path)| {
                stem_of(path).is_some_and(|stem| stem.eq_ignore_ascii_case(name) || stem.eq_ignore_ascii_case(&dashed))
            })
        });
        found.map(|(_, path)| path.as_path())
    }

    /// Every file, in resolution order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(_, path)| path.as_path())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "json")
}

/// A library backed by a directory tree of template files, resolved by the rules of
/// [`TemplateFiles`] and parsed when loaded.
#[derive(Debug, Default)]
pub struct DirectoryLibrary {
    files: TemplateFiles,
    parsed: HashMap<PathBuf, Arc<Template>>,
    /// Files that were found but could not be parsed.
    pub rejected: Vec<(PathBuf, TemplateError)>,
}

impl DirectoryLibrary {
    /// Reads every `.yml`/`.yaml`/`.json` file under `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        Self::load_all(&[dir.to_path_buf()])
    }

    /// Reads every template file under `dirs` (earlier directories win, see [`TemplateFiles`]).
    pub fn load_all(dirs: &[PathBuf]) -> std::io::Result<Self> {
        let files = TemplateFiles::scan(dirs)?;
        let mut library = Self { files, ..Self::default() };
        let paths: Vec<PathBuf> = library.files.paths().map(Path::to_path_buf).collect();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            match crate::parse(&text) {
                Ok(template) => {
                    library.parsed.insert(path, Arc::new(template));
                }
                Err(error) => library.rejected.push((path, error)),
            }
        }
        Ok(library)
    }

    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }
}

impl TemplateLibrary for DirectoryLibrary {
    fn find(&self, name: &str) -> Option<Arc<Template>> {
        self.files.resolve(name).and_then(|path| self.parsed.get(path)).cloned()
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
