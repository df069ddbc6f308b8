//! The whole product in virtual time: a server, its worker, its cloud client and the emulator on
//! one `VirtualClock` that skips ahead whenever everything waits. Through the signed API (the
//! client dates its signatures by the same clock), a template sleeps six hours, stops an instance
//! and waits for it with half-hourly polls, then waits two hours for an approval; the run takes
//! real seconds and every recorded time is the clock's. A path left on the system clock shows: a
//! wait would take hours of real time, a recorded date would be of today, not of 2030, or the
//! server would refuse the client's signatures as expired.

mod api_client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_client::{Backend, call, client, ram, start_timed};
use oos_clock::{Clock, VirtualClock};
use oos_cloud::{CloudClient, Credentials};
use oos_emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator};
use oos_runtime::RuntimeConfig;
use oos_server::OOS_VERSION;
use oos_store::audit::AuditQuery;
use serde_json::{Value, json};

/// 2030-01-01T00:00:00Z: far from any real date of a test run.
const START_MS: i64 = 1_893_456_000_000;
const HOUR_MS: i64 = 3_600_000;

const TEMPLATE: &str = r#"
FormatVersion: OOS-2019-06-01
Parameters:
  InstanceId: {Type: String}
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT6H}}
- Name: stop
  Action: ACS::ExecuteAPI
  Properties: {Service: ECS, API: StopInstance, Parameters: {InstanceId: '{{ InstanceId }}'}}
- Name: stopped
  Action: ACS::WaitFor
  DelayType: Constant
  Delay: 1800
  MaxRetryInterval: 1800
  Properties:
    Service: ECS
    API: DescribeInstances
    Parameters: {RegionId: cn-hangzhou, InstanceIds: ['{{ InstanceId }}']}
    PropertySelector: Instances.Instance[].Status
    DesiredValues: [Stopped]
- {Name: approval, Action: ACS::Approve}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_of_sleep_polling_and_approval_pass_in_virtual_time_on_sqlite() {
    hours_of_sleep_polling_and_approval_pass_in_virtual_time(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_of_sleep_polling_and_approval_pass_in_virtual_time_on_postgres() {
    hours_of_sleep_polling_and_approval_pass_in_virtual_time(Backend::Postgres).await;
}

async fn hours_of_sleep_polling_and_approval_pass_in_virtual_time(backend: Backend) {
    let real = Instant::now();
    let clock = VirtualClock::new(START_MS);
    clock.auto_advance(Duration::from_millis(5));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    // The emulator's instances take an hour from Stopping to Stopped, on the same clock.
    let emulator_clock = shared.clone();
    let emulator = Emulator::builder()
        .default_region("cn-hangzhou")
        .transition_delay(Duration::from_secs(3600))
        .clock(move || emulator_clock.timestamp())
        .build()
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let cloud = client(&emulator.url(), Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)).with_clock(shared.clone());
    // Every wait of the worker stops the virtual clock: poll every ten minutes, lease for an hour.
    let runtime = RuntimeConfig { poll_interval: Duration::from_secs(600), lease_ttl: Duration::from_secs(3600), ..RuntimeConfig::default() };
    let (server, root, bed) = start_timed(backend, cloud, runtime, shared.clone()).await;

    let created = oos(&root, "CreateTemplate", &[("TemplateName", "long-haul"), ("Content", TEMPLATE)]).await;
    let created_ms = ms(&created["Template"]["CreatedDate"]);
    assert!(created_ms >= START_MS && created_ms <= clock.now_ms(), "the template is dated by the clock: {created}");
    let user = ram(&root, "CreateUser", &[("UserName", "ops")]).await;
    let user_ms = ms(&user["User"]["CreateDate"]);
    assert!(user_ms >= START_MS && user_ms <= clock.now_ms(), "so is a RAM user: {user}");
    let instance = emulator.emulator().instances()[0].instance_id.clone();
    let before_start = clock.now_ms();
    let started = oos(&root, "StartExecution", &[("TemplateName", "long-haul"), ("Parameters", &json!({"InstanceId": instance}).to_string())]).await;
    let id = started["Execution"]["ExecutionId"].as_str().unwrap().to_owned();

    let waiting = until_status(&root, &id, "Waiting").await;
    assert_eq!(emulator.emulator().instance(&instance).unwrap().status, "Stopped");
    // Nobody approves for two hours.
    let asked_at = clock.now_ms();
    clock.advance(Duration::from_secs(2 * 3600));
    oos(&root, "NotifyExecution", &[("ExecutionId", &id), ("NotifyType", "Approve")]).await;
    let done = until_status(&root, &id, "Success").await;
    assert_eq!(waiting["StartDate"], done["StartDate"]);

    let (start, end) = (ms(&done["StartDate"]), ms(&done["EndDate"]));
    assert!(start >= before_start - 1000 && start <= asked_at, "started by the clock: {done}");
    assert!(end >= asked_at + 2 * HOUR_MS && end <= clock.now_ms(), "ended after the approval, by the clock: {done}");
    let tasks = oos(&root, "ListTaskExecutions", &[("ExecutionId", &id)]).await;
    // TotalCount counts every matching task, not the page (the console counts loop items with it).
    let first = oos(&root, "ListTaskExecutions", &[("ExecutionId", &id), ("MaxResults", "1")]).await;
    assert_eq!((first["TaskExecutions"].as_array().map(Vec::len), first["TotalCount"].as_u64()), (Some(1), Some(tasks["TaskExecutions"].as_array().unwrap().len() as u64)), "{first}");
    let took = |name: &str| {
        let task = tasks["TaskExecutions"].as_array().unwrap().iter().find(|task| task["TaskName"] == name).unwrap_or_else(|| panic!("no task {name}: {tasks}"));
        assert_eq!(task["Status"], "Success", "{task}");
        ms(&task["EndDate"]) - ms(&task["StartDate"])
    };
    let nap = took("nap");
    assert!((6 * HOUR_MS - 1000..=6 * HOUR_MS + 1000).contains(&nap), "the Sleep took six hours: {nap} ms");
    // Polled at the stop, half an hour and an hour after it: Stopped at the third.
    let stopped = took("stopped");
    assert!((HOUR_MS - 1000..=HOUR_MS + 1000).contains(&stopped), "the WaitFor took an hour: {stopped} ms");
    assert!(took("approval") >= 2 * HOUR_MS, "the approval waited two hours");
    assert!(end - start >= 9 * HOUR_MS, "nine hours and more from start to end: {} ms", end - start);
    server.shutdown().await;

    // The audit trail is dated by the clock too: the API requests, and each cloud call of the run,
    // the WaitFor's three polls half an hour apart.
    let store = bed.store().await;
    let records = store.audit_records(&AuditQuery { limit: 1000, ..AuditQuery::default() }).await.unwrap();
    assert!(records.iter().any(|record| record.kind == "ApiCall"));
    assert!(records.iter().all(|record| (START_MS..=clock.now_ms()).contains(&record.time_ms)), "{records:?}");
    let polls: Vec<i64> = records.iter().filter(|record| record.kind == "CloudCall" && record.body.contains("DescribeInstances")).map(|record| record.time_ms).collect();
    assert_eq!(polls.len(), 3, "{records:?}");
    assert!(polls.windows(2).all(|pair| (pair[1] - pair[0] - HOUR_MS / 2).abs() <= 1000), "{polls:?}");
    assert!(real.elapsed() < Duration::from_secs(60), "{:?} of real time", real.elapsed());
}

async fn oos(client: &CloudClient, action: &str, params: &[(&str, &str)]) -> Value {
    call(client, OOS_VERSION, action, params).await.unwrap_or_else(|error| panic!("{action}: {error:?}"))
}

/// Unix ms of an API date (`2030-01-01T06:00:00Z`).
fn ms(date: &Value) -> i64 {
    let text = date.as_str().unwrap_or_else(|| panic!("not a date: {date}"));
    text.parse::<jiff::Timestamp>().unwrap_or_else(|error| panic!("{text}: {error}")).as_millisecond()
}

/// GetExecution's execution once it has `status` (a few real seconds at most: the clock skips ahead).
async fn until_status(client: &CloudClient, id: &str, status: &str) -> Value {
    for _ in 0..600 {
        let answer = oos(client, "ListExecutions", &[("ExecutionId", id)]).await;
        let execution = &answer["Executions"][0];
        match execution["Status"].as_str() {
            Some(now) if now == status => return execution.clone(),
            Some("Failed" | "Cancelled") => panic!("execution ended {execution}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("execution {id} never became {status}");
}
