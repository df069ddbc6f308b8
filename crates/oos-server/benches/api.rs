//! The API server under load, through the signed API over loopback TCP (one connection per request,
//! ACS3-signed), against an in-process server (as `oos server` runs) on the embedded SQLite store and
//! then on PostgreSQL (a scratch database on 127.0.0.1:5432): StartExecution → Success latency of a
//! one-task template (`ACS::Sleep` of 0 s), StartExecution throughput with 20 concurrent clients, and
//! ListExecutions with 100,000 stored executions (seeded straight into the store, then, on PostgreSQL,
//! `ANALYZE`, as autovacuum does within a minute of a bulk load).
//! Run: `cargo bench -p oos-server --bench api [-- sqlite|postgres]` (release; prints markdown rows
//! for docs/benchmarks.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oos_acs::Credentials;
use oos_store::{ExecutionMeta, ExecutionRecord, ServerStore, StepWrite, TaskRecord};
use serde_json::Value;
use support::{Backend, exchange, now, signed, start_with};

const SLEEP: &str = r#"{"FormatVersion":"OOS-2019-06-01","Tasks":[{"Name":"pause","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;
const LATENCY_RUNS: usize = 200;
const CLIENTS: usize = 20;
const STARTS_PER_CLIENT: usize = 25;
const STORED: usize = 100_000;
const LIST_RUNS: usize = 300;

struct Api {
    addr: SocketAddr,
    credentials: Credentials,
    /// The backend's name, the first cell of each row.
    store: String,
}

impl Api {
    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Value {
        let params: Vec<(String, String)> = params.iter().map(|(key, value)| ((*key).to_string(), (*value).to_string())).collect();
        let request = signed(self.addr, &self.credentials, action, &params, &now(), &uuid::Uuid::new_v4().to_string());
        let (status, body) = exchange(self.addr, &request).await;
        assert_eq!(status, 200, "{action}: {body}");
        body
    }

    async fn start_execution(&self) -> String {
        let body = self.call("StartExecution", &[("TemplateName", "bench-sleep")]).await;
        body["Execution"]["ExecutionId"].as_str().unwrap().to_string()
    }

    async fn status(&self, id: &str) -> String {
        let body = self.call("ListExecutions", &[("ExecutionId", id)]).await;
        body["Executions"][0]["Status"].as_str().unwrap_or_default().to_string()
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|text| text.split(' ').next().map(str::to_string)).unwrap_or_else(|| "?".into())
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// The `q` quantile (0–1) of `samples`.
fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let rank = (q * (samples.len() - 1) as f64).round() as usize;
    samples[rank]
}

/// StartExecution → Success as a client sees it: start, then ListExecutions by id until Success.
async fn latency(api: &Api, label: &str) {
    let (mut total, mut answer) = (Vec::new(), Vec::new());
    for _ in 0..LATENCY_RUNS {
        let begin = Instant::now();
        let id = api.start_execution().await;
        answer.push(begin.elapsed());
        while api.status(&id).await != "Success" {}
        total.push(begin.elapsed());
    }
    println!(
        "| {} | StartExecution → Success ({label}), {LATENCY_RUNS} runs | p50 {} / p95 {} | StartExecution answer p50 {} / p95 {} | {} |",
        api.store,
        ms(quantile(&mut total, 0.5)),
        ms(quantile(&mut total, 0.95)),
        ms(quantile(&mut answer, 0.5)),
        ms(quantile(&mut answer, 0.95)),
        load()
    );
}

/// 20 clients start 25 executions each, as fast as answers come; then wait until all Succeeded.
async fn throughput(api: Arc<Api>) {
    let begin = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..STARTS_PER_CLIENT {
                    ids.push(api.start_execution().await);
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::new();
    for client in clients {
        ids.extend(client.await.unwrap());
    }
    let started = begin.elapsed();
    for id in &ids {
        while api.status(id).await != "Success" {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let done = begin.elapsed();
    let count = ids.len() as f64;
    println!(
        "| {} | StartExecution, {CLIENTS} concurrent clients, {} executions | {:.0} starts/s ({:.2} s) | all Succeeded after {:.2} s ({:.0} executions/s) | {} |",
        api.store,
        ids.len(),
        count / started.as_secs_f64(),
        started.as_secs_f64(),
        done.as_secs_f64(),
        count / done.as_secs_f64(),
        load()
    );
}

/// Writes `STORED` finished executions (one task each, API metadata with tags) straight into the store.
async fn seed(store: Arc<dyn ServerStore>) -> Duration {
    let begin = Instant::now();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    for batch in 0..STORED / 1000 {
        let mut write = StepWrite::default();
        for at in batch * 1000..(batch + 1) * 1000 {
            let id = format!("exec-seed{at:08}");
            let created = now_ms - 1_000_000 - at as i64 * 1000;
            let status = if at % 10 == 0 { "Failed" } else { "Success" };
            write.executions.push(ExecutionRecord {
                id: id.clone(),
                template_name: format!("seeded-{}", at % 20),
                template_version: Some("v1".into()),
                template_content: SLEEP.into(),
                parameters: "{}".into(),
                mode: "Automatic".into(),
                status: status.into(),
                status_message: String::new(),
                outputs: Some("{}".into()),
                parent_execution_id: None,
                parent_task_execution_id: None,
                description: String::new(),
                engine_state: "{}".into(),
                runnable: false,
                wake_ms: None,
                created_ms: created,
                updated_ms: created + 5,
                start_ms: Some(created),
                end_ms: Some(created + 5),
            });
            write.tasks.push(TaskRecord {
                id: format!("task-{id}-1"),
                execution_id: id,
                seq: 1,
                task_name: "pause".into(),
                task_action: "ACS::Sleep".into(),
                status: status.into(),
                status_message: String::new(),
                properties: Some("{}".into()),
                outputs: Some("{}".into()),
                loop_item: None,
                loop_batch_number: None,
                parent_task_execution_id: None,
                child_execution_id: None,
                engine_state: "{}".into(),
                created_ms: created,
                updated_ms: created + 5,
                start_ms: Some(created),
                end_ms: Some(created + 5),
            });
        }
        store.commit("bench-seed", &write).await.unwrap();
    }
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for at in (writer..STORED).step_by(8) {
                    let tags = if at % 2 == 0 { r#"{"env":"prod"}"# } else { r#"{"env":"dev"}"# };
                    let meta = ExecutionMeta { execution_id: format!("exec-seed{at:08}"), executed_by: "bench".into(), tags: tags.into(), ..ExecutionMeta::default() };
                    store.put_execution_meta(&meta).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    begin.elapsed()
}

async fn list(api: &Api, label: &str, params: &[(&str, &str)]) {
    let mut samples = Vec::with_capacity(LIST_RUNS);
    let mut total = Value::Null;
    for _ in 0..LIST_RUNS {
        let begin = Instant::now();
        let body = api.call("ListExecutions", params).await;
        samples.push(begin.elapsed());
        total = body["TotalCount"].clone();
    }
    println!(
        "| {} | ListExecutions {label} (TotalCount {total}), {LIST_RUNS} requests | p50 {} / p99 {} | | {} |",
        api.store,
        ms(quantile(&mut samples, 0.5)),
        ms(quantile(&mut samples, 0.99)),
        load()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let only = std::env::args().skip(1).find(|arg| arg == "sqlite" || arg == "postgres");
    println!("| store | what | figure | detail | load average |\n| --- | --- | --- | --- | --- |");
    for (name, backend) in [("sqlite", Backend::Sqlite), ("postgres", Backend::Postgres)] {
        if only.as_deref().is_none_or(|only| only == name) {
            run(name, backend).await;
        }
    }
}

async fn run(name: &str, backend: Backend) {
    // Hundreds of sleeping executions of one template at once: beyond the default quotas on purpose.
    let quotas = oos_runtime::Quotas { running_per_account: 1_000_000, running_per_template: 1_000_000, ..Default::default() };
    let (server, credentials, bed) = start_with(backend, oos_runtime::RuntimeConfig { quotas, ..Default::default() }).await;
    let api = Arc::new(Api { addr: server.addr(), credentials, store: name.to_string() });
    api.call("CreateTemplate", &[("TemplateName", "bench-sleep"), ("Content", SLEEP)]).await;
    for _ in 0..20 {
        api.start_execution().await;
    }
    latency(&api, "empty store").await;
    throughput(Arc::clone(&api)).await;
    let seeded = seed(bed.store().await).await;
    bed.analyze().await;
    println!("| {name} | seeding {STORED} executions through the store | {:.1} s | one task each | {} |", seeded.as_secs_f64(), load());
    list(&api, "first page (50, newest first)", &[]).await;
    list(&api, "Status=Failed", &[("Status", "Failed")]).await;
    list(&api, "TemplateName=seeded-7 and StartDateAfter", &[("TemplateName", "seeded-7"), ("StartDateAfter", "2020-01-01T00:00:00Z")]).await;
    list(&api, r#"Tags={"env":"prod"}, MaxResults=20"#, &[("Tags", r#"{"env":"prod"}"#), ("MaxResults", "20")]).await;
    latency(&api, "100k stored").await;
    server.stop();
}
