//! Deliberately broken templates (`tests/broken/`): each is rejected with the expected code at a
//! line and column; the rendered diagnostics are snapshot-tested.

mod support;

use std::path::Path;

use oos_template::{DirectoryLibrary, ParseOptions, ValidateOptions, codes, validate};

/// File → the error code it must be rejected with.
const EXPECTED: &[(&str, &str)] = &[
    ("syntax-yaml-unclosed-bracket.yml", codes::SYNTAX),
    ("approvals-more-than-approvers.yml", codes::APPROVALS),
    ("syntax-json-trailing-comma.json", codes::SYNTAX),
    ("syntax-yaml-bad-indent.yml", codes::SYNTAX),
    ("syntax-yaml-tab-and-colon.yml", codes::SYNTAX),
    ("duplicate-key-yaml.yml", codes::DUPLICATE_KEY),
    ("duplicate-key-json.json", codes::DUPLICATE_KEY),
    ("format-version-missing.yml", codes::FORMAT_VERSION),
    ("format-version-wrong.yml", codes::FORMAT_VERSION),
    ("format-version-state.yml", codes::TASKS_IN_STATE),
    ("state-resource-type-unknown.yml", codes::RESOURCE_TYPE),
    ("state-policy-collection.yml", codes::POLICY),
    ("state-policy-unknown-type.json", codes::POLICY),
    ("state-undefined-parameter.yml", codes::UNDEFINED_PARAMETER),
    ("json-wrong-format-version-type.json", codes::FORMAT_VERSION),
    ("not-a-mapping.yml", codes::WRONG_TYPE),
    ("tasks-missing.yml", codes::MISSING_KEY),
    ("tasks-string.yml", codes::WRONG_TYPE),
    ("task-not-mapping.yml", codes::WRONG_TYPE),
    ("parameters-list.yml", codes::WRONG_TYPE),
    ("task-no-name.yml", codes::MISSING_KEY),
    ("task-no-action.yml", codes::MISSING_KEY),
    ("task-output-no-selector.yml", codes::MISSING_KEY),
    ("template-output-no-value.yml", codes::MISSING_KEY),
    ("task-name-invalid-chars.yml", codes::TASK_NAME),
    ("task-name-too-long.yml", codes::TASK_NAME),
    ("duplicate-task-name.yml", codes::DUPLICATE_TASK_NAME),
    ("json-duplicate-task.json", codes::DUPLICATE_TASK_NAME),
    ("on-success-unknown.yml", codes::TASK_NOT_FOUND),
    ("on-error-unknown.yml", codes::TASK_NOT_FOUND),
    ("on-cancel-unknown.yml", codes::TASK_NOT_FOUND),
    ("choice-next-unknown.yml", codes::TASK_NOT_FOUND),
    ("choice-default-unknown.yml", codes::TASK_NOT_FOUND),
    ("tasks-map-form-unknown-jump.yml", codes::TASK_NOT_FOUND),
    ("reference-unknown-task.yml", codes::TASK_NOT_FOUND),
    ("jump-not-string.yml", codes::JUMP),
    ("action-unknown.yml", codes::ACTION_NOT_FOUND),
    ("action-garbage.yml", codes::ACTION_NOT_FOUND),
    ("execute-api-no-service.yml", codes::MISSING_PROPERTY),
    ("execute-api-no-api.yml", codes::MISSING_PROPERTY),
    ("waitfor-no-selector.yml", codes::MISSING_PROPERTY),
    ("waitfor-no-desired.yml", codes::MISSING_PROPERTY),
    ("sleep-no-duration.yml", codes::MISSING_PROPERTY),
    ("choice-no-choices.yml", codes::MISSING_PROPERTY),
    ("choice-entry-no-when.yml", codes::MISSING_PROPERTY),
    ("template-no-name.yml", codes::MISSING_PROPERTY),
    ("timer-no-expression.yml", codes::MISSING_PROPERTY),
    ("product-action-missing-required.yml", codes::MISSING_PROPERTY),
    ("properties-not-mapping.yml", codes::PROPERTY_TYPE),
    ("execute-api-parameters-list.yml", codes::PROPERTY_TYPE),
    ("choice-choices-string.yml", codes::PROPERTY_TYPE),
    ("parameter-type-unknown.yml", codes::PARAMETER_TYPE),
    ("parameter-type-not-string.yml", codes::PARAMETER_TYPE),
    ("parameter-bad-regex.yml", codes::PARAMETER_CONSTRAINT),
    ("parameter-minlength-text.yml", codes::PARAMETER_CONSTRAINT),
    ("parameter-allowed-values-not-list.yml", codes::PARAMETER_CONSTRAINT),
    ("parameter-noecho-bad.yml", codes::PARAMETER_CONSTRAINT),
    ("default-not-allowed.yml", codes::PARAMETER_DEFAULT),
    ("default-pattern-mismatch.yml", codes::PARAMETER_DEFAULT),
    ("default-too-short.yml", codes::PARAMETER_DEFAULT),
    ("default-too-long.yml", codes::PARAMETER_DEFAULT),
    ("default-above-max.yml", codes::PARAMETER_DEFAULT),
    ("default-below-min.yml", codes::PARAMETER_DEFAULT),
    ("default-wrong-type.yml", codes::PARAMETER_DEFAULT),
    ("default-boolean-wrong-type.yml", codes::PARAMETER_DEFAULT),
    ("default-list-element-not-allowed.yml", codes::PARAMETER_DEFAULT),
    ("undefined-parameter.yml", codes::UNDEFINED_PARAMETER),
    ("undefined-parameter-in-when.yml", codes::UNDEFINED_PARAMETER),
    ("undefined-parameter-in-ramrole.yml", codes::UNDEFINED_PARAMETER),
    ("undefined-parameter-embedded.yml", codes::UNDEFINED_PARAMETER),
    ("reference-task-output-in-default.yml", codes::UNDEFINED_PARAMETER),
    ("template-output-unknown-parameter.yml", codes::UNDEFINED_PARAMETER),
    ("json-undefined-parameter.json", codes::UNDEFINED_PARAMETER),
    ("undefined-task-output.yml", codes::UNDEFINED_TASK_OUTPUT),
    ("jq-value-selector.yml", codes::JQ),
    ("jq-property-selector.yml", codes::JQ),
    ("jq-fn-jq.yml", codes::JQ),
    ("fn-jq-bad-mode.yml", codes::EXPRESSION),
    ("fn-jq-bad-arity.yml", codes::EXPRESSION),
    ("function-unknown.yml", codes::FUNCTION),
    ("function-unknown-in-output.yml", codes::FUNCTION),
    ("sleep-bad-duration.yml", codes::DURATION),
    ("sleep-bad-iso-duration.yml", codes::DURATION),
    ("cron-bad.yml", codes::CRON),
    ("cron-five-fields.yml", codes::CRON),
    ("rate-bad.yml", codes::CRON),
    ("loop-no-items.yml", codes::LOOP),
    ("loop-items-scalar.yml", codes::LOOP),
    ("loop-not-mapping.yml", codes::LOOP),
    ("rate-control-bad-mode.yml", codes::RATE_CONTROL),
    ("rate-control-bad-concurrency.yml", codes::RATE_CONTROL),
    ("rate-control-batch-without-batch.yml", codes::RATE_CONTROL),
    ("rate-control-legacy-max-errors.yml", codes::RATE_CONTROL),
    ("output-type-unknown.yml", codes::OUTPUT_TYPE),
    ("retries-negative.yml", codes::RETRY),
    ("delay-type-unknown.yml", codes::RETRY),
    ("is-critical-bad.yml", codes::RETRY),
];

fn broken_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/broken"))
}

#[test]
fn every_broken_template_is_rejected_with_its_code_and_position() {
    let library = DirectoryLibrary::load(&support::product_actions_dir()).expect("product actions directory");
    let options = ValidateOptions { library: Some(&library), ..ValidateOptions::default() };
    let mut listed: Vec<&str> = EXPECTED.iter().map(|(file, _)| *file).collect();
    listed.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(broken_dir())
        .expect("tests/broken")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort_unstable();
    assert_eq!(listed, on_disk, "every file in tests/broken needs an expectation and vice versa");
    assert!(EXPECTED.len() >= 60);

    for (file, code) in EXPECTED {
        let text = std::fs::read_to_string(broken_dir().join(file)).expect("readable");
        let validation = validate(&text, &options);
        let hit = validation.errors().find(|d| d.code == *code);
        let Some(hit) = hit else {
            panic!("{file}: expected {code}, got {:#?}", validation.diagnostics);
        };
        assert!(hit.line.is_some() && hit.column.is_some(), "{file}: {hit} has no position");
        let rendered: Vec<String> = validation.diagnostics.iter().map(|d| format!("{file}:{d}")).collect();
        insta::assert_snapshot!(file.replace('.', "_"), rendered.join("\n"));
    }
}

#[test]
fn oversize_text_is_rejected_before_parsing() {
    let text = std::fs::read_to_string(broken_dir().join("undefined-parameter.yml")).expect("readable");
    let options = ValidateOptions { parse: ParseOptions { max_bytes: 64 }, library: None };
    let validation = validate(&text, &options);
    let codes: Vec<&str> = validation.errors().map(|d| d.code).collect();
    assert_eq!(codes, [codes::TOO_LARGE]);
}
