//! jq output typing and cardinality, the leading-dot rule, value coercion, durations, conditions and
//! loop aggregation.

mod common;

use std::time::Duration;

use common::{parse, sample};
use oos_expr::jq::{self, Program};
use oos_expr::{Evaluator, ValueType, aggregate, coerce, coerce_output, evaluate_condition, parse_duration};
use serde_json::json;

#[test]
fn jq_output_typing_and_cardinality() {
    let response = json!({"Instances": {"Instance": [{"InstanceId": "i-1", "Cpu": "2"}, {"InstanceId": "i-2", "Cpu": "4"}]},
                          "TotalCount": "2", "Ok": "true", "imageId": "m-1", "Empty": []});
    let table: &[(&str, &str, serde_json::Value)] = &[
        (
            "Instances.Instance[].InstanceId",
            "List",
            json!(["i-1", "i-2"]),
        ),
        (
            ".Instances.Instance[].InstanceId",
            "list",
            json!(["i-1", "i-2"]),
        ),
        (
            "[.Instances.Instance[].InstanceId]",
            "List",
            json!(["i-1", "i-2"]),
        ),
        (".|(.imageId),\"region\"", "List", json!(["m-1", "region"])),
        ("imageId", "List", json!(["m-1"])),
        (".Missing[]?", "List", json!([])),
        ("Empty", "List", json!([])),
        ("Instances.Instance[].InstanceId", "String", json!("i-1")),
        ("TotalCount", "Number", json!(2)),
        ("Instances.Instance[].Cpu", "Number", json!(2)),
        ("Ok", "Boolean", json!(true)),
        ("Missing", "String", serde_json::Value::Null),
        (".Missing[]?", "String", serde_json::Value::Null),
        (".", "Json", response.clone()),
        ("Instances", "Object", response["Instances"].clone()),
        (
            "Instances.Instance",
            "String",
            json!(r#"[{"InstanceId":"i-1","Cpu":"2"},{"InstanceId":"i-2","Cpu":"4"}]"#),
        ),
        ("length", "Number", json!(5)),
        ("keys | length", "Number", json!(5)),
        ("map_values(1) | keys[0]", "String", json!("Empty")),
    ];
    let evaluator = Evaluator::new();
    for (program, ty, expected) in table {
        let ty: ValueType = ty.parse().expect("type");
        assert_eq!(
            &jq::select(program, &response, ty).expect(program),
            expected,
            "{program} as {ty}"
        );
        assert_eq!(
            &evaluator.select(program, &response, ty).expect(program),
            expected,
            "cached {program}"
        );
    }
    for (program, ty, code) in [
        ("imageId", ValueType::Number, "Expression.TypeMismatch"),
        (
            "Instances.Instance[",
            ValueType::Json,
            "InvalidTemplate.JqSyntax",
        ),
        ("nosuchfn(1)", ValueType::Json, "InvalidTemplate.JqSyntax"),
        ("1 | now", ValueType::Json, "InvalidTemplate.JqSyntax"),
        ("1 | env", ValueType::Json, "InvalidTemplate.JqSyntax"),
        (
            "1 | halt_error",
            ValueType::Json,
            "InvalidTemplate.JqSyntax",
        ),
        ("1 | input", ValueType::Json, "InvalidTemplate.JqSyntax"),
        ("imageId[]", ValueType::List, "Expression.JqRuntime"),
        ("error(\"boom\")", ValueType::Json, "Expression.JqRuntime"),
        ("range(200000)", ValueType::List, "Expression.JqRuntime"),
    ] {
        let error = jq::select(program, &response, ty).expect_err(program);
        assert_eq!(error.code, code, "{program}: {error}");
    }
}

#[test]
fn leading_dot_is_implied_only_for_field_paths() {
    for (source, compiled) in [
        (
            "Instances.Instance[].InstanceId",
            ".Instances.Instance[].InstanceId",
        ),
        ("invocationOutput", ".invocationOutput"),
        ("resourceArns[]", ".resourceArns[]"),
        (".a", ".a"),
        ("map(.a)", "map(.a)"),
        ("from_entries", "from_entries"),
        ("[.a]", "[.a]"),
        ("{a: .b}", "{a: .b}"),
        ("\"s\"", "\"s\""),
        ("1", "1"),
        ("if .a then 1 else 2 end", "if .a then 1 else 2 end"),
        (". as $x | $x", ". as $x | $x"),
    ] {
        assert_eq!(Program::compile(source).expect(source).source(), compiled);
    }
}

#[test]
fn jq_numbers_and_keys_round_trip() {
    let input = json!({"big": 12345678901234_i64, "f": 1.5, "neg": -3, "s": "x", "nested": {"a": [null, true]}});
    let outputs = Program::compile(".")
        .expect("identity")
        .run(&input)
        .expect("runs");
    assert_eq!(outputs, vec![input.clone()]);
    let outputs = Program::compile(".f * 2, .big + 1, (.neg | tostring)")
        .expect("compiles")
        .run(&input)
        .expect("runs");
    assert_eq!(
        outputs,
        vec![json!(3), json!(12345678901235_i64), json!("-3")]
    );
}

#[test]
fn coercion_between_declared_types() {
    let table: &[(serde_json::Value, &str, Result<serde_json::Value, ()>)] = &[
        (json!("600"), "Number", Ok(json!(600))),
        (json!(" 1.5 "), "number", Ok(json!(1.5))),
        (json!(12), "Number", Ok(json!(12))),
        (json!("abc"), "Number", Err(())),
        (json!(true), "Number", Err(())),
        (json!("True"), "Boolean", Ok(json!(true))),
        (json!("false"), "BOOLEAN", Ok(json!(false))),
        (json!("yes"), "Boolean", Err(())),
        (json!(1), "Boolean", Err(())),
        (json!(600), "String", Ok(json!("600"))),
        (json!(["a"]), "String", Ok(json!("[\"a\"]"))),
        (json!("[\"a\",1]"), "List", Ok(json!(["a", 1]))),
        (json!(["a"]), "List", Ok(json!(["a"]))),
        (json!("a,b"), "List", Err(())),
        (json!({"a": 1}), "List", Err(())),
        (json!("{\"a\":1}"), "Json", Ok(json!({"a": 1}))),
        (json!("plain"), "Json", Ok(json!("plain"))),
        (json!(5), "Map", Ok(json!(5))),
        (
            serde_json::Value::Null,
            "Number",
            Ok(serde_json::Value::Null),
        ),
    ];
    for (value, ty, expected) in table {
        let ty: ValueType = ty.parse().expect(ty);
        let outcome = coerce(value, ty);
        match expected {
            Ok(want) => assert_eq!(outcome.as_ref().ok(), Some(want), "{value} as {ty}"),
            Err(()) => assert_eq!(
                outcome.expect_err("mismatch").code,
                "Expression.TypeMismatch",
                "{value} as {ty}"
            ),
        }
    }
    assert_eq!(
        "Object".parse::<ValueType>().expect("alias"),
        ValueType::Json
    );
    assert_eq!(
        "StringList".parse::<ValueType>().expect_err("unknown").code,
        "Expression.TypeMismatch"
    );
    assert_eq!(ValueType::Boolean.to_string(), "Boolean");
}

#[test]
fn durations_in_iso_and_short_forms() {
    for (text, seconds) in [
        ("PT10S", 10.0),
        ("PT1M", 60.0),
        ("PT3M", 180.0),
        ("P1DT2H", 93_600.0),
        ("pt0.5s", 0.5),
        ("PT1H30M", 5400.0),
        ("P2D", 172_800.0),
        ("10s", 10.0),
        ("20S", 20.0),
        ("4m", 240.0),
        ("1M", 60.0),
        ("2H", 7200.0),
        ("1d", 86_400.0),
        ("45", 45.0),
        (" 5m ", 300.0),
    ] {
        assert_eq!(
            parse_duration(text).expect(text),
            Duration::from_secs_f64(seconds),
            "{text}"
        );
    }
    for text in [
        "", "P", "PT", "P1M", "P1Y", "10x", "m", "PT-5S", "-5s", "PT5", "1.2.3s", "PTS",
    ] {
        assert_eq!(
            parse_duration(text).expect_err(text).code,
            "InvalidTemplate.Duration",
            "{text:?}"
        );
    }
}

#[test]
fn conditions() {
    let ctx = sample();
    for (input, expected) in [
        (r#"true"#, Ok(true)),
        (r#""TRUE""#, Ok(true)),
        (r#""false""#, Ok(false)),
        (r#""{{ enable }}""#, Ok(true)),
        (r#""{{ disabled }}""#, Ok(false)),
        (r#""""#, Ok(false)),
        (r#"null"#, Ok(false)),
        (r#"0"#, Ok(false)),
        (
            r#"{"Fn::Equals": ["{{ regionId }}", "cn-hangzhou"]}"#,
            Ok(true),
        ),
        (r#"{"Fn::If": [true, null, true]}"#, Ok(false)),
        (r#""maybe""#, Err("Expression.TypeMismatch")),
        (r#""{{ instanceIds }}""#, Err("Expression.TypeMismatch")),
        (r#""{{ nope }}""#, Err("Expression.UndefinedReference")),
    ] {
        let outcome = evaluate_condition(&parse(input), &ctx);
        match expected {
            Ok(want) => assert_eq!(outcome.as_ref().ok(), Some(&want), "{input}: {outcome:?}"),
            Err(code) => assert_eq!(outcome.expect_err(input).code, code, "{input}"),
        }
    }
}

#[test]
fn loop_aggregation_keeps_item_order() {
    assert_eq!(
        aggregate("Fn::ListJoin", vec![json!("b"), json!(["x"]), json!("a")]).expect("list"),
        json!(["b", ["x"], "a"])
    );
    assert_eq!(aggregate("ListJoin", vec![]).expect("empty"), json!([]));
    assert_eq!(
        aggregate("Fn::Sum", vec![json!(1), json!("2"), json!(0.5)]).expect("sum"),
        json!(3.5)
    );
    assert_eq!(
        aggregate("Fn::Max", vec![json!(1), json!(7)]).expect("max"),
        json!(7)
    );
    assert_eq!(
        aggregate("Fn::MergeList", vec![json!(["a"]), json!(["b"])]).expect("merge"),
        json!(["a", "b"])
    );
    assert_eq!(
        aggregate("Fn::Sum", vec![json!("x")])
            .expect_err("nan")
            .code,
        "Expression.TypeMismatch"
    );
    assert_eq!(
        aggregate("Fn::Join", vec![]).expect_err("unsupported").code,
        "InvalidTemplate.Function"
    );
}

/// A template output of `Type: List` whose value is one scalar is that one-element list; parameters
/// (plain `coerce`) still refuse a scalar for a List.
#[test]
fn a_scalar_list_output_is_a_one_element_list() {
    let list = ValueType::List;
    assert_eq!(coerce_output(&json!("m-1"), list).unwrap(), json!(["m-1"]));
    assert_eq!(coerce_output(&json!(3), list).unwrap(), json!([3]));
    assert_eq!(coerce_output(&json!("[\"m-1\",\"m-2\"]"), list).unwrap(), json!(["m-1", "m-2"]));
    assert_eq!(coerce_output(&json!(["a"]), list).unwrap(), json!(["a"]));
    assert_eq!(coerce_output(&serde_json::Value::Null, list).unwrap(), serde_json::Value::Null);
    assert!(coerce_output(&json!({"a": 1}), list).is_err(), "a map is not a list");
    assert!(coerce(&json!("m-1"), list).is_err());
}
