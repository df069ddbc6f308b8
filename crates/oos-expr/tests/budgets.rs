//! The abuse table of in-process evaluation: programs that recurse, nest, generate without end or
//! build huge values each fail with the code of the budget they exceed (and no stack overflows or
//! spins for ever), while ordinary programs are unaffected. The isolated evaluator (`oos-isolate`)
//! runs these same budgets and adds the memory limit.

use oos_expr::{ExprError, Value, codes, evaluate, jq};
use serde_json::json;

mod common;

fn run(program: &str, input: &Value) -> Result<Vec<Value>, ExprError> {
    jq::Program::compile(program)?.run(input)
}

fn code_of(program: &str) -> &'static str {
    match run(program, &json!({"a": [1, 2, 3]})) {
        Ok(outputs) => panic!("{program:?} ran to the end: {:?}", &outputs[..outputs.len().min(3)]),
        Err(error) => error.code,
    }
}

#[test]
fn runaway_jq_programs_stop_with_their_budget_code() {
    let cases: &[(&str, &str)] = &[
        ("def f: f + 1; f", codes::RECURSION_LIMIT),
        ("def f: [f]; f", codes::RECURSION_LIMIT),
        ("def f: (f)?, f; f", codes::RECURSION_LIMIT),
        ("def f: (f)?, (f)?; 0 | f", codes::RECURSION_LIMIT),
        ("last(range(1e12))", codes::STEP_LIMIT),
        ("[range(1e12)] | length", codes::STEP_LIMIT),
        ("reduce range(1e12) as $x (0; . + 1)", codes::STEP_LIMIT),
        ("last(repeat(1))", codes::STEP_LIMIT),
        ("[limit(1e12; repeat(1))] | length", codes::STEP_LIMIT),
        ("0 | last(recurse(. + 1; true))", codes::STEP_LIMIT),
        ("0 | until(false; . + 1)", codes::STEP_LIMIT),
        ("[0 | while(true; . + 1)] | length", codes::STEP_LIMIT),
        ("([range(50000)] | map(tostring) | join(\",\")) as $s | [range(80) | $s] | join(\"\")", codes::OUTPUT_TOO_LARGE),
        ("reduce range(40) as $i ([1]; [., .])", codes::OUTPUT_TOO_LARGE),
        ("reduce range(100000) as $i (null; [.])", codes::OUTPUT_TOO_LARGE),
        (&"[".repeat(2000), codes::TOO_COMPLEX),
        (&format!("{}1{}", "[".repeat(65), "]".repeat(65)), codes::TOO_COMPLEX),
        (&".a | ".repeat(1000), codes::TOO_COMPLEX),
    ];
    for (program, expected) in cases {
        assert_eq!(code_of(program), *expected, "{program:.80}");
    }
}

#[test]
fn long_and_deep_programs_within_the_limits_still_run() {
    let nested = format!("{}.a[0]{}", "[".repeat(60), "]".repeat(60));
    let outputs = run(&nested, &json!({"a": [7]})).unwrap();
    let mut value = &outputs[0];
    for _ in 0..60 {
        value = &value[0];
    }
    assert_eq!(value, &json!(7));
    assert_eq!(run("[range(1000)] | add", &json!(null)).unwrap(), vec![json!(499_500)]);
    assert_eq!(run("def f: if . < 100 then . + 1 | f else . end; 0 | f", &json!(null)).unwrap(), vec![json!(100)]);
}

#[test]
fn deep_json_and_jinja_abuse_fail_cleanly() {
    // A JSON document nested 100,000 levels deep is refused by the parser, not recursed into.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<Value>(&deep).is_err());
    let fromjson = run("fromjson", &Value::String(deep)).map(|outputs| outputs.len());
    assert!(fromjson.is_err(), "fromjson of a 100,000-deep document: {fromjson:?}");
    let mut ctx = common::sample();
    ctx.parameters.insert("big".into(), json!("x".repeat(9_000_000)));
    for (expression, expected) in [
        ("{{ range(1000000) | list | length }}", codes::INVALID_EXPRESSION),
        ("{{ 'x' * 1000000000 }}", codes::FUEL_EXHAUSTED),
        ("{{ big ~ big }}", codes::FUEL_EXHAUSTED),
    ] {
        let error = evaluate(&json!(expression), &ctx).unwrap_err();
        assert_eq!(error.code, expected, "{expression}: {}", error.message.chars().take(200).collect::<String>());
    }
}

/// The outcome of an evaluation, shortened for assertion messages.
fn outcome(value: &Value, ctx: &common::MapContext) -> Result<usize, ExprError> {
    evaluate(value, ctx).map(|value| value.map_or(0, |value| value.to_string().len()))
}

#[test]
fn huge_function_results_fail_with_output_too_large() {
    let mut ctx = common::sample();
    ctx.parameters.insert("big".into(), json!("x".repeat(1_000_000)));
    let cases = [
        json!({"Fn::Join": ["", vec!["{{ big }}"; 20]]}),
        json!({"Fn::Join": ["{{ big }}", vec![1; 20]]}),
        json!({"Fn::Replace": [{"x": "{{ big }}"}, "xxxxxxxxxxxxxxxxxxxx"]}),
        json!({"Fn::MergeList": vec![vec!["{{ big }}"]; 20]}),
        json!({"Fn::Sub": ["${a}".repeat(20), {"a": "{{ big }}"}]}),
        json!(vec!["{{ big }}"; 20]),
        json!("{{ big }}".repeat(20)),
    ];
    for case in cases {
        let error = outcome(&case, &ctx).unwrap_err();
        assert_eq!(error.code, codes::OUTPUT_TOO_LARGE, "{}", error.message.chars().take(200).collect::<String>());
    }
    assert_eq!(outcome(&json!({"Fn::Join": ["", vec!["{{ big }}"; 3]]}), &ctx).unwrap(), 3_000_002);
}
