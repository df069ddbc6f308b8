//! The RPC actions the emulator serves, routed by (API version, action name).

mod assistant;
mod bandwidth;
mod disk_ops;
mod image_tasks;
mod images;
mod instances;
mod nat;
mod network;
mod params;
mod power;
mod public_ip;
mod regions;
mod security_groups;
mod slb;
mod slb_groups;
mod slb_listeners;
mod snapshot_policies;
mod storage;
mod tags;
mod vpc;

use oos_acs::{AcsError, RpcRequest, unknown_action, unsupported_version};
use serde_json::Value;

pub use assistant::{Assistant, ScriptedResult};
pub use images::{PUBLIC_IMAGES, ensure_public_images};
pub use params::Ctx;

use crate::state::Cloud;

/// ECS API version.
pub const ECS_VERSION: &str = "2014-05-26";
/// VPC API version (EIPs).
pub const VPC_VERSION: &str = "2016-04-28";
/// Classic load balancer API version.
pub const SLB_VERSION: &str = "2014-05-15";

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
        other => return storage_handler(other),
    })
}

fn storage_handler(action: &str) -> Option<Handler> {
    use disk_ops::*;
    use image_tasks::*;
    use snapshot_policies::*;
    Some(match action {
        "ModifyDiskSpec" => modify_disk_spec,
        "ReInitDisk" => re_init_disk,
        "ResetDisk" => reset_disk,
        "ModifyDiskAttribute" => modify_disk_attribute,
        "ModifyDiskChargeType" => modify_disk_charge_type,
        "CreateAutoSnapshotPolicy" => create_auto_snapshot_policy,
        "DescribeAutoSnapshotPolicyEx" => describe_auto_snapshot_policy_ex,
        "ModifyAutoSnapshotPolicyEx" => modify_auto_snapshot_policy_ex,
        "ApplyAutoSnapshotPolicy" => apply_auto_snapshot_policy,
        "CancelAutoSnapshotPolicy" => cancel_auto_snapshot_policy,
        "DeleteAutoSnapshotPolicy" => delete_auto_snapshot_policy,
        "CopySnapshot" => copy_snapshot,
        "ExportImage" => export_image,
        "ImportImage" => import_image,
        "DescribeTasks" => describe_tasks,
        "DescribeTaskAttribute" => describe_task_attribute,
        "DescribeVSwitches" => network::describe_vswitches,
        "DescribeVpcs" => network::describe_vpcs,
        "AllocatePublicIpAddress" => public_ip::allocate_public_ip_address,
        "ReleasePublicIpAddress" => public_ip::release_public_ip_address,
        "ConvertNatPublicIpToEip" => public_ip::convert_nat_public_ip_to_eip,
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
        other => return vpc_resource_handler(other),
    })
}

fn vpc_resource_handler(action: &str) -> Option<Handler> {
    use bandwidth::*;
    use nat::*;
    use network::*;
    Some(match action {
        "CreateVpc" => create_vpc,
        "DeleteVpc" => delete_vpc,
        "CreateVSwitch" => create_vswitch,
        "DeleteVSwitch" => delete_vswitch,
        "CreateNatGateway" => create_nat_gateway,
        "DescribeNatGateways" => describe_nat_gateways,
        "DeleteNatGateway" => delete_nat_gateway,
        "CreateCommonBandwidthPackage" => create_common_bandwidth_package,
        "DescribeCommonBandwidthPackages" => describe_common_bandwidth_packages,
        "AddCommonBandwidthPackageIp" => add_common_bandwidth_package_ip,
        "RemoveCommonBandwidthPackageIp" => remove_common_bandwidth_package_ip,
        "DeleteCommonBandwidthPackage" => delete_common_bandwidth_package,
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
        other => return slb_group_handler(other),
    })
}

fn slb_group_handler(action: &str) -> Option<Handler> {
    use slb_groups::*;
    use slb_listeners::*;
    Some(match action {
        "CreateVServerGroup" => create_vserver_group,
        "DescribeVServerGroups" => describe_vserver_groups,
        "DescribeVServerGroupAttribute" => describe_vserver_group_attribute,
        "AddVServerGroupBackendServers" => add_vserver_group_backend_servers,
        "RemoveVServerGroupBackendServers" => remove_vserver_group_backend_servers,
        "SetVServerGroupAttribute" => set_vserver_group_attribute,
        "ModifyVServerGroupBackendServers" => modify_vserver_group_backend_servers,
        "DeleteVServerGroup" => delete_vserver_group,
        "CreateLoadBalancerTCPListener" => create_load_balancer_tcp_listener,
        "CreateLoadBalancerHTTPListener" => create_load_balancer_http_listener,
        "StartLoadBalancerListener" => start_load_balancer_listener,
        "StopLoadBalancerListener" => stop_load_balancer_listener,
        "DeleteLoadBalancerListener" => delete_load_balancer_listener,
        "DescribeLoadBalancerTCPListenerAttribute" => describe_load_balancer_tcp_listener_attribute,
        "DescribeHealthStatus" => describe_health_status,
        _ => return None,
    })
}

/// The handler for `request`, or `InvalidVersion` / `InvalidAction.NotFound`.
pub fn route(request: &RpcRequest) -> Result<Handler, AcsError> {
    let handler = match request.version.as_str() {
        ECS_VERSION => ecs_handler(&request.action),
        VPC_VERSION => vpc_handler(&request.action),
        SLB_VERSION => slb_handler(&request.action),
        other => return Err(unsupported_version(other)),
    };
    handler.ok_or_else(|| unknown_action(&request.action))
}

/// True for actions that only read (no persistence needed afterwards).
pub fn is_read_only(action: &str) -> bool {
    action.starts_with("Describe") || action.starts_with("List")
}
