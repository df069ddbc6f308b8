//! Trigger executions fire exactly once under faults, on PostgreSQL: three `oos worker` processes
//! (and the API server's own worker) run many TimerTriggers firing every second until their EndDate,
//! while workers are SIGKILLed and restarted at random moments and every database connection is
//! cut once (`pg_terminate_backend`).
//!
//! What must hold afterwards, read from the database: each trigger fired exactly the ticks of its
//! schedule — every second after it was armed (the time of its `TimerTrigger armed` log line, the
//! instant the engine schedules the first tick after) up to and including its EndDate — none twice
//! and none missing (the misfire bound is set above any stall the faults cause, so the missed-firing
//! policy must never apply); each firing's run exists once and ended Success; there is one Trigger
//! audit record per firing and the audit chain is intact.
//!
//! Scale: 50 triggers for 60 s by default; `OOS_TRIGGER_FAULTS_FULL=1` runs 200 triggers for 120 s.

mod cluster;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use cluster::{Cluster, call_retrying as call, terminate_connections};
use oos_testkit::OosProcess;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

const WORKERS: usize = 3;
/// A tick may be this late and still fire as itself: far above the stall a killed worker causes
/// (its lease, 5 s, runs out and another worker claims its triggers).
const MISFIRE_SECS: &str = "60";
/// Hang guard: how long the triggers may take to end after their EndDate.
const DRAIN_BOUND: Duration = Duration::from_secs(1800);

const TEMPLATE: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  endDate: {Type: String}
Tasks:
- Name: everySecond
  Action: ACS::TimerTrigger
  Properties: {Type: cron, Expression: '* * * * * ?', EndDate: '{{ endDate }}'}
- Name: work
  Action: ACS::Sleep
  Properties: {Duration: PT0S}
";

/// How many triggers run, and for how long.
struct Scale {
    triggers: usize,
    seconds: i64,
}

impl Scale {
    fn chosen() -> Scale {
        if std::env::var("OOS_TRIGGER_FAULTS_FULL").is_ok_and(|value| value == "1") {
            Scale { triggers: 200, seconds: 120 }
        } else {
            Scale { triggers: 50, seconds: 60 }
        }
    }
}

/// One row of `trigger_firings` with its run.
struct Fired {
    trigger: String,
    tick_ms: i64,
    child: String,
    child_parent: Option<String>,
    child_status: Option<String>,
    child_created_ms: Option<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_fires_exactly_once_while_workers_die_and_connections_are_cut() {
    let scale = Scale::chosen();
    let begun = Instant::now();
    let cluster = Cluster::new().await;
    let flags = [
        "--lease-ttl",
        "5",
        "--max-crashes",
        "1000",
        "--trigger-misfire",
        MISFIRE_SECS,
        "--max-running-executions",
        "100000",
        "--max-running-per-template",
        "100000",
    ];
    let server = cluster.server("api", &flags);
    let root = cluster.root("api");
    let mut workers: Vec<OosProcess> = (0..WORKERS).map(|n| cluster.worker(&format!("w{n}"), &flags)).collect();

    call(&server, &root, "CreateTemplate", &[("TemplateName", "every-second"), ("Content", TEMPLATE)]).await;
    let end_ms = (now_ms() / 1000 + scale.seconds) * 1000;
    let end_date = jiff::Timestamp::from_millisecond(end_ms).expect("an instant").strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let parameters = json!({ "endDate": end_date }).to_string();
    let mut triggers = BTreeSet::new();
    for _ in 0..scale.triggers {
        let started = call(&server, &root, "StartExecution", &[("TemplateName", "every-second"), ("Parameters", &parameters)]).await;
        triggers.insert(started["Execution"]["ExecutionId"].as_str().expect("an id").to_string());
    }
    println!("{} triggers started, EndDate {end_date}", scale.triggers);

    let seed: u64 = rand::random();
    println!("fault schedule seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let midway_ms = end_ms - scale.seconds * 500;
    let (mut kills, mut cut) = (0, false);
    loop {
        tokio::time::sleep(Duration::from_millis(rng.random_range(15_000..25_000))).await;
        if now_ms() >= end_ms {
            break;
        }
        if !cut && now_ms() >= midway_ms {
            let terminated = terminate_connections(&cluster).await;
            assert!(terminated > 0, "the processes had connections to cut");
            println!("{terminated} database connections cut");
            cut = true;
        }
        let victim = rng.random_range(0..WORKERS);
        let killed = std::mem::replace(&mut workers[victim], cluster.worker(&format!("w{victim}-{kills}"), &flags));
        killed.kill();
        kills += 1;
        println!("worker {victim} killed and restarted ({kills} kills)");
    }
    assert!(kills >= 2 && cut, "the faults happened: {kills} kills, connections cut: {cut}");

    let mut db = PgConnection::connect(&cluster.database.url()).await.expect("a connection to the test database");
    wait_until_all_ended(&mut db, scale.triggers).await;
    let elapsed = begun.elapsed();

    let armed = armed_times(&mut db).await;
    let fired = firings(&mut db).await;
    let missed_logs = misfire_logs(&mut db).await;
    let mut problems = check_firings(&triggers, &armed, end_ms, &fired, &missed_logs);
    let schedule_problems = problems.len();
    problems.truncate(30);
    problems.extend(check_audit(&mut db, &fired).await);
    problems.extend(children_without_firing(&mut db).await.into_iter().map(|child| format!("run {child} has no firing row")));
    let verified = call(&server, &root, "VerifyAuditTrail", &[]).await;
    if verified["Valid"] != true {
        problems.push(format!("the audit chain is broken: {verified}"));
    }

    report_lateness(&fired);
    println!("{} firings of {} triggers over {} s, {kills} worker kills, connections cut once; {elapsed:?} in all", fired.len(), scale.triggers, scale.seconds);
    assert!(problems.is_empty(), "{schedule_problems} ways the firings differ from the schedules (first 30 shown), then the audit and runs:\n{}", problems.join("\n"));
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Waits until every trigger execution ended Success and no execution is unfinished.
async fn wait_until_all_ended(db: &mut PgConnection, triggers: usize) {
    let deadline = Instant::now() + DRAIN_BOUND;
    loop {
        let (succeeded, unfinished): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE parent_execution_id IS NULL AND status = 'Success'), count(*) FILTER (WHERE end_ms IS NULL) FROM executions",
        )
        .fetch_one(&mut *db)
        .await
        .expect("counting executions");
        if succeeded == triggers as i64 && unfinished == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{succeeded} of {triggers} triggers succeeded, {unfinished} executions unfinished after {DRAIN_BOUND:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// When each trigger was armed: the time of its `TimerTrigger armed` log line (its first tick is the
/// first second after it). A trigger armed twice is reported by [`check_firings`].
async fn armed_times(db: &mut PgConnection) -> HashMap<String, Vec<i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT execution_id, ts_ms FROM execution_logs WHERE message = 'TimerTrigger armed'")
        .fetch_all(&mut *db)
        .await
        .expect("reading the armed log lines");
    let mut armed: HashMap<String, Vec<i64>> = HashMap::new();
    for (id, at) in rows {
        armed.entry(id).or_default().push(at);
    }
    armed
}

/// A firing joined with its run: trigger, key, run id, the run's parent, status and creation time.
type FiringRow = (String, String, String, Option<String>, Option<String>, Option<i64>);

async fn firings(db: &mut PgConnection) -> Vec<Fired> {
    let rows: Vec<FiringRow> = sqlx::query_as(
        "SELECT f.execution_id, f.fire_key, f.child_execution_id, c.parent_execution_id, c.status, c.created_ms \
         FROM trigger_firings f LEFT JOIN executions c ON c.id = f.child_execution_id",
    )
    .fetch_all(&mut *db)
    .await
    .expect("reading the firings");
    rows.into_iter()
        .map(|(trigger, key, child, child_parent, child_status, child_created_ms)| Fired {
            tick_ms: key.parse().unwrap_or_else(|_| panic!("fire key {key} of {trigger} is a tick in ms")),
            trigger,
            child,
            child_parent,
            child_status,
            child_created_ms,
        })
        .collect()
}

/// The misfire log lines (`… ticks since … were missed …`) of each execution.
async fn misfire_logs(db: &mut PgConnection) -> HashMap<String, Vec<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT execution_id, message FROM execution_logs WHERE message LIKE '%were missed%'")
        .fetch_all(&mut *db)
        .await
        .expect("reading the misfire log lines");
    let mut logs: HashMap<String, Vec<String>> = HashMap::new();
    for (id, message) in rows {
        logs.entry(id).or_default().push(message);
    }
    logs
}

/// Every way the firings differ from "each tick in (armed, EndDate] once, its run once, Success".
fn check_firings(triggers: &BTreeSet<String>, armed: &HashMap<String, Vec<i64>>, end_ms: i64, fired: &[Fired], missed_logs: &HashMap<String, Vec<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ticks_of: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut children = HashMap::new();
    for firing in fired {
        if !triggers.contains(&firing.trigger) {
            problems.push(format!("firing {} of an unknown execution {}", firing.tick_ms, firing.trigger));
        }
        ticks_of.entry(&firing.trigger).or_default().insert(firing.tick_ms);
        if let Some(other) = children.insert(firing.child.as_str(), firing.tick_ms) {
            problems.push(format!("run {} belongs to ticks {other} and {} of {}", firing.child, firing.tick_ms, firing.trigger));
        }
        if firing.child_parent.as_deref() != Some(firing.trigger.as_str()) || firing.child_status.as_deref() != Some("Success") {
            problems.push(format!(
                "tick {} of {}: run {} has parent {:?} and status {:?}, not the trigger and Success",
                firing.tick_ms, firing.trigger, firing.child, firing.child_parent, firing.child_status
            ));
        }
    }
    for trigger in triggers {
        let armed_ms = match armed.get(trigger).map(Vec::as_slice) {
            Some([armed_ms]) => *armed_ms,
            other => {
                problems.push(format!("{trigger} was armed at {other:?}, not once"));
                continue;
            }
        };
        let expected: BTreeSet<i64> = (armed_ms / 1000 + 1..=end_ms / 1000).map(|second| second * 1000).collect();
        let actual = ticks_of.remove(trigger.as_str()).unwrap_or_default();
        let missing: Vec<i64> = expected.difference(&actual).copied().collect();
        let unexpected: Vec<i64> = actual.difference(&expected).copied().collect();
        if !missing.is_empty() {
            let explained = missed_logs.get(trigger).map_or_else(|| "no misfire log line explains them".to_owned(), |logs| format!("its misfire log lines: {logs:?}"));
            problems.push(format!("{trigger} (armed {armed_ms}): {explained}; missed ticks {}", runs(&missing)));
        }
        if !unexpected.is_empty() {
            problems.push(format!("{trigger} (armed {armed_ms}) fired ticks outside its schedule: {}", runs(&unexpected)));
        }
    }
    problems.extend(missed_logs.iter().map(|(id, logs)| format!("the missed-firing policy applied to {id}: {logs:?}")));
    problems
}

/// Ascending ticks as runs of consecutive seconds (`15:25:52Z..=15:26:40Z (49)`).
fn runs(ticks: &[i64]) -> String {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &tick in ticks {
        match runs.last_mut() {
            Some((_, last)) if *last + 1000 == tick => *last = tick,
            _ => runs.push((tick, tick)),
        }
    }
    let iso = |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|at| at.strftime("%H:%M:%SZ").to_string()).unwrap_or_default();
    let shown: Vec<String> = runs.iter().map(|&(first, last)| format!("{}..={} ({})", iso(first), iso(last), (last - first) / 1000 + 1)).collect();
    shown.join(", ")
}

/// One Trigger audit record per firing, naming it.
async fn check_audit(db: &mut PgConnection, fired: &[Fired]) -> Vec<String> {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM audit_log WHERE kind = 'Trigger'").fetch_all(&mut *db).await.expect("reading the audit trail");
    let mut audited: HashMap<(String, String), usize> = HashMap::new();
    for body in &bodies {
        let body: Value = serde_json::from_str(body).expect("an audit body");
        let key = (body["ExecutionId"].as_str().unwrap_or_default().to_owned(), body["FireKey"].as_str().unwrap_or_default().to_owned());
        *audited.entry(key).or_default() += 1;
    }
    let mut problems = Vec::new();
    if bodies.len() != fired.len() {
        problems.push(format!("{} Trigger audit records for {} firings", bodies.len(), fired.len()));
    }
    for firing in fired {
        match audited.get(&(firing.trigger.clone(), firing.tick_ms.to_string())) {
            Some(1) => {}
            count => problems.push(format!("tick {} of {} has {count:?} Trigger audit records", firing.tick_ms, firing.trigger)),
        }
    }
    problems.truncate(20);
    problems
}

/// Runs of a trigger (executions with a parent) that no firing row names.
async fn children_without_firing(db: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT id FROM executions c WHERE parent_execution_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM trigger_firings f WHERE f.child_execution_id = c.id) LIMIT 20",
    )
    .fetch_all(&mut *db)
    .await
    .expect("reading the runs")
}

/// Prints how late the firings were: their run's creation time minus the tick.
fn report_lateness(fired: &[Fired]) {
    let mut late: Vec<i64> = fired.iter().filter_map(|firing| Some(firing.child_created_ms? - firing.tick_ms)).collect();
    if late.is_empty() {
        return;
    }
    late.sort_unstable();
    let at = |fraction: f64| late[((late.len() - 1) as f64 * fraction) as usize];
    let mean = late.iter().sum::<i64>() / late.len() as i64;
    println!("lateness (run created − tick, ms): min {}, median {}, p99 {}, max {}, mean {mean}", late[0], at(0.5), at(0.99), late[late.len() - 1]);
}
