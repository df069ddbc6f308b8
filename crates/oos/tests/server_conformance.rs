//! The official OOS Python SDKs judge `oos server`: `shared/conformance/oos_sdk_check.py` (both
//! signature schemes) and `oos_core_sdk_check.py` run against the real binary on a fresh data
//! directory, with the root AccessKey the first start wrote; and `tests/sdk/parameter_store.py` (ours) drives
//! the parameter store and tags through the same SDK.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use oos_testkit::{OosProcess, repo_root, run_conformance};

/// `(passed, failed)` from the harness's closing `N passed, N failed[, N skipped]` line.
fn summary(report: &str) -> Option<(u32, u32)> {
    let line = report.lines().find(|line| line.contains(" passed, ") && line.contains(" failed"))?;
    let mut numbers = line.split([' ', ',']).filter_map(|word| word.parse::<u32>().ok());
    Some((numbers.next()?, numbers.next()?))
}

/// Starts `oos server` on a new data directory; returns it with the root key pair.
fn start_server(data_dir: &Path) -> (OosProcess, String, String) {
    let data = data_dir.to_str().expect("utf-8 temp path");
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", data]).expect("oos server starts");
    let path = data_dir.join("root-credentials.json");
    let mode = std::fs::metadata(&path).expect("root credentials written").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "root-credentials.json must be readable by its owner only");
    let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let key = |name: &str| credentials[name].as_str().unwrap_or_else(|| panic!("{name} in {credentials}")).to_string();
    (server, key("AccessKeyId"), key("AccessKeySecret"))
}

fn run_harness(server: &OosProcess, script: &str, ak: &str, sk: &str, extra: &[&str], minimum_passed: u32) {
    let endpoint = server.endpoint();
    let mut args = vec!["--endpoint", endpoint.as_str(), "--ak", ak, "--sk", sk, "--timeout", "60"];
    args.extend_from_slice(extra);
    let output = run_conformance(script, &args).expect("the conformance venv is usable");
    let report = format!(
        "{}{}\n--- server output ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.output()
    );
    let (passed, failed) = summary(&report).unwrap_or_else(|| panic!("no summary line:\n{report}"));
    assert!(output.status.success() && failed == 0 && passed >= minimum_passed, "{script}: {passed} passed, {failed} failed:\n{report}");
}

#[test]
fn official_sdks_pass_against_oos_server() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ak, sk) = start_server(dir.path());
    run_harness(&server, "oos_sdk_check.py", &ak, &sk, &[], 25);
    run_harness(&server, "oos_sdk_check.py", &ak, &sk, &["--signature", "v1"], 25);
    run_harness(&server, "oos_core_sdk_check.py", &ak, &sk, &[], 9);
    // Ours, beside the shared harnesses: the parameter store and tags through the typed SDK models.
    let parameter_store = repo_root().join("crates/oos/tests/sdk/parameter_store.py");
    run_harness(&server, parameter_store.to_str().expect("utf-8 path"), &ak, &sk, &[], 6);
    server.stop().expect("the server stops");
}

#[test]
fn a_restarted_server_keeps_its_root_key_and_does_not_rewrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ak, _) = start_server(dir.path());
    let first = std::fs::read(dir.path().join("root-credentials.json")).unwrap();
    server.stop().unwrap();
    let again = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &["server", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read(dir.path().join("root-credentials.json")).unwrap(), first);
    assert!(String::from_utf8_lossy(&first).contains(&ak));
    again.stop().unwrap();
}
