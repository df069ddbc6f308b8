//! `{{ oos:Name }}` in templates, on each backend: values come from the worker's `ParameterSource`, are read once when
//! an execution (or a child) is created, and a later change in the store does not reach it.

mod bench_api;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bench_api::{Bed, Bench, on_both, outputs, request, worker};
use oos_engine::ExecutionStatus;
use oos_engine::CreateError;
use oos_runtime::{ParameterSource, Reader, RuntimeConfig, RuntimeError, StoreReference};
use serde_json::{Value, json};

/// A parameter store whose values the test changes while executions run.
#[derive(Default)]
struct Values(Mutex<HashMap<String, Value>>);

impl Values {
    fn set(&self, name: &str, value: &str) {
        self.0.lock().unwrap().insert(name.into(), json!(value));
    }
}

#[async_trait::async_trait]
impl ParameterSource for Values {
    /// Common parameters by name; a secret one under `secret:<Name[:Version]>`.
    async fn read(&self, reference: &StoreReference, _reader: &Reader) -> Result<Option<Value>, CreateError> {
        let key = if reference.secret { format!("secret:{}", reference.key()) } else { reference.name.clone() };
        Ok(self.0.lock().unwrap().get(&key).cloned())
    }
}

const TEMPLATE: &str = r"
FormatVersion: OOS-2019-06-01
Parameters: {greeting: {Type: String, Default: 'hi {{ oos:app/name }}'}}
Tasks:
- {Name: slow, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {V: '{{ oos:MyParam }}', DelayMs: 200}}, Outputs: {v: {Type: String, ValueSelector: .V}}}
- {Name: child, Action: ACS::Template, Properties: {TemplateName: Child}, Outputs: {seen: {Type: String, ValueSelector: .seen}}}
Outputs:
  task: {Type: String, Value: '{{ slow.v }}'}
  direct: {Type: String, Value: '{{ oos:MyParam }}'}
  greeting: {Type: String, Value: '{{ greeting }}'}
  child: {Type: String, Value: '{{ child.seen }}'}
";

const CHILD: &str = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: noop, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {}}}
Outputs: {seen: {Type: String, Value: '{{ oos:MyParam }}'}}
";

on_both!(values_are_snapshot_when_an_execution_is_created, a_missing_parameter_fails_the_start_naming_it, secret_references_resolve_at_the_version_asked_for);

async fn values_are_snapshot_when_an_execution_is_created(bed: Bed) {
    let (worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let values = Arc::new(Values::default());
    values.set("MyParam", "v1");
    values.set("app/name", "shop");
    let mut worker = worker.with_parameters(values.clone());
    store.put_library_template("Child", CHILD, 0).await.unwrap();

    let id = worker.start(request(TEMPLATE, json!({}))).await.unwrap();
    // Changed while the execution runs (its first task is still in flight): it keeps v1.
    values.set("MyParam", "v2");
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    let out = outputs(store.as_ref(), &id).await;
    assert_eq!(out["task"], json!("v1"));
    assert_eq!(out["direct"], json!("v1"));
    assert_eq!(out["greeting"], json!("hi shop"));
    // The child was created after the change and took its own snapshot then.
    assert_eq!(out["child"], json!("v2"));

    let next = worker.start(request(TEMPLATE, json!({}))).await.unwrap();
    assert_eq!(worker.settle(&next).await.unwrap(), ExecutionStatus::Success);
    assert_eq!(outputs(store.as_ref(), &next).await["task"], json!("v2"));
}

async fn a_missing_parameter_fails_the_start_naming_it(bed: Bed) {
    let (worker, _store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let values = Arc::new(Values::default());
    values.set("MyParam", "v1");
    let mut worker = worker.with_parameters(values);
    let Err(RuntimeError::Create(error)) = worker.start(request(TEMPLATE, json!({}))).await else { panic!("start must fail") };
    assert_eq!(error.code, "EntityNotExists.Parameter");
    assert!(error.message.contains("app/name"), "{}", error.message);
}

async fn secret_references_resolve_at_the_version_asked_for(bed: Bed) {
    let (worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    let values = Arc::new(Values::default());
    values.set("secret:db/pw", "latest-secret");
    values.set("secret:db/pw:1", "first-secret");
    let mut worker = worker.with_parameters(values);
    let template = r"
FormatVersion: OOS-2019-06-01
Tasks:
- {Name: use, Action: ACS::ExecuteAPI, Properties: {Service: Bench, API: Echo, Parameters: {Latest: '{{ oos-secret:db/pw }}', First: '{{ oos-secret:db/pw:1 }}'}}, Outputs: {latest: {Type: String, ValueSelector: .Latest}, first: {Type: String, ValueSelector: .First}}}
";
    let id = worker.start(request(template, json!({}))).await.unwrap();
    assert_eq!(worker.settle(&id).await.unwrap(), ExecutionStatus::Success);
    let tasks = store.tasks(&id).await.unwrap();
    let outputs: Value = serde_json::from_str(tasks[0].outputs.as_deref().unwrap()).unwrap();
    // The values reached the call; what is stored of them is masked (see the secrets scan test).
    assert_eq!(outputs["latest"], json!("******"));
    assert_eq!(outputs["first"], json!("******"));
}
