//! `oos test`: behaviour tests of runbooks. A spec file (YAML, beside the template) holds test
//! cases; each runs the template in-process against a fresh emulated cloud in virtual time, with the
//! steps it lists, and is checked against what it expects (docs/runbook-tests.md).
//!
//! `reader` reads specs (errors with line and column), `matcher` and `cloud` are the expectation
//! language, `harness` runs a case, `verdict` compares, `report` prints and writes JUnit XML.

pub mod cloud;
pub mod harness;
pub mod matcher;
pub mod reader;
pub mod report;
pub mod spec;
pub mod verdict;

use std::path::{Path, PathBuf};

pub use reader::{read_file, read_text};
pub use report::{CaseResult, FileResult, Totals};
pub use spec::{Case, SpecError, SpecFile};

/// Most spec files one run looks at (a directory walk stops there).
const MAX_FILES: usize = 10_000;

/// Whether `path` names a spec file (`*.test.yml` or `*.test.yaml`).
pub fn is_spec(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(".test.yml") || name.ends_with(".test.yaml"))
}

/// The spec files named (files as given; directories searched recursively, sorted).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut found)?;
        } else if path.is_file() {
            found.push(path.clone());
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| format!("{}: {error}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    entries.sort();
    for path in entries {
        if found.len() >= MAX_FILES {
            return Err(format!(
                "more than {MAX_FILES} spec files under {}",
                dir.display()
            ));
        }
        // Symbolic links are not followed: a link cycle cannot make the walk endless.
        let is_link =
            std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink());
        if path.is_dir() && !is_link {
            walk(&path, found)?;
        } else if is_spec(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads and runs one spec file, case by case (`only`: the cases whose name contains it).
pub async fn run_file(path: &Path, only: Option<&str>) -> FileResult {
    let spec = match read_file(path) {
        Ok(spec) => spec,
        Err(error) => {
            return FileResult {
                path: path.to_path_buf(),
                outcome: Err(error),
            };
        }
    };
    let mut results = Vec::new();
    for case in spec
        .cases
        .iter()
        .filter(|case| only.is_none_or(|only| case.name.contains(only)))
    {
        results.push(run_case(case).await);
    }
    FileResult {
        path: path.to_path_buf(),
        outcome: Ok(results),
    }
}

/// Runs one case and judges it.
pub async fn run_case(case: &Case) -> CaseResult {
    let started = std::time::Instant::now();
    let (mismatches, error) = match harness::run_case(case).await {
        Ok(outcome) => (verdict::compare(&case.expect, &outcome), None),
        Err(error) => (Vec::new(), Some(error)),
    };
    CaseResult {
        name: case.name.clone(),
        elapsed: started.elapsed(),
        mismatches,
        error,
    }
}
