//! A TimerTrigger across a server killed with SIGKILL and left down: the ticks missed while no
//! process ran fire once when the server is back (the documented misfire policy), the firings go on
//! every second afterwards, and no tick ever fires twice — before the kill, across it, or after.

mod attack;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use attack::{Target, template};
use serde_json::{Value, json};

const BOUND: Duration = Duration::from_secs(90);

/// The ticks the trigger fired (from its log lines `Timer firing <tick ms>: execution … started`)
/// and the log lines reporting missed ticks.
async fn firings(target: &Target, id: &str) -> (Vec<i64>, Vec<String>) {
    let logs = target.oos("ListExecutionLogs", &[("ExecutionId", id), ("MaxResults", "100")]).await;
    let messages: Vec<String> = logs["ExecutionLogs"].as_array().cloned().unwrap_or_default().iter().filter_map(|log| log["Message"].as_str().map(str::to_owned)).collect();
    let ticks = messages.iter().filter_map(|message| message.strip_prefix("Timer firing ")).filter_map(|rest| rest.split(':').next()?.parse().ok()).collect();
    let missed = messages.iter().filter(|message| message.contains("were missed")).cloned().collect();
    (ticks, missed)
}

async fn count(target: &Target, id: &str) -> i64 {
    target.oos("ListExecutions", &[("ExecutionId", id)]).await["Executions"][0]["TriggerCount"].as_i64().unwrap_or(0)
}

async fn until_count(target: &Target, id: &str, at_least: i64) {
    let deadline = Instant::now() + BOUND;
    while count(target, id).await < at_least {
        assert!(Instant::now() < deadline, "the trigger did not fire {at_least} times");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_missed_while_the_server_was_down_fire_once_and_none_fires_twice() {
    let mut target = Target::start(&["--trigger-misfire", "3"]);
    let every_second = template(json!([
        {"Name": "tick", "Action": "ACS::TimerTrigger", "Properties": {"Type": "cron", "Expression": "* * * * * ?"}},
        {"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}},
    ]));
    let id = target.run_inline(&every_second, &json!({})).await;
    until_count(&target, &id, 3).await;

    // Down for 8 s: about eight ticks fall due with no process to fire them.
    target.restart_after(Duration::from_secs(8));
    let before = count(&target, &id).await;
    until_count(&target, &id, before + 4).await;
    target.oos("CancelExecution", &[("ExecutionId", &id)]).await;
    let deadline = Instant::now() + BOUND;
    loop {
        let execution = target.oos("ListExecutions", &[("ExecutionId", &id)]).await["Executions"][0].clone();
        if execution["Status"] == "Cancelled" {
            assert_eq!(execution["TriggerStatus"], "Ended", "{execution}");
            break;
        }
        assert!(Instant::now() < deadline, "not cancelled: {execution}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (ticks, missed) = firings(&target, &id).await;
    let distinct: BTreeSet<i64> = ticks.iter().copied().collect();
    assert_eq!(distinct.len(), ticks.len(), "a tick fired twice: {ticks:?}");
    assert_eq!(missed.len(), 1, "one report of the missed ticks: {missed:?}");
    // The ticks fired are whole seconds, one second apart, except for one gap: the downtime, where
    // the first missed tick fired once for all of them.
    let gaps: Vec<i64> = ticks.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(ticks.iter().all(|tick| tick % 1000 == 0), "{ticks:?}");
    let long: Vec<&i64> = gaps.iter().filter(|gap| **gap != 1000).collect();
    assert_eq!(long.len(), 1, "ticks {ticks:?}, gaps {gaps:?}");
    assert!(*long[0] >= 5000, "the downtime skipped the missed ticks after firing the first once: {gaps:?}");
    // Every firing started one run, and each run ended.
    let runs = target.oos("ListExecutions", &[("ParentExecutionId", &id), ("MaxResults", "100")]).await;
    let runs: Vec<Value> = runs["Executions"].as_array().cloned().unwrap_or_default();
    assert_eq!(runs.len(), ticks.len(), "one run per firing");
    let trigger = count(&target, &id).await;
    assert_eq!(trigger as usize, ticks.len());
}
