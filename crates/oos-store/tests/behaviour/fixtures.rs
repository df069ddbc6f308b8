//! Rows the behaviour tests write, and running futures side by side.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use oos_store::{ExecutionMeta, ExecutionRecord, NewParameter, NewTemplateVersion, TagChange, TaskRecord};
use serde_json::Value;

pub fn execution(id: &str, status: &str, runnable: bool) -> ExecutionRecord {
    ExecutionRecord {
        id: id.into(),
        template_name: "t".into(),
        template_version: None,
        template_content: "{}".into(),
        parameters: "{}".into(),
        mode: "Automatic".into(),
        status: status.into(),
        status_message: String::new(),
        outputs: None,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        engine_state: "{}".into(),
        runnable,
        wake_ms: None,
        created_ms: 1,
        updated_ms: 1,
        start_ms: Some(1),
        end_ms: None,
    }
}

pub fn task(id: &str, execution_id: &str, seq: i64, status: &str) -> TaskRecord {
    TaskRecord {
        id: id.into(),
        execution_id: execution_id.into(),
        seq,
        task_name: format!("task{seq}"),
        task_action: "ACS::Sleep".into(),
        status: status.into(),
        status_message: String::new(),
        properties: Some("{}".into()),
        outputs: None,
        loop_item: None,
        loop_batch_number: None,
        parent_task_execution_id: None,
        child_execution_id: None,
        engine_state: "{}".into(),
        created_ms: 1,
        updated_ms: 1,
        start_ms: None,
        end_ms: None,
    }
}

/// API metadata of an execution.
pub fn meta(execution_id: &str, executed_by: &str, tags: &str, client_token: Option<&str>) -> ExecutionMeta {
    ExecutionMeta {
        execution_id: execution_id.into(),
        executed_by: executed_by.into(),
        tags: tags.into(),
        client_token: client_token.map(Into::into),
        ..ExecutionMeta::default()
    }
}

/// A template version `name` with `content`, by `actor` at `now_ms` (no tags or group given).
pub fn template(name: &str, content: &str, actor: &str, now_ms: i64) -> NewTemplateVersion {
    NewTemplateVersion {
        name: name.into(),
        template_id: format!("t-{name}"),
        content: content.into(),
        format: "YAML".into(),
        hash: format!("hash-of-{content}"),
        description: format!("about {content}"),
        actor: actor.into(),
        now_ms,
        ..NewTemplateVersion::default()
    }
}

/// A common (or secret) `String` parameter `name` with `value`, by `actor` at `now_ms`.
pub fn parameter(secret: bool, name: &str, value: &str, actor: &str, now_ms: i64) -> NewParameter {
    NewParameter {
        secret,
        name: name.into(),
        id: format!("p-{}-{name}", if secret { "secret" } else { "common" }),
        kind: if secret { "Secret" } else { "String" }.into(),
        value: value.into(),
        actor: actor.into(),
        now_ms,
        ..NewParameter::default()
    }
}

/// A tag change that sets `tags`.
pub fn set_tags(tags: &[(&str, &str)]) -> TagChange {
    TagChange { set: tags.iter().map(|(key, value)| (key.to_string(), Value::from(*value))).collect(), ..TagChange::default() }
}

/// Runs `futures` concurrently (each query on a connection of its own), outputs in the given order.
pub async fn concurrently<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut busy = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()).filter(|(_, output)| output.is_none()) {
            match future.as_mut().poll(context) {
                Poll::Ready(value) => *output = Some(value),
                Poll::Pending => busy = true,
            }
        }
        if busy { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|output| output.expect("every future finished")).collect()
}

/// One case of a query table: how the query is narrowed, and the names expected back.
pub type Case<'a, Query> = (&'a dyn Fn(&mut Query), Vec<&'a str>);
