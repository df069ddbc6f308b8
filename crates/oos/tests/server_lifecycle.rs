//! `oos server` as a process among others: its log lines (tracing) on stderr as JSON.

mod attack;

use std::path::Path;
use std::time::{Duration, Instant};

use attack::binary;
use oos_testkit::OosProcess;
use serde_json::Value;

/// Bound against hangs: far above what any step takes.
const BOUND: Duration = Duration::from_secs(60);

/// The JSON log records in `output` whose message is `message`.
fn logged(output: &str, message: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["fields"]["message"] == message)
        .collect()
}

/// Waits (bounded) until `process` has logged `message`.
fn wait_for_log(process: &OosProcess, message: &str) -> Value {
    let deadline = Instant::now() + BOUND;
    loop {
        if let Some(record) = logged(&process.output(), message).pop() {
            return record;
        }
        assert!(Instant::now() < deadline, "no log line {message:?} in:\n{}", process.output());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn server(dir: &Path, extra: &[&str]) -> OosProcess {
    let mut args = vec!["server", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()];
    args.extend(extra);
    OosProcess::spawn(binary(), &args).expect("oos server starts")
}

#[test]
fn the_server_logs_json_lines_when_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let process = server(dir.path(), &["--log-format", "json"]);
    let started = wait_for_log(&process, "OOS API listening");
    assert_eq!(started["level"], "INFO", "{started}");
    assert_eq!(started["target"], "oos_server", "{started}");
    assert_eq!(started["fields"]["addr"], process.addr().to_string(), "{started}");
}
