use serde_json::json;

use super::*;

fn failed() -> FileResult {
    let mismatch = Mismatch {
        field: "tasks.stop.status".into(),
        expected: json!("Success"),
        actual: Some(json!("Failed")),
        why: "status message: <denied> & \"gone\"".into(),
    };
    let cases = vec![
        CaseResult {
            name: "passes".into(),
            elapsed: Duration::from_millis(12),
            mismatches: Vec::new(),
            error: None,
        },
        CaseResult {
            name: "fails".into(),
            elapsed: Duration::from_millis(30),
            mismatches: vec![mismatch],
            error: None,
        },
    ];
    FileResult {
        path: "a.test.yml".into(),
        outcome: Ok(cases),
    }
}

#[test]
fn text_marks_each_case_and_names_the_field_with_both_values() {
    let text = text(&failed());
    assert_eq!(
        text,
        "a.test.yml\n  ✓ passes (12 ms)\n  ✗ fails (30 ms)\n      tasks.stop.status: status message: <denied> & \"gone\"\n        - expected: \"Success\"\n        + actual:   \"Failed\"\n"
    );
    assert_eq!(summary(totals(&[failed()])), "1 passed, 1 failed");
}

#[test]
fn long_values_get_a_line_diff() {
    let mismatch = Mismatch {
        field: "outputs.report".into(),
        expected: json!({"stopped": ["i-dev1", "i-dev2"], "skipped": ["i-prod1"], "region": "cn-hangzhou"}),
        actual: Some(
            json!({"stopped": ["i-dev1"], "skipped": ["i-prod1"], "region": "cn-hangzhou"}),
        ),
        why: String::new(),
    };
    let text = mismatch_text(&mismatch);
    assert!(text.contains("  -     \"i-dev2\"\n"), "{text}");
    assert!(text.contains("    \"skipped\": [\n"), "{text}");
}

#[test]
fn junit_has_suites_cases_failures_and_escapes() {
    let error = SpecError {
        file: "b.test.yml".into(),
        position: None,
        code: "InvalidTestSpec.Syntax",
        path: oos_template::KeyPath::root(),
        message: "bad <yaml>".into(),
    };
    let xml = junit(&[
        failed(),
        FileResult {
            path: "b.test.yml".into(),
            outcome: Err(error),
        },
    ]);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"oos test\" tests=\"3\" failures=\"1\" errors=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase name=\"passes\" classname=\"a.test.yml\" time=\"0.012\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"tasks.stop.status is not as expected\" type=\"Mismatch\">tasks.stop.status: status message: &lt;denied&gt; &amp; &quot;gone&quot;"), "{xml}");
    assert!(
        xml.contains("<error message=\"bad &lt;yaml&gt;\" type=\"InvalidTestSpec.Syntax\">"),
        "{xml}"
    );
    assert_eq!(escape("a\u{1}b"), "a\u{fffd}b");
}
