//! Execution actions: StartExecution (with ClientToken idempotency), ListExecutions,
//! GetExecutionTemplate, CancelExecution, NotifyExecution, DeleteExecutions. Trigger executions'
//! own fields and actions are in `triggers.rs`.

use oos_acs::{AcsError, RpcRequest};
use oos_runtime::{RuntimeError, StartRequest, Started};
use oos_engine::{BatchPause, Event, ExecutionStatus, Mode, Notify, NotifyType, SafetyCheck};
use oos_store::{ExecutionMeta, ExecutionQuery, ExecutionRecord, ExecutionSort, ListedExecution, NewInboxEvent};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::templates::{fetch, fetch_requested};
use super::{approvals, execution_role, template_url, triggers};
use super::common::{Page, ascending, date, date_param, json_object, tag_filter, tags_param};
use crate::auth::Caller;
use crate::error::{self, EXECUTION_NOT_FOUND, INCORRECT_EXECUTION_STATUS};
use crate::api::{Api, Fields};

/// The template an execution runs: name, version, content and catalogue id.
struct Source {
    name: String,
    version: Option<String>,
    content: String,
    template_id: String,
}

async fn source(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Source, AcsError> {
    if let Some(content) = rpc.get("TemplateContent") {
        let name = rpc.get("TemplateName").unwrap_or("Inline").to_string();
        return Ok(Source { name, version: None, content: content.to_string(), template_id: String::new() });
    }
    if let Some(url) = rpc.get("TemplateURL") {
        let name = rpc.get("TemplateName").map_or_else(|| template_url::name_of(url), str::to_string);
        return Ok(Source { name, version: None, content: template_url::fetch(api, caller, url).await?, template_id: String::new() });
    }
    let row = fetch_requested(api, rpc).await?;
    Ok(Source { version: Some(format!("v{}", row.version)), name: row.name, content: row.content, template_id: row.template_id })
}

fn start_error(error: RuntimeError) -> AcsError {
    match error {
        RuntimeError::Template(template) => error::invalid_template(&template),
        RuntimeError::Create(create) => {
            let status = if create.code.starts_with("Forbidden") { 403 } else { 400 };
            AcsError::with_code(create.code, status, create.message)
        }
        other => error::internal(other),
    }
}

/// StartExecution: the template parsed once and the parameter store read once (by the runtime's
/// [`oos_runtime::Starter`]), the role checked against exactly what will run, then the execution,
/// its metadata and this request's audit record written in one transaction. The ClientToken is
/// unique in the store: a repeated start answers with the first execution and writes nothing.
pub async fn start(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let client_token = rpc.get("ClientToken");
    if let Some(token) = client_token
        && let Some(id) = api.store.execution_by_client_token(token).await.map_err(error::store)?
    {
        return execution_answer(api, &id).await;
    }
    let source = source(api, caller, rpc).await?;
    let template = crate::parsed::template(&source.content).map_err(|e| error::invalid_template(&e))?;
    let parameters = rpc.json::<Map<String, Value>>("Parameters")?.unwrap_or_default();
    let mode_text = rpc.get("Mode").unwrap_or("Automatic");
    let mode = Mode::parse(mode_text).ok_or_else(|| AcsError::invalid_parameter("Mode", format!("{mode_text:?} is not Automatic, FailurePause or Debug")))?;
    let loop_mode = rpc
        .get("LoopMode")
        .map(|text| BatchPause::parse(text).ok_or_else(|| AcsError::invalid_parameter("LoopMode", format!("{text:?} is not Automatic, FirstBatchPause or EveryBatchPause"))))
        .transpose()?;
    let safety_check = safety_check(rpc, mode)?;
    let meta = ExecutionMeta {
        execution_id: String::new(),
        executed_by: caller.arn.clone(),
        tags: tags_param(rpc)?.unwrap_or_else(|| "{}".into()),
        resource_group_id: rpc.get("ResourceGroupId").unwrap_or_default().to_string(),
        template_id: source.template_id.clone(),
        client_token: client_token.map(str::to_string),
        ram_role: String::new(),
        loop_mode: rpc.get("LoopMode").unwrap_or_default().to_string(),
        safety_check: rpc.get("SafetyCheck").map(|_| safety_check.as_str().to_string()).unwrap_or_default(),
    };
    let request = StartRequest {
        template_name: source.name,
        template_version: source.version,
        template,
        parameters,
        mode,
        description: rpc.get("Description").unwrap_or_default().to_string(),
        region_id: Some(api.region_of(rpc).to_string()),
        executed_by: Some(caller.arn.clone()),
        loop_mode,
        safety_check,
        audit: oos_store::audit::pending().into_iter().collect(),
        meta: Some(meta),
    };
    let prepared = api.starter.prepare(request).await.map_err(start_error)?;
    if let Some(role) = prepared.ram_role() {
        execution_role::authorize(api, caller, role).await?;
    }
    let started = api.starter.commit(prepared).await.map_err(start_error)?;
    if matches!(started, Started::New(_)) {
        oos_store::audit::mark_committed();
    }
    execution_answer(api, started.id()).await
}

/// `SafetyCheck`: `ConfirmEveryHighRiskAction` (default) or `Skip`, which only an Automatic execution
/// may ask for (in FailurePause or Debug a person is there to confirm).
fn safety_check(rpc: &RpcRequest, mode: Mode) -> Result<SafetyCheck, AcsError> {
    let Some(text) = rpc.get("SafetyCheck") else { return Ok(SafetyCheck::default()) };
    let check = SafetyCheck::parse(text).ok_or_else(|| AcsError::invalid_parameter("SafetyCheck", format!("{text:?} is not ConfirmEveryHighRiskAction or Skip")))?;
    if check == SafetyCheck::Skip && mode != Mode::Automatic {
        return Err(AcsError::invalid_parameter("SafetyCheck", format!("Skip needs Mode Automatic, not {}", mode.as_str())));
    }
    Ok(check)
}

/// The StartExecution answer for an existing execution (`Parameters` as a JSON string).
async fn execution_answer(api: &Api, id: &str) -> Result<Fields, AcsError> {
    let listed = api.store.listed_execution(id).await.map_err(error::store)?.ok_or_else(|| not_found(id))?;
    let triggers = triggers::triggers_of(api, vec![listed.id.clone()]).await?;
    let mut execution = execution_json(&listed);
    triggers::add_trigger_fields(&mut execution, triggers.get(&listed.id));
    execution["Parameters"] = Value::String(listed.parameters);
    let mut fields = Map::new();
    fields.insert("Execution".into(), execution);
    Ok(fields)
}

fn not_found(id: &str) -> AcsError {
    AcsError::new(EXECUTION_NOT_FOUND, format!("The execution {id} does not exist."))
}

async fn existing(api: &Api, id: &str) -> Result<ExecutionRecord, AcsError> {
    api.store.execution(id).await.map_err(error::store)?.ok_or_else(|| not_found(id))
}

/// An execution as ListExecutions shows it (`Parameters` as an object, `Outputs` as a JSON string).
fn execution_json(listed: &ListedExecution) -> Value {
    let meta = &listed.meta;
    let mut counters: Map<String, Value> = listed.task_counts.iter().map(|(status, count)| (status.clone(), Value::from(*count))).collect();
    counters.insert("Total".into(), Value::from(listed.task_counts.values().sum::<i64>()));
    let current_tasks: Vec<Value> = listed
        .current_tasks
        .iter()
        .map(|task| json!({"TaskName": task.task_name, "TaskAction": task.task_action, "TaskExecutionId": task.task_execution_id}))
        .collect();
    let mut execution = json!({
        "ExecutionId": listed.id,
        "TemplateName": listed.template_name,
        "TemplateVersion": listed.template_version.clone().unwrap_or_default(),
        "TemplateId": meta.template_id,
        "Mode": listed.mode,
        "LoopMode": if meta.loop_mode.is_empty() { "Automatic" } else { meta.loop_mode.as_str() },
        "Status": listed.status,
        "StatusMessage": listed.status_message,
        "Parameters": json_object(Some(&listed.parameters)),
        "Outputs": listed.outputs.clone().unwrap_or_else(|| "{}".into()),
        "Description": listed.description,
        "ExecutedBy": meta.executed_by,
        "ParentExecutionId": listed.parent_execution_id.clone().unwrap_or_default(),
        "Tags": json_object(Some(&meta.tags)),
        "ResourceGroupId": meta.resource_group_id,
        "RamRole": meta.ram_role,
        "SafetyCheck": if meta.safety_check.is_empty() { SafetyCheck::default().as_str() } else { meta.safety_check.as_str() },
        "Counters": counters,
        "CurrentTasks": current_tasks,
        "CreateDate": date(listed.created_ms),
        "UpdateDate": date(listed.updated_ms),
    });
    if let Some(start) = listed.start_ms {
        execution["StartDate"] = Value::String(date(start));
    }
    if let Some(end) = listed.end_ms {
        execution["EndDate"] = Value::String(date(end));
    }
    execution
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let sort = match rpc.get("SortField") {
        None | Some("StartDate") => ExecutionSort::StartDate,
        Some("EndDate") => ExecutionSort::EndDate,
        Some("Status") => ExecutionSort::Status,
        Some(other) => return Err(AcsError::invalid_parameter("SortField", format!("{other:?} is not StartDate, EndDate or Status"))),
    };
    let text = |name: &str| rpc.get(name).map(str::to_string);
    let category = text("Category");
    if let Some(category) = &category
        && !["TimerTrigger", "EventTrigger", "AlarmTrigger", "Other"].contains(&category.as_str())
    {
        return Err(AcsError::invalid_parameter("Category", format!("{category:?} is not TimerTrigger, EventTrigger, AlarmTrigger or Other")));
    }
    let query = ExecutionQuery {
        execution_id: text("ExecutionId"),
        category,
        template_name: text("TemplateName"),
        status: text("Status"),
        mode: text("Mode"),
        parent_execution_id: text("ParentExecutionId"),
        include_children: rpc.bool("IncludeChildExecution")?.unwrap_or(false),
        executed_by: text("ExecutedBy"),
        description: text("Description"),
        start_after_ms: date_param(rpc, "StartDateAfter")?,
        start_before_ms: date_param(rpc, "StartDateBefore")?,
        end_after_ms: date_param(rpc, "EndDateAfter")?,
        end_before_ms: date_param(rpc, "EndDateBefore")?,
        tags: tag_filter(rpc)?,
        sort,
        ascending: ascending(rpc)?,
        offset: page.offset,
        limit: page.limit,
    };
    let (listed, total) = api.store.list_executions(&query).await.map_err(error::store)?;
    let rows = listed.len();
    let triggers = triggers::triggers_of(api, listed.iter().map(|row| row.id.clone()).collect()).await?;
    let executions = listed
        .iter()
        .map(|row| {
            let mut execution = execution_json(row);
            triggers::add_trigger_fields(&mut execution, triggers.get(&row.id));
            execution
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("Executions".into(), Value::Array(executions));
    fields.insert("TotalCount".into(), Value::from(total));
    page.finish(&mut fields, rows, page.offset + (rows as i64) < total);
    Ok(fields)
}

pub async fn template(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let record = existing(api, rpc.require("ExecutionId")?).await?;
    let version = record.template_version.as_deref().and_then(|v| v.strip_prefix('v')).and_then(|n| n.parse().ok());
    let catalogued = match version {
        Some(number) => fetch(api, &record.template_name, Some(number)).await.ok().filter(|row| row.content == record.template_content),
        None => None,
    };
    let format = oos_template::parse(&record.template_content).map(|t| t.format.as_str()).unwrap_or("YAML");
    let mut template = json!({
        "TemplateName": record.template_name,
        "TemplateVersion": record.template_version.clone().unwrap_or_default(),
        "TemplateFormat": format,
        "Hash": hex::encode(Sha256::digest(record.template_content.as_bytes())),
        "ShareType": "Private",
    });
    if let Some(row) = catalogued {
        template["TemplateId"] = Value::String(row.template_id);
        template["Description"] = Value::String(row.description);
        template["CreatedBy"] = Value::String(row.created_by);
        template["CreatedDate"] = Value::String(date(row.created_ms));
        template["UpdatedBy"] = Value::String(row.updated_by);
        template["UpdatedDate"] = Value::String(date(row.updated_ms));
        template["Tags"] = json_object(Some(&row.tags));
    }
    let mut fields = Map::new();
    fields.insert("Content".into(), Value::String(record.template_content));
    fields.insert("Template".into(), template);
    Ok(fields)
}

/// The execution `id`, refused when it has already finished.
async fn unfinished(api: &Api, id: &str) -> Result<ExecutionRecord, AcsError> {
    let record = existing(api, id).await?;
    if ExecutionStatus::parse(&record.status).is_some_and(ExecutionStatus::is_final) {
        return Err(AcsError::new(INCORRECT_EXECUTION_STATUS, format!("The execution {id} has already finished ({}).", record.status)));
    }
    Ok(record)
}

/// Puts `event` into the inbox of the execution; the worker applies it in its next turn.
async fn deliver(api: &Api, id: &str, event: Event) -> Result<Fields, AcsError> {
    let payload = serde_json::to_string(&event).map_err(error::internal)?;
    let inbox = NewInboxEvent { execution_id: id.to_string(), payload, created_ms: api.clock.now_ms() };
    api.store.push(inbox).await.map_err(error::store)?;
    Ok(Map::new())
}

pub async fn cancel(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let id = rpc.require("ExecutionId")?;
    unfinished(api, id).await?;
    deliver(api, id, Event::Cancel).await
}

/// NotifyExecution, carrying who sent it; an approval or rejection the caller may not give is refused
/// before anything is written ([`approvals::screen`]).
pub async fn notify(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let kind = rpc.require("NotifyType")?;
    let notify_type = NotifyType::parse(kind).ok_or_else(|| AcsError::invalid_parameter("NotifyType", format!("{kind:?} is not a NotifyType")))?;
    let execution_status = rpc
        .get("ExecutionStatus")
        .map(|status| ExecutionStatus::parse(status).ok_or_else(|| AcsError::invalid_parameter("ExecutionStatus", format!("{status:?} is not an execution status"))))
        .transpose()?;
    let id = rpc.require("ExecutionId")?;
    let record = unfinished(api, id).await?;
    let by = approvals::screen(api, caller, &record, notify_type).await?;
    let notify = Notify {
        notify_type,
        task_name: rpc.get("TaskName").map(str::to_string),
        task_execution_id: rpc.get("TaskExecutionId").map(str::to_string),
        execution_status,
        note: rpc.get("NotifyNote").map(str::to_string),
        by: Some(by),
    };
    deliver(api, id, Event::Notify(notify)).await
}

pub async fn delete(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let ids = rpc.json::<Vec<String>>("ExecutionIds")?.ok_or_else(|| AcsError::missing_parameter("ExecutionIds"))?;
    let force = rpc.bool("Force")?.unwrap_or(false);
    for id in &ids {
        let record = existing(api, id).await?;
        let finished = ExecutionStatus::parse(&record.status).is_some_and(ExecutionStatus::is_final);
        if !finished && !force {
            return Err(AcsError::new(INCORRECT_EXECUTION_STATUS, format!("The execution {id} is still {}; cancel it first or set Force.", record.status)));
        }
    }
    api.store.delete_executions(&ids).await.map_err(error::store)?;
    Ok(Map::new())
}
