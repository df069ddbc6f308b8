//! The scheduler under 10,000 active cron triggers: a real `oos server` process (embedded SQLite
//! store in a temp data directory, or `--postgres`: a scratch database on 127.0.0.1:5432 or
//! `OOS_TEST_POSTGRES`), N trigger executions of one template (`ACS::TimerTrigger` cron, then one
//! `ACS::Sleep` PT0S) started through the API by C clients at once. Shapes, each on a fresh server:
//! - `steady`: trigger i fires at second i mod 60 of every fifth minute from minute (i / 60) mod 5
//!   (`S M/5 * * * ?`: 300 slots, ~33 firings a second for 10,000); every tick in a window of W
//!   seconds that opens 5 s after every trigger is armed;
//! - `burst`: one server, first idle, then two bursts: K of the N fire at second 5 of the first
//!   minute at least L seconds away, and all N at second 45 of it (the K fire at both). Before
//!   the first burst, the idle load as below (database transactions on PostgreSQL; the server does
//!   not log its statements in this shape);
//! - `idle`: all N daily, two hours later; nothing is due; the server logs its statements. Counted over 40–100 s after every trigger
//!   is armed (after the worker's park_after, 30 s; PostgreSQL reports an idle connection's counts up
//!   to 10 s late): the statements the server ran, from sqlx's statement log (`sqlx::query` at
//!   debug, one line per statement), grouped by statement, and on PostgreSQL the transactions the
//!   database committed and rolled back (`pg_stat_database`; each statement outside a transaction
//!   is one).
//!
//! Latency of a firing, read from the store after the run: fired = `trigger_firings.fired_ms` −
//! tick; created / started = the child execution's `created_ms` / `start_ms` − tick.
//!
//! `cargo bench -p oos --bench scheduler -- [steady|burst|idle]… [--postgres] [--triggers N]
//! [--at-once K] [--lead L] [--window W] [--clients C]` (release; defaults: all shapes, N = 10,000,
//! K = 1,000, L = 330, W = 300, C = 16); prints markdown rows.

#[path = "../tests/fleet/mod.rs"]
mod fleet;
#[path = "scheduler/store.rs"]
mod store;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fleet::{FleetServer, OOS};
use futures::StreamExt;
use oos_store::postgres::ScratchDatabase;
use oos_testkit::wire::Call;
use store::{Firing, StoreReader};

/// The template every trigger execution runs.
const TEMPLATE: &str = r#"{"FormatVersion":"OOS-2019-06-01","Parameters":{"cron":{"Type":"String"}},"Tasks":[
{"Name":"tick","Action":"ACS::TimerTrigger","Properties":{"Type":"cron","Expression":"{{ cron }}"}},
{"Name":"nap","Action":"ACS::Sleep","Properties":{"Duration":"PT0S"}}]}"#;
const TEMPLATE_NAME: &str = "bench-scheduler";
/// The idle window, seconds after every trigger is armed.
const IDLE: (u64, u64) = (40, 100);
/// How long firings may take to appear after their tick before the bench gives up on them.
const GRACE: Duration = Duration::from_secs(300);
/// The second of its minute the first burst fires at; the second burst 40 s later.
const FIRST_SECOND: i64 = 5;
const SECOND_BURST_AFTER_MS: i64 = 40_000;

/// What to run, parsed from the arguments.
struct Plan {
    shapes: Vec<String>,
    postgres: bool,
    triggers: usize,
    at_once: Option<usize>,
    lead_secs: i64,
    window_secs: i64,
    clients: usize,
}

fn plan() -> Plan {
    let mut plan = Plan { shapes: Vec::new(), postgres: false, triggers: 10_000, at_once: None, lead_secs: 330, window_secs: 300, clients: 16 };
    let mut args = std::env::args().skip(1);
    let number = |name: &str, value: Option<String>| value.and_then(|n| n.parse::<usize>().ok()).unwrap_or_else(|| panic!("{name} takes a number"));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--postgres" => plan.postgres = true,
            "--triggers" => plan.triggers = number("--triggers", args.next()),
            "--at-once" => plan.at_once = Some(number("--at-once", args.next())),
            "--lead" => plan.lead_secs = number("--lead", args.next()) as i64,
            "--window" => plan.window_secs = number("--window", args.next()) as i64,
            "--clients" => plan.clients = number("--clients", args.next()),
            "steady" | "burst" | "idle" => plan.shapes.push(arg),
            "--bench" => {}
            other => panic!("unknown argument {other:?}; expected steady, burst, idle, --postgres, --triggers N, --at-once K, --lead L, --window W, --clients C"),
        }
    }
    if plan.shapes.is_empty() {
        plan.shapes = vec!["steady".into(), "burst".into(), "idle".into()];
    }
    plan
}

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis()).expect("in range")
}

async fn sleep_until_ms(at_ms: i64) {
    if let Ok(wait) = u64::try_from(at_ms - now_ms()) {
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

/// A daily cron at the second of `at_ms` (UTC, the server's default trigger time zone).
fn daily_at(at_ms: i64) -> String {
    let secs = at_ms.div_euclid(1000);
    format!("{} {} {} * * ?", secs % 60, (secs / 60) % 60, (secs / 3600) % 24)
}

/// The steady shape's slot of trigger `i` (second of a five-minute cycle) and its cron.
fn steady_slot(i: usize) -> (usize, String) {
    let (second, minute) = (i % 60, (i / 60) % 5);
    (minute * 60 + second, format!("{second} {minute}/5 * * * ?"))
}

/// A server for one shape: its store reader and scratch database (dropped with it).
struct Bench {
    server: FleetServer,
    reader: StoreReader,
    _database: Option<ScratchDatabase>,
    _dir: tempfile::TempDir,
}

async fn bench_server(plan: &Plan, log: &str) -> Bench {
    let dir = tempfile::tempdir().expect("a temp dir");
    let quota = (plan.triggers * 4 + 100).to_string();
    let mut flags = vec!["--max-running-executions".to_string(), quota.clone(), "--max-running-per-template".into(), quota];
    let database = if plan.postgres { Some(ScratchDatabase::create().await.expect("a scratch database")) } else { None };
    if let Some(database) = &database {
        flags.extend(["--database".to_string(), database.url()]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = FleetServer::start(dir.path(), "127.0.0.1:0", log, &flags);
    let reader = match &database {
        Some(database) => StoreReader::postgres(&database.url(), &database.admin_url(), database.name()).await,
        None => StoreReader::sqlite(dir.path()).await,
    };
    server.call(OOS, "CreateTemplate", &[("TemplateName", TEMPLATE_NAME)], &[("Content", TEMPLATE)]).await;
    Bench { server, reader, _database: database, _dir: dir }
}

/// Starts a trigger execution per cron, `clients` at a time; when every one is armed (its trigger
/// task started and its next tick stored: a trigger armed after a tick fires from the next one).
async fn start_triggers(bench: &mut Bench, crons: &[String], clients: usize) -> i64 {
    let server = &bench.server;
    let began = now_ms();
    let addr = server.api_addr();
    let starts = futures::stream::iter(crons.iter().map(|cron| async move {
        let parameters = serde_json::json!({ "cron": cron }).to_string();
        for attempt in 0.. {
            let (status, body) = Call::new(&server.root, OOS, "StartExecution", &[("TemplateName", TEMPLATE_NAME)]).with_form(&[("Parameters", &parameters)]).send(addr).await;
            if status == 200 {
                return;
            }
            assert!(attempt < 20, "StartExecution answered {status}: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }))
    .buffer_unordered(clients);
    starts.collect::<Vec<()>>().await;
    let answered = now_ms();
    while usize::try_from(bench.reader.armed().await).expect("a count") < crons.len() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = now_ms();
    eprintln!("{} trigger executions: StartExecution answered in {:.1} s, all armed after {:.1} s", crons.len(), (answered - began) as f64 / 1000.0, (ready - began) as f64 / 1000.0);
    ready
}

/// The value at quantile `q` of sorted `values` (nearest rank).
fn quantile(sorted: &[i64], q: f64) -> i64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// `p50 / p99 / max` of `values` in milliseconds.
fn spread(mut values: Vec<i64>) -> String {
    if values.is_empty() {
        return "—".into();
    }
    values.sort_unstable();
    format!("{} / {} / {} ms", quantile(&values, 0.5), quantile(&values, 0.99), values[values.len() - 1])
}

fn latency_row(backend: &str, shape: &str, expected: usize, firings: &[Firing]) {
    let fired = spread(firings.iter().map(|f| f.fired_ms - f.tick_ms).collect());
    let created = spread(firings.iter().map(|f| f.created_ms - f.tick_ms).collect());
    let started = spread(firings.iter().filter_map(|f| f.start_ms.map(|at| at - f.tick_ms)).collect());
    println!("| {backend} | {shape} | {} of {expected} | {fired} | {created} | {started} |", firings.len());
}

async fn steady(plan: &Plan, backend: &str) {
    let mut bench = bench_server(plan, "warn").await;
    let slots: Vec<(usize, String)> = (0..plan.triggers).map(steady_slot).collect();
    let crons: Vec<String> = slots.iter().map(|(_, cron)| cron.clone()).collect();
    let ready = start_triggers(&mut bench, &crons, plan.clients).await;
    let opens = (ready / 1000 + 5) * 1000;
    let closes = opens + plan.window_secs * 1000;
    let mut per_slot = [0usize; 300];
    for (slot, _) in &slots {
        per_slot[*slot] += 1;
    }
    let expected: usize = (opens / 1000..closes / 1000).map(|second| per_slot[usize::try_from(second % 300).expect("positive")]).sum();
    sleep_until_ms(closes).await;
    let deadline = closes + i64::try_from(GRACE.as_millis()).expect("small");
    let firings = loop {
        let firings: Vec<Firing> = bench.reader.firings().await.into_iter().filter(|f| (opens..closes).contains(&f.tick_ms)).collect();
        if (firings.len() >= expected && firings.iter().all(|f| f.start_ms.is_some())) || now_ms() > deadline {
            break firings;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    latency_row(backend, &format!("steady, {} triggers over {} s", plan.triggers, plan.window_secs), expected, &firings);
}

/// The first whole minute at least `lead_secs` from now, at second [`FIRST_SECOND`].
fn first_burst(lead_secs: i64) -> i64 {
    let minute = (now_ms() / 1000 + lead_secs - FIRST_SECOND) / 60 + 1;
    (minute * 60 + FIRST_SECOND) * 1000
}

/// The firings of tick `tick_ms`, once `count` have fired and started (or after [`GRACE`]).
async fn firings_of(reader: &mut StoreReader, tick_ms: i64, count: usize) -> Vec<Firing> {
    let deadline = tick_ms + i64::try_from(GRACE.as_millis()).expect("small");
    sleep_until_ms(tick_ms).await;
    loop {
        let firings: Vec<Firing> = reader.firings().await.into_iter().filter(|f| f.tick_ms == tick_ms).collect();
        if (firings.len() >= count && firings.iter().all(|f| f.start_ms.is_some())) || now_ms() > deadline {
            return firings;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Idle, then two bursts on one server: K of the N triggers fire at second 5 of a minute and all N
/// at second 45 of it (the K have both seconds in their cron; between the bursts they are handed
/// back again, their next tick 40 s away).
async fn burst(plan: &Plan, backend: &str) {
    let at_once = plan.at_once.unwrap_or(1000).min(plan.triggers);
    let mut bench = bench_server(plan, "warn").await;
    let first = first_burst(plan.lead_secs);
    let second = first + SECOND_BURST_AFTER_MS;
    let (secs, other) = (first / 1000, second / 1000);
    let (minute, hour) = ((secs / 60) % 60, (secs / 3600) % 24);
    let crons: Vec<String> =
        (0..plan.triggers).map(|i| if i < at_once { format!("{},{} {minute} {hour} * * ?", secs % 60, other % 60) } else { daily_at(second) }).collect();
    let ready = start_triggers(&mut bench, &crons, plan.clients).await;
    assert!(ready + i64::try_from(IDLE.1).expect("small") * 1000 < first, "the starts ended {} s before the first burst, less than the idle window needs: raise --lead", (first - ready) / 1000);
    idle_window(&mut bench, plan, backend, ready).await;
    let firings = firings_of(&mut bench.reader, first, at_once).await;
    latency_row(backend, &format!("burst, {at_once} of {} at one second", plan.triggers), at_once, &firings);
    let firings = firings_of(&mut bench.reader, second, plan.triggers).await;
    latency_row(backend, &format!("burst, all {} at one second", plan.triggers), plan.triggers, &firings);
}

/// The statement of each `sqlx::query` log line of `output` (its `summary`, else the line).
fn statements(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| line.contains("sqlx::query"))
        .map(|line| match line.split_once("summary=\"") {
            Some((_, rest)) => rest.split('"').next().unwrap_or_default().to_string(),
            None => line.chars().take(80).collect(),
        })
        .collect()
}

/// The idle load over [`IDLE`] after `ready` (every trigger armed): the database's transactions on
/// PostgreSQL, the statements the server logged (when it logs them), grouped by statement.
async fn idle_window(bench: &mut Bench, plan: &Plan, backend: &str, ready: i64) {
    let at = |secs: u64| ready + i64::try_from(secs).expect("small") * 1000;
    sleep_until_ms(at(IDLE.0)).await;
    let (first_tx, first_lines) = (bench.reader.transactions().await, statements(&bench.server.process.output()).len());
    sleep_until_ms(at(IDLE.1)).await;
    let (last_tx, lines) = (bench.reader.transactions().await, statements(&bench.server.process.output()));
    let secs = (IDLE.1 - IDLE.0) as f64;
    let mut by_statement: BTreeMap<String, usize> = BTreeMap::new();
    for statement in &lines[first_lines..] {
        *by_statement.entry(statement.clone()).or_default() += 1;
    }
    let transactions = match (first_tx, last_tx) {
        (Some(first), Some(last)) => format!("{:.2}/s", (last - first) as f64 / secs),
        _ => "—".into(),
    };
    let logged = if lines.is_empty() { "not logged".to_string() } else { format!("{:.2}/s", (lines.len() - first_lines) as f64 / secs) };
    println!("| {backend} | idle, {} triggers armed, {}–{} s after all armed | transactions {transactions} | statements {logged} |  |  |", plan.triggers, IDLE.0, IDLE.1);
    for (statement, count) in by_statement {
        println!("|  |  |  | {:.2}/s `{statement}` |  |  |", count as f64 / secs);
    }
}

/// All N triggers daily, two hours from now (spread over an hour): nothing is due; the server logs
/// every statement.
async fn idle(plan: &Plan, backend: &str) {
    let mut bench = bench_server(plan, "warn,sqlx::query=debug").await;
    let far = now_ms() + 7_200_000;
    let crons: Vec<String> = (0..plan.triggers).map(|i| daily_at(far + i64::try_from(i % 3600).expect("small") * 1000)).collect();
    let ready = start_triggers(&mut bench, &crons, plan.clients).await;
    idle_window(&mut bench, plan, backend, ready).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let plan = plan();
    let backend = if plan.postgres { "PostgreSQL" } else { "SQLite" };
    println!("| store | shape | firings | fired p50 / p99 / max | child created | child started |\n| --- | --- | --- | --- | --- | --- |");
    for shape in &plan.shapes {
        match shape.as_str() {
            "steady" => steady(&plan, backend).await,
            "burst" => burst(&plan, backend).await,
            _ => idle(&plan, backend).await,
        }
    }
}
