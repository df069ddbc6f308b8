//! The example specs of `examples/` pass when run in-process; a deliberately broken spec fails with
//! a readable diff naming the case, the field and both values; the JUnit XML of both is well-formed
//! and has the JUnit shape.

use std::path::{Path, PathBuf};

use oos_runbook_test::report::{self, FileResult};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

async fn run(path: &Path) -> FileResult {
    oos_runbook_test::run_file(path, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_specs_pass() {
    let files = oos_runbook_test::discover(&[examples()]).unwrap();
    let names: Vec<String> = files
        .iter()
        .filter_map(|file| file.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert!(
        names.contains(&"stop-by-tag.test.yml".to_owned())
            && names.contains(&"restart-when-stopped.test.yml".to_owned()),
        "{names:?}"
    );
    for file in files {
        let result = run(&file).await;
        let text = report::text(&result);
        let cases = result
            .outcome
            .as_ref()
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(
            !cases.is_empty() && cases.iter().all(|case| case.passed()),
            "{text}"
        );
        assert!(
            cases.iter().all(|case| case.elapsed.as_secs() < 30),
            "virtual time: {text}"
        );
    }
}

const BROKEN: &str = r#"
template: stop-by-tag.yml
fleet:
  instances:
    - {ids: [i-dev1, i-dev2], tags: {env: dev}}
    - {ids: [i-prod1], tags: {env: prod}}
tests:
  - name: expects the wrong things
    parameters: {tagKey: env, tagValue: dev}
    steps: [{approve: true}]
    expect:
      status: Failed
      outputs:
        stopped: [i-dev1, i-dev2, i-dev9]
      tasks:
        stopInstances: {items: {i-dev1: Failed}}
      cloud:
        - instances: {tags: {env: prod}}
          all: {Status: Stopped}
  - name: expects the right things
    parameters: {tagKey: env, tagValue: prod}
    steps: [{approve: true}]
    expect:
      status: Success
      cloud:
        - instances: {InstanceId: i-prod1}
          all: {Status: Stopped}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_spec_fails_with_a_diff_naming_the_case_the_field_and_both_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        examples().join("stop-by-tag.yml"),
        dir.path().join("stop-by-tag.yml"),
    )
    .unwrap();
    let spec = dir.path().join("broken.test.yml");
    std::fs::write(&spec, BROKEN).unwrap();
    let result = run(&spec).await;
    let text = report::text(&result);
    let cases = result.outcome.as_ref().unwrap();
    assert!(!cases[0].passed() && cases[1].passed(), "{text}");
    assert_eq!(
        report::totals(std::slice::from_ref(&result)),
        report::Totals {
            passed: 1,
            failed: 1,
            invalid: 0
        }
    );
    for expected in [
        "  ✗ expects the wrong things (",
        "  ✓ expects the right things (",
        "      status:",
        "        - expected: \"Failed\"\n        + actual:   \"Success\"\n",
        "      outputs.stopped: is not [\"i-dev1\",\"i-dev2\",\"i-dev9\"]\n        - expected: [\"i-dev1\",\"i-dev2\",\"i-dev9\"]\n        + actual:   [\"i-dev1\",\"i-dev2\"]\n",
        "      tasks.stopInstances.items[i-dev1]:",
        "        - expected: \"Failed\"\n        + actual:   \"Success\"\n",
        "      cloud[0] (instances): all: i-prod1 Status is not \"Stopped\" (has {\"Status\":\"Running\"})",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }

    let xml = report::junit(std::slice::from_ref(&result));
    let document =
        roxmltree::Document::parse(&xml).unwrap_or_else(|error| panic!("{error}:\n{xml}"));
    let root = document.root_element();
    assert_eq!(
        (
            root.tag_name().name(),
            root.attribute("tests"),
            root.attribute("failures")
        ),
        ("testsuites", Some("2"), Some("1"))
    );
    let suite = root.children().find(|node| node.is_element()).unwrap();
    assert_eq!(
        (suite.tag_name().name(), suite.attribute("name")),
        ("testsuite", Some(spec.to_str().unwrap()))
    );
    let cases: Vec<_> = suite
        .children()
        .filter(|node| node.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].attribute("name"), Some("expects the wrong things"));
    assert!(cases[0].attribute("time").unwrap().parse::<f64>().is_ok());
    let failure = cases[0]
        .children()
        .find(|node| node.has_tag_name("failure"))
        .expect("a <failure>");
    assert!(
        failure.text().unwrap().contains("+ actual:   \"Success\""),
        "{xml}"
    );
    assert!(
        cases[1].children().all(|node| !node.is_element()),
        "a passed case has no child element: {xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_error_names_the_line_and_goes_into_the_junit_report_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("typo.test.yml");
    std::fs::write(&spec, "template: {FormatVersion: OOS-2019-06-01, Tasks: [{Name: a, Action: ACS::Sleep, Properties: {Duration: PT1S}}]}\ntests:\n  - name: x\n    expect:\n      staus: Success\n").unwrap();
    let result = run(&spec).await;
    let error = result.outcome.as_ref().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}:5:7: InvalidTestSpec.UnknownField: tests[0].expect.staus: unknown field `staus` (expected one of status, status_message, outputs, tasks, runs, cloud, inbox)",
            spec.display()
        )
    );
    let xml = report::junit(std::slice::from_ref(&result));
    let document = roxmltree::Document::parse(&xml).unwrap();
    let error = document
        .descendants()
        .find(|node| node.has_tag_name("error"))
        .expect("an <error>");
    assert_eq!(
        error.attribute("type"),
        Some("InvalidTestSpec.UnknownField")
    );
    assert_eq!(document.root_element().attribute("errors"), Some("1"));
}
