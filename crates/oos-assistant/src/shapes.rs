//! The ECS API's answer shapes for invocations, instances and activations, built from store rows;
//! and the statuses Cloud Assistant reports, derived from a target's one stored status.

use oos_store::{ActivationRow, InvocationRow, InvocationTarget, ManagedInstanceRow, TargetStatus};
use serde_json::{Map, Value, json};

/// An ISO 8601 UTC time (`2026-12-05T11:20:03Z`), or empty.
pub(crate) fn time(ms: Option<i64>) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// `InvocationStatus` of one target.
fn target_invocation_status(target: &InvocationTarget) -> &str {
    &target.status
}

/// The older per-instance status (`InstanceInvokeStatus`, `InvokeRecordStatus`): a command that ran
/// to its end is `Finished` whatever its exit code (the exit code tells success).
fn target_record_status(target: &InvocationTarget) -> &'static str {
    match target.status.as_str() {
        TargetStatus::PENDING | TargetStatus::RUNNING => "Running",
        TargetStatus::STOPPING => "PendingStop",
        TargetStatus::SUCCESS => "Finished",
        TargetStatus::FAILED if target.error_code == "ExitCodeNonzero" => "Finished",
        TargetStatus::STOPPED => "Stopped",
        _ => "Failed",
    }
}

/// The invocation's `InvocationStatus` over its targets.
fn overall_invocation_status(targets: &[InvocationTarget]) -> &'static str {
    let all = |status: &str| targets.iter().all(|target| target.status == status);
    let any = |status: &str| targets.iter().any(|target| target.status == status);
    if targets.is_empty() || all(TargetStatus::PENDING) {
        "Pending"
    } else if any(TargetStatus::RUNNING) || any(TargetStatus::PENDING) {
        "Running"
    } else if any(TargetStatus::STOPPING) {
        "Stopping"
    } else if all(TargetStatus::SUCCESS) {
        "Success"
    } else if all(TargetStatus::STOPPED) {
        "Stopped"
    } else if targets.iter().all(|target| target.status != TargetStatus::SUCCESS) {
        "Failed"
    } else {
        "PartialFailed"
    }
}

/// The older `InvokeStatus` over its targets: `Running`, `Finished`, `Failed`, `Stopped` or `PartialFinished`.
fn overall_invoke_status(targets: &[InvocationTarget]) -> &'static str {
    let records: Vec<&str> = targets.iter().map(target_record_status).collect();
    if records.iter().any(|status| matches!(*status, "Running" | "PendingStop")) {
        "Running"
    } else if records.iter().all(|status| *status == "Finished") {
        "Finished"
    } else if records.iter().all(|status| *status == "Stopped") {
        "Stopped"
    } else if records.iter().all(|status| *status == "Failed") {
        "Failed"
    } else {
        "PartialFinished"
    }
}

fn output_field(target: &InvocationTarget, with_output: bool) -> String {
    if with_output { crate::content::encode(target.output.as_bytes()) } else { String::new() }
}

fn exit_code(target: &InvocationTarget) -> Value {
    target.exit_code.map_or(Value::Null, Value::from)
}

/// One `InvokeInstance` of DescribeInvocations.
fn invoke_instance(target: &InvocationTarget, with_output: bool) -> Value {
    json!({
        "InstanceId": target.instance_id,
        "InvocationStatus": target_invocation_status(target),
        "InstanceInvokeStatus": target_record_status(target),
        "ExitCode": exit_code(target),
        "Output": output_field(target, with_output),
        "Dropped": target.dropped,
        "ErrorCode": target.error_code,
        "ErrorInfo": target.error_info,
        "StartTime": time(target.start_ms),
        "FinishTime": time(target.finish_ms),
        "UpdateTime": time(target.finish_ms.or(target.start_ms)),
        "CreationTime": "",
        "Repeats": 1,
        "Timed": false,
    })
}

/// One `Invocation` of DescribeInvocations.
pub(crate) fn invocation(row: &InvocationRow, targets: &[InvocationTarget], with_output: bool) -> Value {
    let instances: Vec<Value> = targets.iter().map(|target| invoke_instance(target, with_output)).collect();
    json!({
        "InvokeId": row.invoke_id,
        "CommandId": row.command_id.clone().unwrap_or_default(),
        "CommandName": row.command_name,
        "CommandType": row.command_type,
        "CommandContent": row.content_base64,
        "WorkingDir": row.working_dir,
        "Timeout": row.timeout_secs,
        "Username": row.username,
        "Parameters": parameters_text(row),
        "RepeatMode": "Once",
        "Timed": false,
        "Frequency": "",
        "CreationTime": time(Some(row.created_ms)),
        "InvocationStatus": overall_invocation_status(targets),
        "InvokeStatus": overall_invoke_status(targets),
        "InvokeInstances": {"InvokeInstance": instances},
        "Tags": {"Tag": tags(&row.tags)},
    })
}

/// One `InvocationResult` of DescribeInvocationResults.
pub(crate) fn invocation_result(row: &InvocationRow, target: &InvocationTarget) -> Value {
    json!({
        "InvokeId": row.invoke_id,
        "CommandId": row.command_id.clone().unwrap_or_default(),
        "InstanceId": target.instance_id,
        "Username": row.username,
        "InvocationStatus": target_invocation_status(target),
        "InvokeRecordStatus": target_record_status(target),
        "ExitCode": exit_code(target),
        "Output": output_field(target, true),
        "Dropped": target.dropped,
        "ErrorCode": target.error_code,
        "ErrorInfo": target.error_info,
        "StartTime": time(target.start_ms),
        "FinishedTime": time(target.finish_ms),
        "Repeats": 1,
    })
}

/// One `Invocation` of DescribeSendFileResults.
pub(crate) fn file_invocation(row: &InvocationRow, targets: &[InvocationTarget]) -> Value {
    let file: Map<String, Value> = serde_json::from_str(&row.file).unwrap_or_default();
    let field = |name: &str| file.get(name).cloned().unwrap_or(Value::String(String::new()));
    let instances: Vec<Value> = targets
        .iter()
        .map(|target| {
            json!({
                "InstanceId": target.instance_id,
                "InvocationStatus": target_invocation_status(target),
                "ErrorCode": target.error_code,
                "ErrorInfo": target.error_info,
                "StartTime": time(target.start_ms),
                "FinishTime": time(target.finish_ms),
                "UpdateTime": time(target.finish_ms.or(target.start_ms)),
                "CreationTime": time(Some(row.created_ms)),
            })
        })
        .collect();
    json!({
        "InvokeId": row.invoke_id,
        "Name": field("Name"),
        "Description": field("Description"),
        "Content": row.content_base64,
        "ContentType": "Base64",
        "TargetDir": field("TargetDir"),
        "FileMode": field("FileMode"),
        "FileOwner": field("FileOwner"),
        "FileGroup": field("FileGroup"),
        "Overwrite": file.get("Overwrite").and_then(Value::as_bool).unwrap_or(false).to_string(),
        "CreationTime": time(Some(row.created_ms)),
        "InvocationStatus": overall_invocation_status(targets),
        "VmCount": targets.len(),
        "InvokeInstances": {"InvokeInstance": instances},
    })
}

/// Parameter values never leave (they may be secrets): the names are shown, the values masked;
/// sealed parameters show nothing.
fn parameters_text(row: &InvocationRow) -> String {
    let parameters: Map<String, Value> = serde_json::from_str(&row.parameters).unwrap_or_default();
    let masked: Map<String, Value> = parameters.keys().map(|name| (name.clone(), Value::String("******".into()))).collect();
    Value::Object(masked).to_string()
}

/// `[{"TagKey", "TagValue"}]` of a JSON tags object.
pub(crate) fn tags(text: &str) -> Vec<Value> {
    let tags: Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    tags.into_iter().map(|(key, value)| json!({"TagKey": key, "TagValue": value.as_str().unwrap_or_default()})).collect()
}

/// One managed instance, as DescribeManagedInstances and DeregisterManagedInstance show it.
pub(crate) fn managed_instance(row: &ManagedInstanceRow) -> Value {
    json!({
        "InstanceId": row.instance_id,
        "InstanceName": row.instance_name,
        "Hostname": row.hostname,
        "MachineId": row.instance_id,
        "OsType": row.os_type,
        "OsVersion": row.os_name,
        "AgentVersion": row.agent_version,
        "IntranetIp": row.ip_address,
        "InternetIp": "",
        "ActivationId": row.activation_id,
        "RegistrationTime": time(Some(row.registered_ms)),
        "LastInvokedTime": "",
        "InvocationCount": 0,
        "Connected": row.connected,
        "ResourceGroupId": "",
        "Tags": tags(&row.tags),
    })
}

/// One activation, as DescribeActivations and DeleteActivation show it.
pub(crate) fn activation(row: &ActivationRow) -> Value {
    json!({
        "ActivationId": row.activation_id,
        "InstanceName": row.instance_name,
        "Description": row.description,
        "InstanceCount": row.usage_limit,
        "RegisteredCount": row.usage_count,
        "DeregisteredCount": row.deregistered_count,
        "TimeToLiveInHours": (row.expires_ms - row.created_ms) / 3_600_000,
        "CreationTime": time(Some(row.created_ms)),
        "IpAddressRange": row.ip_address_range,
        "Disabled": false,
        "ResourceGroupId": "",
        "Tags": tags(&row.tags),
    })
}
