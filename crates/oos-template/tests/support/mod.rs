//! Shared test helpers: locating `../shared` and listing the corpus templates.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `<repo root>/../shared`.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

pub fn corpus_dir() -> PathBuf {
    shared_dir().join("corpus/oos-templates")
}

/// The directory holding the product-action templates (`ACS::<Product>::<Name>.yml`).
pub fn product_actions_dir() -> PathBuf {
    corpus_dir().join("aliyun__oos-templates/CloudProductActions")
}

pub struct CorpusFile {
    pub relative: String,
    pub text: String,
}

/// Every `.json`/`.yml`/`.yaml` template (FormatVersion OOS-2019-06-01, automation or `-State`).
pub fn corpus_templates() -> Vec<CorpusFile> {
    corpus_listing().0
}

/// The templates, and the template files skipped with the reason.
pub fn corpus_listing() -> (Vec<CorpusFile>, Vec<(String, &'static str)>) {
    let root = corpus_dir();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    collect(&root, &root, &mut files, &mut skipped);
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    (files, skipped)
}

/// The reason a corpus file is not an OOS template, if it is not one.
pub fn skip_reason(text: &str) -> Option<&'static str> {
    if !text.contains("OOS-2019-06-01") {
        Some("no FormatVersion OOS-2019-06-01")
    } else {
        None
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<CorpusFile>, skipped: &mut Vec<(String, &'static str)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files, skipped);
            continue;
        }
        let is_template = matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yml" | "yaml"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if !is_template {
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        match skip_reason(&text) {
            None => files.push(CorpusFile { relative, text }),
            Some(reason) => skipped.push((relative, reason)),
        }
    }
}
