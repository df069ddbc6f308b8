use std::path::Path;

use super::*;

const TEMPLATE: &str = r#"{"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "pause", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1M"}}]}"#;

fn spec(body: &str) -> String {
    format!("template: {TEMPLATE}\n{body}")
}

fn read(text: &str) -> Result<SpecFile, SpecError> {
    read_text(Path::new("/nowhere/a.test.yml"), text)
}

#[test]
fn a_full_case_is_read_with_the_file_defaults() {
    let text = spec(
        r#"region: cn-shanghai
fleet:
  regions: [cn-shanghai]
  instances: [{ids: [i-1], region: cn-shanghai, tags: {env: dev}}]
commands: [{match: uname, output: Linux}]
tests:
  - name: first
    parameters: {x: 1}
    start: 2026-01-05T07:55:00Z
    steps:
      - advance: 10m
      - event: {product: ECS, name: "Instance:StateChange", resourceId: i-1}
      - metric: {namespace: acs_ecs_dashboard, metricName: cpu_total, instanceId: i-1, value: 90}
      - approve: false
    timeout: 2h
    expect:
      status: success
      outputs: {n: {min: 1}}
      tasks:
        pause: Success
        loop: {status: Failed, items: {i-1: Failed}, item_count: 1}
      cloud:
        - instances: {tags: {env: dev}}
          all: {Status: Stopped}
        - snapshots: {}
          per: {disks: {Type: system}}
"#,
    );
    let file = read(&text).unwrap();
    let case = &file.cases[0];
    assert_eq!(
        (
            case.name.as_str(),
            case.region.as_str(),
            case.template_name.as_str()
        ),
        ("first", "cn-shanghai", "inline")
    );
    assert_eq!(case.start_ms, 1_767_599_700_000);
    assert_eq!(case.timeout, Duration::from_secs(7200));
    assert_eq!(case.steps.len(), 4);
    assert!(matches!(case.steps[3], Step::Approve(false)));
    assert_eq!(case.expect.execution.status.as_deref(), Some("Success"));
    assert_eq!(
        case.expect.execution.tasks[1].1.items,
        vec![("i-1".to_owned(), "Failed".to_owned())]
    );
    assert_eq!(case.expect.cloud.len(), 2);
    assert_eq!(
        case.fleet.commands.len(),
        1,
        "the file's commands reach the seed"
    );
}

#[test]
fn an_unknown_field_names_its_line_column_and_the_known_ones() {
    let text = spec("tests:\n  - name: x\n    expect:\n      status: Success\n      taks: {}\n");
    let error = read(&text).unwrap_err();
    assert_eq!(error.code, codes::UNKNOWN_FIELD);
    assert_eq!(error.position, Some(Position { line: 6, column: 7 }));
    assert_eq!(
        error.to_string(),
        "/nowhere/a.test.yml:6:7: InvalidTestSpec.UnknownField: tests[0].expect.taks: unknown field `taks` (expected one of status, status_message, outputs, tasks, runs, cloud, inbox)"
    );
}

#[test]
fn a_syntax_error_names_the_line() {
    let error = read("tests:\n  - name: [unclosed\n").unwrap_err();
    assert_eq!(error.code, codes::SYNTAX);
    assert!(
        error.position.is_some_and(|position| position.line >= 2),
        "{error}"
    );
}

#[test]
fn wrong_values_are_located_and_explained() {
    let cases = [
        (
            "tests:\n  - name: x\n    expect: {status: Done}\n",
            "unknown execution status \"Done\"",
            3,
        ),
        (
            "tests:\n  - name: x\n    steps: [{advance: soon}]\n    expect: {}\n",
            "\"soon\" is not a duration",
            3,
        ),
        (
            "tests:\n  - name: x\n    expect:\n      outputs: {a: {matches: '('}}\n",
            "invalid regular expression",
            4,
        ),
        (
            "tests:\n  - name: x\n    expect:\n      cloud: [{vms: {}}]\n",
            "unknown resource kind `vms`",
            4,
        ),
        (
            "tests:\n  - name: x\n    expect:\n      cloud: [{instances: {}, per: disks}]\n",
            "instances do not belong to disks",
            4,
        ),
        (
            "tests:\n  - name: x\n    expect: {}\n  - name: x\n    expect: {}\n",
            "another test case is named \"x\"",
            4,
        ),
        (
            "tests:\n  - name: x\n    steps: [{advance: 1m, approve: true}]\n    expect: {}\n",
            "a step is one of",
            3,
        ),
    ];
    for (body, message, line) in cases {
        let error = read(&spec(body)).unwrap_err();
        assert_eq!(error.code, codes::VALUE, "{error}");
        assert!(error.message.contains(message), "{error}");
        assert_eq!(error.position.map(|p| p.line), Some(line + 1), "{error}");
    }
}

#[test]
fn missing_fields_and_bad_templates_and_fleets() {
    let error = read("tests:\n  - name: x\n    expect: {}\n").unwrap_err();
    assert_eq!(
        (error.code, error.message.as_str()),
        (
            codes::MISSING_FIELD,
            "missing field `template` (here or at the top of the file)"
        )
    );
    let error = read(&spec("tests:\n  - name: x\n")).unwrap_err();
    assert_eq!(error.code, codes::MISSING_FIELD);
    let error = read("template: missing.yml\ntests:\n  - {name: x, expect: {}}\n").unwrap_err();
    assert_eq!(
        (error.code, error.position.map(|p| p.line)),
        (codes::TEMPLATE, Some(1))
    );
    let error = read(
        "template: {Tasks: [{Name: a, Action: ACS::Sleep}]}\ntests:\n  - {name: x, expect: {}}\n",
    )
    .unwrap_err();
    assert_eq!(error.code, codes::TEMPLATE, "{error}");
    let error = read(&spec(
        "fleet: {instances: [{counts: 2}]}\ntests:\n  - {name: x, expect: {}}\n",
    ))
    .unwrap_err();
    assert_eq!(error.code, codes::FLEET, "{error}");
    assert!(error.message.contains("counts"), "{error}");
}
