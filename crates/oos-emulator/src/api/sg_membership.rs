//! Security-group membership: JoinSecurityGroup and LeaveSecurityGroup, of an instance or of a
//! network interface (a primary one stands for its instance), at most five groups, never none.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::instance;
use super::interfaces::{MAX_GROUPS, primary_eni_id};
use super::params::Ctx;
use crate::errors::{
    INSTANCE_LAST_SECURITY_GROUP, INSTANCE_SECURITY_GROUP_LIMIT_EXCEEDED,
    INVALID_INSTANCE_ID_ALREADY_EXISTS, INVALID_INSTANCE_ID_MISMATCH,
    INVALID_NETWORK_INTERFACE_ID_NOT_FOUND, INVALID_SECURITY_GROUP_ID_NOT_FOUND, not_found,
    require_status,
};
use crate::model::instance_status as status;
use crate::state::Cloud;

/// The security groups of the target of a Join/LeaveSecurityGroup call (an instance, or an
/// interface — a primary one stands for its instance).
fn membership<'a>(
    cloud: &'a mut Cloud,
    request: &RpcRequest,
    operation: &str,
) -> Result<(&'a mut Vec<String>, String), AcsError> {
    let (instance_id, eni_id) = (request.get("InstanceId"), request.get("NetworkInterfaceId"));
    let instance_id = match (instance_id, eni_id) {
        (Some(_), Some(_)) => {
            return Err(AcsError::invalid_parameter(
                "NetworkInterfaceId",
                "give InstanceId or NetworkInterfaceId, not both",
            ));
        }
        (None, None) => return Err(AcsError::missing_parameter("InstanceId")),
        (Some(id), None) => Some(id.to_string()),
        (None, Some(eni)) => cloud
            .instances
            .values()
            .find(|instance| primary_eni_id(&instance.instance_id) == eni)
            .map(|instance| instance.instance_id.clone()),
    };
    match (instance_id, eni_id) {
        (Some(id), _) => {
            require_status(
                instance(cloud, &id)?,
                &[status::RUNNING, status::STOPPED],
                operation,
            )?;
            let target = cloud.instances.get_mut(&id).expect("checked above");
            Ok((&mut target.security_group_ids, target.vpc_id.clone()))
        }
        (None, Some(eni)) => {
            let target = cloud.network_interfaces.get_mut(eni).ok_or_else(|| {
                not_found(
                    INVALID_NETWORK_INTERFACE_ID_NOT_FOUND,
                    "NetworkInterfaceId",
                    eni,
                )
            })?;
            Ok((&mut target.security_group_ids, target.vpc_id.clone()))
        }
        (None, None) => unreachable!("one of the two is given"),
    }
}

/// JoinSecurityGroup: an instance or interface joins `SecurityGroupId` (same VPC, at most five
/// groups; `InvalidInstanceId.AlreadyExists` when it is in it already).
pub fn join_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let group_id = request.require("SecurityGroupId")?.to_string();
    let group_vpc = cloud
        .security_groups
        .get(&group_id)
        .map(|group| group.vpc_id.clone())
        .ok_or_else(|| {
            not_found(
                INVALID_SECURITY_GROUP_ID_NOT_FOUND,
                "SecurityGroupId",
                &group_id,
            )
        })?;
    let (groups, vpc_id) = membership(cloud, request, "JoinSecurityGroup")?;
    if group_vpc != vpc_id {
        return Err(AcsError::new(
            INVALID_INSTANCE_ID_MISMATCH,
            "Specified instance and security group are not in the same VPC.",
        ));
    }
    if groups.contains(&group_id) {
        return Err(AcsError::new(
            INVALID_INSTANCE_ID_ALREADY_EXISTS,
            "The specified instance already exists in the specified security group.",
        ));
    }
    if groups.len() >= MAX_GROUPS {
        return Err(AcsError::new(
            INSTANCE_SECURITY_GROUP_LIMIT_EXCEEDED,
            "Exceeding the allowed amount of security groups that an instance can be in.",
        ));
    }
    groups.push(group_id);
    Ok(json!({}))
}

/// LeaveSecurityGroup: an instance or interface leaves `SecurityGroupId`; never its last group
/// (`InstanceLastSecurityGroup`).
pub fn leave_security_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let group_id = request.require("SecurityGroupId")?.to_string();
    if !cloud.security_groups.contains_key(&group_id) {
        return Err(not_found(
            INVALID_SECURITY_GROUP_ID_NOT_FOUND,
            "SecurityGroupId",
            &group_id,
        ));
    }
    let (groups, _) = membership(cloud, request, "LeaveSecurityGroup")?;
    if !groups.contains(&group_id) {
        return Err(AcsError::new(
            INVALID_SECURITY_GROUP_ID_NOT_FOUND,
            format!("The instance is not in the security group {group_id}."),
        ));
    }
    if groups.len() == 1 {
        return Err(AcsError::new(
            INSTANCE_LAST_SECURITY_GROUP,
            "An instance or network interface must stay in at least one security group.",
        ));
    }
    groups.retain(|id| *id != group_id);
    Ok(json!({}))
}
