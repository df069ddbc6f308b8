//! Auto Scaling (ESS 2014-08-28) actions on the instances of a group (attach, detach, remove,
//! standby, protection) and on lifecycle hooks and their actions.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::ess::prepared;
use super::params::{Ctx, PageLimits, id_list, list_body, paginate};
use crate::ess::{LifecycleHook, ScalingInstance, codes, missing, require_active, state};
use crate::model::instance_status;
use crate::state::{Cloud, ecs_time, new_id};

/// The instance ids of a request: `InstanceId.N`, `InstanceIds.N`, or a JSON list in either.
pub(super) fn instance_ids(request: &RpcRequest) -> Result<Vec<String>, AcsError> {
    if let Some(ids) = id_list(request, "InstanceIds", "InstanceId")? {
        return Ok(ids);
    }
    match request.get("InstanceId") {
        Some(raw) if raw.trim_start().starts_with('[') => Ok(request
            .json::<Vec<String>>("InstanceId")?
            .unwrap_or_default()),
        Some(single) => Ok(vec![single.to_owned()]),
        None => Ok(Vec::new()),
    }
}

fn required_ids(request: &RpcRequest) -> Result<Vec<String>, AcsError> {
    let ids = instance_ids(request)?;
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("InstanceId.1"));
    }
    if ids.len() > 20 {
        return Err(AcsError::invalid_parameter(
            "InstanceId",
            "at most 20 instances per call",
        ));
    }
    Ok(ids)
}

/// Checks that `ids` can join group `group_id` (Running, same region, in no group) and makes
/// their memberships.
pub(super) fn attachable(
    cloud: &Cloud,
    group_id: &str,
    ids: &[String],
    entrusted: bool,
    ctx: &Ctx,
) -> Result<Vec<ScalingInstance>, AcsError> {
    let group = cloud.ess.group(group_id)?;
    let weight = cloud
        .ess
        .configurations
        .get(&group.active_configuration_id)
        .map_or(50, |configuration| configuration.load_balancer_weight);
    ids.iter()
        .map(|id| {
            let instance = cloud
                .instances
                .get(id)
                .ok_or_else(|| AcsError::new(codes::INSTANCE_NOT_FOUND, format!("Instance \"{id}\" does not exist.")))?;
            if instance.region_id != group.region_id {
                return Err(AcsError::new(codes::REGION_MISMATCH, format!("Instance \"{id}\" and the specified scaling group are not in the same Region.")));
            }
            if let Some(other) = cloud.ess.group_of(id) {
                return Err(AcsError::new(codes::INSTANCE_IN_USE, format!("Instance \"{id}\" is already attached to the scaling group {}.", other.id)));
            }
            if instance.status != instance_status::RUNNING {
                return Err(AcsError::new(codes::INCORRECT_INSTANCE_STATUS, format!("The current status of instance \"{id}\" ({}) does not support this action; it must be Running.", instance.status)));
            }
            Ok(ScalingInstance {
                instance_id: id.clone(),
                lifecycle_state: state::PENDING.into(),
                creation_type: "Attached".into(),
                entrusted,
                configuration_id: String::new(),
                activity_id: String::new(),
                zone_id: instance.zone_id.clone(),
                weight,
                creation_time: ecs_time(ctx.now),
            })
        })
        .collect()
}

/// AttachInstances: existing Running instances join as `Attached` (through the SCALE_OUT hooks).
pub fn attach_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    let ids = required_ids(request)?;
    let members = attachable(
        cloud,
        &group_id,
        &ids,
        request.bool("Entrusted")?.unwrap_or(false),
        ctx,
    )?;
    let activity = cloud.ess_attach(&group_id, members, ctx)?;
    grow_desired(cloud, &group_id, ids.len() as i64);
    Ok(json!({"ScalingActivityId": activity}))
}

fn grow_desired(cloud: &mut Cloud, group_id: &str, by: i64) {
    if let Some(group) = cloud.ess.groups.get_mut(group_id)
        && let Some(desired) = group.desired_capacity.as_mut()
    {
        *desired = (*desired + by).clamp(group.min_size, group.max_size);
    }
}

/// DetachInstances: the instances leave the group and are kept (never released).
pub fn detach_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    leave_group(cloud, request, ctx, false)
}

/// RemoveInstances: the instances leave the group; auto-created ones are released.
pub fn remove_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    leave_group(cloud, request, ctx, true)
}

fn leave_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    release: bool,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    let ids = required_ids(request)?;
    let cause = if release {
        "A user removes instances."
    } else {
        "A user detaches instances."
    };
    let activity = cloud.ess_scale_in(&group_id, &ids, release, cause, ctx)?;
    if request.bool("DecreaseDesiredCapacity")?.unwrap_or(true) {
        grow_desired(cloud, &group_id, -(ids.len() as i64));
    }
    let mut body = json!({"ScalingActivityId": activity});
    if release {
        // every named instance is a member (checked above): none is ignored
        body["IgnoredInstances"] = json!([]);
    }
    Ok(body)
}

/// Moves members of `ScalingGroupId` from states `from` to `to` (`IncorrectInstanceStatus` for one
/// in another state) and sets their load balancer weight (0 in Standby).
fn move_members(
    cloud: &mut Cloud,
    request: &RpcRequest,
    from: &[&str],
    to: &str,
) -> Result<(), AcsError> {
    let ids = required_ids(request)?;
    let group = cloud.ess.group(request.require("ScalingGroupId")?)?;
    require_active(group)?;
    for id in &ids {
        let member = group.instances.get(id).ok_or_else(|| {
            AcsError::new(
                codes::INSTANCE_NOT_FOUND,
                format!(
                    "Instance \"{id}\" does not exist in the scaling group {}.",
                    group.id
                ),
            )
        })?;
        if !from.contains(&member.lifecycle_state.as_str()) && member.lifecycle_state != to {
            return Err(AcsError::new(
                codes::INCORRECT_INSTANCE_STATUS,
                format!(
                    "The lifecycle state of instance \"{id}\" ({}) does not support this action.",
                    member.lifecycle_state
                ),
            ));
        }
    }
    let group_id = group.id.clone();
    let group = cloud.ess.group_mut(&group_id)?;
    for id in &ids {
        group
            .instances
            .get_mut(id)
            .expect("checked above")
            .lifecycle_state = to.to_owned();
    }
    let balancers = group.load_balancer_ids.clone();
    let weights: Vec<(String, i64)> = ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                if to == state::STANDBY {
                    0
                } else {
                    group.instances[id].weight
                },
            )
        })
        .collect();
    cloud.set_backend_weights(&balancers, &weights);
    Ok(())
}

/// EnterStandby: InService (or Protected) → Standby; load balancer weight 0.
pub fn enter_standby(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    move_members(
        prepared(cloud, ctx),
        request,
        &[state::IN_SERVICE, state::PROTECTED],
        state::STANDBY,
    )?;
    Ok(json!({"ScalingActivityId": new_id("asa")}))
}

/// ExitStandby: Standby → InService; the load balancer weight comes back.
pub fn exit_standby(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    move_members(
        prepared(cloud, ctx),
        request,
        &[state::STANDBY],
        state::IN_SERVICE,
    )?;
    Ok(json!({"ScalingActivityId": new_id("asa")}))
}

/// SetInstancesProtection: InService ↔ Protected (protected instances are never scaled in).
pub fn set_instances_protection(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let protect = request
        .bool("ProtectedFromScaleIn")?
        .ok_or_else(|| AcsError::missing_parameter("ProtectedFromScaleIn"))?;
    let (from, to) = if protect {
        (state::IN_SERVICE, state::PROTECTED)
    } else {
        (state::PROTECTED, state::IN_SERVICE)
    };
    move_members(prepared(cloud, ctx), request, &[from], to)?;
    Ok(json!({}))
}

/// DescribeScalingInstances: by group, `InstanceId.N`, lifecycle state, creation type.
pub fn describe_scaling_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud = prepared(cloud, ctx);
    let ids = instance_ids(request)?;
    let group = request.get("ScalingGroupId");
    if let Some(group) = group {
        cloud.ess.group(group)?;
    }
    let wanted = |name: &str, value: &str| request.get(name).is_none_or(|wanted| wanted == value);
    let selected: Vec<Value> = cloud
        .ess
        .groups
        .values()
        .filter(|owner| owner.region_id == region && group.is_none_or(|group| owner.id == group))
        .flat_map(|owner| owner.instances.values().map(move |member| (owner, member)))
        .filter(|(_, member)| ids.is_empty() || ids.contains(&member.instance_id))
        .filter(|(_, member)| wanted("LifecycleState", &member.lifecycle_state) && wanted("CreationType", &member.creation_type))
        .filter(|(_, member)| wanted("ScalingActivityId", &member.activity_id) && wanted("ScalingConfigurationId", &member.configuration_id))
        .filter(|(_, _)| wanted("HealthStatus", "Healthy"))
        .map(|(owner, member)| {
            json!({
                "InstanceId": member.instance_id, "ScalingGroupId": owner.id, "ScalingConfigurationId": member.configuration_id,
                "LifecycleState": member.lifecycle_state, "HealthStatus": "Healthy", "CreationType": member.creation_type,
                "CreationTime": member.creation_time, "CreatedTime": member.creation_time, "ZoneId": member.zone_id,
                "LoadBalancerWeight": member.weight, "Entrusted": member.entrusted, "WeightedCapacity": 1,
                "WarmupState": "NoNeedWarmup", "ScalingActivityId": member.activity_id, "LaunchTemplateId": "",
                "LaunchTemplateVersion": "", "SpotStrategy": "NoSpot",
                "PrivateIpAddress": cloud.instances.get(&member.instance_id).map(|instance| instance.private_ip.clone()).unwrap_or_default(),
                // instance replacement (and its per-member id) is not modelled
                "ReplaceStatus": "", "ScalingInstanceId": "",
            })
        })
        .collect();
    let (page, mut paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    paging.insert("TotalSpotCount".into(), json!(0));
    Ok(list_body(
        "ScalingInstances",
        "ScalingInstance",
        page,
        paging,
    ))
}

fn hook_json(hook: &LifecycleHook) -> Value {
    json!({
        "LifecycleHookId": hook.id, "LifecycleHookName": hook.name, "ScalingGroupId": hook.group_id,
        "LifecycleTransition": hook.transition, "DefaultResult": hook.default_result,
        "HeartbeatTimeout": hook.heartbeat_timeout, "NotificationArn": hook.notification_arn,
        "NotificationMetadata": hook.notification_metadata, "LifecycleHookStatus": hook.status,
    })
}

/// Applies the hook fields a request sets, validated.
fn apply_hook_fields(request: &RpcRequest, hook: &mut LifecycleHook) -> Result<(), AcsError> {
    if let Some(transition) = request.get("LifecycleTransition") {
        if !["SCALE_OUT", "SCALE_IN"].contains(&transition) {
            return Err(AcsError::invalid_parameter(
                "LifecycleTransition",
                "must be SCALE_OUT or SCALE_IN",
            ));
        }
        hook.transition = transition.to_owned();
    }
    if let Some(result) = request.get("DefaultResult") {
        if !["CONTINUE", "ABANDON", "ROLLBACK"].contains(&result) {
            return Err(AcsError::invalid_parameter(
                "DefaultResult",
                "must be CONTINUE, ABANDON or ROLLBACK",
            ));
        }
        hook.default_result = result.to_owned();
    }
    if let Some(timeout) = request.int("HeartbeatTimeout")? {
        if !(30..=21600).contains(&timeout) {
            return Err(AcsError::invalid_parameter(
                "HeartbeatTimeout",
                "must be between 30 and 21600 seconds",
            ));
        }
        hook.heartbeat_timeout = timeout;
    }
    for (name, field) in [
        ("LifecycleHookName", &mut hook.name),
        ("NotificationArn", &mut hook.notification_arn),
        ("NotificationMetadata", &mut hook.notification_metadata),
    ] {
        if let Some(value) = request.get(name) {
            *field = value.to_owned();
        }
    }
    if let Some(status) = request.get("LifecycleHookStatus") {
        if !["Active", "Inactive"].contains(&status) {
            return Err(AcsError::invalid_parameter(
                "LifecycleHookStatus",
                "must be Active or Inactive",
            ));
        }
        hook.status = status.to_owned();
    }
    Ok(())
}

/// CreateLifecycleHook: `LifecycleTransition` SCALE_OUT|SCALE_IN, `DefaultResult` (CONTINUE),
/// `HeartbeatTimeout` 30–21600 s (600), `NotificationArn`, `NotificationMetadata`.
pub fn create_lifecycle_hook(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    cloud.ess.group(&group_id)?;
    request.require("LifecycleTransition")?;
    let id = new_id("ash");
    let mut hook = LifecycleHook {
        id: id.clone(),
        name: id.clone(),
        group_id,
        transition: String::new(),
        default_result: "CONTINUE".into(),
        heartbeat_timeout: 600,
        notification_arn: String::new(),
        notification_metadata: String::new(),
        status: "Active".into(),
    };
    apply_hook_fields(request, &mut hook)?;
    if cloud
        .ess
        .hooks
        .values()
        .any(|other| other.group_id == hook.group_id && other.name == hook.name)
    {
        return Err(AcsError::with_code(
            "LifecycleHookName.Duplicate",
            400,
            format!(
                "The lifecycle hook name already exists in the scaling group: {}.",
                hook.name
            ),
        ));
    }
    cloud.ess.hooks.insert(id.clone(), hook);
    Ok(json!({"LifecycleHookId": id}))
}

/// The hook a request names: `LifecycleHookId`, or `ScalingGroupId` + `LifecycleHookName`.
fn named_hook(cloud: &Cloud, request: &RpcRequest) -> Result<String, AcsError> {
    if let Some(id) = request.get("LifecycleHookId") {
        return Ok(cloud.ess.hook(id)?.id.clone());
    }
    let group = request.require("ScalingGroupId")?;
    let name = request.require("LifecycleHookName")?;
    cloud
        .ess
        .hooks
        .values()
        .find(|hook| hook.group_id == group && hook.name == name)
        .map(|hook| hook.id.clone())
        .ok_or_else(|| {
            AcsError::with_code(
                "InvalidLifecycleHookName.NotExist",
                400,
                format!("The specified lifecycleHookName does not exist: {name}."),
            )
        })
}

/// ModifyLifecycleHook.
pub fn modify_lifecycle_hook(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = named_hook(cloud, request)?;
    let mut hook = cloud.ess.hooks[&id].clone();
    apply_hook_fields(request, &mut hook)?;
    cloud.ess.hooks.insert(id, hook);
    Ok(json!({}))
}

/// DeleteLifecycleHook.
pub fn delete_lifecycle_hook(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = named_hook(cloud, request)?;
    cloud.ess.hooks.shift_remove(&id);
    Ok(json!({}))
}

/// DescribeLifecycleHooks: by group, `LifecycleHookId.N` or name.
pub fn describe_lifecycle_hooks(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let ids = id_list(request, "LifecycleHookIds", "LifecycleHookId")?;
    let group = request.get("ScalingGroupId");
    if group.is_none() && ids.is_none() {
        return Err(AcsError::missing_parameter("ScalingGroupId"));
    }
    let selected: Vec<Value> = cloud
        .ess
        .hooks
        .values()
        .filter(|hook| group.is_none_or(|group| hook.group_id == group))
        .filter(|hook| ids.as_ref().is_none_or(|ids| ids.contains(&hook.id)))
        .filter(|hook| {
            request
                .get("LifecycleHookName")
                .is_none_or(|name| hook.name == name)
        })
        .map(hook_json)
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    Ok(list_body("LifecycleHooks", "LifecycleHook", page, paging))
}

fn pending_action(cloud: &Cloud, request: &RpcRequest) -> Result<String, AcsError> {
    let hook_id = request.require("LifecycleHookId")?;
    cloud.ess.hook(hook_id)?;
    let token = request.require("LifecycleActionToken")?;
    cloud
        .ess
        .actions
        .get(token)
        .filter(|action| action.hook_id == hook_id && action.status == "Pending")
        .map(|action| action.token.clone())
        .ok_or_else(|| {
            missing(
                codes::TOKEN_NOT_FOUND,
                "pending lifecycle action of this hook with LifecycleActionToken",
                token,
            )
        })
}

/// CompleteLifecycleAction: CONTINUE, ABANDON or ROLLBACK (default: the hook's DefaultResult).
pub fn complete_lifecycle_action(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let token = pending_action(cloud, request)?;
    let result = match request.get("LifecycleActionResult") {
        Some(result) if ["CONTINUE", "ABANDON", "ROLLBACK"].contains(&result) => result.to_owned(),
        Some(_) => {
            return Err(AcsError::invalid_parameter(
                "LifecycleActionResult",
                "must be CONTINUE, ABANDON or ROLLBACK",
            ));
        }
        None => cloud
            .ess
            .hook(request.require("LifecycleHookId")?)?
            .default_result
            .clone(),
    };
    cloud.decide(&token, &result, "Completed", ctx);
    Ok(json!({}))
}

/// RecordLifecycleActionHeartbeat: the wait restarts with `heartbeatTimeout` (or the hook's).
pub fn record_lifecycle_action_heartbeat(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let rewritten = RpcRequest::new(
        &request.action,
        &request.version,
        request
            .params()
            .iter()
            .map(|(key, value)| (key.replacen("lifecycle", "Lifecycle", 1), value.clone()))
            .collect(),
    );
    let token = pending_action(cloud, &rewritten)?;
    let hook_timeout = cloud
        .ess
        .hook(rewritten.require("LifecycleHookId")?)?
        .heartbeat_timeout;
    let timeout = rewritten.int("heartbeatTimeout")?.unwrap_or(hook_timeout);
    cloud.ess.actions[&token].deadline_ms = ctx.now.as_millisecond() + timeout * 1000;
    Ok(json!({}))
}

/// DescribeLifecycleActions: the actions of a scaling activity.
pub fn describe_lifecycle_actions(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let activity = request.require("ScalingActivityId")?;
    let selected: Vec<Value> = cloud
        .ess
        .actions
        .values()
        .filter(|action| action.activity_id == activity)
        .filter(|action| {
            request
                .get("LifecycleActionStatus")
                .is_none_or(|status| action.status == status)
        })
        .map(|action| {
            json!({
                "LifecycleHookId": action.hook_id, "LifecycleActionToken": action.token,
                "LifecycleActionStatus": action.status, "LifecycleActionResult": action.result,
                "InstanceIds": {"InstanceId": action.instance_ids},
            })
        })
        .collect();
    let (page, mut paging) = paginate(request, selected, PageLimits::TOKEN_100)?;
    // this action pages by token only: `MaxResults` instead of `PageNumber`/`PageSize`
    paging.remove("PageNumber");
    if let Some(size) = paging.remove("PageSize") {
        paging.insert("MaxResults".into(), size);
    }
    Ok(list_body(
        "LifecycleActions",
        "LifecycleAction",
        page,
        paging,
    ))
}
