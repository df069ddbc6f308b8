//! Files: SendFile (recorded, never written anywhere) and DescribeSendFileResults. A delivery
//! to a Running instance succeeds after one transition step; to another instance it fails with
//! `InstanceNotRunning`; to a path already delivered without `Overwrite=true`, with
//! `FileAlreadyExists`.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::model::{Delivery, FileSend};
use super::{PAGES, decode, no_tags, targeted_instances, timeout};
use crate::api::params::{Ctx, check_dry_run, list_body, paginate};
use crate::errors::FILE_CONTENT_EXCEED_LIMIT;
use crate::model::instance_status;
use crate::state::{Cloud, new_id, utc_time};

/// The largest file content, as sent.
const MAX_FILE_CONTENT: usize = 32 * 1024;

/// SendFile: `{InvokeId}`.
pub fn send_file(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let name = request.require("Name")?.to_owned();
    let target_dir = request.require("TargetDir")?.to_owned();
    let content = request.require("Content")?.to_owned();
    let content_type = request.get("ContentType").unwrap_or("PlainText");
    let base64 = content_type.eq_ignore_ascii_case("Base64");
    if base64 {
        decode("Content", &content)?;
    }
    if content.len() > MAX_FILE_CONTENT {
        return Err(AcsError::new(
            FILE_CONTENT_EXCEED_LIMIT,
            format!(
                "The file content is {} bytes; at most {MAX_FILE_CONTENT} are allowed.",
                content.len()
            ),
        ));
    }
    timeout(request, 60)?;
    let instances: Vec<(String, bool)> = targeted_instances(cloud, request, &region)?
        .into_iter()
        .map(|instance| {
            (
                instance.instance_id.clone(),
                instance.status == instance_status::RUNNING,
            )
        })
        .collect();
    check_dry_run(request)?;
    let overwrite = request.bool("Overwrite")?.unwrap_or(false);
    let path = format!("{}/{name}", target_dir.trim_end_matches(['/', '\\']));
    let now_ms = ctx.now.as_millisecond();
    let mut deliveries = Vec::new();
    for (instance_id, running) in instances {
        let files = cloud
            .assistant
            .delivered_files
            .entry(instance_id.clone())
            .or_default();
        let failure = if !running {
            Some((
                "InstanceNotRunning",
                "the instance is not running when create task",
            ))
        } else if files.contains(&path) && !overwrite {
            Some((
                "FileAlreadyExists",
                "the file already exists and Overwrite is false",
            ))
        } else {
            if !files.contains(&path) {
                files.push(path.clone());
            }
            None
        };
        deliveries.push(Delivery {
            instance_id,
            done_ms: if failure.is_some() {
                now_ms
            } else {
                now_ms + ctx.delay_ms.max(0)
            },
            failure: failure.map(|(code, info)| (code.to_owned(), info.to_owned())),
        });
    }
    let invoke_id = new_id("f");
    let send = FileSend {
        invoke_id: invoke_id.clone(),
        region_id: region,
        name,
        description: request.get("Description").unwrap_or_default().to_owned(),
        target_dir,
        content,
        content_type: if base64 { "Base64" } else { "PlainText" }.to_owned(),
        file_mode: request.get("FileMode").unwrap_or("0644").to_owned(),
        file_owner: request.get("FileOwner").unwrap_or("root").to_owned(),
        file_group: request.get("FileGroup").unwrap_or("root").to_owned(),
        overwrite,
        created_ms: now_ms,
        deliveries,
    };
    cloud.assistant.file_sends.insert(invoke_id.clone(), send);
    Ok(json!({"InvokeId": invoke_id}))
}

/// A delivery's `InvocationStatus` at `now_ms`: Running, Success or Failed.
fn delivery_status(delivery: &Delivery, now_ms: i64) -> &'static str {
    if delivery.failure.is_some() {
        "Failed"
    } else if now_ms < delivery.done_ms {
        "Running"
    } else {
        "Success"
    }
}

/// The aggregate status of a SendFile call.
fn send_status(statuses: &[&str]) -> &'static str {
    if statuses.contains(&"Running") {
        "Running"
    } else if statuses.iter().all(|status| *status == "Success") {
        "Success"
    } else if statuses.iter().all(|status| *status == "Failed") {
        "Failed"
    } else {
        "PartialFailed"
    }
}

/// DescribeSendFileResults: the region's SendFile calls, newest first, filtered by `InvokeId`,
/// `Name`, `InstanceId` and `InvocationStatus`.
pub fn describe_send_file_results(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let now_ms = ctx.now.as_millisecond();
    let wanted = |field: &str| request.get(field).filter(|value| !value.is_empty());
    let instance = wanted("InstanceId");
    let mut items = Vec::new();
    for send in cloud
        .assistant
        .file_sends
        .values()
        .rev()
        .filter(|send| send.region_id == region)
    {
        let deliveries: Vec<&Delivery> = send
            .deliveries
            .iter()
            .filter(|delivery| instance.is_none_or(|id| delivery.instance_id == id))
            .collect();
        let statuses: Vec<&str> = deliveries
            .iter()
            .map(|delivery| delivery_status(delivery, now_ms))
            .collect();
        let status = send_status(&statuses);
        let keep = !deliveries.is_empty()
            && wanted("InvokeId").is_none_or(|id| id == send.invoke_id)
            && wanted("Name").is_none_or(|name| name == send.name)
            && wanted("InvocationStatus").is_none_or(|wanted| wanted == status);
        if keep {
            items.push(send_json(send, &deliveries, &statuses, status));
        }
    }
    let (page, paging) = paginate(request, items, PAGES)?;
    Ok(list_body("Invocations", "Invocation", page, paging))
}

fn send_json(send: &FileSend, deliveries: &[&Delivery], statuses: &[&str], status: &str) -> Value {
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(utc_time)
            .unwrap_or_default()
    };
    let created = time(send.created_ms);
    let instances: Vec<Value> = deliveries
        .iter()
        .zip(statuses)
        .map(|(delivery, status)| {
            let (code, info) = delivery.failure.clone().unwrap_or_default();
            let finish = if *status == "Running" { String::new() } else { time(delivery.done_ms) };
            json!({
                "CreationTime": created, "ErrorCode": code, "ErrorInfo": info, "FinishTime": finish,
                "InstanceId": delivery.instance_id, "InvocationStatus": status,
                "StartTime": created, "UpdateTime": if finish.is_empty() { created.clone() } else { finish.clone() },
            })
        })
        .collect();
    json!({
        "Content": send.content,
        "ContentType": send.content_type,
        "CreationTime": created,
        "Description": send.description,
        "FileGroup": send.file_group,
        "FileMode": send.file_mode,
        "FileOwner": send.file_owner,
        "InvocationStatus": status,
        "InvokeId": send.invoke_id,
        "InvokeInstances": {"InvokeInstance": instances},
        "Name": send.name,
        "Overwrite": send.overwrite.to_string(),
        "Tags": no_tags(),
        "TargetDir": send.target_dir,
        "VmCount": deliveries.len(),
    })
}
