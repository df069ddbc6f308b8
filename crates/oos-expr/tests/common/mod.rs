//! A map-backed `Context` and table helpers shared by the integration tests.

#![allow(dead_code)]

use std::collections::HashMap;

use oos_expr::{Context, ExprError, Value};
use serde_json::json;

/// Context whose values come from maps; output names match exactly, then case-insensitively.
#[derive(Debug, Default)]
pub struct MapContext {
    pub parameters: HashMap<String, Value>,
    pub outputs: HashMap<String, HashMap<String, Value>>,
    pub results: HashMap<String, Value>,
    pub builtins: HashMap<String, Value>,
    pub store: HashMap<(String, bool), Value>,
}

impl Context for MapContext {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.parameters.get(name).cloned()
    }
    fn task_output(&self, task: &str, output: &str) -> Option<Value> {
        let outputs = self.outputs.get(task)?;
        outputs
            .get(output)
            .or_else(|| {
                outputs
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(output))
                    .map(|(_, value)| value)
            })
            .cloned()
    }
    fn task_result(&self, task: &str) -> Option<Value> {
        self.results.get(task).cloned()
    }
    fn builtin(&self, name: &str) -> Option<Value> {
        self.builtins.get(name).cloned()
    }
    fn store_parameter(&self, name: &str, secret: bool) -> Option<Value> {
        self.store.get(&(name.to_owned(), secret)).cloned()
    }
}

/// The context most tests use: parameters, two finished tasks, built-ins and store entries.
pub fn sample() -> MapContext {
    let mut ctx = MapContext::default();
    for (name, value) in [
        ("regionId", json!("cn-hangzhou")),
        ("instanceId", json!("i-1")),
        ("instanceIds", json!(["i-1", "i-2"])),
        ("timeout", json!(600)),
        ("enable", json!(true)),
        ("disabled", json!(false)),
        ("empty", json!([])),
        (
            "targets",
            json!({"Type": "ResourceIds", "ResourceIds": ["i-1"], "RegionId": "cn-beijing"}),
        ),
        (
            "timerTrigger",
            json!({"type": "cron", "expression": "0 0 1 ? * *"}),
        ),
        ("nothing", Value::Null),
        ("text", json!("a'b")),
    ] {
        ctx.parameters.insert(name.to_owned(), value);
    }
    ctx.outputs.insert(
        "getInstance".to_owned(),
        HashMap::from([
            ("instanceIds".to_owned(), json!(["i-1", "i-2"])),
            ("existed".to_owned(), json!(false)),
        ]),
    );
    ctx.outputs.insert(
        "runCommand".to_owned(),
        HashMap::from([("invokeId".to_owned(), json!("t-9"))]),
    );
    ctx.results.insert(
        "ExecuteApi".to_owned(),
        json!({"RequestId": "r-1", "Regions": {"Region": [{"RegionId": "cn-a", "LocalName": "A"}, {"RegionId": "cn-b", "LocalName": "B"}]}}),
    );
    ctx.results.insert(
        "getInstance".to_owned(),
        json!({"Instances": {"Instance": [{"InstanceId": "i-1"}]}, "TotalCount": 1}),
    );
    for (name, value) in [
        ("RegionId", json!("cn-hangzhou")),
        ("ExecutionId", json!("exec-123")),
        ("AccountId", json!("1234567890")),
        ("CurrentUTCTime", json!("2024-05-01T08:30:00Z")),
        ("CurrentDate", json!("2024-05-01")),
        ("TaskLoopItem", json!({"accountId": "acc-1"})),
    ] {
        ctx.builtins.insert(name.to_owned(), value);
    }
    ctx.store.insert(
        ("aliyun/services/oos/commands/install".to_owned(), false),
        json!("echo hi"),
    );
    ctx.store
        .insert(("db-password".to_owned(), true), json!("s3cret"));
    ctx
}

/// Parses a JSON literal written in a test table.
pub fn parse(text: &str) -> Value {
    serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("bad JSON in test table {text}: {error}"))
}

/// Evaluates each `(input, expected)` row against [`sample`] and checks it with [`check`].
pub fn run(table: &[(&str, Result<&str, &str>)]) {
    let ctx = sample();
    for (input, expected) in table {
        check(input, oos_expr::evaluate(&parse(input), &ctx), *expected);
    }
}

/// Asserts an evaluation outcome: `Ok(json)` the value, `Err(code)` an error with that code.
pub fn check(input: &str, outcome: Result<Option<Value>, ExprError>, expected: Result<&str, &str>) {
    match (outcome, expected) {
        (Ok(value), Ok(want)) => {
            let want = if want == "<removed>" {
                None
            } else {
                Some(parse(want))
            };
            assert_eq!(value, want, "evaluating {input}");
        }
        (Err(error), Err(code)) => assert_eq!(error.code, code, "evaluating {input}: {error}"),
        (Ok(value), Err(code)) => {
            panic!("evaluating {input}: expected error {code}, got {value:?}")
        }
        (Err(error), Ok(want)) => panic!("evaluating {input}: expected {want}, got error {error}"),
    }
}
