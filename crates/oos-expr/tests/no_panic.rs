//! Property tests: the `{{ }}` scanner and renderer, `Fn::` evaluation, jq and `Fn::Eval` return a
//! value or an error for any input and never panic. Default case count is small for CI; set
//! `PROPTEST_CASES=100000` for a long run (each of the four properties runs that many cases).

mod common;

use common::sample;
use oos_expr::{
    FUNCTIONS, Value, coerce, evaluate, evaluate_condition, jq, parse_duration, references,
};
use proptest::prelude::*;
use serde_json::{Map, json};

/// Fragments that steer random strings towards the interesting corners of the grammar.
const TEXT_PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{ ",
    " }}",
    "{",
    "}",
    " ",
    "\n",
    "regionId",
    "instanceIds",
    "timeout",
    "getInstance.instanceIds",
    "ExecuteApi.Regions.Region[]?.LocalName",
    "ACS::RegionId",
    "acs::",
    "::",
    "oos:",
    "oos-secret:",
    "x/y",
    ".",
    "[]",
    "[0]",
    "?",
    "|",
    "length",
    "upper",
    "+",
    "*",
    "==",
    "'",
    "\"",
    "(",
    ")",
    "nope",
    "range(10)",
    "~",
    "%",
    "${a}",
];

const JQ_PIECES: &[&str] = &[
    ".",
    "[]",
    "[0]",
    "a",
    "Instances",
    "|",
    "select(",
    "map(",
    ")",
    "length",
    "\"x\"",
    "1",
    ",",
    "?",
    "{",
    "}",
    ":",
    "$x",
    " as ",
    "+",
    "[",
    "]",
    "..",
    "keys",
    "tostring",
    "if ",
    " then ",
    " else ",
    " end",
    "//",
    "-",
    "*",
    "(",
    "test(\"a\")",
    "split(\",\")",
    "@base64",
    "reduce ",
    "$__loc__",
    "def f: 1; ",
    "error",
];

fn pieces(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![3 => prop::sample::select(pool).prop_map(str::to_owned), 1 => any::<String>()],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        pieces(TEXT_PIECES).prop_map(Value::String),
        prop::sample::select(
            &[
                "true",
                "False",
                "First",
                "All",
                "powershell",
                ",",
                "-7*24",
                "2024-05-01T08:00:00Z",
                "08:00Z",
                "10.0.0.1",
                "10.0.0.0/8",
                "%Y"
            ][..]
        )
        .prop_map(|text| Value::String(text.to_owned())),
    ]
}

/// Random value trees in which objects are often `Fn::` calls.
fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            (prop::sample::select(FUNCTIONS), inner.clone())
                .prop_map(|(name, argument)| json!({ format!("Fn::{name}"): argument })),
            (
                prop::sample::select(FUNCTIONS),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(name, arguments)| json!({ format!("Fn::{name}"): arguments })),
            prop::collection::vec((pieces(TEXT_PIECES), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rendering_any_string_never_panics(text in pieces(TEXT_PIECES)) {
        let ctx = sample();
        let value = Value::String(text);
        let rendered = evaluate(&value, &ctx);
        let _ = evaluate_condition(&value, &ctx);
        let _ = references(&value);
        // A string without a complete `{{ }}` is returned unchanged.
        if let Value::String(text) = &value
            && !text.contains("{{")
        {
            prop_assert_eq!(rendered.ok().flatten(), Some(value.clone()));
        }
    }

    #[test]
    fn evaluating_any_function_tree_never_panics(value in tree()) {
        let ctx = sample();
        let _ = evaluate(&value, &ctx);
        let _ = evaluate_condition(&value, &ctx);
        let _ = references(&value);
    }

    #[test]
    fn jq_on_any_program_never_panics(program in pieces(JQ_PIECES), input in tree()) {
        for ty in ["String", "Number", "Boolean", "List", "Json"] {
            let ty = ty.parse().expect("type");
            if let Ok(selected) = jq::select(&program, &input, ty) {
                prop_assert!(coerce(&selected, ty).is_ok());
            }
        }
    }

    #[test]
    fn eval_and_durations_never_panic(text in pieces(&["1", "2.5", "-", "+", "*", "**", "/", "%", "(", ")", " ", "PT", "P", "T", "S", "M", "H", "D", "s", "m"])) {
        let _ = evaluate(&json!({"Fn::Eval": text}), &sample());
        let _ = parse_duration(&text);
    }
}
