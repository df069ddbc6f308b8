//! `oos template validate --library` and `oos run --library` find a product action's template by
//! the same rules (docs/cli.md, "Finding templates"): `ACS::Custom::Greet` is found as
//! `acs-custom-greet.json` (the `-` form, case ignored), and when a YAML and a JSON twin both
//! exist the YAML one is the template both commands use.

mod sandbox_support;

use std::path::Path;
use std::process::Command;

use sandbox_support::SandboxDir;

/// A product-action template that requires `parameter` and answers `greeting`.
fn greet_action(parameter: &str, origin: &str) -> String {
    format!(
        r#"{{"FormatVersion": "OOS-2019-06-01",
 "Parameters": {{"{parameter}": {{"Type": "String"}}}},
 "Tasks": [{{"Name": "pause", "Action": "ACS::Sleep", "Properties": {{"Duration": "PT1S"}}}}],
 "Outputs": {{"greeting": {{"Type": "String", "Value": "hello {{{{ {parameter} }}}} from {origin}"}}}}}}"#
    )
}

/// Calls `ACS::Custom::Greet` with `name`.
const CALLER: &str = r#"FormatVersion: OOS-2019-06-01
Tasks:
  - Name: greet
    Action: ACS::Custom::Greet
    Properties: {name: world}
    Outputs:
      greeting: {Type: String, ValueSelector: .greeting}
Outputs:
  greeting: {Type: String, Value: '{{ greet.greeting }}'}
"#;

/// `oos template validate --library DIR FILE --output json`: (valid, diagnostics).
fn validate(library: &Path, template: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(["template", "validate", "--output", "json", "--library"])
        .arg(library)
        .arg(template)
        .env_remove("OOS_TEMPLATE_LIBRARY")
        .output()
        .expect("oos runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    (
        report[0]["Valid"] == true,
        report[0]["Diagnostics"].to_string(),
    )
}

fn run(sandbox: &SandboxDir, library: &Path, template: &Path) -> String {
    let outcome = sandbox.run(
        template,
        &[],
        &["--library", library.to_str().expect("a UTF-8 path")],
    );
    outcome.assert_success();
    outcome.outputs()["greeting"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn setup(files: &[(&str, String)]) -> (SandboxDir, std::path::PathBuf, std::path::PathBuf) {
    let sandbox = SandboxDir::new("regions: [cn-hangzhou]\n");
    let library = sandbox.path().join("library");
    std::fs::create_dir_all(library.join("nested")).expect("the library directory");
    for (name, content) in files {
        std::fs::write(library.join(name), content).expect("a library file");
    }
    let template = sandbox.path().join("caller.yml");
    std::fs::write(&template, CALLER).expect("the caller");
    (sandbox, library, template)
}

#[test]
fn a_dashed_lower_case_json_file_is_found_by_validate_and_by_run() {
    let (sandbox, library, template) =
        setup(&[("nested/acs-custom-greet.json", greet_action("name", "json"))]);
    let (valid, diagnostics) = validate(&library, &template);
    assert!(
        valid,
        "validate found the action and its required `name` is given: {diagnostics}"
    );
    assert!(
        !diagnostics.contains("not in the template library"),
        "{diagnostics}"
    );
    assert_eq!(run(&sandbox, &library, &template), "hello world from json");
}

#[test]
fn of_a_yaml_and_a_json_twin_both_commands_take_the_yaml_one() {
    // The JSON twin requires `who`, which the caller does not pass: validate would fail on it.
    let (sandbox, library, template) = setup(&[
        ("ACS-Custom-Greet.json", greet_action("who", "json")),
        ("ACS-Custom-Greet.yaml", greet_action("name", "yaml")),
    ]);
    let (valid, diagnostics) = validate(&library, &template);
    assert!(valid, "validate checked the YAML twin: {diagnostics}");
    assert_eq!(run(&sandbox, &library, &template), "hello world from yaml");
}

#[test]
fn an_exact_name_wins_over_one_equal_only_when_case_is_ignored() {
    let (sandbox, library, template) = setup(&[
        ("acs-custom-greet.yml", greet_action("who", "lower")),
        ("ACS::Custom::Greet.yml", greet_action("name", "exact")),
    ]);
    let (valid, diagnostics) = validate(&library, &template);
    assert!(valid, "validate checked the exact name: {diagnostics}");
    assert_eq!(run(&sandbox, &library, &template), "hello world from exact");
}
