//! The RPC actions the emulator serves, routed by (API version, action name).

mod assistant;
mod cms;
mod ess;
mod ess_members;
mod images;
mod instances;
mod network;
mod params;
mod power;
mod regions;
mod security_groups;
mod slb;
mod storage;
mod tags;
mod vpc;

use oos_acs::{AcsError, RpcRequest, unknown_action, unsupported_version};
use serde_json::Value;

pub use assistant::{Assistant, ScriptedResult};
pub use images::{PUBLIC_IMAGES, ensure_public_images};
pub use params::Ctx;
pub(crate) use instances::remove_instance as release_instance;

use crate::state::Cloud;

/// ECS API version.
pub const ECS_VERSION: &str = "2014-05-26";
/// VPC API version (EIPs).
pub const VPC_VERSION: &str = "2016-04-28";
/// Classic load balancer API version.
pub const SLB_VERSION: &str = "2014-05-15";

/// Auto Scaling API version.
pub const ESS_VERSION: &str = "2014-08-28";
/// CloudMonitor API version.
pub const CMS_VERSION: &str = "2019-01-01";

/// An action: reads and changes the cloud, returns the body without `RequestId`.
pub type Handler = fn(&mut Cloud, &RpcRequest, &Ctx) -> Result<Value, AcsError>;

fn ecs_handler(action: &str) -> Option<Handler> {
    use images::*;
    use instances::*;
    use power::*;
    use regions::*;
    use security_groups::*;
    use storage::*;
    use tags::*;
    Some(match action {
        "DescribeInstances" => describe_instances,
        "DescribeInstanceStatus" => describe_instance_status,
        "StartInstance" => start_instance,
        "StopInstance" => stop_instance,
        "RebootInstance" => reboot_instance,
        "StartInstances" => start_instances,
        "StopInstances" => stop_instances,
        "RebootInstances" => reboot_instances,
        "DeleteInstance" => delete_instance,
        "DeleteInstances" => delete_instances,
        "RunInstances" => run_instances,
        "CreateInstance" => create_instance_action,
        "ModifyInstanceAttribute" => modify_instance_attribute,
        "DescribeDisks" => describe_disks,
        "CreateDisk" => create_disk,
        "AttachDisk" => attach_disk,
        "DetachDisk" => detach_disk,
        "ResizeDisk" => resize_disk,
        "DeleteDisk" => delete_disk,
        "CreateSnapshot" => create_snapshot,
        "DescribeSnapshots" => describe_snapshots,
        "DeleteSnapshot" => delete_snapshot,
        "CreateImage" => create_image,
        "DescribeImages" => describe_images,
        "DeleteImage" => delete_image,
        "CopyImage" => copy_image,
        "DescribeImageSharePermission" => describe_image_share_permission,
        "ModifyImageSharePermission" => modify_image_share_permission,
        "CreateSecurityGroup" => create_security_group,
        "DeleteSecurityGroup" => delete_security_group,
        "DescribeSecurityGroups" => describe_security_groups,
        "DescribeSecurityGroupAttribute" => describe_security_group_attribute,
        "AuthorizeSecurityGroup" => authorize_security_group,
        "AuthorizeSecurityGroupEgress" => authorize_security_group_egress,
        "RevokeSecurityGroup" => revoke_security_group,
        "RevokeSecurityGroupEgress" => revoke_security_group_egress,
        "TagResources" => tag_resources,
        "UntagResources" => untag_resources,
        "ListTagResources" => list_tag_resources,
        "DescribeRegions" => describe_regions,
        "DescribeZones" => describe_zones,
        other => return assistant_handler(other),
    })
}

fn assistant_handler(action: &str) -> Option<Handler> {
    use assistant::*;
    Some(match action {
        "RunCommand" => run_command,
        "InvokeCommand" => invoke_command,
        "CreateCommand" => create_command,
        "DescribeCommands" => describe_commands,
        "DeleteCommand" => delete_command,
        "DescribeInvocations" => describe_invocations,
        "DescribeInvocationResults" => describe_invocation_results,
        "StopInvocation" => stop_invocation,
        "SendFile" => send_file,
        "DescribeSendFileResults" => describe_send_file_results,
        "DescribeCloudAssistantStatus" => describe_cloud_assistant_status,
        "InstallCloudAssistant" => install_cloud_assistant,
        _ => return None,
    })
}

fn vpc_handler(action: &str) -> Option<Handler> {
    use vpc::*;
    Some(match action {
        "AllocateEipAddress" => allocate_eip_address,
        "AssociateEipAddress" => associate_eip_address,
        "UnassociateEipAddress" => unassociate_eip_address,
        "ReleaseEipAddress" => release_eip_address,
        "DescribeEipAddresses" => describe_eip_addresses,
        "DescribeVpcs" => network::describe_vpcs,
        "DescribeVSwitches" => network::describe_vswitches,
        "TagResources" => tags::tag_resources,
        "UntagResources" => tags::untag_resources,
        "ListTagResources" => tags::list_tag_resources,
        "DescribeRegions" => regions::describe_regions,
        _ => return None,
    })
}

fn slb_handler(action: &str) -> Option<Handler> {
    use slb::*;
    Some(match action {
        "DescribeLoadBalancers" => describe_load_balancers,
        "DescribeLoadBalancerAttribute" => describe_load_balancer_attribute,
        "AddBackendServers" => add_backend_servers,
        "SetBackendServers" => set_backend_servers,
        "RemoveBackendServers" => remove_backend_servers,
        _ => return None,
    })
}

fn ess_handler(action: &str) -> Option<Handler> {
    use ess::*;
    use ess_members::*;
    Some(match action {
        "CreateScalingGroup" => create_scaling_group,
        "DescribeScalingGroups" => describe_scaling_groups,
        "ModifyScalingGroup" => modify_scaling_group,
        "DeleteScalingGroup" => delete_scaling_group,
        "EnableScalingGroup" => enable_scaling_group,
        "DisableScalingGroup" => disable_scaling_group,
        "SuspendProcesses" => suspend_processes,
        "ResumeProcesses" => resume_processes,
        "SetGroupDeletionProtection" => set_group_deletion_protection,
        "CreateScalingConfiguration" => create_scaling_configuration,
        "DescribeScalingConfigurations" => describe_scaling_configurations,
        "ModifyScalingConfiguration" => modify_scaling_configuration,
        "DeleteScalingConfiguration" => delete_scaling_configuration,
        "CreateScalingRule" => create_scaling_rule,
        "DescribeScalingRules" => describe_scaling_rules,
        "ModifyScalingRule" => modify_scaling_rule,
        "DeleteScalingRule" => delete_scaling_rule,
        "ExecuteScalingRule" => execute_scaling_rule,
        "ScaleWithAdjustment" => scale_with_adjustment,
        "DescribeScalingActivities" => describe_scaling_activities,
        "DescribeScalingInstances" => describe_scaling_instances,
        "AttachInstances" => attach_instances,
        "DetachInstances" => detach_instances,
        "RemoveInstances" => remove_instances,
        "EnterStandby" => enter_standby,
        "ExitStandby" | "ExitStandBy" => exit_standby,
        "SetInstancesProtection" => set_instances_protection,
        "CreateLifecycleHook" => create_lifecycle_hook,
        "DescribeLifecycleHooks" => describe_lifecycle_hooks,
        "ModifyLifecycleHook" => modify_lifecycle_hook,
        "DeleteLifecycleHook" => delete_lifecycle_hook,
        "CompleteLifecycleAction" => complete_lifecycle_action,
        "RecordLifecycleActionHeartbeat" => record_lifecycle_action_heartbeat,
        "DescribeLifecycleActions" => describe_lifecycle_actions,
        "DescribeRegions" => regions::describe_regions,
        _ => return None,
    })
}

/// The handler for `request`, or `InvalidVersion` / `InvalidAction.NotFound`.
pub fn route(request: &RpcRequest) -> Result<Handler, AcsError> {
    let handler = match request.version.as_str() {
        ECS_VERSION => ecs_handler(&request.action),
        VPC_VERSION => vpc_handler(&request.action),
        SLB_VERSION => slb_handler(&request.action),
        ESS_VERSION => ess_handler(&request.action),
        CMS_VERSION => cms::handler(&request.action),
        other => return Err(unsupported_version(other)),
    };
    handler.ok_or_else(|| unknown_action(&request.action))
}

/// True for actions that only read (no persistence needed afterwards).
pub fn is_read_only(action: &str) -> bool {
    action.starts_with("Describe") || action.starts_with("List")
}
