//! Compares what a case expects with what its run left behind: one mismatch per field that differs,
//! naming the field (`tasks.stopInstances.status`) with the expected and the actual value. Pure.

use oos_store::TaskRecord;
use serde_json::{Map, Value};

use crate::harness::{ExecutionOutcome, Outcome};
use crate::matcher::Matcher;
use crate::spec::{ExecutionExpect, Expect, LetterExpect, TaskExpect};

/// One field that is not as expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Where, e.g. `outputs.stopped`, `tasks.stop.items[i-1]`, `cloud[0] (instances)`.
    pub field: String,
    /// What was expected (a value or a matcher, as the spec wrote it).
    pub expected: Value,
    /// What came (None: nothing there).
    pub actual: Option<Value>,
    /// Why, when the values alone do not say it (a matcher's failed check, a cloud problem).
    pub why: String,
}

/// Every mismatch between `expect` and `outcome`.
pub fn compare(expect: &Expect, outcome: &Outcome) -> Vec<Mismatch> {
    let mut found = Vec::new();
    if let Some(problem) = &outcome.problem {
        found.push(Mismatch {
            field: "steps".into(),
            expected: Value::from("every step done"),
            actual: Some(Value::from(problem.clone())),
            why: problem.clone(),
        });
    }
    execution(&mut found, "", &expect.execution, &outcome.execution);
    if let Some(runs) = &expect.runs {
        if runs.len() != outcome.runs.len() {
            let statuses: Vec<Value> = outcome
                .runs
                .iter()
                .map(|run| Value::from(run.status.clone()))
                .collect();
            found.push(Mismatch {
                field: "runs".into(),
                expected: Value::from(format!("{} firing runs", runs.len())),
                actual: Some(Value::from(format!(
                    "{} firing runs {}",
                    outcome.runs.len(),
                    Value::Array(statuses)
                ))),
                why: String::new(),
            });
        }
        for (index, (expected, actual)) in runs.iter().zip(&outcome.runs).enumerate() {
            execution(&mut found, &format!("runs[{index}]."), expected, actual);
        }
    }
    for (index, assertion) in expect.cloud.iter().enumerate() {
        for problem in assertion.check(&outcome.cloud) {
            found.push(Mismatch {
                field: format!("cloud[{index}] ({})", assertion.kind.name),
                expected: Value::from("the assertion holds"),
                actual: Some(Value::from(problem.clone())),
                why: problem,
            });
        }
    }
    if let Some(letters) = &expect.inbox {
        inbox(&mut found, letters, &outcome.inbox);
    }
    found
}

/// Each expected letter must match a captured one; an empty list wants none captured.
fn inbox(found: &mut Vec<Mismatch>, expected: &[LetterExpect], captured: &[Value]) {
    let seen = Value::Array(captured.iter().map(|letter| serde_json::json!({"kind": letter["kind"], "task": letter["task"], "url": letter["url"]})).collect());
    if expected.is_empty() && !captured.is_empty() {
        found.push(Mismatch {
            field: "inbox".into(),
            expected: Value::Array(Vec::new()),
            actual: Some(seen.clone()),
            why: format!("{} requests captured, none expected", captured.len()),
        });
    }
    for (index, letter) in expected.iter().enumerate() {
        let matches = |candidate: &Value| {
            letter
                .kind
                .as_deref()
                .is_none_or(|kind| candidate["kind"] == kind)
                && letter
                    .fields
                    .iter()
                    .all(|(field, matcher)| matcher.holds(candidate.get(field)))
        };
        if !captured.iter().any(matches) {
            let mut wanted = serde_json::Map::new();
            if let Some(kind) = &letter.kind {
                wanted.insert("kind".into(), Value::from(kind.clone()));
            }
            for (field, matcher) in &letter.fields {
                wanted.insert(field.clone(), Value::from(matcher.to_string()));
            }
            found.push(Mismatch {
                field: format!("inbox[{index}]"),
                expected: Value::Object(wanted),
                actual: Some(seen.clone()),
                why: "no captured request matches".into(),
            });
        }
    }
}

fn execution(
    found: &mut Vec<Mismatch>,
    prefix: &str,
    expect: &ExecutionExpect,
    actual: &ExecutionOutcome,
) {
    if let Some(status) = &expect.status {
        exact(
            found,
            format!("{prefix}status"),
            status,
            &actual.status,
            &actual.status_message,
        );
    }
    if let Some(message) = &expect.status_message {
        matched(
            found,
            format!("{prefix}status_message"),
            message,
            Some(&Value::from(actual.status_message.clone())),
        );
    }
    outputs(
        found,
        &format!("{prefix}outputs"),
        &expect.outputs,
        &actual.outputs,
    );
    for (name, task) in &expect.tasks {
        self::task(
            found,
            &format!("{prefix}tasks.{name}"),
            name,
            task,
            &actual.tasks,
        );
    }
}

fn exact(found: &mut Vec<Mismatch>, field: String, expected: &str, actual: &str, message: &str) {
    if expected != actual {
        let why = if message.is_empty() {
            String::new()
        } else {
            format!("status message: {message}")
        };
        found.push(Mismatch {
            field,
            expected: Value::from(expected),
            actual: Some(Value::from(actual)),
            why,
        });
    }
}

fn matched(found: &mut Vec<Mismatch>, field: String, matcher: &Matcher, actual: Option<&Value>) {
    if let Err(why) = matcher.check(actual) {
        let expected = matcher
            .plain()
            .cloned()
            .unwrap_or_else(|| Value::from(matcher.to_string()));
        found.push(Mismatch {
            field,
            expected,
            actual: actual.cloned(),
            why,
        });
    }
}

fn outputs(
    found: &mut Vec<Mismatch>,
    prefix: &str,
    expected: &[(String, Matcher)],
    actual: &Map<String, Value>,
) {
    for (name, matcher) in expected {
        matched(found, format!("{prefix}.{name}"), matcher, actual.get(name));
    }
}

fn task(
    found: &mut Vec<Mismatch>,
    prefix: &str,
    name: &str,
    expect: &TaskExpect,
    records: &[TaskRecord],
) {
    let run = records
        .iter()
        .filter(|record| record.task_name == name && record.parent_task_execution_id.is_none())
        .max_by_key(|record| record.seq);
    let status = run.map_or("NotRun", |record| record.status.as_str());
    if let Some(expected) = &expect.status {
        exact(
            found,
            format!("{prefix}.status"),
            expected,
            status,
            run.map_or("", |record| record.status_message.as_str()),
        );
    }
    if let Some(message) = &expect.status_message {
        matched(
            found,
            format!("{prefix}.status_message"),
            message,
            run.map(|record| Value::from(record.status_message.clone()))
                .as_ref(),
        );
    }
    let task_outputs = run
        .and_then(|record| record.outputs.as_deref())
        .and_then(|text| serde_json::from_str::<Map<String, Value>>(text).ok())
        .unwrap_or_default();
    outputs(
        found,
        &format!("{prefix}.outputs"),
        &expect.outputs,
        &task_outputs,
    );
    let iterations: Vec<&TaskRecord> = match run {
        Some(run) => records
            .iter()
            .filter(|record| record.parent_task_execution_id.as_deref() == Some(run.id.as_str()))
            .collect(),
        None => Vec::new(),
    };
    if let Some(count) = &expect.item_count {
        matched(
            found,
            format!("{prefix}.item_count"),
            count,
            Some(&Value::from(iterations.len())),
        );
    }
    for (item, expected) in &expect.items {
        let iteration = iterations
            .iter()
            .filter(|record| {
                record.loop_item.as_deref().map(item_name).as_deref() == Some(item.as_str())
            })
            .max_by_key(|record| record.seq);
        let actual = iteration.map_or("NotRun", |record| record.status.as_str());
        exact(
            found,
            format!("{prefix}.items[{item}]"),
            expected,
            actual,
            iteration.map_or("", |record| record.status_message.as_str()),
        );
    }
}

/// A loop item's name in a spec: a string item as it is, any other by its JSON text.
fn item_name(json: &str) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => json.to_owned(),
    }
}

#[cfg(test)]
mod tests;
