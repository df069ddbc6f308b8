//! `Event::Poke`: a WaitFor waiting out its back-off polls at once when poked (a managed instance's
//! command finished), its old timer then finds nothing to do; a Sleep is never cut short.

mod support;

use oos_engine::{Effect, EngineConfig, Event, Mode, create, step};
use serde_json::{Value, json};
use support::{T0, new_execution};

const TEMPLATE: &str = r#"
FormatVersion: OOS-2019-06-01
Tasks:
  - Name: wait
    Action: ACS::WaitFor
    Retries: 5
    Properties:
      Service: Bench
      API: Poll
      DesiredValues: [Ready]
      PropertySelector: Status
  - Name: nap
    Action: ACS::Sleep
    Properties:
      Duration: PT1H
"#;

fn calls(effects: &[Effect]) -> Vec<&oos_engine::Call> {
    effects.iter().filter_map(|effect| if let Effect::Call(call) = effect { Some(call) } else { None }).collect()
}

fn timer(effects: &[Effect]) -> Option<(String, u32, i64)> {
    effects.iter().find_map(|effect| match effect {
        Effect::Timer { task_execution_id, attempt, at_ms, .. } => Some((task_execution_id.clone(), *attempt, *at_ms)),
        _ => None,
    })
}

fn answer(call: &oos_engine::Call, status: &str) -> Event {
    Event::ActionDone { task_execution_id: call.task_execution_id.clone(), attempt: call.attempt, outcome: Ok(json!({"Status": status})) }
}

#[test]
fn a_poke_makes_a_waiting_wait_for_poll_now_and_leaves_sleeps_alone() {
    let config = EngineConfig::default();
    let mut execution = create(new_execution("exec-poke", TEMPLATE, Value::Null, Mode::Automatic), T0, &config).unwrap();
    let effects = step(&mut execution, Event::Start, T0, &config);
    let first = calls(&effects)[0].clone();
    let effects = step(&mut execution, answer(&first, "Pending"), T0 + 10, &config);
    let (task, attempt, at_ms) = timer(&effects).expect("the WaitFor waits out its back-off");
    assert!(at_ms > T0 + 10, "the next poll is due later");

    // Poked before the timer: it polls at once.
    let effects = step(&mut execution, Event::Poke, T0 + 20, &config);
    let polls = calls(&effects);
    assert_eq!(polls.len(), 1, "one poll now: {effects:?}");
    assert_eq!(polls[0].task_execution_id, task);
    let effects = step(&mut execution, answer(polls[0], "Ready"), T0 + 30, &config);
    assert!(timer(&effects).is_some(), "the WaitFor is done and the Sleep waits its hour: {effects:?}");

    // The WaitFor's old timer fires: nothing happens.
    let effects = step(&mut execution, Event::TimerFired { task_execution_id: task, attempt }, at_ms, &config);
    assert!(effects.is_empty(), "a stale poll timer does nothing: {effects:?}");

    // A poke during the Sleep does not end it.
    let effects = step(&mut execution, Event::Poke, T0 + 40, &config);
    assert!(effects.is_empty(), "a Sleep is not cut short: {effects:?}");
    assert_eq!(execution.tasks.iter().filter(|task| task.status == oos_engine::TaskStatus::Running).count(), 1);
}
