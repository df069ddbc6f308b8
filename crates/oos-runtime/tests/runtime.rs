//! The runtime on a real store of each backend: loops with many iterations, child executions from
//! the library, effect tasks in the worker's registry, recovery of a worker that stopped mid-flight,
//! and NoEcho values masked at rest.

mod bench_api;

use std::sync::Arc;
use std::time::Duration;

use bench_api::{Bed, Bench, fan_out_outputs, fan_out_template, on_both, outputs, request, worker};
use oos_engine::ExecutionStatus;
use oos_runtime::RuntimeConfig;
use serde_json::{Value, json};

on_both!(
    fan_out_records_every_iteration_and_sums,
    effect_tasks_are_counted_while_they_run_and_leave_when_done,
    template_tasks_run_children_from_the_library,
    a_new_worker_resumes_what_a_stopped_worker_left,
    no_echo_values_are_masked_in_stored_task_properties_but_reach_the_call_and_survive_a_reload,
);

async fn fan_out_records_every_iteration_and_sums(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let id = worker.start(request(&fan_out_template(0), json!({"count": 300}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    assert_eq!(outputs(store.as_ref(), &id).await, fan_out_outputs(300));
    let tasks = store.tasks(&id).await.unwrap();
    let iterations: Vec<_> = tasks.iter().filter(|t| t.parent_task_execution_id.is_some()).collect();
    assert_eq!(iterations.len(), 300);
    assert!(iterations.iter().all(|t| t.status == "Success" && t.loop_item.is_some()));
    assert_eq!(tasks.len(), 303);
}

async fn effect_tasks_are_counted_while_they_run_and_leave_when_done(bed: Bed) {
    let (mut worker, _store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let id = worker.start(request(&fan_out_template(100), json!({"count": 20}))).await.unwrap();
    let bound = Duration::from_secs(60);
    while worker.tasks().count(Some(oos_runtime::CALL_TASK)) < 2 {
        tokio::time::timeout(bound, worker.turn()).await.expect("a turn ends").unwrap();
    }
    assert_eq!(worker.tasks().counts().keys().collect::<Vec<_>>(), [&oos_runtime::CALL_TASK], "the loop's calls run as tasks");
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    assert!(worker.tasks().wait(None, bound).await, "finished tasks leave the registry: {:?}", worker.tasks().counts());
}

/// The child also accepts the parent's `OOSAssumeRole` without declaring it (as public templates
/// hand it on); another undeclared parameter would be refused.
async fn template_tasks_run_children_from_the_library(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let child = r"
FormatVersion: OOS-2019-06-01
Parameters: {name: {Type: String}}
Tasks:
- {Name: greet, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {Text: 'hello {{ name }}'}}, Outputs: {text: {Type: String, ValueSelector: .Text}}}
Outputs: {greeting: {Type: String, Value: '{{ greet.text }}'}}
";
    store.put_library_template("Greeter", child, 0).await.unwrap();
    let parent = r"
FormatVersion: OOS-2019-06-01
Tasks:
- Name: call
  Action: ACS::Template
  Properties: {TemplateName: Greeter, Parameters: {name: world, OOSAssumeRole: ''}}
  Outputs: {greeting: {Type: String, ValueSelector: .greeting}}
- Name: missing
  Action: ACS::Template
  OnError: ACS::NEXT
  Properties: {TemplateName: NoSuchTemplate}
Outputs: {greeting: {Type: String, Value: '{{ call.greeting }}'}}
";
    let id = worker.start(request(parent, json!({}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    assert_eq!(outputs(store.as_ref(), &id).await["greeting"], json!("hello world"));
    let tasks = store.tasks(&id).await.unwrap();
    let child_id = tasks[0].child_execution_id.clone().expect("child execution id");
    let child = store.execution(&child_id).await.unwrap().unwrap();
    assert_eq!(child.parent_execution_id.as_deref(), Some(id.as_str()));
    assert_eq!(child.status, "Success");
    assert!(tasks[1].status_message.contains("EntityNotExists.Template"), "{}", tasks[1].status_message);
}

async fn a_new_worker_resumes_what_a_stopped_worker_left(bed: Bed) {
    let template = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: first, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: 1}}, Outputs: {v: {Type: Number, ValueSelector: .V}}}
- {Name: stuck, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: '{{ first.v }}', Stall: true}}, Outputs: {v: {Type: Number, ValueSelector: .V}}}
Outputs: {v: {Type: Number, Value: '{{ stuck.v }}'}}
";
    let id = {
        let (mut worker, store) = worker(&bed, Arc::new(Bench::stalling()), bed.mortal(RuntimeConfig::default())).await;
        let id = worker.start(request(template, json!({}))).await.unwrap();
        while store.tasks(&id).await.unwrap().len() < 2 {
            worker.turn().await.unwrap();
        }
        id
    };
    // The first worker is gone with its call in flight; a new process (another worker id) takes
    // the store over.
    let _lock = bed.take_over().await;
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), bed.mortal(RuntimeConfig::default())).await;
    let stuck = store.tasks(&id).await.unwrap()[1].clone();
    assert_eq!(stuck.status, "Running");
    let stored: Value = serde_json::from_str(stuck.properties.as_deref().unwrap()).unwrap();
    assert_eq!(stored["Parameters"]["V"], json!(1));
    // Re-driven from the committed row: same properties, same attempt.
    let settled = tokio::time::timeout(Duration::from_secs(120), worker.settle(&id)).await;
    assert_eq!(settled.expect("the execution settles").unwrap(), ExecutionStatus::Success);
    assert_eq!(outputs(store.as_ref(), &id).await["v"], json!(1));
}

async fn no_echo_values_are_masked_in_stored_task_properties_but_reach_the_call_and_survive_a_reload(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let template = r#"
FormatVersion: OOS-2019-06-01
Parameters: {secret: {Type: String, NoEcho: true}, who: {Type: String}}
Tasks:
- {Name: login, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {Token: 'Bearer {{ secret }}', User: '{{ who }}'}},
   Outputs: {sent: {Type: Boolean, ValueSelector: '.Token == "Bearer s3cr3t-value"'}}}
Outputs: {sent: {Type: Boolean, Value: '{{ login.sent }}'}}
"#;
    let id = worker.start(request(template, json!({"secret": "s3cr3t-value", "who": "ops"}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    assert_eq!(outputs(store.as_ref(), &id).await["sent"], json!(true), "the call received the real value");
    let record = store.execution(&id).await.unwrap().unwrap();
    let tasks = store.tasks(&id).await.unwrap();
    let shown = tasks[0].properties.clone().unwrap();
    assert!(!shown.contains("s3cr3t-value") && shown.contains("******") && shown.contains("ops"), "{shown}");
    let reloaded = oos_runtime::load(record, tasks, None).unwrap();
    assert_eq!(reloaded.tasks[0].properties.as_ref().unwrap()["Parameters"]["Token"], json!("Bearer s3cr3t-value"), "a re-driven call after a crash sends the real value");
}
