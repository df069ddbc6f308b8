//! `/metrics`: the process's metrics in the Prometheus text format, without authentication (like
//! `/healthz`), at bounded cost. Counters and histograms are recorded where their events happen
//! (the worker, the cloud client, the outbound door, the request pipeline) through the `metrics`
//! facade into one process-wide Prometheus recorder, installed by the first server or probe listener
//! of the process (none with `oos server --no-metrics`: then nothing is recorded); the gauges of the
//! store (work waiting for a worker, the connection pool), the connected agents and the process are
//! read when a scrape comes, the store's with one query reused for
//! [`REUSE_FOR`] and bounded by [`QUERY_TIMEOUT`]. The names, labels and their bounds are listed in
//! `docs/operations.md`, "Metrics".

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use oos_clock::Clock;
use oos_store::ServerStore;
use tokio::sync::{Mutex, watch};

/// The metrics path.
pub const METRICS_PATH: &str = "/metrics";
/// The kind of the task that drains the histograms between scrapes ([`upkeep`]).
pub const UPKEEP_TASK: &str = "metrics-upkeep";
/// How often histograms are drained when nothing scrapes (their samples wait in memory until then).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);
/// Longest wait for the store's answer to the queue query; a scrape without it leaves the gauges as they were.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one queue query answers scrapes.
pub const REUSE_FOR: Duration = Duration::from_secs(1);

/// The buckets of every histogram (seconds): from a millisecond to an hour.
const BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// The API requests served, by action and result code (counter).
pub const API_REQUESTS: &str = "oos_api_requests_total";
/// How long API requests took, by action (histogram).
pub const API_REQUEST_SECONDS: &str = "oos_api_request_duration_seconds";
/// The label of a request whose action is not named in metrics (its caller was not authenticated,
/// or the action is unknown): what unauthenticated requests carry never becomes a label.
pub const UNNAMED_ACTION: &str = "(unnamed)";

const QUEUE_DEPTH: &str = "oos_queue_depth";
const QUEUE_OLDEST: &str = "oos_queue_oldest_age_seconds";
const POOL_CONNECTIONS: &str = "oos_db_pool_connections";
const POOL_MAX: &str = "oos_db_pool_max_connections";
const AGENTS: &str = "oos_agents_connected";
const WORKER_INFO: &str = "oos_worker_info";
const PROCESS_START: &str = "process_start_time_seconds";
const PROCESS_CPU: &str = "process_cpu_seconds_total";
const PROCESS_RSS: &str = "process_resident_memory_bytes";
const PROCESS_FDS: &str = "process_open_fds";
const PROCESS_THREADS: &str = "process_threads";

/// The process-wide recorder: installed by the first call (the metrics of the whole process go to
/// it), its metrics described (the cloud client's are described by whoever builds the client:
/// `oos_cloud::describe_metrics`), and the process's start time noted.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(BUCKETS).expect("the buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed: /metrics shows nothing of this process");
        }
        describe();
        let started = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        metrics::gauge!(PROCESS_START).set(started);
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(API_REQUESTS, "API requests served, by action and result code");
    describe_histogram!(API_REQUEST_SECONDS, Unit::Seconds, "Time to serve an API request, by action");
    describe_gauge!(QUEUE_DEPTH, "Executions due and runnable that no live worker holds (what a claim would take)");
    describe_gauge!(QUEUE_OLDEST, Unit::Seconds, "How long the oldest of them has been due (0 when none)");
    describe_gauge!(POOL_CONNECTIONS, "The store's pooled database connections, by state (idle, busy)");
    describe_gauge!(POOL_MAX, "The most connections the store's pool opens");
    describe_gauge!(AGENTS, "Agents of managed instances connected to this server");
    describe_gauge!(WORKER_INFO, "The worker of this process, by the name it holds leases under (label worker); always 1");
    describe_gauge!(PROCESS_START, Unit::Seconds, "Start of the process, in seconds since the Unix epoch");
    describe_gauge!(PROCESS_CPU, Unit::Seconds, "CPU time of the process (user and system); a gauge of the facade, only ever growing");
    describe_gauge!(PROCESS_RSS, Unit::Bytes, "Resident memory of the process");
    describe_gauge!(PROCESS_FDS, "Open file descriptors of the process");
    describe_gauge!(PROCESS_THREADS, "Threads of the process");
    oos_runtime::describe_metrics();
    oos_actions::describe_metrics();
}

/// Notes the name the process's worker holds leases under (the `lease_owner` of the executions it
/// runs, named in takeover logs), so that a scrape target can be matched with it.
pub(crate) fn worker_started(worker_id: &str) {
    metrics::gauge!(WORKER_INFO, "worker" => worker_id.to_owned()).set(1.0);
}

/// Drains the histograms every [`UPKEEP_EVERY`] until `stop` turns true, so that their samples do
/// not pile up in memory when nothing scrapes.
pub(crate) async fn upkeep(mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(UPKEEP_EVERY) => handle().run_upkeep(),
            changed = stop.wait_for(|stopped| *stopped) => {
                let _ = changed;
                return;
            }
        }
    }
}

/// What a scrape reads besides the recorded metrics.
pub(crate) struct Scrape {
    store: Arc<dyn ServerStore>,
    clock: Arc<dyn Clock>,
    /// The agent hub of a server (a worker alone has none).
    hub: Option<oos_assistant::hub::Hub>,
    /// When the queue was last queried.
    queried: Mutex<Option<Instant>>,
}

impl Scrape {
    pub(crate) fn new(store: Arc<dyn ServerStore>, clock: Arc<dyn Clock>, hub: Option<oos_assistant::hub::Hub>) -> Self {
        Self { store, clock, hub, queried: Mutex::new(None) }
    }

    /// The answer to `/metrics`: the gauges brought up to date, then everything rendered.
    pub(crate) async fn render(&self) -> Response<Body> {
        let handle = handle();
        self.refresh().await;
        handle.run_upkeep();
        let mut response = Response::new(Body::from(handle.render()));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
        response
    }

    async fn refresh(&self) {
        let pool = self.store.pool_use();
        metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
        metrics::gauge!(POOL_CONNECTIONS, "state" => "busy").set(f64::from(pool.open.saturating_sub(pool.idle)));
        metrics::gauge!(POOL_MAX).set(f64::from(pool.max));
        if let Some(hub) = &self.hub {
            metrics::gauge!(AGENTS).set(hub.connected() as f64);
        }
        process::record();
        let mut queried = self.queried.lock().await;
        if queried.is_some_and(|at| at.elapsed() < REUSE_FOR) {
            return;
        }
        *queried = Some(Instant::now());
        let now = self.clock.now_ms();
        match tokio::time::timeout(QUERY_TIMEOUT, self.store.waiting(now)).await {
            Ok(Ok(waiting)) => {
                metrics::gauge!(QUEUE_DEPTH).set(waiting.executions as f64);
                let age = waiting.oldest_due_ms.map_or(0, |due| now.saturating_sub(due).max(0));
                metrics::gauge!(QUEUE_OLDEST).set(age as f64 / 1000.0);
            }
            Ok(Err(error)) => tracing::debug!(%error, "the queue gauges are not refreshed: the store did not answer"),
            Err(_) => tracing::debug!("the queue gauges are not refreshed: the store did not answer in time"),
        }
    }
}

/// The process gauges, from `/proc/self` (Linux; elsewhere only the start time is shown).
mod process {
    /// Clock ticks per second of `/proc`'s CPU times (`USER_HZ`, 100 on every Linux architecture we build for).
    #[cfg(target_os = "linux")]
    const TICKS_PER_SECOND: f64 = 100.0;

    #[cfg(target_os = "linux")]
    pub(super) fn record() {
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            // The fields after the command name (which may hold spaces) and its parenthesis: utime and stime are the 12th and 13th.
            let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
            let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0);
            metrics::gauge!(super::PROCESS_CPU).set((ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND);
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let field = |name: &str| status.lines().find_map(|line| line.strip_prefix(name)).and_then(|rest| rest.split_whitespace().next()).and_then(|value| value.parse::<f64>().ok());
            if let Some(kib) = field("VmRSS:") {
                metrics::gauge!(super::PROCESS_RSS).set(kib * 1024.0);
            }
            if let Some(threads) = field("Threads:") {
                metrics::gauge!(super::PROCESS_THREADS).set(threads);
            }
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            metrics::gauge!(super::PROCESS_FDS).set(entries.count() as f64);
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn record() {}
}
