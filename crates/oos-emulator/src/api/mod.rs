//! The RPC actions the emulator serves, routed by (API version, action name).

mod assistant;
mod billing;
mod images;
mod instance_attributes;
mod instance_types;
mod instances;
mod interfaces;
mod key_pairs;
mod maintenance;
mod network;
mod params;
mod power;
mod ram_roles;
mod regions;
mod security_groups;
mod slb;
mod specs;
mod storage;
mod system_disk;
mod tags;
mod vpc;

use oos_acs::{AcsError, RpcRequest, unknown_action, unsupported_version};
use serde_json::Value;

pub use assistant::{Assistant, ScriptedResult};
pub use billing::expiry_after;
pub use key_pairs::seed_key_pair;
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
        other => return instance_family_handler(other),
    })
}

/// The instance family: types and specs, billing, maintenance and diagnostics, RAM roles, key
/// pairs, network interfaces and security-group membership, system disk replacement.
fn instance_family_handler(action: &str) -> Option<Handler> {
    use billing::*;
    use instance_attributes::*;
    use instance_types::*;
    use interfaces::*;
    use key_pairs::*;
    use maintenance::*;
    use ram_roles::*;
    use specs::*;
    Some(match action {
        "DescribeInstanceTypes" => describe_instance_types,
        "DescribeInstanceTypeFamilies" => describe_instance_type_families,
        "DescribeAvailableResource" => describe_available_resource,
        "DescribeResourcesModification" => describe_resources_modification,
        "ModifyInstanceSpec" => modify_instance_spec,
        "ModifyPrepayInstanceSpec" => modify_prepay_instance_spec,
        "ModifyInstanceNetworkSpec" => modify_instance_network_spec,
        "DescribeInstanceAttribute" => describe_instance_attribute,
        "ModifyInstanceMetadataOptions" => modify_instance_metadata_options,
        "ModifyInstanceVncPasswd" => modify_instance_vnc_passwd,
        "ModifyInstanceChargeType" => modify_instance_charge_type,
        "RenewInstance" => renew_instance,
        "ModifyInstanceAutoRenewAttribute" => modify_instance_auto_renew_attribute,
        "DescribeInstanceAutoRenewAttribute" => describe_instance_auto_renew_attribute,
        "DescribePrice" => describe_price,
        "DescribeRenewalPrice" => describe_renewal_price,
        "DescribeSavingsPlanEstimation" => describe_savings_plan_estimation,
        "ModifyInstanceMaintenanceAttributes" => modify_instance_maintenance_attributes,
        "DescribeInstanceMaintenanceAttributes" => describe_instance_maintenance_attributes,
        "DescribeInstancesFullStatus" => describe_instances_full_status,
        "CreateDiagnosticReport" => create_diagnostic_report,
        "DescribeDiagnosticReports" => describe_diagnostic_reports,
        "DescribeDiagnosticReportAttributes" => describe_diagnostic_report_attributes,
        "AttachInstanceRamRole" => attach_instance_ram_role,
        "DetachInstanceRamRole" => detach_instance_ram_role,
        "DescribeInstanceRamRole" => describe_instance_ram_role,
        "CreateKeyPair" => create_key_pair,
        "ImportKeyPair" => import_key_pair,
        "DescribeKeyPairs" => describe_key_pairs,
        "AttachKeyPair" => attach_key_pair,
        "DetachKeyPair" => detach_key_pair,
        "DeleteKeyPairs" => delete_key_pairs,
        "CreateNetworkInterface" => create_network_interface,
        "DescribeNetworkInterfaces" => describe_network_interfaces,
        "AttachNetworkInterface" => attach_network_interface,
        "DetachNetworkInterface" => detach_network_interface,
        "DeleteNetworkInterface" => delete_network_interface,
        "AssignPrivateIpAddresses" => assign_private_ip_addresses,
        "JoinSecurityGroup" => join_security_group,
        "LeaveSecurityGroup" => leave_security_group,
        "ReplaceSystemDisk" => system_disk::replace_system_disk,
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
