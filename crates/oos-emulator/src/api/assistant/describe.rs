//! Reading invocations: DescribeInvocations (one entry per invocation, with its instances) and
//! DescribeInvocationResults (one entry per instance). Statuses are those at the time of the
//! query; `Output` and `CommandContent` are Base64 unless `ContentEncoding=PlainText`.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::model::{Invocation, MAX_OUTPUT_BYTES, Target};
use super::status::{Phase, invocation_status, invoke_status};
use super::{PAGES, encode, no_tags, plain_text};
use crate::api::params::{Ctx, list_body, paginate};
use crate::state::{Cloud, utc_time};

/// How an answer shows targets: time, encoding, whether to include output.
struct View {
    now_ms: i64,
    plain: bool,
    with_output: bool,
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(utc_time)
        .unwrap_or_default()
}

impl View {
    /// `(Output, Dropped)`: the first 24 KiB of a finished target's output.
    fn output(&self, target: &Target, phase: Phase) -> (String, usize) {
        if !self.with_output
            || !matches!(
                phase,
                Phase::Success | Phase::Failed | Phase::Timeout | Phase::Terminated
            )
        {
            return (String::new(), 0);
        }
        let text = &target.output;
        let mut cut = text.len().min(MAX_OUTPUT_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        (encode(&text[..cut], self.plain), text.len() - cut)
    }

    /// `(StartTime, FinishTime, StopTime)`.
    fn times(&self, target: &Target, phase: Phase) -> (String, String, String) {
        let started = !matches!(phase, Phase::Pending | Phase::Aborted | Phase::Cancelled);
        let finished = matches!(phase, Phase::Success | Phase::Failed | Phase::Timeout);
        (
            if started {
                time(target.start_ms)
            } else {
                String::new()
            },
            if finished {
                time(target.end_ms)
            } else {
                String::new()
            },
            target
                .stopped_ms
                .filter(|_| matches!(phase, Phase::Cancelled | Phase::Terminated))
                .map(time)
                .unwrap_or_default(),
        )
    }
}

/// The target records of `invocation` that `instance` (if any) selects, with their phases.
fn targets<'a>(
    invocation: &'a Invocation,
    instance: Option<&str>,
    now_ms: i64,
) -> Vec<(&'a Target, Phase)> {
    invocation
        .targets
        .iter()
        .filter(|target| instance.is_none_or(|id| target.instance_id == id))
        .map(|target| (target, Phase::of(target, now_ms)))
        .collect()
}

fn nonempty<'a>(request: &'a RpcRequest, name: &str) -> Option<&'a str> {
    request.get(name).filter(|value| !value.is_empty())
}

/// DescribeInvocations: the region's invocations, newest first, filtered by `InvokeId`,
/// `CommandId`, `CommandName`, `CommandType`, `InstanceId`, `InvokeStatus` and `RepeatMode`.
pub fn describe_invocations(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let view = View {
        now_ms: ctx.now.as_millisecond(),
        plain: plain_text(request),
        with_output: request.bool("IncludeOutput")?.unwrap_or(false),
    };
    let instance = nonempty(request, "InstanceId");
    let status = nonempty(request, "InvokeStatus");
    let matches =
        |field: &str, value: &str| nonempty(request, field).is_none_or(|wanted| wanted == value);
    let mut items = Vec::new();
    for invocation in cloud
        .assistant
        .invocations
        .values()
        .rev()
        .filter(|invocation| invocation.region_id == region)
    {
        let selected = targets(invocation, instance, view.now_ms);
        let phases: Vec<Phase> = selected.iter().map(|(_, phase)| *phase).collect();
        let keep = !selected.is_empty()
            && matches("InvokeId", &invocation.invoke_id)
            && matches("CommandId", &invocation.command_id)
            && matches("CommandName", &invocation.command_name)
            && matches("CommandType", &invocation.command_type)
            && matches("RepeatMode", "Once")
            && status.is_none_or(|wanted| {
                wanted == invoke_status(&phases) || wanted == invocation_status(&phases)
            });
        if keep {
            items.push(invocation_json(invocation, &selected, &view));
        }
    }
    let (page, paging) = paginate(request, items, PAGES)?;
    Ok(list_body("Invocations", "Invocation", page, paging))
}

fn invocation_json(invocation: &Invocation, selected: &[(&Target, Phase)], view: &View) -> Value {
    let phases: Vec<Phase> = selected.iter().map(|(_, phase)| *phase).collect();
    let created = time(invocation.created_ms);
    let instances: Vec<Value> = selected
        .iter()
        .map(|(target, phase)| {
            let (output, dropped) = view.output(target, *phase);
            let (start, finish, stop) = view.times(target, *phase);
            let (error_code, error_info) = phase.error(target);
            let updated = [finish.as_str(), stop.as_str(), start.as_str()].into_iter().find(|t| !t.is_empty()).unwrap_or(&created).to_owned();
            json!({
                "CreationTime": created, "Dropped": dropped, "ErrorCode": error_code, "ErrorInfo": error_info,
                "ExitCode": exit_code(target, *phase), "FinishTime": finish, "InstanceId": target.instance_id,
                "InstanceInvokeStatus": phase.record_status(), "InvocationStatus": phase.invocation_status(),
                "OssOutputErrorCode": "", "OssOutputErrorInfo": "", "OssOutputStatus": "", "OssOutputUri": "",
                "Output": output, "Repeats": 1, "StartTime": start, "StopTime": stop, "Timed": false, "UpdateTime": updated,
            })
        })
        .collect();
    json!({
        "CommandContent": encode(&invocation.content, view.plain),
        "CommandDescription": invocation.command_description,
        "CommandId": invocation.command_id,
        "CommandName": invocation.command_name,
        "CommandType": invocation.command_type,
        "ContainerId": "", "ContainerName": "",
        "CreationTime": created,
        "Frequency": "",
        "InvocationStatus": invocation_status(&phases),
        "InvokeId": invocation.invoke_id,
        "InvokeInstances": {"InvokeInstance": instances},
        "InvokeStatus": invoke_status(&phases),
        "Launcher": "",
        "OssOutputDelivery": "",
        "Parameters": Value::Object(invocation.parameters.clone()).to_string(),
        "RepeatMode": "Once",
        "Tags": no_tags(),
        "TerminationMode": invocation.termination_mode,
        "Timed": false,
        "Timeout": invocation.timeout,
        "Username": invocation.username,
        "WorkingDir": invocation.working_dir,
    })
}

/// The exit code once the command ran to its end (or was killed), else 0.
fn exit_code(target: &Target, phase: Phase) -> i64 {
    if matches!(phase, Phase::Success | Phase::Failed | Phase::Timeout) {
        target.exit_code
    } else {
        0
    }
}

/// DescribeInvocationResults: one record per targeted instance, filtered by `InvokeId`,
/// `InstanceId`, `CommandId` and `InvokeRecordStatus`; always with output.
pub fn describe_invocation_results(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let view = View {
        now_ms: ctx.now.as_millisecond(),
        plain: plain_text(request),
        with_output: true,
    };
    let instance = nonempty(request, "InstanceId");
    let record_status = nonempty(request, "InvokeRecordStatus");
    let matches =
        |field: &str, value: &str| nonempty(request, field).is_none_or(|wanted| wanted == value);
    let mut records = Vec::new();
    for invocation in cloud
        .assistant
        .invocations
        .values()
        .rev()
        .filter(|invocation| invocation.region_id == region)
    {
        if !(matches("InvokeId", &invocation.invoke_id)
            && matches("CommandId", &invocation.command_id))
        {
            continue;
        }
        for (target, phase) in targets(invocation, instance, view.now_ms) {
            if record_status.is_none_or(|wanted| wanted == phase.record_status()) {
                records.push(result_json(invocation, target, phase, &view));
            }
        }
    }
    let (page, paging) = paginate(request, records, PAGES)?;
    Ok(json!({"Invocation": list_body("InvocationResults", "InvocationResult", page, paging)}))
}

fn result_json(invocation: &Invocation, target: &Target, phase: Phase, view: &View) -> Value {
    let (output, dropped) = view.output(target, phase);
    let (start, finish, stop) = view.times(target, phase);
    let (error_code, error_info) = phase.error(target);
    json!({
        "CommandId": invocation.command_id,
        "ContainerId": "", "ContainerName": "",
        "Dropped": dropped,
        "ErrorCode": error_code,
        "ErrorInfo": error_info,
        "ExitCode": exit_code(target, phase),
        "FinishedTime": finish,
        "InstanceId": target.instance_id,
        "InvocationStatus": phase.invocation_status(),
        "InvokeId": invocation.invoke_id,
        "InvokeRecordStatus": phase.record_status(),
        "Launcher": "",
        "OssOutputDelivery": "", "OssOutputErrorCode": "", "OssOutputErrorInfo": "", "OssOutputStatus": "", "OssOutputUri": "",
        "Output": output,
        "Repeats": 1,
        "StartTime": start,
        "StopTime": stop,
        "Tags": no_tags(),
        "TerminationMode": invocation.termination_mode,
        "Username": invocation.username,
    })
}
