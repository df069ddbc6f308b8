//! Every `Fn::` function: at least two cases each, including an error case, many from real templates.

mod common;

use common::{parse, run, sample};
use oos_expr::{FUNCTIONS, evaluate};

const FN: &str = "InvalidTemplate.Function";
const TYPE: &str = "Expression.TypeMismatch";

#[test]
fn equals_is_tolerant() {
    run(&[
        (
            r#"{"Fn::Equals": ["{{ getInstance.existed }}", "false"]}"#,
            Ok("true"),
        ),
        (r#"{"Fn::Equals": ["{{ enable }}", true]}"#, Ok("true")),
        (
            r#"{"Fn::Equals": ["'{{ enable }}'", "'true'"]}"#,
            Ok("true"),
        ),
        (r#"{"Fn::Equals": ["{{ enable }}", "True"]}"#, Ok("true")),
        (r#"{"Fn::Equals": [[], "{{ empty }}"]}"#, Ok("true")),
        (r#"{"Fn::Equals": [[], "{{ instanceIds }}"]}"#, Ok("false")),
        (r#"{"Fn::Equals": ["{{ timeout }}", "600"]}"#, Ok("true")),
        (r#"{"Fn::Equals": [1, 1.0]}"#, Ok("true")),
        (r#"{"Fn::Equals": ["a", "A"]}"#, Ok("false")),
        (r#"{"Fn::Equals": ["a"]}"#, Err(FN)),
    ]);
}

#[test]
fn logic_functions() {
    run(&[
        (r#"{"Fn::Not": {"Fn::Equals": ["a", "b"]}}"#, Ok("true")),
        (r#"{"Fn::Not": ["{{ enable }}"]}"#, Ok("false")),
        (r#"{"Fn::Not": "FALSE"}"#, Ok("true")),
        (r#"{"Fn::Not": "maybe"}"#, Err(TYPE)),
        (
            r#"{"Fn::And": [true, "{{ enable }}", {"Fn::Equals": [1, 1]}]}"#,
            Ok("true"),
        ),
        (r#"{"Fn::And": [true, "{{ disabled }}"]}"#, Ok("false")),
        (
            r#"{"Fn::And": [false, "{{ undefinedButNotEvaluated }}"]}"#,
            Ok("false"),
        ),
        (r#"{"Fn::And": []}"#, Err(FN)),
        (r#"{"Fn::Or": [false, "{{ enable }}"]}"#, Ok("true")),
        (r#"{"Fn::Or": [true, "{{ neverEvaluated }}"]}"#, Ok("true")),
        (r#"{"Fn::Or": [false, "false"]}"#, Ok("false")),
        (r#"{"Fn::Or": [false, [1]]}"#, Err(TYPE)),
    ]);
}

#[test]
fn if_chooses_lazily_and_null_removes_the_property() {
    run(&[
        (
            r#"{"Fn::If": [{"Fn::Equals": ["{{ regionId }}", "cn-hangzhou"]}, "yes", "no"]}"#,
            Ok(r#""yes""#),
        ),
        (
            r#"{"Fn::If": ["{{ disabled }}", "{{ undefinedInOtherBranch }}", 2]}"#,
            Ok("2"),
        ),
        (r#"{"Fn::If": ["{{ enable }}", null, 1]}"#, Ok("<removed>")),
        (
            r#"{"A": 1, "B": {"Fn::If": ["{{ enable }}", null, 1]}}"#,
            Ok(r#"{"A": 1}"#),
        ),
        (
            r#"["a", {"Fn::If": [false, "b", null]}, "c"]"#,
            Ok(r#"["a", "c"]"#),
        ),
        (
            r#"{"Fn::Join": [",", ["a", {"Fn::If": [false, "b", null]}]]}"#,
            Ok(r#""a""#),
        ),
        (r#"{"Fn::If": [true, "x"]}"#, Err(FN)),
        (r#"{"Fn::If": ["{{ instanceIds }}", 1, 2]}"#, Err(TYPE)),
    ]);
}

#[test]
fn select_by_index_and_key() {
    run(&[
        (
            r#"{"Fn::Select": [0, "{{ instanceIds }}"]}"#,
            Ok(r#""i-1""#),
        ),
        (r#"{"Fn::Select": ["1", ["a", "b"]]}"#, Ok(r#""b""#)),
        (r#"{"Fn::Select": [-1, ["a", "b"]]}"#, Ok(r#""b""#)),
        (
            r#"{"Fn::Select": ["type", "{{ timerTrigger }}"]}"#,
            Ok(r#""cron""#),
        ),
        (
            r#"{"Fn::Select": ["accountId", "{{ACS::TaskLoopItem}}"]}"#,
            Ok(r#""acc-1""#),
        ),
        (
            r#"{"Fn::Select": ["Aliyun", {"Aliyun": "Aliyun", "Anolis": "Anolis"}]}"#,
            Ok(r#""Aliyun""#),
        ),
        (r#"{"Fn::Select": [1, "[\"x\", \"y\"]"]}"#, Ok(r#""y""#)),
        (
            r#"{"Fn::Select": [5, ["a"]]}"#,
            Err("Expression.IndexOutOfRange"),
        ),
        (
            r#"{"Fn::Select": ["nope", {"a": 1}]}"#,
            Err("Expression.IndexOutOfRange"),
        ),
        (r#"{"Fn::Select": [0, "scalar"]}"#, Err(FN)),
    ]);
}

#[test]
fn join_split_replace_sub() {
    run(&[
        (
            r#"{"Fn::Join": ["_", ["repaired", "{{ instanceId }}", 3]]}"#,
            Ok(r#""repaired_i-1_3""#),
        ),
        (
            r#"{"Fn::Join": [",", "{{ instanceIds }}"]}"#,
            Ok(r#""i-1,i-2""#),
        ),
        (r#"{"Fn::Join": [","]}"#, Err(FN)),
        (r#"{"Fn::Split": ["/", "a/b/c"]}"#, Ok(r#"["a","b","c"]"#)),
        (
            r#"{"Fn::Last": {"Fn::Split": ["/", "a/b/c.tar"]}}"#,
            Ok(r#""c.tar""#),
        ),
        (r#"{"Fn::Split": ["", "abc"]}"#, Err(FN)),
        (
            r#"{"Fn::Replace": [{"-": "_", "i": "I"}, "{{ instanceId }}"]}"#,
            Ok(r#""I_1""#),
        ),
        (r#"{"Fn::Replace": [["-"], "x"]}"#, Err(FN)),
        (
            r#"{"Fn::Sub": ["${a}-${b}-${!c}-${d}", {"a": "{{ regionId }}", "b": 5}]}"#,
            Ok(r#""cn-hangzhou-5-${c}-${d}""#),
        ),
        (r#"{"Fn::Sub": "plain ${x}"}"#, Ok(r#""plain ${x}""#)),
        (r#"{"Fn::Sub": [1, 2, 3]}"#, Err(FN)),
    ]);
}

#[test]
fn jq_function() {
    run(&[
        (
            r#"{"Fn::Jq": ["All", ".[].vSwitchIds", [{"vSwitchIds": ["v1"]}, {"vSwitchIds": ["v2"]}]]}"#,
            Ok(r#"[["v1"],["v2"]]"#),
        ),
        (
            r#"{"Fn::MergeList": {"Fn::Jq": ["All", ".[].vSwitchIds", [{"vSwitchIds": ["v1"]}, {"vSwitchIds": ["v2"]}]]}}"#,
            Ok(r#"["v1","v2"]"#),
        ),
        (
            r#"{"Fn::Jq": ["First", ".|{{ instanceIds }}|sort|.[0]", {}]}"#,
            Ok(r#""i-1""#),
        ),
        (
            r#"{"Fn::Jq": ["First", "Instances.Instance[].InstanceId", "{{ getInstance }}"]}"#,
            Ok(r#""i-1""#),
        ),
        (
            r#"{"Fn::Jq": ["first", "contains([\"disk\"])", ["disk", "eni"]]}"#,
            Ok("true"),
        ),
        (
            r#"{"Fn::Jq": ["First", ".[] | select(. > 5)", [1, 2]]}"#,
            Ok("null"),
        ),
        (
            r#"{"Fn::Jq": ["First", "group_by(.f) | length", [{"f": 1}, {"f": 2}, {"f": 1}]]}"#,
            Ok("2"),
        ),
        (r#"{"Fn::Jq": ["Some", ".", 1]}"#, Err(FN)),
        (
            r#"{"Fn::Jq": ["All", ".[", 1]}"#,
            Err("InvalidTemplate.JqSyntax"),
        ),
        (
            r#"{"Fn::Jq": ["All", ".[]", 1]}"#,
            Err("Expression.JqRuntime"),
        ),
    ]);
}

#[test]
fn list_functions() {
    run(&[
        (
            r#"{"Fn::ListJoin": ["a", ["b", "c"], "{{ instanceIds }}"]}"#,
            Ok(r#"["a","b","c","i-1","i-2"]"#),
        ),
        (r#"{"Fn::ListJoin": "scalar"}"#, Err(FN)),
        (
            r#"{"Fn::MergeList": [["a"], ["b", "c"], []]}"#,
            Ok(r#"["a","b","c"]"#),
        ),
        (r#"{"Fn::MergeList": {"a": 1}}"#, Err(FN)),
        (r#"{"Fn::First": ["a", "b"]}"#, Ok(r#""a""#)),
        (r#"{"Fn::First": []}"#, Ok("null")),
        (r#"{"Fn::Last": "{{ instanceIds }}"}"#, Ok(r#""i-2""#)),
        (r#"{"Fn::Last": 3}"#, Err(FN)),
        (r#"{"Fn::Min": [3, "1", 2.5]}"#, Ok(r#""1""#)),
        (r#"{"Fn::Max": [3, "1", 2.5]}"#, Ok("3")),
        (r#"{"Fn::Max": ["a"]}"#, Err(TYPE)),
        (r#"{"Fn::Sum": [1, "2", 3.5]}"#, Ok("6.5")),
        (r#"{"Fn::Sum": []}"#, Ok("0")),
        (r#"{"Fn::Sum": [true]}"#, Err(TYPE)),
        (
            r#"{"Fn::RangeSelect": [0, -1, {"Fn::Split": ["/", "dir/sub/Dockerfile"]}]}"#,
            Ok(r#"["dir","sub"]"#),
        ),
        (
            r#"{"Fn::RangeSelect": [1, 10, ["a", "b", "c"]]}"#,
            Ok(r#"["b","c"]"#),
        ),
        (r#"{"Fn::RangeSelect": [2, 1, ["a", "b", "c"]]}"#, Ok("[]")),
        (r#"{"Fn::RangeSelect": [0, ["a"]]}"#, Err(FN)),
        (
            r#"{"Fn::CalculateBatch": ["5", "{{ instanceIds }}"]}"#,
            Ok("1"),
        ),
        (
            r#"{"Fn::CalculateBatch": [2, ["a", "b", "c", "d", "e"]]}"#,
            Ok("3"),
        ),
        (r#"{"Fn::CalculateBatch": [0, ["a"]]}"#, Err(TYPE)),
    ]);
}

#[test]
fn set_functions() {
    run(&[
        (
            r#"{"Fn::Intersection": [["a", "b", "c", "b"], ["b", "c"], ["c", "b", "x"]]}"#,
            Ok(r#"["b","c"]"#),
        ),
        (r#"{"Fn::Intersection": [["a"], "x"]}"#, Err(FN)),
        (
            r#"{"Fn::Union": [["a", "b"], ["b", "c"]]}"#,
            Ok(r#"["a","b","c"]"#),
        ),
        (r#"{"Fn::Union": []}"#, Ok("[]")),
        (r#"{"Fn::Union": 1}"#, Err(FN)),
        (
            r#"{"Fn::Difference": ["{{ instanceIds }}", ["i-2"]]}"#,
            Ok(r#"["i-1"]"#),
        ),
        (r#"{"Fn::Difference": [[1, 2], ["1"]]}"#, Ok("[2]")),
        (r#"{"Fn::Difference": "x"}"#, Err(FN)),
    ]);
}

#[test]
fn map_functions() {
    run(&[
        (
            r#"{"Fn::MergeMap": [{"a": 1, "b": 1}, {"b": 2}]}"#,
            Ok(r#"{"a": 1, "b": 2}"#),
        ),
        (r#"{"Fn::MergeMap": [{"a": 1}, [1]]}"#, Err(FN)),
        (
            r#"{"Fn::MergeMapToList": [{"ServerId": ["{{ instanceId }}"]}, {"Weight": [0]}, {"Type": ["ecs"]}]}"#,
            Ok(r#"[{"ServerId": "i-1", "Weight": 0, "Type": "ecs"}]"#),
        ),
        (
            r#"{"Fn::MergeMapToList": [{"a": [1, 2]}, {"b": [3]}]}"#,
            Ok(r#"[{"a": 1, "b": 3}, {"a": 2}]"#),
        ),
        (r#"{"Fn::MergeMapToList": [{"a": 1}]}"#, Err(FN)),
        (
            r#"{"Fn::ConvertMapToList": {"k": "v", "n": 1}}"#,
            Ok(r#"[{"Key": "k", "Value": "v"}, {"Key": "n", "Value": 1}]"#),
        ),
        (
            r#"{"Fn::ConvertMapToList": ["{{ timerTrigger }}"]}"#,
            Ok(
                r#"[{"Key": "type", "Value": "cron"}, {"Key": "expression", "Value": "0 0 1 ? * *"}]"#,
            ),
        ),
        (r#"{"Fn::ConvertMapToList": [1, 2]}"#, Err(FN)),
        (
            r#"{"Fn::MapJoin": [["a", "b"], [1, 2]]}"#,
            Ok(r#"{"a": 1, "b": 2}"#),
        ),
        (r#"{"Fn::MapJoin": [["a", "b"], [1]]}"#, Err(FN)),
    ]);
}

#[test]
fn text_functions() {
    run(&[
        (
            r#"{"Fn::Base64Encode": "echo {{ instanceId }}"}"#,
            Ok(r#""ZWNobyBpLTE=""#),
        ),
        (r#"{"Fn::Base64Encode": [1]}"#, Err(FN)),
        (
            r#"{"Fn::Base64Decode": "ZWNobyBpLTE="}"#,
            Ok(r#""echo i-1""#),
        ),
        (r#"{"Fn::Base64Decode": "not base64!"}"#, Err(TYPE)),
        (
            r#"{"Fn::ContainsSubString": ["{{ regionId }}", "hang"]}"#,
            Ok("true"),
        ),
        (
            r#"{"Fn::ContainsSubString": ["dir/file", "\\"]}"#,
            Ok("false"),
        ),
        (r#"{"Fn::ContainsSubString": ["a"]}"#, Err(FN)),
        (
            r#"{"Fn::Escape": ["{{ text }}", "powershell"]}"#,
            Ok(r#""a''b""#),
        ),
        (
            r#"{"Fn::Escape": [{"Fn::Escape": ["{{ text }}", "powershell"]}, "powershell"]}"#,
            Ok(r#""a''''b""#),
        ),
        (r#"{"Fn::Escape": ["a'b", "shell"]}"#, Ok(r#""a'\\''b""#)),
        (
            r#"{"Fn::Escape": ["a\"b\n", "json"]}"#,
            Ok(r#""a\\\"b\\n""#),
        ),
        (r#"{"Fn::Escape": ["a", "cobol"]}"#, Err(FN)),
        (
            r#"{"Fn::IsIpInCIDR": ["192.168.1.20", "192.168.0.0/16"]}"#,
            Ok("true"),
        ),
        (
            r#"{"Fn::IsIpInCIDR": ["10.0.0.1", "192.168.0.0/16"]}"#,
            Ok("false"),
        ),
        (
            r#"{"Fn::IsIpInCIDR": ["10.0.0.1", "0.0.0.0/0"]}"#,
            Ok("true"),
        ),
        (
            r#"{"Fn::IsIpInCIDR": ["2001:db8::1", "2001:db8::/32"]}"#,
            Ok("true"),
        ),
        (
            r#"{"Fn::IsIpInCIDR": ["10.0.0.1", "2001:db8::/32"]}"#,
            Ok("false"),
        ),
        (
            r#"{"Fn::IsIpInCIDR": ["10.0.0.1", "10.0.0.0/33"]}"#,
            Err(TYPE),
        ),
        (r#"{"Fn::IsIpInCIDR": ["host", "10.0.0.0/8"]}"#, Err(TYPE)),
    ]);
}

#[test]
fn time_functions() {
    run(&[
        (
            r#"{"Fn::AddHour": ["{{ ACS::CurrentUTCTime }}", "2"]}"#,
            Ok(r#""2024-05-01T10:30:00Z""#),
        ),
        (
            r#"{"Fn::AddHour": ["2024-05-01T08:00Z", -0.5]}"#,
            Ok(r#""2024-05-01T07:30:00Z""#),
        ),
        (
            r#"{"Fn::AddHour": ["yesterday", 1]}"#,
            Err("Expression.InvalidTime"),
        ),
        (
            r#"{"Fn::AddHour": ["2024-05-01T08:00:00Z", "many"]}"#,
            Err(TYPE),
        ),
        (
            r#"{"Fn::FormatUTCTime": ["{{ACS::CurrentUTCTime}}", "%Y%m%d%H%M%S"]}"#,
            Ok(r#""20240501083000""#),
        ),
        (
            r#"{"Fn::FormatUTCTime": [{"Fn::AddHour": ["{{ ACS::CurrentUTCTime }}", {"Fn::Eval": ["-{{ timeout }}*24"]}]}, "%Y-%m-%dT00:00Z"]}"#,
            Ok(r#""2022-09-09T00:00Z""#),
        ),
        (
            r#"{"Fn::FormatUTCTime": ["2024-05-01 08:00:00", "%Y-%m-%dT%HZ"]}"#,
            Ok(r#""2024-05-01T08Z""#),
        ),
        (
            r#"{"Fn::FormatUTCTime": ["2024-05-01T08:00:00Z", "%Y-%"]}"#,
            Err(FN),
        ),
        (
            r#"{"Fn::DurationBetween": ["08:00:00Z", "20:30:00Z"]}"#,
            Ok(r#""PT45000S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["20:00:00Z", "08:00:00Z"]}"#,
            Ok(r#""PT43200S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["08:00:00+08:00", "20:00:00+08:00"]}"#,
            Ok(r#""PT43200S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["22:00:00+0800", "08:00:00+02:00"]}"#,
            Ok(r#""PT57600S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["08:00:00+25:00", "09:00:00Z"]}"#,
            Err("Expression.InvalidTime"),
        ),
        (
            r#"{"Fn::DurationBetween": ["2024-05-01T08:00:00Z", "2024-05-02T08:00:01Z"]}"#,
            Ok(r#""PT86401S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["2024-05-02T08:00:00Z", "2024-05-01T08:00:00Z"]}"#,
            Ok(r#""PT0S""#),
        ),
        (
            r#"{"Fn::DurationBetween": ["noon", "08:00:00Z"]}"#,
            Err("Expression.InvalidTime"),
        ),
    ]);
}

#[test]
fn eval_is_safe_arithmetic() {
    run(&[
        (r#"{"Fn::Eval": ["-7*24"]}"#, Ok("-168")),
        (r#"{"Fn::Eval": "-{{ timeout }}*24"}"#, Ok("-14400")),
        (r#"{"Fn::Eval": "(1 + 2) * 3 - 4 / 8"}"#, Ok("8.5")),
        (r#"{"Fn::Eval": "2 ** 3 ** 2 % 5"}"#, Ok("2")),
        (r#"{"Fn::Eval": "--3"}"#, Ok("3")),
        (r#"{"Fn::Eval": "1/0"}"#, Err("Expression.Eval")),
        (
            r#"{"Fn::Eval": "__import__('os')"}"#,
            Err("Expression.Eval"),
        ),
        (r#"{"Fn::Eval": "(1"}"#, Err("Expression.Eval")),
        (r#"{"Fn::Eval": "10 ** 400"}"#, Err("Expression.Eval")),
        (r#"{"Fn::Eval": {"a": 1}}"#, Err(FN)),
    ]);
}

#[test]
fn unknown_functions_are_named() {
    let ctx = sample();
    for name in [
        "GetAtt",
        "Str",
        "FindMatchedPackage",
        "CalculateTimeByOpsWindow",
        "equals",
    ] {
        let input = format!(r#"{{"Fn::{name}": [1, 2]}}"#);
        let error = evaluate(&parse(&input), &ctx).expect_err(&input);
        assert_eq!(error.code, FN, "{input}");
        assert!(
            error.message.contains(&format!("Fn::{name}")),
            "{}",
            error.message
        );
    }
    // An object with an Fn:: key among others is a plain map, evaluated key by key.
    run(&[(
        r#"{"Fn::Join": [",", ["a"]], "Other": 1}"#,
        Ok(r#"{"Fn::Join": [",", ["a"]], "Other": 1}"#),
    )]);
}

#[test]
fn every_listed_function_is_dispatched() {
    let ctx = sample();
    for name in FUNCTIONS {
        let input = format!(r#"{{"Fn::{name}": {{"shape": "wrong"}}}}"#);
        if let Err(error) = evaluate(&parse(&input), &ctx) {
            assert!(
                !error.message.contains("unknown function"),
                "Fn::{name} is listed but not dispatched"
            );
        }
    }
}
