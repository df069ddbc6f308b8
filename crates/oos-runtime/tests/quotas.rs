//! Quotas and evaluation budgets on a real store of each backend: a template that starts itself stops at the nesting
//! limit, a flow that jumps back forever stops at the task limit, starts beyond the running-execution
//! limits are refused, and an execution whose expressions keep exceeding their budgets is ended.

mod bench_api;

use std::sync::Arc;

use bench_api::{Bed, Bench, on_both, request, worker};
use oos_engine::ExecutionStatus;
use oos_runtime::{Quotas, RuntimeConfig, RuntimeError};
use oos_store::ExecutionFilter;
use serde_json::json;

on_both!(
    a_template_that_starts_itself_stops_at_the_nesting_limit,
    a_flow_that_jumps_back_forever_stops_at_the_task_limit,
    starts_beyond_the_running_execution_limits_are_refused,
    an_execution_whose_expressions_keep_exceeding_budgets_is_ended,
);

fn config(quotas: Quotas, max_tasks: usize) -> RuntimeConfig {
    let mut config = RuntimeConfig { quotas, ..RuntimeConfig::default() };
    config.engine.max_tasks = max_tasks;
    config
}

async fn a_template_that_starts_itself_stops_at_the_nesting_limit(bed: Bed) {
    let quotas = Quotas { max_depth: 3, ..Quotas::default() };
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), config(quotas, 10_000)).await;
    let recursive = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: again, Action: ACS::Template, Properties: {TemplateName: Recursive}}\n";
    store.put_library_template("Recursive", recursive, 0).await.unwrap();
    let mut start = request(recursive, json!({}));
    start.template_name = "Recursive".into();
    let id = worker.start(start).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Failed);
    let all = store.executions(&ExecutionFilter { include_children: true, ..ExecutionFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 4, "the started execution and three levels of children");
    assert!(all.iter().all(|execution| execution.status == "Failed"));
    let deepest = all.iter().find(|execution| store_depth(execution) == 3).expect("a child three levels down");
    let tasks = store.tasks(&deepest.id).await.unwrap();
    assert!(tasks[0].status_message.contains("QuotaExceeded.NestingDepth"), "{}", tasks[0].status_message);
}

fn store_depth(execution: &oos_store::ExecutionRecord) -> u64 {
    let state: serde_json::Value = serde_json::from_str(&execution.engine_state).unwrap();
    state["flow"]["depth"].as_u64().unwrap_or(0)
}

async fn a_flow_that_jumps_back_forever_stops_at_the_task_limit(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), config(Quotas::default(), 40)).await;
    let forever = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: spin, Action: ACS::ExecuteAPI, OnSuccess: spin, Properties: {Service: Bench, API: Echo}}\n";
    let id = worker.start(request(forever, json!({}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Failed);
    let record = store.execution(&id).await.unwrap().unwrap();
    assert!(record.status_message.starts_with("QuotaExceeded.TasksPerExecution"), "{}", record.status_message);
    assert_eq!(store.tasks(&id).await.unwrap().len(), 40);
}

async fn starts_beyond_the_running_execution_limits_are_refused(bed: Bed) {
    let quotas = Quotas { running_per_account: 3, running_per_template: 2, ..Quotas::default() };
    let (mut worker, _store) = worker(&bed, Arc::new(Bench::default()), config(quotas, 10_000)).await;
    let pause = "FormatVersion: OOS-2019-06-01\nTasks:\n- {Name: hold, Action: ACS::Pause}\n";
    let named = |name: &str| {
        let mut start = request(pause, json!({}));
        start.template_name = name.into();
        start
    };
    for _ in 0..2 {
        let id = worker.start(named("a")).await.unwrap();
        assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Waiting);
    }
    let refused = |outcome: Result<String, RuntimeError>| match outcome {
        Err(RuntimeError::Create(error)) => error.code,
        other => panic!("expected a quota refusal, got {other:?}"),
    };
    assert_eq!(refused(worker.start(named("a")).await), "QuotaExceeded.RunningExecutions");
    let id = worker.start(named("b")).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Waiting);
    assert_eq!(refused(worker.start(named("c")).await), "QuotaExceeded.RunningExecutions");
}

async fn an_execution_whose_expressions_keep_exceeding_budgets_is_ended(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), config(Quotas::default(), 10_000)).await;
    let template = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: spin
  Action: ACS::ExecuteAPI
  Loop:
    Items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    RateControl: {Mode: Concurrency, Concurrency: 1, MaxErrors: 10}
  Properties: {Service: Bench, API: Echo}
  Outputs: {forever: {Type: Number, ValueSelector: 'last(range(1e12))'}}
";
    let id = worker.start(request(template, json!({}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Failed);
    let record = store.execution(&id).await.unwrap().unwrap();
    assert!(record.status_message.starts_with("QuotaExceeded.EvaluationBudget"), "{}", record.status_message);
    let iterations = store.tasks(&id).await.unwrap().into_iter().filter(|task| task.parent_task_execution_id.is_some()).count();
    assert_eq!(iterations, 4, "three budget failures are tolerated, the fourth ends the execution");
}
