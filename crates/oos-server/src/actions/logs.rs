//! What happened inside an execution: ListTaskExecutions and ListExecutionLogs.

use oos_acs::{AcsError, RpcRequest};
use oos_store::{LogRecord, TaskRecord};
use serde_json::{Map, Value, json};

use super::common::{Page, ascending, date, date_param};
use crate::error::{self, EXECUTION_NOT_FOUND};
use crate::api::{Api, Fields};

async fn require_execution(api: &Api, id: &str) -> Result<(), AcsError> {
    match api.store.execution(id).await.map_err(error::store)? {
        Some(_) => Ok(()),
        None => Err(AcsError::new(EXECUTION_NOT_FOUND, format!("The execution {id} does not exist."))),
    }
}

/// One item of ListTaskExecutions' `TaskExecutions` (also a `/stream` `task` event's data).
pub(crate) fn task_json(task: &TaskRecord, template_id: &str) -> Value {
    let mut value = json!({
        "TaskExecutionId": task.id,
        "ExecutionId": task.execution_id,
        "TaskName": task.task_name,
        "TaskAction": task.task_action,
        "Status": task.status,
        "StatusMessage": task.status_message,
        "Properties": task.properties.clone().unwrap_or_else(|| "{}".into()),
        "Outputs": task.outputs.clone().unwrap_or_else(|| "{}".into()),
        "ParentTaskExecutionId": task.parent_task_execution_id.clone().unwrap_or_default(),
        "ChildExecutionId": task.child_execution_id.clone().unwrap_or_default(),
        "TemplateId": template_id,
        "ExtraData": {},
        "CreateDate": date(task.created_ms),
        "UpdateDate": date(task.updated_ms),
    });
    let optional = [("StartDate", task.start_ms), ("EndDate", task.end_ms)];
    for (key, ms) in optional {
        if let Some(ms) = ms {
            value[key] = Value::String(date(ms));
        }
    }
    if let Some(item) = &task.loop_item {
        value["LoopItem"] = Value::String(item.clone());
    }
    if let Some(batch) = task.loop_batch_number {
        value["LoopBatchNumber"] = Value::from(batch);
    }
    value
}

/// The TemplateId of an execution's tasks (that of the execution; empty when it has no API metadata).
pub(crate) async fn template_id(api: &Api, execution_id: &str) -> Result<String, AcsError> {
    Ok(api.store.execution_meta(execution_id).await.map_err(error::store)?.map(|meta| meta.template_id).unwrap_or_default())
}

/// One item of ListExecutionLogs' `ExecutionLogs` (also a `/stream` `log` event's data).
pub(crate) fn log_json(log: &LogRecord) -> Value {
    json!({
        "Timestamp": date(log.ts_ms),
        "TaskExecutionId": log.task_execution_id.clone().unwrap_or_default(),
        "LogType": log.log_type,
        "Message": log.message,
    })
}

pub async fn task_executions(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let id = rpc.require("ExecutionId")?;
    require_execution(api, id).await?;
    let template_id = template_id(api, id).await?;
    let include_children = rpc.bool("IncludeChildTaskExecution")?.unwrap_or(false);
    let start_after = date_param(rpc, "StartDateAfter")?;
    let start_before = date_param(rpc, "StartDateBefore")?;
    let end_after = date_param(rpc, "EndDateAfter")?;
    let end_before = date_param(rpc, "EndDateBefore")?;
    let wanted = |name: &str, value: &str| rpc.get(name).is_none_or(|want| want == value);
    let mut tasks: Vec<TaskRecord> = api
        .store
        .tasks(id)
        .await
        .map_err(error::store)?
        .into_iter()
        .filter(|task| include_children || rpc.get("ParentTaskExecutionId").is_some() || task.parent_task_execution_id.is_none())
        .filter(|task| wanted("TaskName", &task.task_name) && wanted("Status", &task.status) && wanted("TaskAction", &task.task_action))
        .filter(|task| wanted("TaskExecutionId", &task.id) && wanted("ParentTaskExecutionId", task.parent_task_execution_id.as_deref().unwrap_or("")))
        .filter(|task| start_after.is_none_or(|after| task.start_ms.is_some_and(|start| start >= after)))
        .filter(|task| start_before.is_none_or(|before| task.start_ms.is_some_and(|start| start <= before)))
        .filter(|task| end_after.is_none_or(|after| task.end_ms.is_some_and(|end| end >= after)))
        .filter(|task| end_before.is_none_or(|before| task.end_ms.is_some_and(|end| end <= before)))
        .collect();
    match rpc.get("SortField") {
        None | Some("StartDate") => tasks.sort_by_key(|task| (task.start_ms.unwrap_or(task.created_ms), task.seq)),
        Some("EndDate") => tasks.sort_by_key(|task| (task.end_ms.unwrap_or(i64::MAX), task.seq)),
        Some("Status") => tasks.sort_by(|a, b| (&a.status, a.seq).cmp(&(&b.status, b.seq))),
        Some(other) => return Err(AcsError::invalid_parameter("SortField", format!("{other:?} is not StartDate, EndDate or Status"))),
    }
    // Task executions read in the order they ran unless Descending is asked for explicitly.
    if rpc.get("SortOrder").is_some() && !ascending(rpc)? {
        tasks.reverse();
    }
    let rows: Vec<Value> = tasks.iter().skip(page.offset as usize).take(page.limit as usize).map(|task| task_json(task, &template_id)).collect();
    let more = page.offset + (rows.len() as i64) < tasks.len() as i64;
    let count = rows.len();
    let mut fields = Map::new();
    fields.insert("TaskExecutions".into(), Value::Array(rows));
    // An OpenOOS extension (as ListExecutions has it): how many match, so a loop's items can be
    // counted by status without being read.
    fields.insert("TotalCount".into(), Value::from(tasks.len()));
    page.finish(&mut fields, count, more);
    Ok(fields)
}

pub async fn execution_logs(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let id = rpc.require("ExecutionId")?;
    require_execution(api, id).await?;
    let logs = api.store.logs(id, rpc.get("TaskExecutionId")).await.map_err(error::store)?;
    let logs: Vec<_> = logs.into_iter().filter(|log| rpc.get("LogType").is_none_or(|kind| kind.eq_ignore_ascii_case(&log.log_type))).collect();
    let rows: Vec<Value> = logs
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(log_json)
        .collect();
    let more = page.offset + (rows.len() as i64) < logs.len() as i64;
    let count = rows.len();
    let mut fields = Map::new();
    fields.insert("ExecutionLogs".into(), Value::Array(rows));
    fields.insert("IsTruncated".into(), Value::Bool(more));
    page.finish(&mut fields, count, more);
    Ok(fields)
}
