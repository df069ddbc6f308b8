//! The Cloud Assistant under a fleet: a real `oos server` process (embedded SQLite store in a temp
//! data directory) and N simulated agents held in this process, each registered over HTTP with its
//! own WebSocket (`swarm`). Measured:
//! - the server's memory per idle connected agent: VmRSS with the N agents registered but none
//!   connected, then with all N connected and idle, the difference divided by N;
//! - the wall time of an `echo hi` fan-out to every agent, from the first request to every result
//!   recorded, in one of these shapes:
//!   - `api`: RunCommand through the ECS API, 100 `InstanceId.N` per call, until every invocation
//!     is `Finished` (DescribeInvocations polled every 10 ms);
//!   - `template`: StartExecution of an inline template (ExecuteAPI RunCommand in a Loop over
//!     chunks of 100 ids, then ACS::WaitFor DescribeInvocations in a Loop) until it is `Success`;
//!   - `bulky`: StartExecution of the public `ACS-ECS-BulkyRunCommand`, unmodified (SelectTargets
//!     of managed instances, a Loop of `ACS::ECS::RunCommand` with Concurrency N), until `Success`.
//!
//! The server runs with its quotas of unfinished executions raised above N (the bulky shape has N
//! children at once). With `--real`, the agents are `oos agent` processes instead (each its own
//! state directory, each really running `echo hi`), and memory is not measured.
//!
//! `cargo bench -p oos --bench agent_fanout -- [api|template|bulky]… [--agents N] [--runs R] [--real]
//! [--concurrency C]` (C: the bulky shape's rateControl Concurrency, default N)
//! (release; defaults: all shapes, 1000 agents, 5 runs); prints markdown rows. `OOS_BENCH_KEEP=1`
//! keeps the server's data directory (its SQLite database) for inspection.

#[path = "../tests/fleet/mod.rs"]
mod fleet;
mod swarm;

use std::time::{Duration, Instant};

use fleet::FleetServer;
use fleet::agents::AgentProcess;
use serde_json::{Value, json};
use swarm::Swarm;

/// Most instances one activation registers.
const PER_ACTIVATION: usize = 1000;
/// Most instances one RunCommand names.
const PER_CALL: usize = 100;
/// How often the bench looks whether the fan-out is over.
const POLL: Duration = Duration::from_millis(10);
/// Bound against hangs.
const BOUND: Duration = Duration::from_secs(600);

/// The command every agent runs.
const COMMAND: &str = "echo hi";

/// What to run, parsed from the arguments.
struct Plan {
    shapes: Vec<String>,
    agents: usize,
    runs: usize,
    /// `oos agent` processes instead of simulated agents.
    real: bool,
    /// The bulky shape's rateControl Concurrency (default: all agents at once).
    concurrency: Option<usize>,
}

fn plan() -> Plan {
    let mut plan = Plan { shapes: Vec::new(), agents: 1000, runs: 5, real: false, concurrency: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--agents" => plan.agents = args.next().and_then(|n| n.parse().ok()).expect("--agents N"),
            "--runs" => plan.runs = args.next().and_then(|n| n.parse().ok()).expect("--runs R"),
            "--real" => plan.real = true,
            "--concurrency" => plan.concurrency = args.next().and_then(|n| n.parse().ok()),
            "api" | "template" | "bulky" => plan.shapes.push(arg),
            // cargo bench passes --bench; anything else is a mistake.
            "--bench" => {}
            other => panic!("unknown argument {other:?}; expected api, template, bulky, --agents N, --runs R, --real, --concurrency C"),
        }
    }
    if plan.shapes.is_empty() {
        plan.shapes = vec!["api".into(), "template".into(), "bulky".into()];
    }
    plan
}

/// `api`: RunCommand calls of [`PER_CALL`] instances each, then every invocation polled until Finished.
async fn fan_out_api(server: &FleetServer, ids: &[String]) -> Duration {
    let started = Instant::now();
    let mut invocations = Vec::new();
    for chunk in ids.chunks(PER_CALL) {
        let names: Vec<String> = (1..=chunk.len()).map(|n| format!("InstanceId.{n}")).collect();
        let mut params: Vec<(&str, &str)> = vec![("Type", "RunShellScript"), ("CommandContent", COMMAND)];
        params.extend(names.iter().map(String::as_str).zip(chunk.iter().map(String::as_str)));
        let body = server.ecs("RunCommand", &params).await;
        invocations.push(body["InvokeId"].as_str().expect("InvokeId").to_string());
    }
    for invoke_id in &invocations {
        loop {
            let body = server.ecs("DescribeInvocations", &[("InvokeId", invoke_id)]).await;
            match body["Invocations"]["Invocation"][0]["InvokeStatus"].as_str() {
                Some("Finished") => break,
                Some("Pending" | "Running") => tokio::time::sleep(POLL).await,
                other => panic!("invocation {invoke_id} ended {other:?}: {body}"),
            }
            assert!(started.elapsed() < BOUND, "the fan-out did not end within {BOUND:?}");
        }
    }
    started.elapsed()
}

/// The inline template of the `template` shape: RunCommand per chunk of ids, then WaitFor per invocation.
fn chunked_template() -> String {
    let loop_of = |items: &str| json!({"Items": items, "RateControl": {"Mode": "Concurrency", "MaxErrors": 0, "Concurrency": 100}});
    let mut run_loop = loop_of("{{ chunks }}");
    run_loop["Outputs"] = json!({"invokeIds": {"AggregateType": "Fn::ListJoin", "AggregateField": "invokeId"}});
    json!({
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"chunks": {"Type": "List"}},
        "Tasks": [
            {"Name": "run", "Action": "ACS::ExecuteAPI",
             "Properties": {"Service": "ECS", "API": "RunCommand", "Parameters": {"Type": "RunShellScript", "CommandContent": COMMAND, "InstanceIds": "{{ ACS::TaskLoopItem }}"}},
             "Outputs": {"invokeId": {"Type": "String", "ValueSelector": "InvokeId"}},
             "Loop": run_loop},
            {"Name": "wait", "Action": "ACS::WaitFor", "Retries": 600, "DelayType": "Constant", "Delay": 1,
             "Properties": {"Service": "ECS", "API": "DescribeInvocations", "Parameters": {"InvokeId": "{{ ACS::TaskLoopItem }}"},
                            "DesiredValues": ["Finished"], "StopRetryValues": ["Failed", "PartialFailed", "Stopped"], "PropertySelector": "Invocations.Invocation[].InvokeStatus"},
             "Loop": loop_of("{{ run.invokeIds }}")}
        ]
    })
    .to_string()
}

/// The parameters of `ACS-ECS-BulkyRunCommand` for these managed instances.
fn bulky_parameters(ids: &[String], concurrency: usize) -> Value {
    json!({
        "resourceType": "ALIYUN::ECS::ManagedInstance",
        "targets": {"Type": "ResourceIds", "ResourceIds": ids},
        "commandContent": COMMAND,
        "rateControl": {"Mode": "Concurrency", "MaxErrors": 0, "Concurrency": concurrency},
    })
}

/// `template` or `bulky`: StartExecution until the execution is Success.
async fn fan_out_execution(server: &FleetServer, template: &str, parameters: &Value) -> Duration {
    let started = Instant::now();
    let id = server.start_execution(template, parameters).await;
    let execution = server.finished_execution(&id, POLL, BOUND).await;
    let elapsed = started.elapsed();
    assert_eq!(execution["Status"], "Success", "{execution}");
    elapsed
}

async fn fan_out(server: &FleetServer, shape: &str, ids: &[String], concurrency: usize) -> Duration {
    match shape {
        "api" => fan_out_api(server, ids).await,
        "template" => {
            let chunks: Vec<&[String]> = ids.chunks(PER_CALL).collect();
            fan_out_execution(server, &chunked_template(), &json!({"chunks": chunks})).await
        }
        _ => fan_out_execution(server, &fleet::bulky_run_command(), &bulky_parameters(ids, concurrency)).await,
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

/// `min / median / max` of the runs.
fn spread(mut runs: Vec<Duration>) -> String {
    runs.sort();
    format!("{} / {} / {}", seconds(runs[0]), seconds(runs[runs.len() / 2]), seconds(runs[runs.len() - 1]))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|text| text.split(' ').next().map(str::to_string)).unwrap_or_else(|| "?".into())
}

/// The agents of a run.
enum Agents {
    Simulated(Swarm),
    /// Kept until the end of the bench, which stops them.
    Real { _processes: Vec<AgentProcess> },
}

/// Registers and connects `count` simulated agents; the swarm and the server's VmRSS (KiB) before
/// and after they connected.
async fn simulated(server: &FleetServer, count: usize) -> (Swarm, Vec<String>, u64, u64) {
    let mut identities = Vec::new();
    for start in (0..count).step_by(PER_ACTIVATION) {
        let batch = PER_ACTIVATION.min(count - start);
        let activation = server.activation(batch).await;
        identities.extend(swarm::register_all(server.api_addr(), &activation, batch).await);
    }
    let ids = identities.iter().map(|identity| identity.instance_id.clone()).collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let registered = server.rss_kib();
    let swarm = Swarm::connect(server.api_addr(), identities).await;
    server.connected(count, BOUND).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    (swarm, ids, registered, server.rss_kib())
}

/// Starts `count` `oos agent` processes (state directories under `dir`) and waits until all are connected.
async fn real(server: &FleetServer, dir: &std::path::Path, count: usize) -> (Vec<AgentProcess>, Vec<String>) {
    let url = format!("http://{}", server.api_addr());
    let mut agents = Vec::new();
    for start in (0..count).step_by(PER_ACTIVATION) {
        let batch = PER_ACTIVATION.min(count - start);
        let activation = server.activation(batch).await;
        agents.extend((start..start + batch).map(|index| AgentProcess::spawn(&dir.join(format!("agent-{index}")), None, &url, &activation)));
    }
    let ids = agents.iter_mut().map(AgentProcess::instance_id).collect();
    server.connected(count, BOUND).await;
    (agents, ids)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let plan = plan();
    let dir = tempfile::tempdir().expect("a temp dir");
    // One parent and N children of ACS::ECS::RunCommand run at once in the bulky shape: quotas above that.
    let quota = (plan.agents + 10).to_string();
    let flags = ["--max-running-executions", &quota, "--max-running-per-template", &quota];
    let server = FleetServer::start(&dir.path().join("server"), "127.0.0.1:0", "warn", &flags);
    let (agents, ids) = if plan.real {
        let (agents, ids) = real(&server, dir.path(), plan.agents).await;
        (Agents::Real { _processes: agents }, ids)
    } else {
        let (swarm, ids, registered, connected) = simulated(&server, plan.agents).await;
        println!("| agents | server VmRSS, registered, none connected | all connected, idle | per idle agent |\n| --- | --- | --- | --- |");
        let per_agent = connected.saturating_sub(registered) as f64 / plan.agents as f64;
        println!("| {} | {} MiB | {} MiB | {per_agent:.1} KiB |\n", plan.agents, registered / 1024, connected / 1024);
        (Agents::Simulated(swarm), ids)
    };
    let kind = if plan.real { "oos agent processes" } else { "simulated agents" };
    println!("| shape | {kind} | runs | wall time min / median / max | load before |\n| --- | --- | --- | --- | --- |");
    let concurrency = plan.concurrency.map_or(String::new(), |c| format!(", Concurrency {c}"));
    for shape in &plan.shapes {
        let load_before = load();
        let mut runs = Vec::new();
        for _ in 0..plan.runs {
            runs.push(fan_out(&server, shape, &ids, plan.concurrency.unwrap_or(plan.agents)).await);
        }
        let shown = if shape == "bulky" { format!("{shape}{concurrency}") } else { shape.clone() };
        println!("| {shown} | {} | {} | {} | {load_before} |", plan.agents, plan.runs, spread(runs));
    }
    if let Agents::Simulated(swarm) = &agents {
        // Every outcome was acknowledged (the last acknowledgements may still be on their way).
        tokio::time::sleep(Duration::from_millis(500)).await;
        let runs = plan.shapes.len() * plan.runs;
        assert_eq!(swarm.recorded.load(std::sync::atomic::Ordering::Relaxed), runs * plan.agents, "outcomes acknowledged");
        assert_eq!(swarm.alive(), plan.agents, "no agent lost its connection");
        println!("\nserver VmRSS after the runs, agents idle: {} MiB", server.rss_kib() / 1024);
    }
    drop(agents);
    server.process.stop().expect("the server stops");
    if std::env::var_os("OOS_BENCH_KEEP").is_some() {
        println!("\ndata directory kept for inspection: {}", dir.keep().join("server").display());
    }
}
