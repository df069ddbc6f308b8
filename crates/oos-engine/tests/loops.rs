//! Loops in virtual time: rate control (Concurrency number/percentage, Batch mode with pauses,
//! legacy flat keys, Debug), MaxErrors, the items cap, Loop.Outputs, loops of child executions.

mod support;

use oos_engine::{Event, ExecutionStatus, Mode, Notify, NotifyType, TaskStatus};
use serde_json::{Value, json};
use support::{Harness, bench};

/// A loop over `items` echoing each item (failing on items that are "fail"), with `rate` as the
/// Loop's extra keys (YAML flow mapping entries).
fn loop_template(rate: &str) -> String {
    format!(
        r"
FormatVersion: OOS-2019-06-01
Parameters:
  items: {{Type: List}}
Tasks:
- Name: each
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{{{ items }}}}'
    {rate}
    Outputs:
      values: {{AggregateType: Fn::ListJoin, AggregateField: value}}
      total: {{AggregateType: Fn::Sum, AggregateField: value}}
  Properties:
    Service: Bench
    API: {{'Fn::If': [{{'Fn::Equals': [fail, '{{{{ ACS::TaskLoopItem }}}}']}}, Fail, Echo]}}
    Parameters: {{Value: '{{{{ ACS::TaskLoopItem }}}}'}}
  Outputs: {{value: {{Type: Number, ValueSelector: .Value}}}}
Outputs:
  values: {{Type: List, Value: '{{{{ each.values }}}}'}}
  total: {{Type: Number, Value: '{{{{ each.total }}}}'}}
"
    )
}

fn numbers(n: i64) -> Value {
    Value::Array((0..n).map(Value::from).collect())
}

fn iterations(h: &Harness, id: &str) -> Vec<(TaskStatus, Option<i64>)> {
    h.execution(id).tasks.iter().filter(|t| t.parent.is_some()).map(|t| (t.status, t.batch_number)).collect()
}

#[test]
fn concurrency_limits_and_aggregates_in_item_order() {
    let cases: [(&str, usize); 5] = [
        ("RateControl: {Mode: Concurrency, Concurrency: 7, MaxErrors: 0}", 7),
        ("RateControl: {Mode: Concurrency, Concurrency: 10%}", 5),
        ("Concurrency: 3", 3),
        ("RateControl: {Mode: Concurrency, Concurrency: '4'}", 4),
        ("", 1),
    ];
    for (rate, limit) in cases {
        let mut h = Harness::new(bench);
        let id = h.start(&loop_template(rate), json!({"items": numbers(50)}), Mode::Automatic);
        let exec = h.execution(&id);
        assert_eq!(exec.status, ExecutionStatus::Success, "{rate}: {}", exec.status_message);
        assert_eq!(h.max_running, limit, "{rate}");
        let outputs = exec.outputs.clone().unwrap();
        assert_eq!(outputs["values"], numbers(50), "{rate}");
        assert_eq!(outputs["total"], json!(1225), "{rate}");
        assert_eq!(iterations(&h, &id).len(), 50);
    }
}

#[test]
fn max_errors_number_and_percentage() {
    let items = json!(["1", "fail", "2", "fail", "3"]);
    let cases = [
        ("RateControl: {Mode: Concurrency, Concurrency: 1, MaxErrors: 1}", ExecutionStatus::Failed, 4),
        ("RateControl: {Mode: Concurrency, Concurrency: 1, MaxErrors: 2}", ExecutionStatus::Success, 5),
        ("RateControl: {Mode: Concurrency, Concurrency: 1, MaxErrors: 40%}", ExecutionStatus::Success, 5),
        ("RateControl: {Mode: Concurrency, Concurrency: 1, MaxErrors: 20%}", ExecutionStatus::Failed, 4),
        ("MaxErrors: 100%", ExecutionStatus::Success, 5),
        ("RateControl: {Mode: Concurrency, Concurrency: 1}", ExecutionStatus::Failed, 2),
    ];
    for (rate, status, dispatched) in cases {
        let mut h = Harness::new(bench);
        let id = h.start(&loop_template(rate), json!({ "items": items }), Mode::Automatic);
        assert_eq!(h.execution(&id).status, status, "{rate}");
        assert_eq!(iterations(&h, &id).len(), dispatched, "{rate}: iterations started before stopping");
    }
}

#[test]
fn batches_with_pauses_and_debug_runs_one_at_a_time() {
    let rate = "RateControl: {Mode: Batch, Batch: [2, 30%], ConcurrencyInBatches: [1, 2], MaxErrors: 0, BatchPauseOption: EveryBatchPause}";
    let mut h = Harness::new(bench);
    let id = h.start(&loop_template(rate), json!({"items": numbers(10)}), Mode::Automatic);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Waiting, "paused after batch 1");
    assert_eq!(iterations(&h, &id).iter().map(|i| i.1).collect::<Vec<_>>(), vec![Some(1), Some(1)]);
    for _ in 0..3 {
        h.send(&id, Event::Notify(Notify::of(NotifyType::Resume)));
    }
    assert_eq!(h.execution(&id).status, ExecutionStatus::Success);
    let batches: Vec<_> = iterations(&h, &id).iter().map(|i| i.1.unwrap()).collect();
    assert_eq!(batches, vec![1, 1, 2, 2, 2, 3, 3, 3, 4, 4]);
    assert_eq!(h.max_running, 2);

    let mut debug = Harness::new(bench);
    let id = debug.start(&loop_template("Concurrency: 10"), json!({"items": numbers(5)}), Mode::Debug);
    debug.send(&id, Event::Notify(Notify::of(NotifyType::ExecuteTask)));
    assert_eq!(debug.max_running, 1, "Debug forces sequential iterations");
    assert_eq!(iterations(&debug, &id).len(), 5);
}

#[test]
fn empty_items_succeed_and_the_cap_is_enforced() {
    let mut h = Harness::new(bench);
    let id = h.start(&loop_template("Concurrency: 5"), json!({"items": []}), Mode::Automatic);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Success);
    assert_eq!(h.execution(&id).outputs.clone().unwrap()["values"], json!([]));

    let mut h = Harness::new(bench);
    let id = h.start(&loop_template("Concurrency: 50"), json!({"items": numbers(1001)}), Mode::Automatic);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(exec.tasks[0].status_message.contains("1001 items exceed the limit of 1000"), "{}", exec.tasks[0].status_message);

    let mut h = Harness::new(bench);
    h.config.max_loop_items = 10_000;
    let id = h.start(&loop_template("Concurrency: 50"), json!({"items": numbers(10_000)}), Mode::Automatic);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Success);
    assert_eq!(h.execution(&id).outputs.clone().unwrap()["total"], json!(49_995_000));
    assert_eq!(h.max_running, 50);
}

#[test]
fn product_actions_run_as_children_per_item() {
    let mut h = Harness::new(bench);
    h.library.insert(
        "ACS::Test::Double".into(),
        r"
FormatVersion: OOS-2019-06-01
Parameters: {value: {Type: Number}}
Tasks:
- {Name: echo, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {Twice: {'Fn::Eval': ['{{ value }}*2']}}}, Outputs: {twice: {Type: Number, ValueSelector: .Twice}}}
Outputs: {doubled: {Type: Number, Value: '{{ echo.twice }}'}}
"
        .into(),
    );
    let parent = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: double
  Action: ACS::Test::Double
  Loop: {Items: [1, 2, 3], Concurrency: 2, Outputs: {all: {AggregateType: Fn::ListJoin, AggregateField: doubled}}}
  Properties: {value: '{{ ACS::TaskLoopItem }}'}
  Outputs: {doubled: {Type: Number, ValueSelector: .doubled}}
- Name: missing
  Action: ACS::Test::Missing
  Properties: {}
Outputs: {all: {Type: List, Value: '{{ double.all }}'}}
";
    let id = h.start(parent, json!({}), Mode::Automatic);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Failed);
    let missing = exec.latest_run("missing").unwrap();
    assert!(missing.status_message.contains("EntityNotExists.Template"), "{}", missing.status_message);
    let doubled = exec.latest_run("double").unwrap().outputs.clone().unwrap();
    assert_eq!(doubled["all"], json!([2, 4, 6]));
    let children: Vec<_> = h.executions.values().filter(|e| e.parent_execution_id.as_deref() == Some(id.as_str())).collect();
    assert_eq!(children.len(), 3);
    assert!(children.iter().all(|c| c.status == ExecutionStatus::Success));
}

#[test]
fn cancel_reaches_running_children() {
    let mut h = Harness::new(bench);
    h.library.insert(
        "Waiter".into(),
        "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: pause, Action: ACS::Pause}\n".into(),
    );
    let id = h.start(
        "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: child, Action: ACS::Template, Properties: {TemplateName: Waiter}}\n",
        json!({}),
        Mode::Automatic,
    );
    assert_eq!(h.execution(&id).status, ExecutionStatus::Running);
    h.send(&id, Event::Cancel);
    assert_eq!(h.execution(&id).status, ExecutionStatus::Cancelled);
    let child = h.executions.values().find(|e| e.parent_execution_id.is_some()).unwrap();
    assert_eq!(child.status, ExecutionStatus::Cancelled);
}

#[test]
fn start_executions_loop_mode_overrides_the_batch_pause_option() {
    let rate = "RateControl: {Mode: Batch, Batch: [2], ConcurrencyInBatches: [2], MaxErrors: 0}";
    let mut h = Harness::new(bench);
    let request = support::new_execution("exec-loop-mode", &loop_template(rate), json!({"items": numbers(6)}), Mode::Automatic);
    let mut execution = oos_engine::create(request, h.now, &h.config).unwrap();
    execution.flow.loop_mode = Some(oos_engine::BatchPause::FirstBatchPause);
    h.executions.insert("exec-loop-mode".into(), execution);
    h.send("exec-loop-mode", Event::Start);
    assert_eq!(h.execution("exec-loop-mode").status, ExecutionStatus::Waiting, "LoopMode FirstBatchPause pauses a loop whose own option is Automatic");
    assert_eq!(iterations(&h, "exec-loop-mode").len(), 2);
    h.send("exec-loop-mode", Event::Notify(Notify::of(NotifyType::Resume)));
    assert_eq!(h.execution("exec-loop-mode").status, ExecutionStatus::Success, "only the first batch pauses");
    assert_eq!(iterations(&h, "exec-loop-mode").len(), 6);
}

/// A loop task whose `When` selects by `ACS::TaskLoopItem` (as ACS-ECS-BulkyInstallARMSAgent's
/// does): each iteration evaluates it; false skips that iteration only, and a loop whose every
/// iteration is skipped is itself Skipped.
#[test]
fn when_is_evaluated_per_iteration_with_the_loop_item() {
    let template = |items: &str| {
        format!(
            r#"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: each
  Action: ACS::ExecuteAPI
  When: {{'Fn::Equals': [linux, {{'Fn::Jq': [First, '.[] | select(.id == "{{{{ ACS::TaskLoopItem }}}}") | .os', [{{id: a, os: linux}}, {{id: b, os: windows}}, {{id: c, os: linux}}]]}}]}}
  Loop:
    Items: {items}
    Outputs:
      values: {{AggregateType: Fn::ListJoin, AggregateField: value}}
  Properties:
    Service: Bench
    API: Echo
    Parameters: {{Value: '{{{{ ACS::TaskLoopItem }}}}'}}
  Outputs: {{value: {{Type: String, ValueSelector: .Value}}}}
"#
        )
    };
    let mut h = Harness::new(bench);
    let id = h.start(&template("[a, b, c]"), json!({}), Mode::Automatic);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Success, "{}", exec.status_message);
    let statuses: Vec<TaskStatus> = exec.tasks.iter().filter(|t| t.parent.is_some()).map(|t| t.status).collect();
    assert_eq!(statuses, [TaskStatus::Success, TaskStatus::Skipped, TaskStatus::Success]);
    let parent = exec.tasks.iter().find(|t| t.parent.is_none()).unwrap();
    assert_eq!(parent.status, TaskStatus::Success);
    assert_eq!(parent.outputs.clone().unwrap()["values"], json!(["a", "c"]));

    let id = h.start(&template("[b]"), json!({}), Mode::Automatic);
    let exec = h.execution(&id);
    assert_eq!(exec.status, ExecutionStatus::Success, "{}", exec.status_message);
    let parent = exec.tasks.iter().find(|t| t.parent.is_none()).unwrap();
    assert_eq!(parent.status, TaskStatus::Skipped, "{}", parent.status_message);
}
