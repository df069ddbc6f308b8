//! Trigger executions in the engine core, in virtual time: a weekday cron in a time zone fires the
//! rest of the template once per tick as child executions; a tick that comes late past the misfire
//! bound fires once for all the missed ones; pause, resume, cancel, a one-time `at`, events with
//! their payload as the trigger task's result, and triggers that cannot be armed.

mod support;

use oos_engine::{Event, ExecutionStatus, FireSource, Mode, TaskStatus, TriggerSignal};
use serde_json::{Value, json};
use support::{Harness, T0, bench};

/// 2023-11-14T22:13:20Z, a Tuesday.
const _: () = assert!(T0 == 1_700_000_000_000);
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

const WEEKDAYS: &str = r#"
FormatVersion: OOS-2019-06-01
Parameters:
  cron: {Type: String, Default: '0 0 8 ? * MON-FRI'}
  zone: {Type: String, Default: Europe/Berlin}
Tasks:
- Name: timerTrigger
  Action: ACS::TimerTrigger
  Properties: {Type: cron, Expression: '{{ cron }}', TimeZone: '{{ zone }}', EndDate: '2099-12-01T00:00:00Z'}
  Outputs:
    tick: {Type: String, ValueSelector: .triggerTime}
- Name: echo
  Action: ACS::ExecuteAPI
  Properties: {Service: Bench, API: Echo, Parameters: {At: '{{ timerTrigger.tick }}'}}
  Outputs:
    at: {Type: String, ValueSelector: .At}
Outputs:
  at: {Type: String, Value: '{{ echo.at }}'}
"#;

const EVENTS: &str = r#"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: eventTrigger
  Action: ACS::EventTrigger
  Properties: {Product: ECS, Name: ['Instance:StateChange'], Content: {state: [Stopped]}}
  Outputs:
    instanceId: {Type: String, ValueSelector: .content.resourceId}
- Name: start
  Action: ACS::ExecuteAPI
  Properties: {Service: Bench, API: Echo, Parameters: {InstanceId: '{{ eventTrigger.instanceId }}'}}
  Outputs:
    id: {Type: String, ValueSelector: .InstanceId}
Outputs:
  instanceId: {Type: String, Value: '{{ start.id }}'}
"#;

/// The runs of trigger execution `id`'s firings, by creation time: (status, outputs).
fn firings(h: &Harness, id: &str) -> Vec<(ExecutionStatus, Value)> {
    let mut runs: Vec<_> = h.executions.values().filter(|e| e.parent_execution_id.as_deref() == Some(id)).collect();
    runs.sort_by_key(|e| (e.created_ms, e.id.clone()));
    runs.iter().map(|e| (e.status, Value::Object(e.outputs.clone().unwrap_or_default()))).collect()
}

fn trigger_state(h: &Harness, id: &str) -> oos_engine::TriggerState {
    h.execution(id).tasks[0].state.trigger.clone().expect("an armed trigger")
}

#[test]
fn a_weekday_cron_in_a_time_zone_fires_the_rest_of_the_template_once_per_tick() {
    let mut h = Harness::new(bench);
    let id = h.start_until(WEEKDAYS, json!({}), Mode::Automatic, T0 + 7 * DAY);
    // 08:00 in Berlin (UTC+1 in November) on Wednesday to Friday, then Monday and Tuesday.
    let ticks = ["2023-11-15T07:00:00Z", "2023-11-16T07:00:00Z", "2023-11-17T07:00:00Z", "2023-11-20T07:00:00Z", "2023-11-21T07:00:00Z"];
    let expected: Vec<(ExecutionStatus, Value)> = ticks.iter().map(|at| (ExecutionStatus::Success, json!({ "at": at }))).collect();
    assert_eq!(firings(&h, &id), expected);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Waiting, "the trigger execution waits for its next tick");
    assert_eq!(exec.tasks.len(), 1, "firings add no task executions to the trigger execution");
    let state = trigger_state(&h, &id);
    assert_eq!(state.fired, 5);
    assert_eq!(state.next_ms, Some(1_700_636_400_000), "next: Wednesday 2023-11-22T07:00:00Z");
    let last = state.last.expect("a last firing");
    assert_eq!((last.status, last.fired_ms), (ExecutionStatus::Success, 1_700_550_000_000));
    assert_eq!(last.outputs.get("at"), Some(&json!("2023-11-21T07:00:00Z")));
    assert_eq!(state.last_success_ms, Some(1_700_550_000_000));
    // Each run's trigger task is done, with the tick as its result.
    let child = h.executions.values().find(|e| e.parent_execution_id.as_deref() == Some(id.as_str())).unwrap();
    assert_eq!(child.tasks[0].status, TaskStatus::Success);
    assert_eq!(child.tasks[0].name, "timerTrigger");
}

#[test]
fn ticks_missed_past_the_misfire_bound_fire_once_and_late_ones_within_it_fire_each() {
    let mut h = Harness::new(bench);
    // 22:13:20 → ticks at 22:14, 22:15 and 22:16.
    let id = h.start_until(WEEKDAYS, json!({"cron": "0 * * * * ?", "zone": "UTC"}), Mode::Automatic, T0 + 3 * MINUTE);
    assert_eq!(firings(&h, &id).len(), 3);
    // Every worker is down from 22:16:20 to 22:26:20: the 22:17 tick comes due 9m20s late.
    h.now = T0 + 13 * MINUTE;
    h.run_until(h.now);
    assert_eq!(firings(&h, &id).len(), 4, "ten missed ticks fire once");
    let state = trigger_state(&h, &id);
    assert_eq!(state.last.as_ref().unwrap().key, (T0 + 3 * MINUTE + 40_000).to_string(), "the firing is named by the first missed tick");
    assert_eq!(state.next_ms, Some(T0 + 13 * MINUTE + 40_000), "ticks are counted again from now: 22:27");
    // Late by less than the bound (a worker took a dead worker's trigger over): each tick fires.
    h.config.trigger_misfire_ms = 5 * MINUTE;
    h.now = T0 + 15 * MINUTE + 50_000; // 22:29:10 — the 22:27, 22:28 and 22:29 ticks are due
    h.run_until(h.now);
    assert_eq!(firings(&h, &id).len(), 7);
    assert!(firings(&h, &id).iter().all(|(status, _)| *status == ExecutionStatus::Success));
}

#[test]
fn a_paused_trigger_skips_its_ticks_and_resumes_from_now() {
    let mut h = Harness::new(bench);
    let id = h.start_until(WEEKDAYS, json!({"cron": "0 * * * * ?", "zone": "UTC"}), Mode::Automatic, T0 + 2 * MINUTE);
    assert_eq!(firings(&h, &id).len(), 2);
    h.send_now(&id, Event::Trigger(TriggerSignal::Pause));
    assert!(trigger_state(&h, &id).paused);
    assert_eq!(trigger_state(&h, &id).next_ms, None);
    h.run_until(T0 + 10 * MINUTE);
    assert_eq!(firings(&h, &id).len(), 2, "no firing while paused");
    h.send_now(&id, Event::Trigger(TriggerSignal::Resume));
    h.run_until(T0 + 12 * MINUTE);
    assert_eq!(firings(&h, &id).len(), 4, "22:24 and 22:25 after resuming at 22:23:20");
}

#[test]
fn cancelling_a_trigger_execution_stops_its_firings() {
    let mut h = Harness::new(bench);
    let id = h.start_until(WEEKDAYS, json!({"cron": "0 * * * * ?", "zone": "UTC"}), Mode::Automatic, T0 + 2 * MINUTE);
    h.send_now(&id, Event::Cancel);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Cancelled);
    assert_eq!(firings(&h, &id).len(), 2);
}

#[test]
fn a_one_time_trigger_fires_once_and_its_execution_ends() {
    let template = WEEKDAYS.replace("Type: cron, Expression: '{{ cron }}'", "Type: at, Expression: '2023-11-15T09:30:00+01:00'");
    let mut h = Harness::new(bench);
    let id = h.start(&template, json!({}), Mode::Automatic);
    h.run();
    assert_eq!(firings(&h, &id), vec![(ExecutionStatus::Success, json!({"at": "2023-11-15T08:30:00Z"}))]);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Success);
    assert_eq!(exec.tasks[0].status, TaskStatus::Success);
}

#[test]
fn an_event_is_the_trigger_task_result_of_its_run_and_a_paused_trigger_ignores_events() {
    let mut h = Harness::new(bench);
    let id = h.start(EVENTS, json!({}), Mode::Automatic);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);
    let fire = |key: &str, instance: &str| {
        Event::Trigger(TriggerSignal::Fire { key: key.into(), source: FireSource::Event, payload: json!({"content": {"resourceId": instance, "state": "Stopped"}}) })
    };
    h.send_now(&id, fire("evt-1", "i-1"));
    assert_eq!(firings(&h, &id), vec![(ExecutionStatus::Success, json!({"instanceId": "i-1"}))]);
    h.send_now(&id, fire("evt-1", "i-1"));
    assert_eq!(firings(&h, &id).len(), 1, "the same event delivered again fires once");
    assert_eq!(trigger_state(&h, &id).last.unwrap().status, ExecutionStatus::Success, "and leaves the last firing as it was");
    h.send_now(&id, Event::Trigger(TriggerSignal::Pause));
    h.send_now(&id, fire("evt-2", "i-2"));
    assert_eq!(firings(&h, &id).len(), 1);
    h.send_now(&id, Event::Trigger(TriggerSignal::Resume));
    h.send_now(&id, fire("evt-3", "i-3"));
    assert_eq!(firings(&h, &id).len(), 2);
    let state = trigger_state(&h, &id);
    assert_eq!(state.last.unwrap().outputs.get("instanceId"), Some(&json!("i-3")));
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting);
}

#[test]
fn a_trigger_that_cannot_be_armed_fails_its_execution_with_a_code() {
    let mut h = Harness::new(bench);
    let bad_cron = h.start(WEEKDAYS, json!({"cron": "0 0 25 ? * *"}), Mode::Automatic);
    let exec = h.execution(&bad_cron);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(exec.status_message.contains("InvalidTrigger.Expression"), "{}", exec.status_message);
    let bad_zone = h.start(WEEKDAYS, json!({"zone": "Mars/Olympus"}), Mode::Automatic);
    assert!(h.execution(&bad_zone).status_message.contains("InvalidTrigger.TimeZone"), "{}", h.execution(&bad_zone).status_message);
    let second = r#"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: nap, Action: ACS::Sleep, Properties: {Duration: PT1S}}
- {Name: timerTrigger, Action: ACS::TimerTrigger, Properties: {Type: rate, Expression: 1 hour}}
"#;
    let late = h.start(second, json!({}), Mode::Automatic);
    assert!(h.execution(&late).status_message.contains("InvalidTemplate.TriggerPosition"), "{}", h.execution(&late).status_message);
}
