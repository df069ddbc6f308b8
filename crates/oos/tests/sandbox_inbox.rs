//! The sandbox inbox end to end, with real `oos` processes: under `oos run --sandbox`, Notify and
//! Approve webhooks and ExecuteHttpRequest to hosts off `--sandbox-allow-host` are captured (and
//! never reach the host), listed by `oos sandbox inbox` with credentials redacted and huge bodies
//! cut; an allowed host is really sent to; `oos execution approve` finishes the execution the
//! captured Approve webhook names; in a terminal `oos run` asks for the approval itself, also when a
//! child execution is the one that waits.

mod sandbox_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use sandbox_support::SandboxDir;
use serde_json::{Value, json};

const SEED: &str = "
regions: [cn-hangzhou]
instances:
  - ids: [i-one]
    region: cn-hangzhou
";

/// The secret the templates put in headers, the body and the URL.
const TOKEN: &str = "s3cret-token-4711";

/// Notify (credentials in headers, URL and body), Approve (webhook), then a task that needs no
/// cloud nor network.
fn approval_template(dir: &Path) -> PathBuf {
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"Token": {"Type": "String", "NoEcho": true}},
        "Tasks": [
            {"Name": "tell", "Action": "ACS::Notify", "Properties": {"NotifyType": "WebHook", "WebHook": {
                "URI": "https://hooks.example.com/send?access_token={{ Token }}&room=ops",
                "Headers": {"Authorization": "Bearer {{ Token }}", "Content-Type": "application/json", "X-Note": "token {{ Token }}"},
                "Content": {"msgtype": "text", "text": {"content": "deploying with {{ Token }}"}}}}},
            {"Name": "ask", "Action": "ACS::Approve", "Properties": {"NotifyType": "WebHook", "WebHook": {
                "URI": "https://hooks.example.com/approve", "Headers": {"Content-Type": "application/json"},
                "Content": {"msgtype": "text", "text": {"content": "approve {{ ACS::ExecutionId }}"}}}}},
            {"Name": "after", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}
        ],
        "Outputs": {"Done": {"Type": "String", "Value": "yes"}}
    });
    let path = dir.join("approval.json");
    std::fs::write(&path, template.to_string()).unwrap();
    path
}

fn oos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(args)
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_DATA_DIR")
        .env_remove("OOS_CONFIG")
        .output()
        .expect("oos runs")
}

/// Runs the shell command `run` in a pseudo-terminal (`script`), `answer` typed into it.
fn answered_in_a_terminal(run: &str, answer: &[u8]) -> Output {
    let mut terminal = Command::new("script")
        .args(["-qec", run, "/dev/null"])
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    terminal.stdin.take().unwrap().write_all(answer).unwrap();
    terminal.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `oos sandbox inbox -o json` of the data directory (extra options appended).
fn inbox(sandbox: &SandboxDir, extra: &[&str]) -> Vec<Value> {
    let data = sandbox.path().join("data");
    let mut args = vec![
        "sandbox",
        "inbox",
        "-o",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = oos(&args);
    assert!(output.status.success(), "{}", text(&output));
    match serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output)))
    {
        Value::Array(letters) => letters,
        one => vec![one],
    }
}

#[test]
fn webhooks_are_captured_redacted_and_the_approval_is_given_with_oos_execution_approve() {
    let sandbox = SandboxDir::new(SEED);
    let template = approval_template(sandbox.path());
    let run = sandbox.run(&template, &[&format!("Token={TOKEN}")], &[]);
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.execution()["Status"], "Waiting", "{}", run.stderr);
    assert!(
        run.stderr.contains("captured in the sandbox inbox"),
        "{}",
        run.stderr
    );

    let letters = inbox(&sandbox, &[]);
    assert_eq!(letters.len(), 2, "{letters:#?}");
    let everything = Value::Array(letters.clone()).to_string();
    assert!(
        !everything.contains(TOKEN),
        "a secret reached the inbox: {everything}"
    );
    let (approve, notify) = (&letters[0], &letters[1]);
    assert_eq!(
        (
            notify["Kind"].as_str(),
            notify["TaskName"].as_str(),
            notify["Method"].as_str()
        ),
        (Some("Notify"), Some("tell"), Some("POST"))
    );
    assert_eq!(
        notify["URL"],
        "https://hooks.example.com/send?access_token=******&room=ops"
    );
    assert_eq!(
        notify["Headers"],
        json!({"Authorization": "******", "Content-Type": "application/json", "X-Note": "token ******"})
    );
    assert!(
        notify["Body"]
            .as_str()
            .unwrap()
            .contains("deploying with ******"),
        "{notify}"
    );
    assert_eq!(notify["ExecutionId"], run.execution_id.as_str());
    assert_eq!(approve["Kind"], "Approve");
    assert_eq!(
        approve["ApproveCommand"],
        format!("oos execution approve {}", run.execution_id)
    );
    assert!(
        approve["Body"]
            .as_str()
            .unwrap()
            .contains(&run.execution_id),
        "{approve}"
    );

    assert_eq!(
        run.inbox_approval().as_ref(),
        Some(approve),
        "the run waits at the approval the inbox shows"
    );
    let shown = inbox(&sandbox, &["show", approve["LetterId"].as_str().unwrap()]);
    assert_eq!(shown, [approve.clone()]);
    let only_notify = inbox(&sandbox, &["list", "--kind", "Notify"]);
    assert_eq!(only_notify, [notify.clone()]);

    let data = sandbox.path().join("data");
    let approve_args = [
        "execution",
        "approve",
        &run.execution_id,
        "--data-dir",
        data.to_str().unwrap(),
    ];
    // Nothing runs it now: continuing here would send its cloud calls to the environment's cloud.
    let refused = oos(&approve_args);
    assert!(
        !refused.status.success() && text(&refused).contains("IncorrectExecutionStatus.Sandbox"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        run.execution()["Status"],
        "Waiting",
        "a refused approval changes nothing"
    );
    // With a cloud endpoint named (the rest of this template makes no cloud call), it goes on.
    let approved = Command::new(env!("CARGO_BIN_EXE_oos"))
        .args(approve_args)
        .env("OOS_CLOUD_ENDPOINT", "http://127.0.0.1:9")
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_CONFIG")
        .output()
        .expect("oos runs");
    assert!(approved.status.success(), "{}", text(&approved));
    assert_eq!(run.execution()["Status"], "Success", "{}", text(&approved));

    let cleared = oos(&[
        "sandbox",
        "inbox",
        "clear",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(
        text(&cleared).contains("cleared 2 captured requests"),
        "{}",
        text(&cleared)
    );
    assert!(inbox(&sandbox, &[]).is_empty());
}

/// A local HTTP server answering 200 to every request; the request lines it received.
fn http_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let _ = reader.by_ref().take(length).read_to_end(&mut Vec::new());
            log.lock().unwrap().push(line.trim().to_owned());
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}");
        }
    });
    (port, seen)
}

#[test]
fn http_requests_are_captured_unless_their_host_is_allowed_and_huge_bodies_are_cut() {
    let (port, seen) = http_server();
    let sandbox = SandboxDir::new(SEED);
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"Big": {"Type": "String"}},
        "Tasks": [
            {"Name": "kept", "Action": "ACS::ExecuteHttpRequest", "Properties": {"URL": format!("http://127.0.0.1:{port}/kept"), "Method": "PUT",
                "Headers": {"X-Acs-Signature": "abc", "X-Api-Key": "k-1"}, "Body": "{{ Big }}"}, "Outputs": {"Status": {"Type": "Number", "ValueSelector": ".StatusCode"}}},
            {"Name": "sent", "Action": "ACS::ExecuteHttpRequest", "Properties": {"URL": format!("http://localhost:{port}/sent"), "Method": "GET"},
                "Outputs": {"Ok": {"Type": "Boolean", "ValueSelector": ".Body.ok"}}}
        ],
        "Outputs": {"KeptStatus": {"Type": "Number", "Value": "{{ kept.Status }}"}, "SentOk": {"Type": "Boolean", "Value": "{{ sent.Ok }}"}}
    });
    let path = sandbox.path().join("http.json");
    std::fs::write(&path, template.to_string()).unwrap();
    let big = "x".repeat(100_000);
    let run = sandbox.run(
        &path,
        &[&format!("Big={big}")],
        &["--sandbox-allow-host", "localhost"],
    );
    run.assert_success();
    assert_eq!(run.outputs(), json!({"KeptStatus": 200, "SentOk": true}));
    assert_eq!(
        *seen.lock().unwrap(),
        ["GET /sent HTTP/1.1"],
        "only the allowed host was reached"
    );

    let letters = inbox(&sandbox, &[]);
    assert_eq!(letters.len(), 1, "{letters:#?}");
    let kept = &letters[0];
    assert_eq!(
        (kept["Kind"].as_str(), kept["Method"].as_str()),
        (Some("HttpRequest"), Some("PUT"))
    );
    assert_eq!(kept["URL"], format!("http://127.0.0.1:{port}/kept"));
    assert_eq!(
        kept["Headers"],
        json!({"X-Acs-Signature": "******", "X-Api-Key": "******"})
    );
    assert_eq!(kept["BodyBytes"], 100_000);
    let body = kept["Body"].as_str().unwrap();
    assert!(
        body.len() < 70_000
            && body.ends_with("…[truncated by the sandbox inbox] (100000 bytes in all)"),
        "{}",
        &body[body.len() - 80..]
    );
}

#[test]
fn oos_run_in_a_terminal_asks_for_the_approval() {
    let sandbox = SandboxDir::new(SEED);
    let template = approval_template(sandbox.path());
    let data = sandbox.path().join("data");
    let run = format!(
        "{} run {} --sandbox --fleet {} --data-dir {} -p Token={TOKEN}",
        env!("CARGO_BIN_EXE_oos"),
        template.display(),
        sandbox.path().join("fleet.yaml").display(),
        data.display()
    );
    let output = answered_in_a_terminal(&run, b"a\n");
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("waits for approval at task ask"), "{shown}");
    assert!(
        shown.contains("its webhook is in the sandbox inbox: letter-"),
        "{shown}"
    );
    let listed = oos(&[
        "execution",
        "list",
        "-o",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let executions: Value =
        serde_json::from_slice(&listed.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&listed)));
    assert_eq!(executions[0]["Status"], "Success", "{shown}");
}

/// A parent whose child (`ACS::Template`) waits at the approval: without a terminal `oos run` ends at
/// once naming the child that waits (it used to wait forever on the Running parent); in a terminal it
/// asks about the child, and approving it finishes both.
#[test]
fn oos_run_ends_or_asks_when_a_child_waits_for_approval() {
    let sandbox = SandboxDir::new(SEED);
    let library = sandbox.path().join("library");
    std::fs::create_dir_all(&library).unwrap();
    std::fs::rename(approval_template(sandbox.path()), library.join("approve-child.json")).unwrap();
    let parent = sandbox.path().join("parent.json");
    let template = json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "runChild", "Action": "ACS::Template",
        "Properties": {"TemplateName": "approve-child", "Parameters": {"Token": TOKEN}}}]});
    std::fs::write(&parent, template.to_string()).unwrap();
    let run_args = |data: &Path| {
        format!(
            "run {} --sandbox --fleet {} --library {} --data-dir {}",
            parent.display(),
            sandbox.path().join("fleet.yaml").display(),
            library.display(),
            data.display()
        )
    };
    let statuses = |data: &Path| -> Vec<String> {
        let listed = oos(&["execution", "list", "-o", "json", "--data-dir", data.to_str().unwrap()]);
        let executions: Value = serde_json::from_slice(&listed.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&listed)));
        executions.as_array().unwrap().iter().map(|e| e["Status"].as_str().unwrap().to_owned()).collect()
    };

    let detached = sandbox.path().join("detached");
    // Bounded: before, this run never ended.
    let output = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_oos"))
        .args(run_args(&detached).split(' '))
        .env_remove("OOS_ENDPOINT")
        .env_remove("OOS_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("timeout runs");
    let shown = text(&output);
    assert!(output.status.success(), "exit {:?} (124: still running after 60 s): {shown}", output.status.code());
    assert!(shown.contains("is Running: its child execution exec-"), "{shown}");
    assert!(shown.contains("waits for a decision at task ask"), "{shown}");
    assert_eq!(statuses(&detached), ["Running"], "only the parent is listed, still Running");

    let asked = sandbox.path().join("asked");
    let run = format!("{} {}", env!("CARGO_BIN_EXE_oos"), run_args(&asked));
    let output = answered_in_a_terminal(&run, b"a\n");
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("(run by execution exec-"), "the question names the child and its parent: {shown}");
    assert!(shown.contains("waits for approval at task ask"), "{shown}");
    assert_eq!(statuses(&asked), ["Success"], "{shown}");
}
