//! A simulated week of schedules, in virtual time: the public template
//! `ACS-ECS-ScheduleToStartAndStopInstances`, unmodified from the corpus, runs against the
//! emulated fleet on a server whose TimerTriggers without a `TimeZone` keep Europe/Berlin time. Over
//! the week of the 2026 end of daylight-saving time, the Dev-tagged instances start at 08:00 and
//! stop at 20:00 local time on weekdays only; the Prod-tagged one is never touched; and the firing
//! log is exactly the five weekday ticks, whose UTC instants move by an hour after the change.

mod api_client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_client::{Backend, Bed, call, client};
use oos_actions::Executors;
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{CloudClient, Credentials};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator, FleetSeed};
use oos_engine::EngineConfig;
use oos_runtime::{Library, RuntimeConfig, Worker};
use oos_server::{OOS_VERSION, Server, ServerConfig};
use oos_store::audit::AuditQuery;
use serde_json::{Value, json};

/// Wednesday 2026-10-21T12:00:00Z (14:00 in Berlin, summer time).
const START_MS: i64 = 1_792_584_000_000;
/// Thursday 2026-10-29T00:00:00Z: after the last weekday's 20:00 stop.
const END_MS: i64 = 1_793_232_000_000;
const HOUR_MS: i64 = 3_600_000;

const SEED: &str = r#"
instances:
  - {count: 2, ids: [i-dev1, i-dev2], region: cn-hangzhou, status: Stopped, tags: {Env: Dev}}
  - {ids: [i-prod1], region: cn-hangzhou, status: Running, tags: {Env: Prod}}
"#;

/// 08:00 local on the weekdays of the simulated week: summer time (UTC+2) Thursday and Friday,
/// winter time (UTC+1) from Monday, after the change of Sunday 25 October.
const TICKS: [&str; 5] = ["2026-10-22T06:00:00Z", "2026-10-23T06:00:00Z", "2026-10-26T07:00:00Z", "2026-10-27T07:00:00Z", "2026-10-28T07:00:00Z"];

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap_or_else(|error| panic!("{text}: {error}")).as_millisecond()
}

/// An OOS call that must succeed. Once the clock skips ahead on its own, it may skip past a
/// signature's 15 minutes while a request is on its way (a busy machine): that request is sent again.
async fn oos(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    for _ in 0..20 {
        match call(client, OOS_VERSION, action, params).await {
            Ok(answer) => return answer,
            Err(error) if error.code == "InvalidTimeStamp.Expired" => continue,
            Err(error) => panic!("{action}: {error:?}"),
        }
    }
    panic!("{action}: expired twenty times");
}

fn corpus_template() -> String {
    let path = oos_testkit::shared_dir().join("corpus/oos-templates/aliyun__oos-templates/PublicTemplates/YAML/ACS-ECS-ScheduleToStartAndStopInstances.yml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_weekday_start_and_stop_across_a_daylight_saving_change_on_sqlite() {
    a_week_of_weekday_start_and_stop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_weekday_start_and_stop_across_a_daylight_saving_change_on_postgres() {
    a_week_of_weekday_start_and_stop(Backend::Postgres).await;
}

async fn a_week_of_weekday_start_and_stop(backend: Backend) {
    let real = Instant::now();
    // The clock stands still until the execution is started (a signed request must not see it skip
    // ahead past the signature's 15 minutes while the machine is busy), then skips ahead whenever
    // everything waits.
    let clock = VirtualClock::new(START_MS);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let emulator_clock = shared.clone();
    let emulator = Emulator::builder()
        .default_region("cn-hangzhou")
        .seed(FleetSeed::from_yaml(SEED).unwrap())
        .transition_delay(Duration::from_secs(30))
        .clock(move || emulator_clock.timestamp())
        .build()
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let cloud = client(&emulator.url(), Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)).with_clock(shared.clone());
    let engine = EngineConfig { default_time_zone: "Europe/Berlin".into(), ..EngineConfig::default() };
    let runtime = RuntimeConfig { engine, poll_interval: Duration::from_secs(600), lease_ttl: Duration::from_secs(3600), ..RuntimeConfig::default() };
    let bed = Bed::new(backend).await;
    let store = bed.store().await;
    let library = oos_product_actions::WithBuiltins::new(Library::new(Some(store.clone())));
    let actions = Arc::new(Executors::new(Arc::new(cloud), oos_actions::AddressPolicy::server(Vec::new())));
    let worker = Worker::new(store.clone(), actions, Arc::new(library), runtime).with_clock(shared.clone());
    let config = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), region: "cn-hangzhou".into(), outbound: oos_actions::AddressPolicy::server(Vec::new()), tls: None, limits: Default::default(), audit_command_output: true, metrics: true, cloud: Default::default() };
    let server = Server::start(config, store.clone(), &oos_server::KeyFiles::in_dir(bed.path()), worker).await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(server.root_credentials()).unwrap()).unwrap();
    let root = Credentials::new(saved["AccessKeyId"].as_str().unwrap(), saved["AccessKeySecret"].as_str().unwrap());
    let root = client(&format!("http://{}", server.addr()), root).with_clock(shared.clone());

    let name = "ScheduleToStartAndStopInstances";
    oos(&root, "CreateTemplate", &[("TemplateName", name), ("Content", &corpus_template())]).await;
    let parameters = json!({
        "dailyStartTime": "08:00:00+02:00",
        "dailyStopTime": "20:00:00+02:00",
        "targets": {"Type": "Tags", "Tags": [{"Key": "Env", "Value": "Dev"}], "RegionId": "cn-hangzhou"},
        "OOSAssumeRole": "",
    });
    let started = oos(&root, "StartExecution", &[("TemplateName", name), ("Parameters", &parameters.to_string())]).await;
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_owned();
    clock.auto_advance(Duration::from_millis(5));

    // The week passes: wait until the clock is past its end and every firing's run has finished.
    let children = loop {
        let listed = oos(&root, "ListExecutions", &[("ParentExecutionId", &id), ("MaxResults", "50")]).await;
        let runs = listed["Executions"].as_array().cloned().unwrap_or_default();
        let settled = runs.iter().all(|run| ["Success", "Failed", "Cancelled"].contains(&run["Status"].as_str().unwrap_or("")));
        if clock.now_ms() >= END_MS && settled {
            break runs;
        }
        assert!(real.elapsed() < Duration::from_secs(240), "the simulated week took too long in real time; clock at {}", clock.now_ms());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // The firing log: exactly the five weekday ticks, each run successful.
    let firings = store.firings(&id, 100).await.unwrap();
    let mut fired: Vec<i64> = firings.iter().map(|firing| firing.fire_key.parse().unwrap()).collect();
    fired.sort_unstable();
    assert_eq!(fired, TICKS.map(ms).to_vec(), "firing log: {firings:?}");
    assert_eq!(children.len(), 5, "{children:#?}");
    assert!(children.iter().all(|run| run["Status"] == "Success"), "{children:#?}");

    // The trigger execution waits for next Thursday's tick, and says so.
    let trigger = &oos(&root, "ListExecutions", &[("ExecutionId", &id)]).await["Executions"][0];
    assert_eq!(trigger["Status"], "Waiting", "{trigger}");
    assert_eq!(trigger["Category"], "TimerTrigger", "{trigger}");
    assert_eq!(trigger["NextScheduleTime"], "2026-10-29T07:00:00Z", "{trigger}");
    assert_eq!(trigger["LastTriggerTime"].as_str().map(|t| ms(t) - ms(TICKS[4])).map(|late| (0..60_000).contains(&late)), Some(true), "{trigger}");
    assert_eq!(trigger["LastTriggerStatus"], "Success", "{trigger}");

    // What the fleet saw: each Dev instance started within a minute of each tick and stopped
    // twelve hours later (20:00 local); the Prod instance never.
    let records = store.audit_records(&AuditQuery { limit: 10_000, ..AuditQuery::default() }).await.unwrap();
    let calls = |api: &str, instance: &str| -> Vec<i64> {
        records
            .iter()
            .filter(|record| record.kind == "CloudCall")
            .filter_map(|record| serde_json::from_str::<Value>(&record.body).ok().map(|body| (record.time_ms, body)))
            .filter(|(_, body)| body["Action"] == api && body["ResultCode"] == "Success" && body["Parameters"]["InstanceId"] == instance)
            .map(|(at, _)| at)
            .collect()
    };
    for instance in ["i-dev1", "i-dev2"] {
        let starts = calls("StartInstance", instance);
        let stops = calls("StopInstance", instance);
        assert_eq!(starts.len(), 5, "{instance} starts: {starts:?}");
        assert_eq!(stops.len(), 5, "{instance} stops: {stops:?}");
        for (tick, (start, stop)) in TICKS.iter().zip(starts.iter().zip(&stops)) {
            let tick = ms(tick);
            assert!((tick..tick + 60_000).contains(start), "{instance} started at {start}, tick {tick}");
            assert!((tick + 12 * HOUR_MS..tick + 12 * HOUR_MS + 120_000).contains(stop), "{instance} stopped at {stop}, tick {tick}");
        }
        assert_eq!(emulator.emulator().instance(instance).unwrap().status, "Stopped");
    }
    assert!(calls("StartInstance", "i-prod1").is_empty() && calls("StopInstance", "i-prod1").is_empty());
    assert_eq!(emulator.emulator().instance("i-prod1").unwrap().status, "Running");
    let firing_records = records.iter().filter(|record| record.kind == "Trigger").count();
    assert_eq!(firing_records, 5, "every firing is audited");
    server.shutdown().await;
    drop(bed);
}
