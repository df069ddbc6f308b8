//! The official OOS Python SDKs judge `oos server`: `shared/conformance/oos_sdk_check.py` (both
//! signature schemes) and `oos_core_sdk_check.py` run against the real binary on a fresh data
//! directory, with the root AccessKey the first start wrote, over plain HTTP and over TLS
//! (`--tls-self-signed`, the SDKs trusting its certificate); `tests/sdk/parameter_store.py` (ours)
//! drives the parameter store and tags through the same SDK, and `tests/sdk/long_request_line.py`
//! (ours) sends request lines of over 200 KB; `tests/sdk/cloud_assistant.py` (ours) drives the
//! Cloud Assistant of managed instances through the official ECS SDK.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use oos_testkit::{OosProcess, check_sdk_harness, check_sdk_harness_env, repo_root};

/// Starts `oos server` on a new data directory; returns it with the root key pair.
fn start_server(data_dir: &Path) -> (OosProcess, String, String) {
    start_server_with(data_dir, &[])
}

/// [`start_server`] with these options added.
fn start_server_with(data_dir: &Path, options: &[&str]) -> (OosProcess, String, String) {
    let data = data_dir.to_str().expect("utf-8 temp path");
    let mut args = vec!["server", "--listen", "127.0.0.1:0", "--data-dir", data];
    args.extend_from_slice(options);
    let server = OosProcess::spawn(env!("CARGO_BIN_EXE_oos"), &args).expect("oos server starts");
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
    check_sdk_harness(&server, long_request_line().as_str(), &ak, &sk, &[], 2);
    // The Cloud Assistant of managed instances through the official ECS SDK.
    let cloud_assistant = repo_root().join("crates/oos/tests/sdk/cloud_assistant.py");
    check_sdk_harness(&server, cloud_assistant.to_str().expect("utf-8 path"), &ak, &sk, &[], 7);
    server.stop().expect("the server stops");
}

fn long_request_line() -> String {
    repo_root().join("crates/oos/tests/sdk/long_request_line.py").to_str().expect("utf-8 path").to_owned()
}

#[test]
fn official_sdks_pass_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ak, sk) = start_server_with(dir.path(), &["--tls-self-signed"]);
    assert!(server.output().contains("OOS API listening on https://"), "{}", server.output());
    // Both SDK generations verify the certificate: they are told to trust the self-signed one
    // (the core SDK needs a wrapper to speak HTTPS at all, see core_sdk_https.py).
    let cert = dir.path().join("tls-cert.pem");
    let cert = cert.to_str().expect("utf-8 path");
    let trust = [("SSL_CERT_FILE", cert), ("REQUESTS_CA_BUNDLE", cert), ("ALIBABA_CLOUD_CA_BUNDLE", cert)];
    let https = ["--protocol", "https"];
    check_sdk_harness_env(&server, "oos_sdk_check.py", &ak, &sk, &https, &trust, 25);
    check_sdk_harness_env(&server, "oos_sdk_check.py", &ak, &sk, &["--protocol", "https", "--signature", "v1"], &trust, 25);
    let core = repo_root().join("crates/oos/tests/sdk/core_sdk_https.py");
    check_sdk_harness_env(&server, core.to_str().expect("utf-8 path"), &ak, &sk, &https, &trust, 9);
    check_sdk_harness_env(&server, long_request_line().as_str(), &ak, &sk, &https, &trust, 2);
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
