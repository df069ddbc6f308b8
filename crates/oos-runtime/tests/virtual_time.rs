//! A worker on a virtual clock: a six-hour Sleep and a WaitFor that polls hourly run in real
//! milliseconds, and the times recorded are the clock's — the worker waits on nothing else.

mod bench_api;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_api::{Bed, Bench, on_both, request, worker};
use oos_clock::VirtualClock;
use oos_engine::ExecutionStatus;
use oos_runtime::RuntimeConfig;
use serde_json::json;

on_both!(hours_of_sleeping_and_polling_pass_on_the_virtual_clock);

const START_MS: i64 = 1_767_225_600_000;
const HOUR_MS: i64 = 3_600_000;

async fn hours_of_sleeping_and_polling_pass_on_the_virtual_clock(bed: Bed) {
    let clock = VirtualClock::new(START_MS);
    clock.auto_advance(Duration::from_millis(5));
    // Every wait of the worker is a stop of the virtual clock: poll and renew coarsely.
    let config = RuntimeConfig { poll_interval: Duration::from_secs(600), lease_ttl: Duration::from_secs(3600), ..RuntimeConfig::default() };
    let (worker, store) = worker(&bed, Arc::new(Bench::default()), config).await;
    let mut worker = worker.with_clock(Arc::new(clock.clone()));
    let template = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT6H}}
- Name: wait
  Action: ACS::WaitFor
  DelayType: Constant
  Delay: 3600
  MaxRetryInterval: 3600
  Properties: {Service: Bench, API: Count, Parameters: {Key: polls}, PropertySelector: Count, DesiredValues: ['3']}
";
    let real = Instant::now();
    let id = worker.start(request(template, json!({}))).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), worker.settle(&id)).await.expect("virtual hours in real seconds").unwrap();
    assert_eq!(status, ExecutionStatus::Success);
    let execution = store.execution(&id).await.unwrap().unwrap();
    let tasks = store.tasks(&id).await.unwrap();
    let (nap, wait) = (&tasks[0], &tasks[1]);
    assert_eq!(execution.start_ms, Some(START_MS), "started at the clock's time");
    assert_eq!(nap.end_ms.zip(nap.start_ms).map(|(end, start)| end - start), Some(6 * HOUR_MS), "the Sleep took six hours");
    // Three polls an hour apart: two hours from the first to the last.
    assert_eq!(wait.end_ms.zip(wait.start_ms).map(|(end, start)| end - start), Some(2 * HOUR_MS), "the WaitFor took two hours");
    let total = execution.end_ms.unwrap() - START_MS;
    assert!((8 * HOUR_MS..9 * HOUR_MS).contains(&total), "{total} ms of virtual time");
    assert!(real.elapsed() < Duration::from_secs(30), "{:?} of real time", real.elapsed());
}
