use serde_json::json;

use super::*;
use crate::spec::TaskExpect;

fn record(
    id: &str,
    name: &str,
    status: &str,
    parent: Option<&str>,
    item: Option<&str>,
) -> TaskRecord {
    TaskRecord {
        id: id.into(),
        execution_id: "exec-1".into(),
        seq: 0,
        task_name: name.into(),
        task_action: "ACS::ExecuteAPI".into(),
        status: status.into(),
        status_message: String::new(),
        properties: None,
        outputs: Some(r#"{"n": 2}"#.into()),
        loop_item: item.map(str::to_owned),
        loop_batch_number: None,
        parent_task_execution_id: parent.map(str::to_owned),
        child_execution_id: None,
        engine_state: String::new(),
        created_ms: 0,
        updated_ms: 0,
        start_ms: None,
        end_ms: None,
    }
}

fn outcome() -> Outcome {
    let tasks = vec![
        record("t-1", "stop", "Failed", None, None),
        record("t-2", "stop", "Success", Some("t-1"), Some("\"i-1\"")),
        record("t-3", "stop", "Failed", Some("t-1"), Some("\"i-2\"")),
    ];
    let execution = ExecutionOutcome {
        id: "exec-1".into(),
        status: "Failed".into(),
        status_message: "task stop failed".into(),
        outputs: json!({"ids": ["i-1"]}).as_object().cloned().unwrap(),
        tasks,
    };
    Outcome {
        execution,
        ..Outcome::default()
    }
}

fn m(value: Value) -> Matcher {
    Matcher::parse(&value).unwrap()
}

#[test]
fn each_differing_field_is_named_with_both_values() {
    let mut expect = Expect::default();
    expect.execution.status = Some("Success".into());
    expect.execution.outputs = vec![
        ("ids".into(), m(json!({"length": 2}))),
        ("missing".into(), m(json!(1))),
    ];
    expect.execution.tasks = vec![
        (
            "stop".into(),
            TaskExpect {
                items: vec![
                    ("i-1".into(), "Success".into()),
                    ("i-2".into(), "Success".into()),
                ],
                item_count: Some(m(json!(2))),
                outputs: vec![("n".into(), m(json!(2)))],
                ..TaskExpect::default()
            },
        ),
        (
            "never".into(),
            TaskExpect {
                status: Some("Success".into()),
                ..TaskExpect::default()
            },
        ),
    ];
    let found = compare(&expect, &outcome());
    let fields: Vec<&str> = found
        .iter()
        .map(|mismatch| mismatch.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "status",
            "outputs.ids",
            "outputs.missing",
            "tasks.stop.items[i-2]",
            "tasks.never.status"
        ]
    );
    assert_eq!(
        (found[0].expected.clone(), found[0].actual.clone()),
        (json!("Success"), Some(json!("Failed")))
    );
    assert_eq!(found[0].why, "status message: task stop failed");
    assert_eq!(found[1].why, "has length 1, which is not 2");
    assert_eq!(found[2].actual, None);
    assert_eq!(found[4].actual, Some(json!("NotRun")));
}

#[test]
fn a_matching_outcome_has_no_mismatch_and_runs_are_counted() {
    let mut expect = Expect::default();
    expect.execution.status = Some("Failed".into());
    expect.execution.status_message = Some(m(json!({"contains": "stop"})));
    assert!(compare(&expect, &outcome()).is_empty());
    expect.runs = Some(vec![ExecutionExpect::default()]);
    let found = compare(&expect, &outcome());
    assert_eq!(found[0].field, "runs");
    assert_eq!(found[0].actual, Some(json!("0 firing runs []")));
}

#[test]
fn a_step_that_could_not_be_done_fails_the_case() {
    let mut outcome = outcome();
    outcome.problem = Some("steps[0]: approve: no execution waits for an approval".into());
    assert_eq!(compare(&Expect::default(), &outcome)[0].field, "steps");
}

#[test]
fn inbox_entries_must_each_match_a_captured_request() {
    let mut outcome = outcome();
    outcome.inbox = vec![
        json!({"kind": "Approve", "task": "approve", "method": "POST", "url": "https://hooks.example/x", "body": "{\"text\":\"stop i-1?\"}"}),
    ];
    let letter = |kind: &str, url: Value| LetterExpect {
        kind: Some(kind.into()),
        fields: vec![("url".into(), m(url))],
    };
    let mut expect = Expect {
        inbox: Some(vec![letter(
            "Approve",
            json!({"contains": "hooks.example"}),
        )]),
        ..Expect::default()
    };
    assert!(compare(&expect, &outcome).is_empty());
    expect.inbox = Some(vec![letter("Notify", json!({"contains": "hooks.example"}))]);
    let found = compare(&expect, &outcome);
    assert_eq!(
        (found[0].field.as_str(), found[0].why.as_str()),
        ("inbox[0]", "no captured request matches")
    );
    assert_eq!(
        found[0].actual,
        Some(json!([{"kind": "Approve", "task": "approve", "url": "https://hooks.example/x"}]))
    );
    expect.inbox = Some(Vec::new());
    assert_eq!(
        compare(&expect, &outcome)[0].why,
        "1 requests captured, none expected"
    );
}
