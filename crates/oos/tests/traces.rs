//! Traces of a real `oos server --sandbox` over OTLP/HTTP, received by an in-test collector (axum,
//! decoding the protobuf with `opentelemetry-proto`). A StartExecution of a loop of StopInstance
//! calls is one trace: the API request span (continuing the caller's `traceparent`), the turns of
//! the execution, one `cloud.call` span per call, every one carrying the execution id, and the
//! emulator's span of each call a child of its `cloud.call` (the `traceparent` reached it). On
//! PostgreSQL, an execution started at a server and run on by an `oos worker` after the server stopped
//! stays in the request's trace across the two processes. A real `oos agent` running a RunCommand
//! of an execution records its `agent.command` span under the execution's call, and one of a
//! RunCommand request under that request; a garbage `traceparent` stored with an invocation starts
//! a trace of the agent's own and fails nothing. Without
//! an endpoint nothing is exported; malformed, oversized or repeated `traceparent` headers, and
//! requests without credentials, start traces of their own and change no answer.

mod cluster;
mod fleet;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use oos_acs::Credentials;
use oos_testkit::OosProcess;
use oos_testkit::templates::stop_instances_loop;
use oos_testkit::wire::{Call, exchange};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message;
use serde_json::{Value, json};

const OOS: &str = "2019-06-01";
const INSTANCES: usize = 5;
const BOUND: Duration = Duration::from_secs(120);
/// The caller's trace and span, sent in the StartExecution's `traceparent`.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// One received span: ids in hex, attributes as text.
#[derive(Debug, Clone)]
struct Span {
    trace: String,
    id: String,
    parent: String,
    name: String,
    attributes: BTreeMap<String, String>,
    service: String,
    /// The exporting process's `oos.role`.
    role: String,
}

impl Span {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// The in-test OTLP/HTTP collector: every span posted to `/v1/traces`, and how many posts came.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
    posts: Arc<Mutex<usize>>,
}

fn text(value: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match value.and_then(|value| value.value.as_ref()) {
        Some(Any::StringValue(text)) => text.clone(),
        Some(Any::IntValue(number)) => number.to_string(),
        Some(Any::BoolValue(flag)) => flag.to_string(),
        Some(Any::DoubleValue(number)) => number.to_string(),
        other => format!("{other:?}"),
    }
}

async fn receive(State(collector): State<Collector>, body: Bytes) -> &'static str {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    *collector.posts.lock().unwrap() += 1;
    let mut spans = collector.spans.lock().unwrap();
    for resource in request.resource_spans {
        let attributes = resource.resource.map(|resource| resource.attributes).unwrap_or_default();
        let described = |key: &str| attributes.iter().find(|kv| kv.key == key).map(|kv| text(kv.value.as_ref())).unwrap_or_default();
        let (service, role) = (described("service.name"), described("oos.role"));
        for span in resource.scope_spans.into_iter().flat_map(|scope| scope.spans) {
            spans.push(Span {
                trace: hex(&span.trace_id),
                id: hex(&span.span_id),
                parent: hex(&span.parent_span_id),
                name: span.name,
                attributes: span.attributes.iter().map(|kv| (kv.key.clone(), text(kv.value.as_ref()))).collect(),
                service: service.clone(),
                role: role.clone(),
            });
        }
    }
    ""
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Collector {
    async fn start() -> (Self, SocketAddr) {
        let collector = Collector::default();
        let app = axum::Router::new().route("/v1/traces", post(receive)).with_state(collector.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (collector, addr)
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    fn posts(&self) -> usize {
        *self.posts.lock().unwrap()
    }
}

fn instance_ids() -> Vec<String> {
    (0..INSTANCES).map(|index| format!("i-trace{index}")).collect()
}

/// `oos server --sandbox` on a fleet of the loop's instances, with `extra` flags and `env`.
fn server(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> OosProcess {
    let fleet = dir.join("fleet.yaml");
    let seed = format!("regions: [cn-hangzhou]\ninstances:\n  - ids: [{}]\n    name: \"node-{{index}}\"\n    region: cn-hangzhou\n    status: Running\n", instance_ids().join(", "));
    std::fs::write(&fleet, seed).unwrap();
    let data = dir.join("data");
    let mut args = vec!["server", "--sandbox", "--fleet", fleet.to_str().unwrap(), "--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut env = env.to_vec();
    env.push(("RUST_LOG", "warn"));
    OosProcess::spawn_env(oos_testkit::binary_under_test(env!("CARGO_BIN_EXE_oos")), &args, &env).expect("oos server starts")
}

fn root(dir: &Path) -> Credentials {
    let document: Value = serde_json::from_slice(&std::fs::read(dir.join("data/root-credentials.json")).expect("root credentials")).expect("JSON");
    Credentials::new(document["AccessKeyId"].as_str().unwrap().to_string(), document["AccessKeySecret"].as_str().unwrap().to_string())
}

/// Sends a signed call with `headers` added (unsigned, as a tracing proxy would add them).
async fn send(server: &OosProcess, call: &Call<'_>, headers: &[(&str, &str)]) -> (u16, Value) {
    let bytes = call.acs3(server.addr());
    let line_end = bytes.windows(2).position(|pair| pair == b"\r\n").expect("a request line") + 2;
    let mut request = bytes[..line_end].to_vec();
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(&bytes[line_end..]);
    exchange(server.addr(), &request).await
}

async fn call(server: &OosProcess, root: &Credentials, action: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Value {
    let (status, body) = send(server, &Call::new(root, OOS, action, params), headers).await;
    assert_eq!(status, 200, "{action} {params:?}: {body}\n{}", server.output());
    body
}

/// Creates the loop template and starts it over every instance with `headers`; its execution id.
async fn start_loop(server: &OosProcess, root: &Credentials, name: &str, headers: &[(&str, &str)]) -> String {
    call(server, root, "CreateTemplate", &[("TemplateName", name), ("Content", &stop_instances_loop(2))], &[]).await;
    let parameters = json!({"instanceIds": instance_ids()}).to_string();
    let started = call(server, root, "StartExecution", &[("TemplateName", name), ("Parameters", &parameters)], headers).await;
    started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned()
}

async fn wait_for_success(server: &OosProcess, root: &Credentials, id: &str) {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let execution = call(server, root, "ListExecutions", &[("ExecutionId", id)], &[]).await["Executions"][0].clone();
        match execution["Status"].as_str().unwrap_or_default() {
            "Success" => return,
            "Failed" | "Cancelled" => panic!("{id} ended {execution}\n{}", server.output()),
            _ => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "{id} did not end: {execution}\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_follows_a_start_execution_into_its_turns_and_every_cloud_call() {
    let (collector, collector_addr) = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://{collector_addr}");
    let server = server(dir.path(), &["--otlp-endpoint", &endpoint], &[]);
    let root = root(dir.path());
    let caller = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let id = start_loop(&server, &root, "stop-traced", &[("traceparent", &caller)]).await;
    wait_for_success(&server, &root, &id).await;
    server.stop().expect("the server stops (and sends its last spans)");

    let spans = collector.spans();
    let ours: Vec<&Span> = spans.iter().filter(|span| span.attribute("oos.execution_id") == Some(id.as_str())).collect();
    let traces: std::collections::BTreeSet<&str> = ours.iter().map(|span| span.trace.as_str()).collect();
    assert_eq!(traces, [CALLER_TRACE].into(), "one trace, the caller's: {ours:#?}");
    assert!(ours.iter().all(|span| span.service == "openoos"), "{ours:#?}");

    let requests: Vec<&&Span> = ours.iter().filter(|span| span.name == "api.request").collect();
    assert_eq!(requests.len(), 1, "{ours:#?}");
    let request = requests[0];
    assert_eq!(request.parent, CALLER_SPAN, "the request continues the caller's span");
    assert_eq!(request.attribute("oos.action"), Some("StartExecution"));
    assert!(request.attribute("oos.principal").is_some_and(|arn| arn.ends_with(":root")), "{request:?}");
    assert_eq!(request.attribute("oos.code"), None, "{request:?}");
    assert!(request.attributes.values().all(|value| !value.contains("i-trace")), "no parameter values on the request span: {request:?}");

    let turns: Vec<&&Span> = ours.iter().filter(|span| span.name == "execution.turn").collect();
    assert!(!turns.is_empty(), "{ours:#?}");
    assert!(turns.iter().all(|turn| turn.parent == request.id && turn.attribute("oos.root_execution_id") == Some(id.as_str())), "{turns:#?}");
    assert!(turns.iter().any(|turn| turn.attribute("oos.status") == Some("Success")), "the last turn ends it: {turns:#?}");

    let calls: Vec<&&Span> = ours.iter().filter(|span| span.name == "execution.call").collect();
    assert_eq!(calls.len(), INSTANCES, "one call span per loop item: {calls:#?}");
    assert!(calls.iter().all(|call| call.parent == request.id && call.attribute("oos.outcome") == Some("Success")), "{calls:#?}");
    let cloud: Vec<&&Span> = ours.iter().filter(|span| span.name == "cloud.call").collect();
    assert_eq!(cloud.len(), INSTANCES, "{cloud:#?}");
    for span in &cloud {
        assert_eq!((span.attribute("cloud.service"), span.attribute("cloud.api")), (Some("ECS"), Some("StopInstance")), "{span:?}");
        assert_eq!((span.attribute("oos.outcome"), span.attribute("oos.attempts")), (Some("Success"), Some("1")), "{span:?}");
        assert!(calls.iter().any(|call| call.id == span.parent), "a cloud call is a child of its execution's call: {span:?}");
    }

    // The emulator continued each call's traceparent: its span of the call is the cloud call's child.
    let received: Vec<&Span> = spans.iter().filter(|span| span.name == "emulator.request" && span.attribute("cloud.api") == Some("StopInstance")).collect();
    assert_eq!(received.len(), INSTANCES, "{received:#?}");
    for span in received {
        assert_eq!(span.trace, CALLER_TRACE, "{span:?}");
        assert!(cloud.iter().any(|call| call.id == span.parent), "{span:?} under {cloud:#?}");
    }
    // Nothing else of the trace lacks the execution id.
    let strays: Vec<&Span> = spans.iter().filter(|span| span.trace == CALLER_TRACE && span.name != "emulator.request" && span.attribute("oos.execution_id") != Some(id.as_str())).collect();
    assert!(strays.is_empty(), "spans of the trace without the execution id: {strays:#?}");
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported_and_the_server_works() {
    let (collector, _) = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &[], &[]);
    let root = root(dir.path());
    let id = start_loop(&server, &root, "stop-untraced", &[("traceparent", &format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))]).await;
    wait_for_success(&server, &root, &id).await;
    let output = server.output();
    server.stop().expect("the server stops");
    assert_eq!(collector.posts(), 0);
    assert!(!output.contains("execution.turn") && !output.contains("api.request"), "no span reaches the log lines:\n{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_traceparents_and_unsigned_requests_start_traces_of_their_own() {
    let (collector, collector_addr) = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The endpoint from the OpenTelemetry environment variable this time.
    let endpoint = format!("http://{collector_addr}/");
    let server = server(dir.path(), &[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]);
    let root = root(dir.path());
    call(&server, &root, "CreateTemplate", &[("TemplateName", "stop-abused"), ("Content", &stop_instances_loop(2))], &[]).await;
    let oversized = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01{}", "0".repeat(1000));
    let zero = format!("00-{}-{CALLER_SPAN}-01", "0".repeat(32));
    let valid = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let abusive: [Vec<(&str, &str)>; 5] = [
        vec![("traceparent", "garbage")],
        vec![("traceparent", &oversized)],
        vec![("traceparent", &zero)],
        vec![("traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")],
        vec![("traceparent", &valid), ("TraceParent", &valid)],
    ];
    let mut ids = Vec::new();
    for (headers, instance) in abusive.iter().zip(instance_ids()) {
        let parameters = json!({"instanceIds": [instance]}).to_string();
        let started = call(&server, &root, "StartExecution", &[("TemplateName", "stop-abused"), ("Parameters", &parameters)], headers).await;
        ids.push(started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned());
    }
    for id in &ids {
        wait_for_success(&server, &root, id).await;
    }
    // No key at all: refused as ever, and the refusal's span names no action or caller.
    let unsigned = format!("POST /?Action=StartExecution&Version={OOS}&TemplateName=stop-abused HTTP/1.1\r\nHost: {}\r\ntraceparent: {valid}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", server.addr());
    let (status, body) = exchange(server.addr(), unsigned.as_bytes()).await;
    assert!((400..500).contains(&status), "{status} {body}");
    server.stop().expect("the server stops");

    let spans = collector.spans();
    let mut traces = std::collections::BTreeSet::new();
    for id in &ids {
        let request = spans.iter().find(|span| span.name == "api.request" && span.attribute("oos.execution_id") == Some(id.as_str())).unwrap_or_else(|| panic!("no request span of {id}: {spans:#?}"));
        assert_ne!(request.trace, CALLER_TRACE, "{request:?}");
        assert_ne!(request.trace, "0".repeat(32), "{request:?}");
        assert!(request.parent.is_empty(), "a trace of its own: {request:?}");
        assert!(spans.iter().any(|span| span.name == "execution.turn" && span.trace == request.trace), "its turns follow it: {id}");
        traces.insert(request.trace.clone());
    }
    assert_eq!(traces.len(), ids.len(), "each start its own trace");
    let refused = spans.iter().find(|span| span.name == "api.request" && span.trace == CALLER_TRACE).unwrap_or_else(|| panic!("{spans:#?}"));
    assert!(refused.attribute("oos.code").is_some_and(|code| !code.is_empty()), "{refused:?}");
    assert_eq!((refused.attribute("oos.action"), refused.attribute("oos.principal"), refused.attribute("oos.execution_id")), (None, None, None), "{refused:?}");
}

const NAP_THEN_DESCRIBE: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT3S}}
- Name: describe
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: DescribeInstances, Parameters: {RegionId: cn-hangzhou}}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_worker_that_runs_an_execution_continues_the_trace_of_the_server_that_started_it() {
    let (collector, collector_addr) = Collector::start().await;
    let endpoint = format!("http://{collector_addr}");
    let cluster = cluster::Cluster::new().await;
    let server = cluster.server("a", &["--otlp-endpoint", &endpoint]);
    let mut worker = cluster.worker("w", &["--otlp-endpoint", &endpoint]);
    let root = cluster.root("a");
    cluster::call(&server, &root, "CreateTemplate", &[("TemplateName", "nap-describe"), ("Content", NAP_THEN_DESCRIBE)]).await;
    let started = cluster::call(&server, &root, "StartExecution", &[("TemplateName", "nap-describe")]).await;
    let id = started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned();
    // The server stops during the nap: the worker is all that is left to finish the execution.
    server.stop().expect("the server stops");
    let mut database = <sqlx::PgConnection as sqlx::Connection>::connect(&cluster.database.url()).await.expect("a connection");
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM executions WHERE id = $1").bind(&id).fetch_one(&mut database).await.expect("the execution row");
        if status == "Success" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{id} is {status}\n{}", worker.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.terminate().expect("SIGTERM");
    worker.wait_exit(BOUND).expect("the worker stops (and sends its last spans)");

    let spans = collector.spans();
    let ours: Vec<&Span> = spans.iter().filter(|span| span.attribute("oos.execution_id") == Some(id.as_str())).collect();
    let traces: std::collections::BTreeSet<&str> = ours.iter().map(|span| span.trace.as_str()).collect();
    assert_eq!(traces.len(), 1, "one trace across the processes: {ours:#?}");
    let request = ours.iter().find(|span| span.name == "api.request").unwrap_or_else(|| panic!("{ours:#?}"));
    assert_eq!(request.role, "server");
    let calls: Vec<&&Span> = ours.iter().filter(|span| span.name == "execution.call" && span.attribute("oos.action") == Some("ACS::ExecuteAPI")).collect();
    assert_eq!(calls.len(), 1, "{ours:#?}");
    assert_eq!((calls[0].role.as_str(), calls[0].parent.as_str()), ("worker", request.id.as_str()), "the worker's call hangs under the server's request: {:?}", calls[0]);
    let cloud: Vec<&&Span> = ours.iter().filter(|span| span.name == "cloud.call").collect();
    assert!(!cloud.is_empty() && cloud.iter().all(|span| span.role == "worker" && span.parent == calls[0].id && span.attribute("cloud.api") == Some("DescribeInstances")), "{cloud:#?}");
    assert!(ours.iter().any(|span| span.name == "execution.turn" && span.role == "worker" && span.parent == request.id), "{ours:#?}");
}

/// The agent's script: neither it nor its output may appear on a span.
const SCRIPT: &str = "echo agent-output-7f3a";
/// The trace of a RunCommand request sent straight to the ECS API.
const REQUEST_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

/// Polls the collector until a span named `name` with `key` = `value` arrives (at most [`BOUND`]).
async fn span_with(collector: &Collector, name: &str, key: &str, value: &str) -> Span {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        if let Some(span) = collector.spans().into_iter().find(|span| span.name == name && span.attribute(key) == Some(value)) {
            return span;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {name} span with {key}={value}: {:#?}", collector.spans());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// RunCommand of [`SCRIPT`] on `instance` straight through the ECS API, with `headers`; its InvokeId.
async fn run_command(server: &fleet::FleetServer, instance: &str, headers: &[(&str, &str)]) -> String {
    let params = [("Type", "RunShellScript"), ("CommandContent", SCRIPT), ("InstanceId.1", instance)];
    let (status, body) = send(&server.process, &Call::new(&server.root, fleet::ECS, "RunCommand", &params), headers).await;
    assert_eq!(status, 200, "{body}");
    body["InvokeId"].as_str().expect("InvokeId").to_owned()
}

fn assert_ran_untold(span: &Span, instance: &str, invoke_id: &str) {
    assert_eq!(span.role, "agent", "{span:?}");
    assert_eq!((span.attribute("oos.instance_id"), span.attribute("oos.invoke_id")), (Some(instance), Some(invoke_id)), "{span:?}");
    assert_eq!((span.attribute("oos.command_type"), span.attribute("oos.status"), span.attribute("oos.exit_code")), (Some("RunShellScript"), Some("Success"), Some("0")), "{span:?}");
    assert!(span.attributes.values().all(|value| !value.contains("agent-output")), "neither the script nor its output: {span:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_command_joins_the_trace_of_the_execution_or_request_that_started_it() {
    let (collector, collector_addr) = Collector::start().await;
    let endpoint = format!("http://{collector_addr}");
    let dir = tempfile::tempdir().unwrap();
    let server = fleet::FleetServer::start(&dir.path().join("server"), "127.0.0.1:0", "warn", &["--otlp-endpoint", &endpoint]);
    let activation = server.activation(1).await;
    let url = format!("http://{}", server.api_addr());
    let mut agent = fleet::agents::AgentProcess::spawn_with(&dir.path().join("agent"), None, &url, &activation, &["--otlp-endpoint", &endpoint]);
    let instance = agent.instance_id();
    server.connected(1, BOUND).await;

    // From an execution: the command's span hangs under the execution's call, in the caller's trace.
    let template = json!({
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [{"Name": "run", "Action": "ACS::ExecuteAPI",
                   "Properties": {"Service": "ECS", "API": "RunCommand", "Parameters": {"Type": "RunShellScript", "CommandContent": SCRIPT, "InstanceIds": [instance]}},
                   "Outputs": {"invokeId": {"Type": "String", "ValueSelector": "InvokeId"}}}]
    });
    let start = Call::new(&server.root, OOS, "StartExecution", &[]).with_form(&[("TemplateContent", &template.to_string())]);
    let (status, started) = send(&server.process, &start, &[("traceparent", &format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))]).await;
    assert_eq!(status, 200, "{started}");
    let id = started["Execution"]["ExecutionId"].as_str().expect("an execution id").to_owned();
    let execution = server.finished_execution(&id, Duration::from_millis(200), BOUND).await;
    assert_eq!(execution["Status"], "Success", "{execution}");
    let invocations = server.ecs("DescribeInvocations", &[("InstanceId", &instance)]).await;
    let invoke_id = invocations["Invocations"]["Invocation"][0]["InvokeId"].as_str().unwrap_or_else(|| panic!("{invocations}")).to_owned();
    let result = server.final_result(&invoke_id, &instance, BOUND).await;
    assert_eq!((result["InvocationStatus"].as_str(), result["ExitCode"].as_i64()), (Some("Success"), Some(0)), "{result}");
    let command = span_with(&collector, "agent.command", "oos.invoke_id", &invoke_id).await;
    let call = span_with(&collector, "execution.call", "oos.execution_id", &id).await;
    assert_ran_untold(&command, &instance, &invoke_id);
    assert_eq!((command.trace.as_str(), command.parent.as_str()), (CALLER_TRACE, call.id.as_str()), "under the call that made it: {command:?} {call:?}");
    assert_eq!(command.attribute("oos.execution_id"), Some(id.as_str()), "{command:?}");

    // Straight through the API: under the RunCommand request's span, with no execution id.
    let requested = run_command(&server, &instance, &[("traceparent", &format!("00-{REQUEST_TRACE}-{CALLER_SPAN}-01"))]).await;
    server.final_result(&requested, &instance, BOUND).await;
    let command = span_with(&collector, "agent.command", "oos.invoke_id", &requested).await;
    assert_ran_untold(&command, &instance, &requested);
    let request = collector.spans().into_iter().find(|span| span.name == "api.request" && span.trace == REQUEST_TRACE).unwrap_or_else(|| panic!("{:#?}", collector.spans()));
    assert_eq!((command.trace.as_str(), command.parent.as_str()), (REQUEST_TRACE, request.id.as_str()), "{command:?} {request:?}");
    assert_eq!(command.attribute("oos.execution_id"), None, "{command:?}");

    // Garbage stored with an invocation (or sent by an older server) is ignored, and the command runs.
    agent.kill();
    let garbled = run_command(&server, &instance, &[]).await;
    let database = server.data_dir.join("oos.db");
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{}", database.display())).await.expect("the server's database");
    let changed = sqlx::query("UPDATE invocations SET traceparent = 'garbage-00-zz' WHERE invoke_id = ?").bind(&garbled).execute(&mut connection).await.expect("the row changes");
    assert_eq!(changed.rows_affected(), 1);
    drop(connection);
    agent.restart();
    let result = server.final_result(&garbled, &instance, BOUND).await;
    assert_eq!((result["InvocationStatus"].as_str(), result["ExitCode"].as_i64()), (Some("Success"), Some(0)), "{result}\n{}", agent.log());
    let command = span_with(&collector, "agent.command", "oos.invoke_id", &garbled).await;
    assert_ran_untold(&command, &instance, &garbled);
    assert!(command.parent.is_empty(), "a trace of the agent's own: {command:?}");
}
