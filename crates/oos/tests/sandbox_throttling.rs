//! Throttling back-off end to end: the sandbox cloud answers `Throttling.User` beyond 20
//! requests/s, and a 500-item StopInstance loop at concurrency 25 still completes with no failed
//! item, every instance stopped exactly as asked.

mod sandbox_support;

use std::time::{Duration, Instant};

use sandbox_support::SandboxDir;

const FLEET: &str = "
regions: [cn-hangzhou]
instances:
  - count: 500
    name: \"node-{index:03}\"
    region: cn-hangzhou
    status: Running
";

const TEMPLATE: &str = "
FormatVersion: OOS-2019-06-01
Tasks:
  - Name: describe
    Action: ACS::ExecuteAPI
    Properties:
      Service: ECS
      API: DescribeInstances
      Parameters:
        RegionId: cn-hangzhou
        PageSize: 100
    Outputs:
      instanceIds:
        Type: List
        ValueSelector: Instances.Instance[].InstanceId
  - Name: stop
    Action: ACS::ExecuteAPI
    Properties:
      Service: ECS
      API: StopInstance
      Parameters:
        InstanceId: '{{ ACS::TaskLoopItem }}'
    Loop:
      Items: '{{ describe.instanceIds }}'
      RateControl:
        Mode: Concurrency
        Concurrency: 25
        MaxErrors: 0
";

const RATE: f64 = 20.0;

#[test]
fn a_500_item_loop_completes_under_throttling_with_no_failed_item() {
    let sandbox = SandboxDir::new(FLEET);
    let template = sandbox.path().join("stop-all.yml");
    std::fs::write(&template, TEMPLATE).unwrap();

    let started = Instant::now();
    let run = sandbox.run_within(&template, &[], &["--throttle-rps", "20"], Duration::from_secs(300));
    let elapsed = started.elapsed();
    run.assert_success();

    let items: Vec<_> = run.tasks().into_iter().filter(|task| task["TaskName"] == "stop" && !task["LoopItem"].is_null()).collect();
    assert_eq!(items.len(), 500, "one iteration per instance");
    let failed: Vec<_> = items.iter().filter(|task| task["Status"] != "Success").collect();
    assert!(failed.is_empty(), "failed iterations: {failed:?}");

    let statuses = sandbox.statuses();
    assert_eq!(statuses.len(), 500);
    assert!(statuses.iter().all(|status| status == "Stopped"), "every instance stopped: {statuses:?}");

    // 506 calls (6 describe pages, 500 stops) through a 20/s bucket with a burst of 20 cannot
    // finish in under (506 - 20) / 20 s unless the throttle was bypassed: this proves the calls
    // were really throttled and retried, not that anything is fast.
    let floor = Duration::from_secs_f64((506.0 - RATE) / RATE);
    assert!(elapsed >= floor, "finished in {elapsed:?}: the throttle was not in effect");
}
