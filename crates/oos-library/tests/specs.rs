//! CI for the library: every `oos test` spec of `library/` runs in-process and every case passes;
//! a copy of a library spec broken on purpose fails with a diff naming the field and both values.

use std::path::{Path, PathBuf};

use oos_runbook_test::report;

fn library_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_of_every_library_spec_passes() {
    let files = oos_runbook_test::discover(&[library_dir()]).expect("the library directory");
    assert_eq!(files.len(), oos_library::templates().len(), "{files:?}");
    let mut results = Vec::new();
    for file in &files {
        results.push(oos_runbook_test::run_file(file, None).await);
    }
    let text: String = results.iter().map(report::text).collect();
    let totals = report::totals(&results);
    assert!(
        totals.failed == 0 && totals.invalid == 0 && totals.passed >= 35,
        "{totals:?}\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_library_spec_fails_with_a_diff_naming_the_field_and_both_values() {
    let name = "OpenOOS-ECS-ScheduledStartStopByTag";
    let dir = tempfile_dir();
    std::fs::copy(
        library_dir().join(format!("{name}.yml")),
        dir.join(format!("{name}.yml")),
    )
    .expect("copy the template");
    let spec =
        std::fs::read_to_string(library_dir().join(format!("{name}.test.yml"))).expect("the spec");
    let broken = spec.replacen("all: {Status: Running}", "all: {Status: Stopped}", 1);
    assert_ne!(broken, spec, "the spec no longer says Running");
    let path = dir.join(format!("{name}.test.yml"));
    std::fs::write(&path, broken).expect("write the broken spec");
    let result = oos_runbook_test::run_file(&path, None).await;
    let text = report::text(&result);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        report::totals(std::slice::from_ref(&result)).failed,
        1,
        "{text}"
    );
    for expected in [
        "  ✗ ",
        "Status is not \"Stopped\"",
        "\"Status\":\"Running\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oos-library-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
