//! Power state machine actions: StartInstance, StopInstance, RebootInstance and their batch
//! forms (`InstanceId.N`, `BatchOptimization`).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::instance;
use super::params::{Ctx, check_dry_run};
use crate::errors::incorrect_instance_status;
use crate::model::instance_status as status;
use crate::state::Cloud;

/// A power operation: which statuses allow it and the steps it walks through.
#[derive(Debug, Clone, Copy)]
pub struct PowerOperation {
    name: &'static str,
    allowed_from: &'static [&'static str],
    steps: &'static [&'static str],
}

const START: PowerOperation = PowerOperation {
    name: "StartInstance",
    allowed_from: &[status::STOPPED],
    steps: &[status::STARTING, status::RUNNING],
};
const STOP: PowerOperation = PowerOperation {
    name: "StopInstance",
    allowed_from: &[status::RUNNING],
    steps: &[status::STOPPING, status::STOPPED],
};
const REBOOT: PowerOperation = PowerOperation {
    name: "RebootInstance",
    allowed_from: &[status::RUNNING],
    steps: &[status::STOPPING, status::STARTING, status::RUNNING],
};

fn check_power(cloud: &Cloud, id: &str, operation: PowerOperation) -> Result<String, AcsError> {
    let current = &instance(cloud, id)?.status;
    if !operation.allowed_from.contains(&current.as_str()) {
        return Err(incorrect_instance_status(id, current, operation.name));
    }
    Ok(current.clone())
}

fn power(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    operation: PowerOperation,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    check_power(cloud, &id, operation)?;
    check_dry_run(request)?;
    apply_power(cloud, request, ctx, &id, operation);
    Ok(json!({}))
}

fn apply_power(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    id: &str,
    operation: PowerOperation,
) {
    cloud.schedule_instance(id, operation.steps, ctx.now, ctx.delay_ms);
    if let Some(instance) = cloud.instances.get_mut(id) {
        if operation.name == STOP.name {
            instance.stopped_mode = request
                .get("StoppedMode")
                .unwrap_or("KeepCharging")
                .to_string();
        } else {
            instance.start_time = crate::state::ecs_time(ctx.now);
            instance.stopped_mode = "Not-applicable".into();
        }
    }
}

pub fn start_instance(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power(cloud, request, ctx, START)
}

pub fn stop_instance(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power(cloud, request, ctx, STOP)
}

pub fn reboot_instance(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power(cloud, request, ctx, REBOOT)
}

/// Batch form (`InstanceId.N`, `BatchOptimization`): `AllTogether` (default) fails the whole
/// call on the first bad instance; `SuccessFirst` reports each one.
fn power_batch(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    operation: PowerOperation,
) -> Result<Value, AcsError> {
    let ids = request.repeated("InstanceId");
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("InstanceId.1"));
    }
    let success_first = request.get("BatchOptimization") == Some("SuccessFirst");
    let checks: Vec<(String, Result<String, AcsError>)> = ids
        .iter()
        .map(|id| (id.clone(), check_power(cloud, id, operation)))
        .collect();
    if !success_first && let Some((_, Err(error))) = checks.iter().find(|(_, check)| check.is_err())
    {
        return Err(error.clone());
    }
    check_dry_run(request)?;
    let mut responses = Vec::new();
    for (id, check) in checks {
        let response = match check {
            Ok(previous) => {
                apply_power(cloud, request, ctx, &id, operation);
                let current = &cloud.instances[&id].status;
                json!({"InstanceId": id, "Code": "200", "Message": "success", "PreviousStatus": previous, "CurrentStatus": current})
            }
            Err(error) => {
                json!({"InstanceId": id, "Code": error.code, "Message": error.message, "PreviousStatus": "", "CurrentStatus": ""})
            }
        };
        responses.push(response);
    }
    Ok(json!({"InstanceResponses": {"InstanceResponse": responses}}))
}

pub fn start_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power_batch(cloud, request, ctx, START)
}

pub fn stop_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power_batch(cloud, request, ctx, STOP)
}

pub fn reboot_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    power_batch(cloud, request, ctx, REBOOT)
}
