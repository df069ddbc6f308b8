//! Invocations: reading them (DescribeInvocations, DescribeInvocationResults,
//! DescribeSendFileResults), stopping them (StopInvocation) and sending files (SendFile).

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_store::{InvocationQuery, InvocationRow, InvocationTarget, TargetChange};
use serde_json::{Value, json};

use crate::content::{self, MAX_FILE_BYTES};
use crate::params::{self, bounded, text};
use crate::{Assistant, Fields, ids, shapes, store_error};

pub(crate) const INVOCATION_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInvokeId.NotFound", 404);

/// The invocations a request asks about (by InvokeId, CommandId, InstanceId), one page, and the total.
async fn find(assistant: &Assistant, request: &RpcRequest, kind: &str) -> Result<(Vec<(InvocationRow, Vec<InvocationTarget>)>, i64, params::Page), AcsError> {
    let page = params::page(request)?;
    let query = InvocationQuery {
        invoke_id: request.get("InvokeId").map(str::to_string),
        command_id: request.get("CommandId").map(str::to_string),
        instance_id: request.get("InstanceId").map(str::to_string),
        creator: None,
        kind: Some(kind.to_string()),
        offset: page.offset(),
        limit: page.size,
    };
    let (found, total) = assistant.store().invocations(&query).await.map_err(store_error)?;
    // An unknown InvokeId lists nothing, as Cloud Assistant answers it.
    Ok((found, total, page))
}

/// DescribeInvocations.
pub(crate) async fn describe_invocations(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let with_output = request.bool("IncludeOutput")?.unwrap_or(false);
    let (found, total, page) = find(assistant, request, "Command").await?;
    let listed: Vec<Value> = found.iter().map(|(row, targets)| shapes::invocation(row, targets, with_output)).collect();
    let mut fields = Fields::new();
    fields.insert("Invocations".into(), json!({"Invocation": listed}));
    Ok(page.answer(fields, usize::try_from(total).unwrap_or(0)))
}

/// DescribeInvocationResults: one result per instance of the invocations found.
pub(crate) async fn describe_invocation_results(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let (found, _, page) = find(assistant, request, "Command").await?;
    let results: Vec<Value> = found.iter().flat_map(|(row, targets)| targets.iter().map(move |target| shapes::invocation_result(row, target))).collect();
    let mut invocation = Fields::new();
    invocation.insert("TotalCount".into(), json!(results.len()));
    invocation.insert("InvocationResults".into(), json!({"InvocationResult": results}));
    invocation.insert("PageNumber".into(), json!(page.number));
    invocation.insert("PageSize".into(), json!(page.size));
    let mut fields = Fields::new();
    fields.insert("Invocation".into(), Value::Object(invocation));
    Ok(fields)
}

/// StopInvocation: pending targets stop at once; running ones are stopped by their agents.
pub(crate) async fn stop_invocation(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let invoke_id = request.require("InvokeId")?.to_string();
    let chosen = params::instance_ids(request, false)?;
    let query = InvocationQuery { invoke_id: Some(invoke_id.clone()), ..Default::default() };
    let (found, _) = assistant.store().invocations(&query).await.map_err(store_error)?;
    let Some((_, targets)) = found.into_iter().next() else {
        return Err(AcsError::new(INVOCATION_NOT_FOUND, format!("The invocation {invoke_id} does not exist.")));
    };
    let change = TargetChange::StopRequested { now_ms: assistant.now_ms() };
    for target in targets.iter().filter(|target| chosen.is_empty() || chosen.contains(&target.instance_id)) {
        assistant.store().update_target(&invoke_id, &target.instance_id, &change).await.map_err(store_error)?;
    }
    assistant.wake_hub();
    Ok(Fields::new())
}

/// SendFile: a file written on each instance by its agent.
pub(crate) async fn send_file(assistant: &Assistant, request: &RpcRequest, creator: &str) -> Result<Fields, AcsError> {
    let bytes = content::decoded(request, "Content", "ContentType", "PlainText", MAX_FILE_BYTES)?;
    let name = text(request, "Name", 255)?;
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(AcsError::invalid_parameter("Name", "a file name without `/` is required"));
    }
    let target_dir = request.require("TargetDir")?.to_string();
    if !target_dir.starts_with('/') {
        return Err(AcsError::invalid_parameter("TargetDir", "an absolute directory is required"));
    }
    let instances = params::instance_ids(request, true)?;
    let file = json!({
        "Name": name,
        "Description": text(request, "Description", 512)?,
        "TargetDir": target_dir,
        "FileMode": text(request, "FileMode", 8)?,
        "FileOwner": text(request, "FileOwner", 64)?,
        "FileGroup": text(request, "FileGroup", 64)?,
        "Overwrite": request.bool("Overwrite")?.unwrap_or(false),
    });
    let invocation = InvocationRow {
        invoke_id: ids::file_invocation_id(),
        region_id: assistant.region_of(request),
        kind: "File".into(),
        command_id: None,
        command_name: name,
        command_type: String::new(),
        content_base64: content::encode(&bytes),
        working_dir: String::new(),
        timeout_secs: bounded(request, "Timeout", 60, 1, 86_400)?,
        username: String::new(),
        enable_parameter: false,
        parameters: String::from("{}"),
        file: file.to_string(),
        created_ms: assistant.now_ms(),
        creator: creator.to_string(),
        client_token: request.get("ClientToken").map(str::to_string),
        tags: String::from("{}"),
        traceparent: None,
    };
    let invoke_id = crate::commands::start(assistant, &invocation, &instances).await?;
    let mut fields = Fields::new();
    fields.insert("InvokeId".into(), Value::String(invoke_id));
    Ok(fields)
}

/// DescribeSendFileResults.
pub(crate) async fn describe_send_file_results(assistant: &Assistant, request: &RpcRequest) -> Result<Fields, AcsError> {
    let (found, total, page) = find(assistant, request, "File").await?;
    let listed: Vec<Value> = found.iter().map(|(row, targets)| shapes::file_invocation(row, targets)).collect();
    let mut fields = Fields::new();
    fields.insert("Invocations".into(), json!({"Invocation": listed}));
    Ok(page.answer(fields, usize::try_from(total).unwrap_or(0)))
}
