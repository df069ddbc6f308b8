//! A console session and its live view across a crash: `oos server` on the embedded store is killed
//! (SIGKILL) while a signed-in user's execution waits at an `ACS::Approve` and its `/stream` is open,
//! then started again on the same data directory and port. Plain HTTP, as the browser does it.
//!
//! What must hold afterwards:
//! - the open stream ends with the process (the connection is closed, nothing hangs);
//! - the session is durable: the same cookie and CSRF token act as the user, and the stream re-opens
//!   on the cookie alone;
//! - the re-opened stream first sends the execution's current status (`Waiting`), then its logs
//!   exactly as stored (each once, in order); approving through the cookie finishes the execution
//!   and the stream delivers the tasks' `task` events and `end` (`Success`);
//! - a session signed out before the kill stays refused (`Console.SessionExpired`: sign-out deletes it);
//! - the audit trail holds the session's requests as the user and its hash chain verifies
//!   (`oos audit verify --local`).

mod attack;

use std::time::Duration;

use attack::{Target, binary, template};
use oos_server::OOS_VERSION;
use oos_server::console::{COOKIE, CSRF_HEADER, SESSION_PATH};
use oos_testkit::event_stream::{EventStream, StreamEvent, task_statuses};
use oos_testkit::wire::RAM;
use serde_json::{Value, json};

/// Bound against hangs: far above what any step takes.
const BOUND: Duration = Duration::from_secs(30);
const PASSWORD: &str = "Kill-9-Survivor!";

/// A signed-in console session: the cookie's token and the CSRF token.
struct Session {
    token: String,
    csrf: String,
}

impl Session {
    /// Signs `user` in at `addr` as the console's sign-in page does.
    async fn sign_in(http: &reqwest::Client, addr: std::net::SocketAddr, user: &str) -> Self {
        let answer = http.post(format!("http://{addr}{SESSION_PATH}")).json(&json!({"UserName": user, "Password": PASSWORD})).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
        let token = cookie.strip_prefix(&format!("{COOKIE}=")).and_then(|rest| rest.split(';').next()).expect("the session cookie").to_owned();
        let body: Value = answer.json().await.unwrap();
        Self { token, csrf: body["CsrfToken"].as_str().expect("a CsrfToken").to_owned() }
    }

    fn cookie(&self) -> String {
        format!("{COOKIE}={}", self.token)
    }

    /// An unsigned OOS request at `addr` with the cookie and the CSRF header: (HTTP status, body).
    async fn rpc(&self, http: &reqwest::Client, addr: std::net::SocketAddr, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let mut form = vec![("Action", action), ("Version", OOS_VERSION)];
        form.extend_from_slice(params);
        let answer = http.post(format!("http://{addr}/")).header("cookie", self.cookie()).header(CSRF_HEADER, &self.csrf).form(&form).send().await.unwrap();
        (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
    }

    /// Signs out (`DELETE` the session, cookie and CSRF header).
    async fn sign_out(&self, http: &reqwest::Client, addr: std::net::SocketAddr) {
        let answer = http.delete(format!("http://{addr}{SESSION_PATH}")).header("cookie", self.cookie()).header(CSRF_HEADER, &self.csrf).send().await.unwrap();
        assert_eq!(answer.status(), 200);
    }
}

/// The events of `stream` up to the `end` event.
async fn until_end(stream: &mut EventStream) -> Vec<StreamEvent> {
    stream.until(BOUND, |kind, _| kind == "end").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_session_and_its_live_view_survive_a_kill_9() {
    let mut target = Target::start(&[]);
    target.keep_port();
    let actions = ["oos:StartExecution", "oos:NotifyExecution", "oos:ApproveOwnExecution", "oos:ListExecutions", "oos:ListExecutionLogs", "oos:ListTaskExecutions"];
    target.user("olga", json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}])).await;
    let root = target.root.clone();
    target.ok(&root, RAM, "CreateLoginProfile", &[("UserName", "olga"), ("Password", PASSWORD)]).await;
    let http = reqwest::Client::new();
    let addr = target.addr();
    let session = Session::sign_in(&http, addr, "olga").await;
    let signed_out = Session::sign_in(&http, addr, "olga").await;
    signed_out.sign_out(&http, addr).await;

    let runbook = template(json!([
        {"Name": "warm", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}},
        {"Name": "approve", "Action": "ACS::Approve"},
        {"Name": "after", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}},
    ]));
    let (status, started) = session.rpc(&http, addr, "StartExecution", &[("TemplateContent", &runbook.to_string())]).await;
    assert_eq!(status, 200, "{started}");
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    assert_eq!(target.finished(&id).await["Status"], "Waiting");
    let mut before = EventStream::open_with_cookie(addr, &session.cookie(), &id).await;
    let opened = before.next(BOUND).await.expect("the stream opens with the status");
    assert_eq!((opened.0.as_str(), &opened.1["Status"]), ("status", &json!("Waiting")), "{opened:?}");

    target.kill();
    assert!(before.ends_within(BOUND).await, "the stream ends with the killed server");
    target.restart();
    assert_eq!(target.addr(), addr, "the same port: the browser's cookie applies");

    let (status, listed) = session.rpc(&http, addr, "ListExecutions", &[("ExecutionId", &id)]).await;
    assert_eq!((status, listed["Executions"][0]["Status"].as_str()), (200, Some("Waiting")), "the session survives: {listed}");
    let (status, refused) = signed_out.rpc(&http, addr, "ListExecutions", &[]).await;
    assert_eq!((status, refused["Code"].as_str()), (401, Some("Console.SessionExpired")), "a signed-out session stays out: {refused}");

    let stored = target.oos("ListExecutionLogs", &[("ExecutionId", &id), ("MaxResults", "100")]).await["ExecutionLogs"].as_array().cloned().unwrap();
    assert!(!stored.is_empty(), "the execution logged before the kill");
    let mut after = EventStream::open_with_cookie(addr, &session.cookie(), &id).await;
    let first = after.next(BOUND).await.expect("the re-opened stream sends the status first");
    assert_eq!((first.0.as_str(), &first.1["Status"]), ("status", &json!("Waiting")), "{first:?}");
    let (status, approved) = session.rpc(&http, addr, "NotifyExecution", &[("ExecutionId", &id), ("NotifyType", "Approve"), ("NotifyNote", "after the crash")]).await;
    assert_eq!(status, 200, "{approved}");
    let events = until_end(&mut after).await;
    let logs: Vec<Value> = events.iter().filter(|(kind, _)| kind == "log").map(|(_, data)| data.clone()).collect();
    assert_eq!(task_statuses(&events, "approve").last(), Some(&"Success"), "{events:?}");
    assert_eq!(task_statuses(&events, "after").last(), Some(&"Success"), "{events:?}");
    assert_eq!(events.last().unwrap().1["Status"], "Success", "{events:?}");
    let all_logs = target.oos("ListExecutionLogs", &[("ExecutionId", &id), ("MaxResults", "100")]).await["ExecutionLogs"].as_array().cloned().unwrap();
    assert!(all_logs.starts_with(&stored), "the lines stored before the kill stay: {all_logs:?}");
    assert_eq!(logs, all_logs, "the stream sent every stored line once, in order");

    let trail = target.oos("ListAuditEvents", &[("ExecutionId", &id), ("EventAction", "NotifyExecution")]).await["AuditEvents"].as_array().cloned().unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!((&trail[0]["Event"]["User"], &trail[0]["Event"]["ResultCode"]), (&json!("olga"), &json!("Success")), "{trail:?}");
    target.kill();
    let verified = std::process::Command::new(binary()).args(["audit", "verify", "--local", "--data-dir", target.dir.path().to_str().unwrap()]).output().unwrap();
    let printed = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success() && printed.contains("intact"), "{printed}{}", String::from_utf8_lossy(&verified.stderr));
}
