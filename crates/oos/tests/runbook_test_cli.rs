//! `oos test` as a CI job runs it: the example specs pass (exit 0) and the JUnit file is written; a
//! failing case exits 1 with its diff on stdout; a spec with an unknown field exits 2 naming the
//! line. Set `OOS_UNDER_TEST` to test another binary.

use std::path::Path;
use std::process::{Command, Output};

fn oos(args: &[&str]) -> Output {
    let binary =
        std::env::var("OOS_UNDER_TEST").unwrap_or_else(|_| env!("CARGO_BIN_EXE_oos").to_owned());
    Command::new(binary)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running oos")
}

fn examples() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .display()
        .to_string()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_examples_pass_and_the_junit_report_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let output = oos(&["test", &examples(), "--junit", junit.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stdout.contains("  ✓ stops the running dev instances and leaves prod running ("),
        "{stdout}"
    );
    assert!(
        stdout.contains("  ✓ the web instance that stopped is started again ("),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|line| line.ends_with(" passed, 0 failed")),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<testsuites name=\"oos test\"")
            && xml.contains("failures=\"0\""),
        "{xml}"
    );
}

#[test]
fn a_failing_case_exits_1_with_its_diff_and_a_bad_spec_exits_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(&examples()).join("stop-by-tag.yml"),
        dir.path().join("stop-by-tag.yml"),
    )
    .unwrap();
    let failing = dir.path().join("failing.test.yml");
    std::fs::write(&failing, "template: stop-by-tag.yml\nfleet: {instances: [{ids: [i-a], tags: {env: dev}}]}\ntests:\n  - name: wants it running\n    parameters: {tagKey: env, tagValue: dev}\n    steps: [{approve: true}]\n    expect:\n      cloud:\n        - instances: {}\n          all: {Status: Running}\n").unwrap();
    let output = oos(&["test", failing.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(stdout.contains("  ✗ wants it running ("), "{stdout}");
    assert!(
        stdout.contains(
            r#"cloud[0] (instances): all: i-a Status is not "Running" (has {"Status":"Stopped"})"#
        ),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");

    let typo = dir.path().join("typo.test.yml");
    std::fs::write(
        &typo,
        "template: stop-by-tag.yml\ntests:\n  - name: x\n    paramters: {}\n    expect: {}\n",
    )
    .unwrap();
    let output = oos(&["test", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        stdout.contains(&format!(
            "{}:4:5: InvalidTestSpec.UnknownField: tests[0].paramters: unknown field `paramters`",
            typo.display()
        )),
        "{stdout}"
    );
}
