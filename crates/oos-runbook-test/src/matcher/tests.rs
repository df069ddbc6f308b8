use serde_json::json;

use super::*;

fn matcher(value: Value) -> Matcher {
    Matcher::parse(&value).unwrap()
}

#[test]
fn a_plain_value_must_be_equal_with_numbers_by_value() {
    assert!(matcher(json!(2)).holds(Some(&json!(2.0))));
    assert!(matcher(json!({"a": [1, "x"]})).holds(Some(&json!({"a": [1.0, "x"]}))));
    assert_eq!(
        matcher(json!("Success")).check(Some(&json!("Failed"))),
        Err("is not \"Success\"".into())
    );
    assert_eq!(matcher(json!("x")).check(None), Err("is missing".into()));
    assert!(
        !matcher(json!({"a": 1})).holds(Some(&json!({"a": 1, "b": 2}))),
        "a plain mapping is the whole object"
    );
}

#[test]
fn contains_reads_strings_lists_and_objects() {
    let m = matcher(json!({"contains": "stopped"}));
    assert!(m.holds(Some(&json!("2 stopped"))));
    assert_eq!(
        m.check(Some(&json!("running"))),
        Err("does not contain \"stopped\"".into())
    );
    assert!(matcher(json!({"contains": "i-1"})).holds(Some(&json!(["i-2", "i-1"]))));
    assert!(
        matcher(json!({"contains": {"Status": "Stopped"}}))
            .holds(Some(&json!({"Status": "Stopped", "Id": 1})))
    );
}

#[test]
fn matches_length_min_max_one_of_and_absent() {
    assert!(matcher(json!({"matches": "^i-[a-z0-9]+$"})).holds(Some(&json!("i-abc1"))));
    assert!(
        !matcher(json!({"matches": "^i-"})).holds(Some(&json!(3))),
        "a regex matches strings only"
    );
    assert!(matcher(json!({"length": 2})).holds(Some(&json!(["a", "b"]))));
    assert_eq!(
        matcher(json!({"length": {"min": 3}})).check(Some(&json!("ab"))),
        Err("has length 2, which is not a number ≥ 3".into())
    );
    assert!(matcher(json!({"min": 1, "max": 3})).holds(Some(&json!(3))));
    assert!(!matcher(json!({"min": 1, "max": 3})).holds(Some(&json!(4))));
    assert!(matcher(json!({"one_of": ["Success", "Skipped"]})).holds(Some(&json!("Skipped"))));
    assert!(matcher(json!({"absent": true})).holds(None));
    assert_eq!(
        matcher(json!({"absent": true})).check(Some(&json!(1))),
        Err("is there, and should not be".into())
    );
    assert!(matcher(json!({"absent": false})).holds(Some(&Value::Null)));
}

#[test]
fn equals_compares_with_a_mapping_that_looks_like_a_matcher() {
    let m = matcher(json!({"equals": {"min": 1}}));
    assert!(m.holds(Some(&json!({"min": 1}))));
    assert!(!m.holds(Some(&json!(5))));
}

#[test]
fn a_mapping_with_other_keys_is_a_plain_value() {
    let m = matcher(json!({"contains": "x", "other": 1}));
    assert!(m.holds(Some(&json!({"contains": "x", "other": 1}))));
    assert!(m.plain().is_some());
    assert!(matcher(json!({"contains": "x"})).plain().is_none());
}

#[test]
fn malformed_matchers_say_what_is_wrong() {
    assert!(
        Matcher::parse(&json!({"matches": "("}))
            .unwrap_err()
            .contains("invalid regular expression")
    );
    assert_eq!(
        Matcher::parse(&json!({"min": "a"})).unwrap_err(),
        "`min` takes a number, not \"a\""
    );
    assert_eq!(
        Matcher::parse(&json!({"one_of": 1})).unwrap_err(),
        "`one_of` takes a list, not 1"
    );
    assert!(
        Matcher::parse(&json!({"matches": "a".repeat(5000)}))
            .unwrap_err()
            .contains("longer than")
    );
}
