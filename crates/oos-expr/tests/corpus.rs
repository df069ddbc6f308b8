//! The real template corpus (`shared/corpus/oos-templates`, JSON files): every `{{ }}` is a plain
//! reference (no template uses Jinja), every `Fn::` name is supported, and every literal jq program
//! (`ValueSelector`, `PropertySelector`, `Fn::Jq`) compiles.

use std::path::{Path, PathBuf};

use oos_expr::jq::Program;
use oos_expr::{FUNCTIONS, Reference, Value, references};

/// Functions the corpus uses that are deliberately unsupported (see docs/expressions.md).
const UNSUPPORTED: &[&str] = &["FindMatchedPackage"];

fn corpus_dir() -> PathBuf {
    std::env::var_os("OOS_CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/oos-templates"),
        PathBuf::from,
    )
}

fn json_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("corpus folder {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            json_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            found.push(path);
        }
    }
}

#[derive(Default)]
struct Findings {
    programs: Vec<(String, String)>,
    functions: Vec<String>,
}

/// Collects literal jq programs and `Fn::` names anywhere in a template.
fn walk(value: &Value, findings: &mut Findings) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| walk(item, findings)),
        Value::Object(map) => {
            for (key, item) in map {
                if let Some(name) = key.strip_prefix("Fn::") {
                    findings.functions.push(name.to_owned());
                }
                let program = match (key.as_str(), item) {
                    ("ValueSelector" | "PropertySelector", Value::String(program)) => {
                        Some(program.as_str())
                    }
                    ("Fn::Jq", Value::Array(args)) => args.get(1).and_then(Value::as_str),
                    _ => None,
                };
                if let Some(program) = program.filter(|program| !program.contains("{{")) {
                    findings.programs.push((key.clone(), program.to_string()));
                }
                walk(item, findings);
            }
        }
        _ => {}
    }
}

#[test]
fn corpus_references_functions_and_jq_programs() {
    let mut files = Vec::new();
    json_files(&corpus_dir(), &mut files);
    let mut templates = 0;
    let mut reference_count = 0;
    let mut failures = Vec::new();
    let mut findings = Findings::default();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let Ok(template) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if template.get("FormatVersion").and_then(Value::as_str) != Some("OOS-2019-06-01") {
            continue;
        }
        templates += 1;
        for located in references(&template) {
            reference_count += 1;
            if let Reference::Expression(source) = &located.value {
                failures.push(format!(
                    "{}: {{{{ {source} }}}} is not a plain reference",
                    file.display()
                ));
            }
        }
        walk(&template, &mut findings);
    }
    assert!(
        templates >= 400,
        "only {templates} JSON templates found under {}",
        corpus_dir().display()
    );
    assert!(
        reference_count >= 5_000,
        "only {reference_count} references"
    );
    for name in &findings.functions {
        if !FUNCTIONS.contains(&name.as_str()) && !UNSUPPORTED.contains(&name.as_str()) {
            failures.push(format!("unsupported function Fn::{name}"));
        }
    }
    assert!(
        findings.programs.len() >= 800,
        "only {} jq programs",
        findings.programs.len()
    );
    for (key, program) in &findings.programs {
        if let Err(error) = Program::compile(program) {
            failures.push(format!("{key} {program:?}: {error}"));
        }
    }
    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
