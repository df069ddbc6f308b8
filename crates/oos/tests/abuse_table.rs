//! The abuse table of evaluation, against a real `oos server`: recursive jq definitions, deep nesting
//! in jq and JSON, unbounded generators, huge outputs, Jinja loops, huge `Fn::Join` / `Fn::Replace`
//! results, a self-calling template and a burst past the quotas. Each fails with its code within a
//! bound, while an execution started before them on the same server runs on to Success.

mod attack;

use std::time::{Duration, Instant};

use attack::{Target, template};
use oos_testkit::wire::OOS;
use serde_json::{Value, json};

/// How long any one abusive execution may take to fail.
const BOUND: Duration = Duration::from_secs(30);

fn sleeping(outputs: Value) -> Value {
    template(json!([{"Name": "abuse", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}, "Outputs": outputs}]))
}

fn selector(program: &str) -> Value {
    sleeping(json!({"x": {"Type": "Json", "ValueSelector": program}}))
}

fn property(value: Value) -> Value {
    template(json!([{"Name": "abuse", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S", "X": value}}]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_abuse_fails_with_its_code_within_a_bound_while_others_run_on() {
    let target = Target::start(&["--max-running-per-template", "5"]);
    let bystander = template(json!([{
        "Name": "steady", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0.2S"},
        "Loop": {"Items": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "RateControl": {"Mode": "Concurrency", "Concurrency": 1, "MaxErrors": 0}}
    }]));
    let steady = target.run_inline(&bystander, &json!({})).await;

    let nested = format!("{}.{}", "[".repeat(2000), "]".repeat(2000));
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let big = "b".repeat(10_000);
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        ("recursive jq definition", selector("def f: f + 1; f"), json!({}), "Expression.RecursionLimitExceeded"),
        ("deep nesting in jq", property(json!({"Fn::Jq": ["First", nested, "{}"]})), json!({}), "Expression.TooComplex"),
        ("deep nesting in JSON", property(json!({"Fn::Jq": ["First", "fromjson", "{{ deep }}"]})), json!({"deep": deep_json}), "Expression.JqRuntime"),
        ("range", selector("last(range(1e12))"), json!({}), "Expression.StepLimitExceeded"),
        ("repeat", selector("[limit(1e9; repeat(1))] | length"), json!({}), "Expression.StepLimitExceeded"),
        ("recurse", selector("0 | last(recurse(. + 1; true))"), json!({}), "Expression.StepLimitExceeded"),
        ("until", selector("0 | until(false; . + 1)"), json!({}), "Expression.StepLimitExceeded"),
        ("huge jq output", selector("\"x\" * 100000000"), json!({}), "Expression.OutputTooLarge"),
        ("unbounded jq allocation", selector("\"x\" * 10000000000 | length"), json!({}), "Expression.MemoryLimitExceeded"),
        ("shared jq value walked", selector("reduce range(60) as $i ([1]; [., .]) | tojson | length"), json!({}), "LimitExceeded"),
        ("Jinja loop", property(json!("{{ range(100000000) | list | length }}")), json!({}), "InvalidTemplate.Expression"),
        ("Jinja repetition", property(json!("{{ 'x' * 1000000000 }}")), json!({}), "Expression.FuelExhausted"),
        ("huge Fn::Join", property(json!({"Fn::Join": ["{{ big }}", vec![1; 5000]]})), json!({"big": big}), "Expression.OutputTooLarge"),
        ("huge Fn::Replace", property(json!({"Fn::Replace": [{"x": "{{ big }}"}, "x".repeat(5000)]})), json!({"big": big}), "Expression.OutputTooLarge"),
    ];
    let mut failures = Vec::new();
    for (name, mut abuse, parameters, code) in cases {
        if let Some(object) = parameters.as_object().filter(|object| !object.is_empty()) {
            abuse["Parameters"] = object.keys().map(|key| (key.clone(), json!({"Type": "String"}))).collect::<serde_json::Map<_, _>>().into();
        }
        let started = Instant::now();
        let id = target.run_inline(&abuse, &parameters).await;
        let execution = target.finished(&id).await;
        let took = started.elapsed();
        let message = execution["StatusMessage"].as_str().unwrap_or_default();
        if execution["Status"] != "Failed" || !message.contains(code) || took > BOUND {
            failures.push(format!("{name}: {} after {took:?}: {:.300}", execution["Status"], message));
        }
    }
    assert!(failures.is_empty(), "abuses not stopped as expected:\n{}", failures.join("\n"));

    let recursive = template(json!([{"Name": "again", "Action": "ACS::Template", "Properties": {"TemplateName": "Recursive"}}])).to_string();
    target.oos("CreateTemplate", &[("TemplateName", "Recursive"), ("Content", &recursive)]).await;
    let started = target.oos("StartExecution", &[("TemplateName", "Recursive")]).await;
    let execution = target.finished(started["Execution"]["ExecutionId"].as_str().unwrap()).await;
    assert_eq!(execution["Status"], "Failed");
    let chain = target.oos("ListExecutions", &[("TemplateName", "Recursive"), ("IncludeChildExecution", "true")]).await;
    // With at most 5 running executions of a template, that quota stops the chain (before the depth of 5).
    assert!(chain.to_string().contains("QuotaExceeded.RunningExecutions"), "the deepest child names the limit: {chain:.500}");

    let hold = template(json!([{"Name": "hold", "Action": "ACS::Pause"}])).to_string();
    target.oos("CreateTemplate", &[("TemplateName", "Hold"), ("Content", &hold)]).await;
    let mut refused = None;
    for _ in 0..8 {
        let (status, body) = target.call(&target.root.clone(), OOS, "StartExecution", &[("TemplateName", "Hold")]).await;
        if status != 200 {
            refused = Some(body["Code"].as_str().unwrap_or_default().to_owned());
            break;
        }
    }
    assert_eq!(refused.as_deref(), Some("QuotaExceeded.RunningExecutions"), "a burst past the per-template limit of 5 is refused");

    let steady = target.finished(&steady).await;
    assert_eq!(steady["Status"], "Success", "the execution beside the abuse ran on: {steady}");
}
