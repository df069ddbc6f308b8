//! Instance RAM roles: AttachInstanceRamRole, DetachInstanceRamRole, DescribeInstanceRamRole.
//! One role per instance; per-instance outcomes are reported in the body, as Alibaba does.
//! (Templates that write `DescribeInstanceRAMRole` are sent the canonical name by the client:
//! Alibaba's action names are case-sensitive, so only `DescribeInstanceRamRole` is served.)

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, id_list, list_body, paginate, required_instance_ids};
use crate::errors::INVALID_RAM_ROLE_NOT_FOUND;
use crate::state::Cloud;

/// Instances a call may name at once.
const MAX_INSTANCES: usize = 100;

/// `InvalidRamRole.NotFound` unless the role exists (every name does when the seed lists none).
fn require_role(cloud: &Cloud, name: &str) -> Result<(), AcsError> {
    if cloud.ram_roles.is_empty() || cloud.ram_roles.iter().any(|role| role == name) {
        return Ok(());
    }
    Err(AcsError::new(
        INVALID_RAM_ROLE_NOT_FOUND,
        format!("The specified RAMRoleName does not exist: {name}."),
    ))
}

/// One instance's outcome: `(Code, Message)`, `"200"` for success.
type Outcome = (String, String);

fn succeeded() -> Outcome {
    ("200".into(), "success".into())
}

fn results(
    outcomes: Vec<(String, Outcome, Value)>,
    wrapper: &str,
    item: &str,
    role: &str,
) -> Value {
    let failed = outcomes
        .iter()
        .filter(|(_, (code, _), _)| code != "200")
        .count();
    let total = outcomes.len();
    let items: Vec<Value> = outcomes
        .into_iter()
        .map(|(id, (code, message), extra)| {
            let mut entry = json!({"InstanceId": id, "Code": code, "Message": message, "Success": code == "200"});
            if let (Some(entry), Value::Object(extra)) = (entry.as_object_mut(), extra) {
                entry.extend(extra);
            }
            entry
        })
        .collect();
    json!({"RamRoleName": role, "TotalCount": total, "FailCount": failed, wrapper: {item: items}})
}

/// AttachInstanceRamRole: `RamRoleName` to each of `InstanceIds` (JSON list, at most 100);
/// an instance that has a role already is a failed item.
pub fn attach_instance_ram_role(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let role = request.require("RamRoleName")?.to_string();
    let ids = required_instance_ids(request, MAX_INSTANCES)?;
    require_role(cloud, &role)?;
    if let Some(policy) = request
        .get("Policy")
        .filter(|policy| !(1..=1024).contains(&policy.len()))
    {
        return Err(AcsError::invalid_parameter(
            "Policy",
            format!("{} characters; 1 to 1024 allowed", policy.len()),
        ));
    }
    let outcomes = ids
        .into_iter()
        .map(|id| {
            let outcome = match cloud.instances.get_mut(&id) {
                None => (
                    "InvalidInstanceId.NotFound".into(),
                    format!("The specified InstanceId does not exist: {id}."),
                ),
                Some(instance) if !instance.settings.ram_role_name.is_empty() => (
                    "InvalidInstance.RamRoleAttached".into(),
                    format!(
                        "The instance already has the RAM role {}.",
                        instance.settings.ram_role_name
                    ),
                ),
                Some(instance) => {
                    instance.settings.ram_role_name = role.clone();
                    succeeded()
                }
            };
            (id, outcome, Value::Null)
        })
        .collect();
    Ok(results(
        outcomes,
        "AttachInstanceRamRoleResults",
        "AttachInstanceRamRoleResult",
        &role,
    ))
}

/// DetachInstanceRamRole: removes the role of each of `InstanceIds`; with `RamRoleName`, only
/// where it is that role (else a failed item `InvalidRamRole.NotEqual`).
pub fn detach_instance_ram_role(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = required_instance_ids(request, MAX_INSTANCES)?;
    let wanted = request.get("RamRoleName").filter(|name| !name.is_empty());
    let outcomes = ids
        .into_iter()
        .map(|id| {
            let (outcome, detached) = match cloud.instances.get_mut(&id) {
                None => (
                    (
                        "InvalidInstanceId.NotFound".into(),
                        format!("The specified InstanceId does not exist: {id}."),
                    ),
                    String::new(),
                ),
                Some(instance)
                    if instance.settings.ram_role_name.is_empty()
                        || wanted
                            .is_some_and(|wanted| wanted != instance.settings.ram_role_name) =>
                {
                    (
                        (
                            "InvalidRamRole.NotEqual".into(),
                            "The specified RAM role is not the one attached to the instance."
                                .into(),
                        ),
                        String::new(),
                    )
                }
                Some(instance) => (
                    succeeded(),
                    std::mem::take(&mut instance.settings.ram_role_name),
                ),
            };
            let sets: Vec<Value> = (!detached.is_empty())
                .then(|| json!({"InstanceId": id, "RamRoleName": detached}))
                .into_iter()
                .collect();
            (
                id,
                outcome,
                json!({"InstanceRamRoleSets": {"InstanceRamRoleSet": sets}}),
            )
        })
        .collect();
    Ok(results(
        outcomes,
        "DetachInstanceRamRoleResults",
        "DetachInstanceRamRoleResult",
        wanted.unwrap_or_default(),
    ))
}

/// DescribeInstanceRamRole: the region's instances that have a role (`InstanceIds`,
/// `RamRoleName` filters), paged up to 50.
pub fn describe_instance_ram_role(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = id_list(request, "InstanceIds", "InstanceId")?;
    let selected: Vec<Value> = cloud
        .instances
        .values()
        .filter(|instance| instance.region_id == region && !instance.settings.ram_role_name.is_empty())
        .filter(|instance| ids.as_ref().is_none_or(|ids| ids.contains(&instance.instance_id)))
        .filter(|instance| request.get("RamRoleName").is_none_or(|name| name == instance.settings.ram_role_name))
        .map(|instance| json!({"InstanceId": instance.instance_id, "RamRoleName": instance.settings.ram_role_name}))
        .collect();
    let (page, mut paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    paging.retain(|key, _| key == "TotalCount");
    let mut body = list_body("InstanceRamRoleSets", "InstanceRamRoleSet", page, paging);
    body["RegionId"] = json!(region);
    Ok(body)
}
