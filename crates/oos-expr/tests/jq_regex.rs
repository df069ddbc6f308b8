//! jq's regex filters (`test`, `match`, `capture`, `scan`, `split`, `sub`, `gsub`) on our fancy-regex
//! natives: Oniguruma's look-around and backreferences work (Alibaba's templates use them), jaq's
//! output shapes, flags and character offsets are kept, and a pattern that backtracks without end
//! fails with a jq runtime error.

use oos_expr::{ExprError, Value, codes, jq};
use serde_json::json;

fn run(program: &str, input: &Value) -> Result<Vec<Value>, ExprError> {
    jq::Program::compile(program)?.run(input)
}

/// The single output of `program` on `input`.
fn one(program: &str, input: Value) -> Value {
    match run(program, &input) {
        Ok(mut outputs) if outputs.len() == 1 => outputs.remove(0),
        other => panic!("{program:?} on {input}: {other:?}"),
    }
}

fn runtime_error(program: &str, input: Value) -> String {
    match run(program, &input) {
        Err(error) if error.code == codes::JQ_RUNTIME => error.message,
        other => panic!("{program:?} on {input} did not fail at run time: {other:?}"),
    }
}

#[test]
fn the_corpus_look_ahead_keeps_tags_not_starting_with_acs() {
    let tags = json!([{"Tag": [
        {"TagKey": "acs:ecs:clone", "TagValue": "1"},
        {"TagKey": "env", "TagValue": "prod"},
        {"TagKey": "owner", "TagValue": "ops"},
    ]}]);
    let program = r#".[].Tag | map(select( .TagKey | test("^(?!acs).*"))) | .[] | {"Key": .TagKey, "Value": .TagValue}"#;
    assert_eq!(run(program, &tags).unwrap(), vec![json!({"Key": "env", "Value": "prod"}), json!({"Key": "owner", "Value": "ops"})]);
}

#[test]
fn look_around_and_backreferences_work_in_every_regex_filter() {
    let cases: &[(&str, Value, Value)] = &[
        (r#"test("^(?!acs).*")"#, json!("acs:tag"), json!(false)),
        (r#"test("^(?!acs).*")"#, json!("ecs:tag"), json!(true)),
        (r#"[match("(?<=\\$)\\d+"; "g") | .string]"#, json!("$42, €7, $9"), json!(["42", "9"])),
        (r#"[match("\\d+(?!€)"; "g") | .string]"#, json!("42€ 7"), json!(["4", "7"])),
        (r#"capture("(?<w>\\w+)\\k<w>")"#, json!("abcabc xyzxy"), json!({"w": "abc"})),
        (r#"sub("\\.(?=baz)"; "/")"#, json!("foo.bar.baz"), json!("foo.bar/baz")),
        (r#"gsub("(?<c>\\w)\\k<c>"; "<\(.c)>")"#, json!("aa bb cd"), json!("<a> <b> cd")),
        (r#"split(";(?=k)"; "")"#, json!("k1=a;b;k2=c"), json!(["k1=a;b", "k2=c"])),
        (r#"split("(?<=\\d)(?=[a-z])"; "")"#, json!("a1b22c333d"), json!(["a1", "b22", "c333", "d"])),
        (r#"[scan("[a-z](?=\\d)")]"#, json!("x1 y22 z"), json!(["x", "y"])),
        (r#"[scan("((\\w)\\2)")]"#, json!("aa-bb-cd"), json!([["aa", "a"], ["bb", "b"]])),
        (r#"[match("(?<!x)y"; "g") | .offset]"#, json!("xy yy"), json!([3, 4])),
    ];
    for (program, input, expected) in cases {
        assert_eq!(&one(program, input.clone()), expected, "{program} on {input}");
    }
}

#[test]
fn match_objects_keep_jaqs_shape_with_character_offsets() {
    assert_eq!(
        one(r#"match("(?<first>w)(ö)(?<rest>rld)")"#, json!("héllo wörld")),
        json!({"offset": 6, "length": 5, "string": "wörld", "captures": [
            {"offset": 6, "length": 1, "string": "w", "name": "first"},
            {"offset": 7, "length": 1, "string": "ö"},
            {"offset": 8, "length": 3, "string": "rld", "name": "rest"},
        ]})
    );
    // A group before the match (look-behind) and one after it (look-ahead), on non-ASCII text.
    assert_eq!(
        one(r#"[match("(?<=(é))a(?=(ü+))"; "g") | [.offset, .captures[].offset]]"#, json!("ééaüü éaü")),
        json!([[2, 1, 3], [7, 6, 8]])
    );
    assert_eq!(one(r#"capture("(?<a>\\d+)-(?<b>\\d+)")"#, json!("v 10-200")), json!({"a": "10", "b": "200"}));
    assert_eq!(one(r#"[match("ä"; "g") | .offset]"#, json!("äbäcä")), json!([0, 2, 4]));
    // Bytes that are not UTF-8 (`@base64d` can make them) are matched as U+FFFD.
    assert_eq!(one(r#"@base64d | [match("."; "g") | .string]"#, json!("Yf9i")), json!(["a", "\u{fffd}", "b"]));
}

#[test]
fn a_group_that_took_no_part_is_jqs_offset_minus_one_and_null_string() {
    assert_eq!(
        one(r#"match("(?<x>a)?b")"#, json!("b")),
        json!({"offset": 0, "length": 1, "string": "b", "captures": [{"offset": -1, "length": 0, "string": null, "name": "x"}]})
    );
    assert_eq!(one(r#"[match("(a)?(b)") | .captures[].string]"#, json!("b")), json!([null, "b"]));
    assert_eq!(one(r#"capture("(?<x>a)?b")"#, json!("b")), json!({"x": null}));
    assert_eq!(one(r#"sub("(?<x>a)?b"; "[\(.x)]")"#, json!("b")), json!("[null]"));
}

#[test]
fn flags_keep_their_jaq_meaning() {
    let cases: &[(&str, Value, Value)] = &[
        (r#"[match("hello"; "gi") | .offset]"#, json!("Hello hello"), json!([0, 6])),
        (r#"[match("hello"; "i") | .offset]"#, json!("Hello hello"), json!([0])),
        (r#"test("a b c"; "x")"#, json!("abc"), json!(true)),
        (r#"test("a.b")"#, json!("a\nb"), json!(false)),
        (r#"test("a.b"; "s")"#, json!("a\nb"), json!(true)),
        (r#"[match("^b"; "g") | .offset]"#, json!("a\nb"), json!([])),
        (r#"[match("^b"; "gm") | .offset]"#, json!("a\nb"), json!([2])),
        (r#"[match("^a.b$"; "p") | .string]"#, json!("x\na\nb"), json!(["a\nb"])),
        (r#"match("a+"; "l") | .string"#, json!("aaa"), json!("a")),
        (r#"match("a+?"; "l") | .string"#, json!("aaa"), json!("aaa")),
        (r#"[match("x*"; "g")] | length"#, json!("abc"), json!(4)),
        (r#"[match("x*"; "gn")] | length"#, json!("abc"), json!(0)),
        (r#"[splits(", *")]"#, json!("a, b,c"), json!(["a", "b", "c"])),
        (r#"gsub("\\s+"; "-")"#, json!("a  b \t c"), json!("a-b-c")),
        (r#"sub("(?<d>\\d)"; "<\(.d)>"; "g")"#, json!("a1b2"), json!("a<1>b<2>")),
    ];
    for (program, input, expected) in cases {
        assert_eq!(&one(program, input.clone()), expected, "{program} on {input}");
    }
}

#[test]
fn bad_patterns_flags_and_inputs_are_runtime_errors() {
    assert!(runtime_error(r#"test("a"; "q")"#, json!("a")).contains("invalid regex flag: q"));
    assert!(runtime_error(r#"test("(")"#, json!("a")).contains("invalid regex"));
    assert!(runtime_error(r#"test("[z-a]")"#, json!("a")).contains("invalid regex"));
    assert!(runtime_error(r#"test("\\w{1000}")"#, json!("a")).contains("invalid regex"));
    runtime_error(r#"test("a")"#, json!(1));
    // A runtime error is caught by `try` like any other.
    assert_eq!(one(r#"try test("(") catch "bad""#, json!("a")), json!("bad"));
}

#[test]
fn catastrophic_backtracking_fails_instead_of_running_on() {
    let subject = json!(format!("{}b", "a".repeat(40)));
    // Without look-around the pattern runs on a linear-time automaton and simply does not match.
    assert_eq!(one(r#"test("(a+)+$")"#, subject.clone()), json!(false));
    // With look-around or a backreference it needs the backtracking engine, which gives up at its limit.
    for program in [r#"test("(a|aa)+(?<=c)")"#, r#"test("^(a|a)*\\1c")"#, r#"[match("^(\\w+\\s?)*$(?<=\\d)"; "g")]"#] {
        let message = runtime_error(program, subject.clone());
        assert!(message.contains("backtracking steps"), "{program}: {message}");
    }
}
