//! One regression test per security hole of issue 10, each reproducing the attack over real HTTP
//! against a real `oos server` process and asserting the new behaviour. Run with
//! `OOS_UNDER_TEST=<older oos binary>` to see the attacks succeed there.

mod attack;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use attack::{Target, tables_holding, template};
use oos_testkit::wire::{Call, OOS, RAM, exchange};
use serde_json::{Value, json};

/// A listener on loopback that answers every request `200 {"secret":"internal-data"}` and counts
/// the connections it got.
fn internal_service() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read(&mut buffer);
            let body = r#"{"secret":"internal-data"}"#;
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_parameter_is_refused_before_authorization_and_action_can_disagree() {
    let target = Target::start(&[]);
    let root = target.root.clone();
    target.user("admin", json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])).await;
    let mallory = target
        .user(
            "mallory",
            json!([
                {"Effect": "Allow", "Action": "ram:CreateAccessKey", "Resource": "acs:ram::*:user/mallory"},
                {"Effect": "Allow", "Action": ["oos:GetSecretParameter", "oos:GetTemplate", "oos:StartExecution"], "Resource": ["acs:oos:*:*:secretparameter/mallory/*", "acs:oos:*:*:template/mallory-*"]}
            ]),
        )
        .await;
    target.oos("CreateSecretParameter", &[("Name", "prod/db-password"), ("Value", "hunter2-prod")]).await;
    target.oos("CreateSecretParameter", &[("Name", "mallory/token"), ("Value", "mallorys-own")]).await;
    let sleep = template(json!([{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}])).to_string();
    for name in ["secret-runbook", "mallory-runbook"] {
        target.oos("CreateTemplate", &[("TemplateName", name), ("Content", &sleep)]).await;
    }
    let attacks: [(&str, &str, &str, &str, &[(&str, &str)]); 4] = [
        (RAM, "CreateAccessKey", "UserName", "admin", &[]),
        (OOS, "GetSecretParameter", "Name", "prod/db-password", &[("WithDecryption", "true")]),
        (OOS, "GetTemplate", "TemplateName", "secret-runbook", &[]),
        (OOS, "StartExecution", "TemplateName", "secret-runbook", &[]),
    ];
    let addr = target.addr();
    for (version, action, name, forbidden, extra) in attacks {
        let own = match name {
            "UserName" => "mallory",
            "Name" => "mallory/token",
            _ => "mallory-runbook",
        };
        for (first, second) in [(forbidden, own), (own, forbidden)] {
            let both_in_query = Call::new(&mallory, version, action, &[[(name, first), (name, second)].as_slice(), extra].concat());
            let query_and_form = Call::new(&mallory, version, action, &[[(name, first)].as_slice(), extra].concat()).with_form(&[(name, second)]);
            for call in [both_in_query, query_and_form] {
                for bytes in [call.acs3(addr), call.v1(addr)] {
                    let (status, body) = exchange(addr, &bytes).await;
                    assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (400, "RepeatedParameter"), "{action} {name}={first}&{name}={second}: {body}");
                }
            }
        }
    }
    let keys = target.ok(&root, RAM, "ListAccessKeys", &[("UserName", "admin")]).await;
    assert_eq!(keys["AccessKeys"]["AccessKey"].as_array().map_or(0, Vec::len), 1, "no AccessKey was made for admin: {keys}");
    let executions = target.oos("ListExecutions", &[]).await;
    assert_eq!(executions["Executions"].as_array().map_or(0, Vec::len), 0, "no execution was started: {executions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_template_is_authorized_on_every_template_whatever_its_name() {
    let target = Target::start(&[]);
    let mallory = target
        .user(
            "mallory",
            json!([
                {"Effect": "Allow", "Action": "oos:StartExecution", "Resource": "acs:oos:*:*:template/mallory-*"},
                {"Effect": "Allow", "Action": "oos:StartExecution", "Resource": "acs:oos:*:*:template/*", "Condition": {"StringEquals": {"oos:TemplateName": "mallory-runbook"}}}
            ]),
        )
        .await;
    let (port, hits) = internal_service();
    let content = template(json!([{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}])).to_string();
    let url = format!("http://127.0.0.1:{port}/runbook.json");
    for (inline, value) in [("TemplateContent", content.as_str()), ("TemplateURL", url.as_str())] {
        let (status, body) = target.call(&mallory, OOS, "StartExecution", &[("TemplateName", "mallory-runbook"), (inline, value)]).await;
        assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (403, "Forbidden.RAM"), "{inline}: {body}");
        assert!(body["Message"].as_str().unwrap_or_default().contains("template/*"), "{body}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the URL was never fetched for a caller who may not run it");
    let executions = target.oos("ListExecutions", &[]).await;
    assert_eq!(executions["Executions"].as_array().map_or(0, Vec::len), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_reference_needs_permission_to_read_the_parameter() {
    let target = Target::start(&[]);
    target.oos("CreateParameter", &[("Name", "db/host"), ("Type", "String"), ("Value", "db.internal:5432")]).await;
    target.oos("CreateSecretParameter", &[("Name", "db/password"), ("Value", "hunter2-prod")]).await;
    let mallory = target
        .user(
            "mallory",
            json!([
                {"Effect": "Allow", "Action": "oos:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "oos:*Parameter*", "Resource": "*"}
            ]),
        )
        .await;
    let leak = |reference: &str| json!({"FormatVersion": "OOS-2019-06-01", "Tasks": [{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}], "Outputs": {"Leaked": {"Type": "String", "Value": format!("{{{{ {reference} }}}}")}}}).to_string();
    let mut answers = Vec::new();
    for reference in ["oos:db/host", "oos:no/such/parameter", "oos-secret:db/password", "oos-secret:no/such/secret"] {
        let (status, body) = target.call(&mallory, OOS, "StartExecution", &[("TemplateContent", &leak(reference))]).await;
        assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (403, "Forbidden.RAM"), "{reference}: {body}");
        let message = body["Message"].as_str().unwrap_or_default().to_owned();
        let name = reference.split_once(':').unwrap().1;
        assert!(message.contains(name), "the error names the parameter: {message}");
        answers.push(message.replace(name, "<name>"));
    }
    assert_eq!(answers[0], answers[1], "a missing parameter and a forbidden one look the same");
    assert_eq!(answers[2], answers[3], "a missing secret and a forbidden one look the same");
    let executions = target.oos("ListExecutions", &[]).await;
    assert_eq!(executions["Executions"].as_array().map_or(0, Vec::len), 0, "nothing was started: {executions}");
    // The owner may read them, and learns what is missing.
    let (status, body) = target.call(&target.root.clone(), OOS, "StartExecution", &[("TemplateContent", &leak("oos:no/such/parameter"))]).await;
    assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (400, "EntityNotExists.Parameter"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_that_overflow_or_spin_fail_with_their_code_and_restarts_do_not_loop() {
    let mut target = Target::start(&[]);
    let nested = format!("{}.{}", "[".repeat(2000), "]".repeat(2000));
    let (status, body) = target.call(&target.root.clone(), OOS, "ValidateTemplateContent", &[("Content", &template(json!([{"Name": "t", "Action": "ACS::ExecuteAPI", "Properties": {"Service": "ECS", "API": "DescribeRegions", "Parameters": {"X": {"Fn::Jq": ["First", nested, "{}"]}}}}])).to_string())]).await;
    assert!(status < 500, "{status} {body:.300}");
    let runaway = [
        (json!({"Name": "recurse", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}, "Outputs": {"x": {"Type": "Number", "ValueSelector": "def f: f + 1; f"}}}), "Expression.RecursionLimitExceeded"),
        (json!({"Name": "nest", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S", "X": {"Fn::Jq": ["First", nested, "{}"]}}}), "Expression.TooComplex"),
        (json!({"Name": "spin", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}, "Outputs": {"x": {"Type": "Number", "ValueSelector": "last(range(1e12))"}}}), "Expression.StepLimitExceeded"),
    ];
    let mut ids = Vec::new();
    for (task, code) in &runaway {
        let id = target.run_inline(&template(json!([task])), &json!({})).await;
        let execution = target.finished(&id).await;
        assert_eq!(execution["Status"], "Failed", "{execution}");
        let tasks = target.tasks(&id).await;
        let message = tasks[0]["TaskExecutionStatusMessage"].as_str().or_else(|| tasks[0]["StatusMessage"].as_str()).unwrap_or_default().to_owned();
        assert!(message.contains(code), "{code}: {message:.300}");
        ids.push(id);
    }
    target.restart();
    let listed = target.oos("ListExecutions", &[]).await;
    assert_eq!(listed["Executions"].as_array().map_or(0, Vec::len), runaway.len(), "the server answers after a restart");
    for id in ids {
        assert_eq!(target.finished(&id).await["Status"], "Failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_calls_itself_stops_at_the_nesting_limit() {
    let target = Target::start(&[]);
    let recursive = template(json!([{"Name": "again", "Action": "ACS::Template", "Properties": {"TemplateName": "Recursive"}}])).to_string();
    target.oos("CreateTemplate", &[("TemplateName", "Recursive"), ("Content", &recursive)]).await;
    let started = target.oos("StartExecution", &[("TemplateName", "Recursive")]).await;
    let execution = target.finished(started["Execution"]["ExecutionId"].as_str().unwrap()).await;
    assert_eq!(execution["Status"], "Failed", "{execution}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = target.oos("ListExecutions", &[("IncludeChildExecution", "true"), ("MaxResults", "100")]).await;
    let count = all["Executions"].as_array().map_or(0, Vec::len);
    assert_eq!(count, 6, "the started execution and five levels of children, no more: {count}");
}

/// The size of the data directory's database files.
fn database_bytes(target: &Target) -> u64 {
    ["oos.db", "oos.db-wal"].iter().filter_map(|file| std::fs::metadata(target.dir.path().join(file)).ok()).map(|meta| meta.len()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_junk_leaves_only_a_bounded_audit_record() {
    let target = Target::start(&[]);
    let junk = "J".repeat(1_900_000);
    let before = database_bytes(&target);
    for _ in 0..50 {
        let request = format!("POST /?Action=StartExecution&Version=2019-06-01&Junk={junk} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let (status, body) = exchange(target.addr(), request.as_bytes()).await;
        assert!((400..500).contains(&status), "{status} {body}");
    }
    let grown = database_bytes(&target).saturating_sub(before);
    assert!(grown < 2_000_000, "50 unsigned 1.9 MB requests grew the database by {grown} bytes");
    let events = target.oos("ListAuditEvents", &[("EventAction", "StartExecution"), ("MaxResults", "100")]).await;
    let records = events["AuditEvents"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 50, "every refusal is recorded");
    assert!(records.iter().all(|record| record.to_string().len() < 2_000), "bounded records: {:.500}", records[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_nonces_are_refused_without_growing_memory() {
    let target = Target::start(&[]);
    let nobody = target.user("nobody", json!([{"Effect": "Deny", "Action": "*", "Resource": "*"}])).await;
    let before = target.rss_kib();
    let mut answers = Vec::new();
    for request in 0..200 {
        let mut call = Call::new(&nobody, OOS, "ListExecutions", &[]);
        call.nonce = format!("{request}-{}", "N".repeat(1_900_000));
        let (status, body) = exchange(target.addr(), &call.v1(target.addr())).await;
        answers.push((status, body["Code"].as_str().unwrap_or_default().to_owned()));
    }
    let grown = target.rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "200 requests with 1.9 MB nonces grew the server by {grown} KiB");
    assert!(answers.iter().all(|(status, code)| *status == 400 && code == "InvalidParameter.SignatureNonce"), "{:?}", &answers[..3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dated_in_the_future_cannot_be_replayed_later() {
    let target = Target::start(&[]);
    let root = target.root.clone();
    let sleep = template(json!([{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}])).to_string();
    let ahead = |minutes: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut far = Call::new(&root, OOS, "StartExecution", &[("TemplateContent", &sleep)]);
    far.date = ahead(14);
    let (status, body) = far.send(target.addr()).await;
    assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (400, "InvalidTimeStamp.Expired"), "{body}");
    let mut near = Call::new(&root, OOS, "StartExecution", &[("TemplateContent", &sleep)]);
    near.date = ahead(4);
    let bytes = near.acs3(target.addr());
    assert_eq!(exchange(target.addr(), &bytes).await.0, 200);
    let (status, body) = exchange(target.addr(), &bytes).await;
    assert_eq!((status, body["Code"].as_str().unwrap_or_default()), (400, "SignatureNonceUsed"), "{body}");
    let executions = target.oos("ListExecutions", &[]).await;
    assert_eq!(executions["Executions"].as_array().map_or(0, Vec::len), 1, "the replay started nothing");
}

fn http_request(url: &str) -> Value {
    template(json!([{"Name": "fetch", "Action": "ACS::ExecuteHttpRequest", "Properties": {"Method": "GET", "URL": url}}]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_calls_cannot_reach_internal_addresses_unless_allowed() {
    let (port, hits) = internal_service();
    let target = Target::start(&[]);
    for url in [format!("http://127.0.0.1:{port}/"), format!("http://localhost:{port}/"), "http://100.100.100.200/latest/meta-data/ram/security-credentials/".to_owned()] {
        let id = target.run_inline(&http_request(&url), &json!({})).await;
        let execution = target.finished(&id).await;
        assert_eq!(execution["Status"], "Failed", "{url}: {execution}");
        let message = execution["StatusMessage"].as_str().unwrap_or_default();
        assert!(message.contains("Outbound.AddressDenied") && !message.contains("internal-data"), "{url}: {message}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the internal service");
    let allowed = Target::start(&["--outbound-allow", "127.0.0.1"]);
    let id = allowed.run_inline(&http_request(&format!("http://127.0.0.1:{port}/")), &json!({})).await;
    assert_eq!(allowed.finished(&id).await["Status"], "Success");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_echo_value_in_a_failed_webhook_never_appears_in_plain_text() {
    let target = Target::start(&[]);
    let token = "tok-8d1f2c7e5b9a";
    let hook = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"Token": {"Type": "String", "NoEcho": true}},
        "Tasks": [{"Name": "notify", "Action": "ACS::Notify", "Properties": {"NotifyType": "WebHook", "WebHook": {"URI": "http://203.0.113.1:9/hook?t={{ Token }}", "Headers": {"X-Token": "{{ Token }}"}, "Content": {"msgtype": "text", "text": {"content": "token {{ Token }}"}}}}}]
    });
    let id = target.run_inline(&hook, &json!({"Token": token})).await;
    let execution = target.finished(&id).await;
    assert_eq!(execution["Status"], "Failed", "{execution}");
    let mut answers = vec![execution.to_string()];
    answers.push(target.oos("ListExecutions", &[]).await.to_string());
    answers.push(target.oos("ListTaskExecutions", &[("ExecutionId", &id)]).await.to_string());
    answers.push(target.oos("ListExecutionLogs", &[("ExecutionId", &id)]).await.to_string());
    answers.push(target.oos("ListAuditEvents", &[("MaxResults", "100")]).await.to_string());
    for answer in &answers {
        assert!(!answer.contains(token), "the token appears in an answer: {answer:.500}");
    }
    assert!(!target.process().output().contains(token), "the token appears in the server's log");
    assert_eq!(tables_holding(target.dir.path(), token).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_tag_conditions_are_checked_against_the_resource() {
    let target = Target::start(&[]);
    let sleep = template(json!([{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}])).to_string();
    target.oos("CreateTemplate", &[("TemplateName", "runbook-dev"), ("Content", &sleep), ("Tags", r#"{"env":"dev"}"#)]).await;
    target.oos("CreateTemplate", &[("TemplateName", "runbook-prod"), ("Content", &sleep), ("Tags", r#"{"env":"prod"}"#)]).await;
    target.oos("CreateTemplate", &[("TemplateName", "runbook-untagged"), ("Content", &sleep)]).await;
    let not_prod = target.user("devs", json!([{"Effect": "Allow", "Action": "oos:GetTemplate", "Resource": "*", "Condition": {"StringNotEquals": {"oos:ResourceTag/env": "prod"}}}])).await;
    let only_dev = target.user("dev-only", json!([{"Effect": "Allow", "Action": "oos:GetTemplate", "Resource": "*", "Condition": {"StringEquals": {"oos:ResourceTag/env": "dev"}}}])).await;
    for (user, name, allowed) in [(&not_prod, "runbook-dev", true), (&not_prod, "runbook-prod", false), (&only_dev, "runbook-dev", true), (&only_dev, "runbook-prod", false), (&only_dev, "runbook-untagged", false)] {
        let (status, body) = target.call(user, OOS, "GetTemplate", &[("TemplateName", name)]).await;
        assert_eq!(status == 200, allowed, "{name}: {status} {body}");
    }
}
