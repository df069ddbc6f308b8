//! Every embedded template parses and validates, resolves by name, and has the same interface
//! (parameters and outputs) as its public twin in the corpus.

use std::collections::BTreeSet;
use std::path::PathBuf;

use oos_product_actions::{ProductActions, builtin_templates, find_builtin};
use oos_template::{Template, TemplateLibrary, ValidateOptions, validate};

/// Our own actions that have no public template of the same name.
const WITHOUT_PUBLIC_TWIN: &[&str] = &["ACS::ECS::SendFile"];

fn corpus_twin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/oos-templates/aliyun__oos-templates/CloudProductActions/ECS/YAML")
        .join(format!("{name}.yml"))
}

#[test]
fn every_template_validates_without_errors() {
    let library = ProductActions::new();
    let options = ValidateOptions { library: Some(&library), ..ValidateOptions::default() };
    let mut failures = Vec::new();
    for builtin in builtin_templates() {
        let validation = validate(builtin.content, &options);
        for error in validation.errors() {
            failures.push(format!("{}: {error:?}", builtin.name));
        }
    }
    assert!(failures.is_empty(), "validation errors:\n{}", failures.join("\n"));
    assert_eq!(library.len(), builtin_templates().len(), "every template parses");
}

#[test]
fn names_resolve_case_insensitively_and_unknown_names_do_not() {
    let library = ProductActions::new();
    assert!(library.find("acs::ecs::stopinstance").is_some());
    assert!(library.find(" ACS::ECS::StartInstance ").is_some());
    assert!(library.find("ACS::ECS::NoSuchAction").is_none());
    assert_eq!(find_builtin("ACS::ECS::RebootInstance").map(|b| b.name), Some("ACS::ECS::RebootInstance"));
    assert!(find_builtin("ACS::ECS::RunCommandForLongTime").is_none());
    for builtin in builtin_templates() {
        assert!(builtin.content.contains(&format!("name-en: {}", builtin.name)), "{} names itself", builtin.name);
    }
}

/// The interface of a template, one line per fact, for a readable set difference.
fn interface(template: &Template) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for (name, parameter) in &template.parameters {
        facts.insert(format!("parameter {name}: type {:?}", parameter.ty));
        match &parameter.default {
            Some(default) => facts.insert(format!("parameter {name}: default {default}")),
            None => facts.insert(format!("parameter {name}: required")),
        };
        if let Some(allowed) = &parameter.allowed_values {
            facts.insert(format!("parameter {name}: allowed {allowed:?}"));
        }
    }
    for (name, output) in &template.outputs {
        facts.insert(format!("output {name}: type {:?}", output.ty));
    }
    facts
}

#[test]
fn interfaces_match_the_public_twins() {
    let mut differences = Vec::new();
    for builtin in builtin_templates().iter().filter(|builtin| !WITHOUT_PUBLIC_TWIN.contains(&builtin.name)) {
        let twin_path = corpus_twin(builtin.name);
        let twin_text = std::fs::read_to_string(&twin_path).unwrap_or_else(|e| panic!("{}: {e}", twin_path.display()));
        let twin = oos_template::parse(&twin_text).unwrap_or_else(|e| panic!("{}: {e}", twin_path.display()));
        let ours = oos_template::parse(builtin.content).expect("embedded template parses");
        let (ours, theirs) = (interface(&ours), interface(&twin));
        for fact in theirs.difference(&ours) {
            differences.push(format!("{}: missing  {fact}", builtin.name));
        }
        for fact in ours.difference(&theirs) {
            differences.push(format!("{}: extra    {fact}", builtin.name));
        }
    }
    assert!(differences.is_empty(), "interface differences:\n{}", differences.join("\n"));
}

#[test]
fn a_template_calling_product_actions_is_checked_against_them() {
    let library = ProductActions::new();
    let options = ValidateOptions { library: Some(&library), ..ValidateOptions::default() };
    let caller = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: stop
  Action: ACS::ECS::StopInstance
  Properties: {instanceId: i-1, noSuchProperty: 1}
";
    let validation = validate(caller, &options);
    assert!(validation.diagnostics.iter().any(|d| format!("{d:?}").contains("noSuchProperty")), "{:?}", validation.diagnostics);
}
