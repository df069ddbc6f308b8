//! The official OOS Python SDKs judge `oos server`: `shared/conformance/oos_sdk_check.py` (both
//! signature schemes) and `oos_core_sdk_check.py` run against the real binary on a fresh data
//! directory, with the root AccessKey the first start wrote; and `tests/sdk/parameter_store.py` (ours) drives
//! the parameter store and tags through the same SDK.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use oos_testkit::{OosProcess, check_sdk_harness, repo_root};

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

#[test]
fn official_sdks_pass_against_oos_server() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ak, sk) = start_server(dir.path());
    check_sdk_harness(&server, "oos_sdk_check.py", &ak, &sk, &[], 25);
    check_sdk_harness(&server, "oos_sdk_check.py", &ak, &sk, &["--signature", "v1"], 25);
    check_sdk_harness(&server, "oos_core_sdk_check.py", &ak, &sk, &[], 9);
    // Ours, beside the shared harnesses: the parameter store and tags through the typed SDK models.
    let parameter_store = repo_root().join("crates/oos/tests/sdk/parameter_store.py");
    check_sdk_harness(&server, parameter_store.to_str().expect("utf-8 path"), &ak, &sk, &[], 6);
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
