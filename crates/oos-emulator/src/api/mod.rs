//! The RPC actions the emulator serves, routed by (API version, action name).

mod account;
mod assistant;
mod bandwidth;
mod billing;
mod cms;
mod disk_ops;
mod ecs_eips;
mod ess;
mod ess_members;
mod image_tasks;
mod images;
mod instance_attributes;
mod instance_types;
mod instances;
mod interfaces;
mod key_pairs;
mod maintenance;
mod nat;
mod network;
mod params;
mod power;
mod public_ip;
mod ram_roles;
mod regions;
mod security_groups;
mod sg_membership;
mod slb;
mod slb_groups;
mod slb_listeners;
mod snapshot_policies;
mod specs;
mod storage;
mod system_events;
mod system_disk;
mod tags;
mod vpc;

use oos_acs::{AcsError, RpcRequest, unknown_action, unsupported_version};
use serde_json::Value;

pub use assistant::{Assistant, ScriptedResult};
pub use billing::expiry_after;
pub use images::{PUBLIC_IMAGES, ensure_public_images};
pub(crate) use instances::remove_instance as release_instance;
pub use key_pairs::seed_key_pair;
pub use params::Ctx;
pub(crate) use bandwidth::package_of;
pub(crate) use snapshot_policies::number_array;
pub(crate) use system_events::{CYCLE_STATUSES, EVENT_TYPES};
pub(crate) use vpc::{bind as bind_eip, new_eip};

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

/// Action names with their handlers.
type ActionTable = &'static [(&'static str, Handler)];

/// ECS 2014-05-26 actions (without Cloud Assistant).
const ECS_ACTIONS: ActionTable = &[
    ("DescribeInstances", instances::describe_instances),
    (
        "DescribeInstanceStatus",
        instances::describe_instance_status,
    ),
    ("StartInstance", power::start_instance),
    ("StopInstance", power::stop_instance),
    ("RebootInstance", power::reboot_instance),
    ("StartInstances", power::start_instances),
    ("StopInstances", power::stop_instances),
    ("RebootInstances", power::reboot_instances),
    ("DeleteInstance", instances::delete_instance),
    ("DeleteInstances", instances::delete_instances),
    ("RunInstances", instances::run_instances),
    ("CreateInstance", instances::create_instance_action),
    (
        "ModifyInstanceAttribute",
        instances::modify_instance_attribute,
    ),
    ("DescribeDisks", storage::describe_disks),
    ("CreateDisk", storage::create_disk),
    ("AttachDisk", storage::attach_disk),
    ("DetachDisk", storage::detach_disk),
    ("ResizeDisk", storage::resize_disk),
    ("DeleteDisk", storage::delete_disk),
    ("CreateSnapshot", storage::create_snapshot),
    ("DescribeSnapshots", storage::describe_snapshots),
    ("DeleteSnapshot", storage::delete_snapshot),
    ("CreateImage", images::create_image),
    ("DescribeImages", images::describe_images),
    ("DeleteImage", images::delete_image),
    ("CopyImage", images::copy_image),
    (
        "DescribeImageSharePermission",
        images::describe_image_share_permission,
    ),
    (
        "ModifyImageSharePermission",
        images::modify_image_share_permission,
    ),
    (
        "CreateSecurityGroup",
        security_groups::create_security_group,
    ),
    (
        "DeleteSecurityGroup",
        security_groups::delete_security_group,
    ),
    (
        "DescribeSecurityGroups",
        security_groups::describe_security_groups,
    ),
    (
        "DescribeSecurityGroupAttribute",
        security_groups::describe_security_group_attribute,
    ),
    (
        "AuthorizeSecurityGroup",
        security_groups::authorize_security_group,
    ),
    (
        "AuthorizeSecurityGroupEgress",
        security_groups::authorize_security_group_egress,
    ),
    (
        "RevokeSecurityGroup",
        security_groups::revoke_security_group,
    ),
    (
        "RevokeSecurityGroupEgress",
        security_groups::revoke_security_group_egress,
    ),
    ("TagResources", tags::tag_resources),
    ("UntagResources", tags::untag_resources),
    ("ListTagResources", tags::list_tag_resources),
    ("DescribeRegions", regions::describe_regions),
    ("DescribeZones", regions::describe_zones),
    ("ModifyDiskSpec", disk_ops::modify_disk_spec),
    ("ReInitDisk", disk_ops::re_init_disk),
    ("ResetDisk", disk_ops::reset_disk),
    ("ModifyDiskAttribute", disk_ops::modify_disk_attribute),
    ("ModifyDiskChargeType", disk_ops::modify_disk_charge_type),
    (
        "CreateAutoSnapshotPolicy",
        snapshot_policies::create_auto_snapshot_policy,
    ),
    (
        "DescribeAutoSnapshotPolicyEx",
        snapshot_policies::describe_auto_snapshot_policy_ex,
    ),
    (
        "ModifyAutoSnapshotPolicyEx",
        snapshot_policies::modify_auto_snapshot_policy_ex,
    ),
    (
        "ApplyAutoSnapshotPolicy",
        snapshot_policies::apply_auto_snapshot_policy,
    ),
    (
        "CancelAutoSnapshotPolicy",
        snapshot_policies::cancel_auto_snapshot_policy,
    ),
    (
        "DeleteAutoSnapshotPolicy",
        snapshot_policies::delete_auto_snapshot_policy,
    ),
    ("CopySnapshot", snapshot_policies::copy_snapshot),
    ("ExportImage", image_tasks::export_image),
    ("ImportImage", image_tasks::import_image),
    ("DescribeTasks", image_tasks::describe_tasks),
    (
        "DescribeTaskAttribute",
        image_tasks::describe_task_attribute,
    ),
    ("DescribeVSwitches", network::describe_vswitches),
    ("DescribeVpcs", network::describe_vpcs),
    (
        "AllocatePublicIpAddress",
        public_ip::allocate_public_ip_address,
    ),
    (
        "ReleasePublicIpAddress",
        public_ip::release_public_ip_address,
    ),
    (
        "ConvertNatPublicIpToEip",
        public_ip::convert_nat_public_ip_to_eip,
    ),
    ("AllocateEipAddress", ecs_eips::allocate_eip_address),
    ("AssociateEipAddress", vpc::associate_eip_address),
    ("UnassociateEipAddress", vpc::unassociate_eip_address),
    ("ReleaseEipAddress", vpc::release_eip_address),
    ("DescribeEipAddresses", ecs_eips::describe_eip_addresses),
    ("DescribeAccountAttributes", account::describe_account_attributes),
];

/// Cloud Assistant actions (ECS 2014-05-26).
const ASSISTANT_ACTIONS: ActionTable = &[
    ("RunCommand", assistant::run_command),
    ("InvokeCommand", assistant::invoke_command),
    ("CreateCommand", assistant::create_command),
    ("DescribeCommands", assistant::describe_commands),
    ("DeleteCommand", assistant::delete_command),
    ("DescribeInvocations", assistant::describe_invocations),
    (
        "DescribeInvocationResults",
        assistant::describe_invocation_results,
    ),
    ("StopInvocation", assistant::stop_invocation),
    ("SendFile", assistant::send_file),
    (
        "DescribeSendFileResults",
        assistant::describe_send_file_results,
    ),
    (
        "DescribeCloudAssistantStatus",
        assistant::describe_cloud_assistant_status,
    ),
    ("InstallCloudAssistant", assistant::install_cloud_assistant),
];

/// The ECS instance family: types and specs, billing, maintenance and diagnostics, RAM roles,
/// key pairs, network interfaces and security-group membership, system disk replacement.
const INSTANCE_FAMILY_ACTIONS: ActionTable = &[
    (
        "DescribeInstanceTypes",
        instance_types::describe_instance_types,
    ),
    (
        "DescribeInstanceTypeFamilies",
        instance_types::describe_instance_type_families,
    ),
    (
        "DescribeAvailableResource",
        instance_types::describe_available_resource,
    ),
    (
        "DescribeResourcesModification",
        instance_types::describe_resources_modification,
    ),
    ("ModifyInstanceSpec", specs::modify_instance_spec),
    (
        "ModifyPrepayInstanceSpec",
        specs::modify_prepay_instance_spec,
    ),
    (
        "ModifyInstanceNetworkSpec",
        specs::modify_instance_network_spec,
    ),
    (
        "DescribeInstanceAttribute",
        instance_attributes::describe_instance_attribute,
    ),
    (
        "ModifyInstanceMetadataOptions",
        instance_attributes::modify_instance_metadata_options,
    ),
    (
        "ModifyInstanceVncPasswd",
        instance_attributes::modify_instance_vnc_passwd,
    ),
    (
        "ModifyInstanceChargeType",
        billing::modify_instance_charge_type,
    ),
    ("RenewInstance", billing::renew_instance),
    (
        "ModifyInstanceAutoRenewAttribute",
        billing::modify_instance_auto_renew_attribute,
    ),
    (
        "DescribeInstanceAutoRenewAttribute",
        billing::describe_instance_auto_renew_attribute,
    ),
    ("DescribePrice", billing::describe_price),
    ("DescribeRenewalPrice", billing::describe_renewal_price),
    (
        "DescribeSavingsPlanEstimation",
        billing::describe_savings_plan_estimation,
    ),
    ("DescribeSpotPriceHistory", billing::describe_spot_price_history),
    ("AcceptInquiredSystemEvent", system_events::accept_inquired_system_event),
    ("DescribeInstanceHistoryEvents", system_events::describe_instance_history_events),
    (
        "ModifyInstanceMaintenanceAttributes",
        maintenance::modify_instance_maintenance_attributes,
    ),
    (
        "DescribeInstanceMaintenanceAttributes",
        maintenance::describe_instance_maintenance_attributes,
    ),
    (
        "DescribeInstancesFullStatus",
        maintenance::describe_instances_full_status,
    ),
    (
        "CreateDiagnosticReport",
        maintenance::create_diagnostic_report,
    ),
    (
        "DescribeDiagnosticReports",
        maintenance::describe_diagnostic_reports,
    ),
    (
        "DescribeDiagnosticReportAttributes",
        maintenance::describe_diagnostic_report_attributes,
    ),
    ("AttachInstanceRamRole", ram_roles::attach_instance_ram_role),
    ("DetachInstanceRamRole", ram_roles::detach_instance_ram_role),
    (
        "DescribeInstanceRamRole",
        ram_roles::describe_instance_ram_role,
    ),
    ("CreateKeyPair", key_pairs::create_key_pair),
    ("ImportKeyPair", key_pairs::import_key_pair),
    ("DescribeKeyPairs", key_pairs::describe_key_pairs),
    ("AttachKeyPair", key_pairs::attach_key_pair),
    ("DetachKeyPair", key_pairs::detach_key_pair),
    ("DeleteKeyPairs", key_pairs::delete_key_pairs),
    (
        "CreateNetworkInterface",
        interfaces::create_network_interface,
    ),
    (
        "DescribeNetworkInterfaces",
        interfaces::describe_network_interfaces,
    ),
    (
        "AttachNetworkInterface",
        interfaces::attach_network_interface,
    ),
    (
        "DetachNetworkInterface",
        interfaces::detach_network_interface,
    ),
    (
        "DeleteNetworkInterface",
        interfaces::delete_network_interface,
    ),
    (
        "AssignPrivateIpAddresses",
        interfaces::assign_private_ip_addresses,
    ),
    ("JoinSecurityGroup", sg_membership::join_security_group),
    ("LeaveSecurityGroup", sg_membership::leave_security_group),
    ("ReplaceSystemDisk", system_disk::replace_system_disk),
];

/// VPC 2016-04-28 actions.
const VPC_ACTIONS: ActionTable = &[
    ("AllocateEipAddress", vpc::allocate_eip_address),
    ("AssociateEipAddress", vpc::associate_eip_address),
    ("UnassociateEipAddress", vpc::unassociate_eip_address),
    ("ReleaseEipAddress", vpc::release_eip_address),
    ("DescribeEipAddresses", vpc::describe_eip_addresses),
    ("DescribeVpcs", network::describe_vpcs),
    ("DescribeVSwitches", network::describe_vswitches),
    ("TagResources", tags::tag_resources),
    ("UnTagResources", tags::untag_resources),
    ("ListTagResources", tags::list_tag_resources),
    ("DescribeRegions", regions::describe_vpc_regions),
    ("CreateVpc", network::create_vpc),
    ("DeleteVpc", network::delete_vpc),
    ("CreateVSwitch", network::create_vswitch),
    ("DeleteVSwitch", network::delete_vswitch),
    ("CreateNatGateway", nat::create_nat_gateway),
    ("DescribeNatGateways", nat::describe_nat_gateways),
    ("DeleteNatGateway", nat::delete_nat_gateway),
    (
        "CreateCommonBandwidthPackage",
        bandwidth::create_common_bandwidth_package,
    ),
    (
        "DescribeCommonBandwidthPackages",
        bandwidth::describe_common_bandwidth_packages,
    ),
    (
        "AddCommonBandwidthPackageIp",
        bandwidth::add_common_bandwidth_package_ip,
    ),
    (
        "RemoveCommonBandwidthPackageIp",
        bandwidth::remove_common_bandwidth_package_ip,
    ),
    (
        "DeleteCommonBandwidthPackage",
        bandwidth::delete_common_bandwidth_package,
    ),
];

/// Classic load balancer (SLB 2014-05-15) actions.
const SLB_ACTIONS: ActionTable = &[
    ("DescribeLoadBalancers", slb::describe_load_balancers),
    (
        "DescribeLoadBalancerAttribute",
        slb::describe_load_balancer_attribute,
    ),
    ("AddBackendServers", slb::add_backend_servers),
    ("SetBackendServers", slb::set_backend_servers),
    ("RemoveBackendServers", slb::remove_backend_servers),
    ("CreateVServerGroup", slb_groups::create_vserver_group),
    ("DescribeVServerGroups", slb_groups::describe_vserver_groups),
    (
        "DescribeVServerGroupAttribute",
        slb_groups::describe_vserver_group_attribute,
    ),
    (
        "AddVServerGroupBackendServers",
        slb_groups::add_vserver_group_backend_servers,
    ),
    (
        "RemoveVServerGroupBackendServers",
        slb_groups::remove_vserver_group_backend_servers,
    ),
    (
        "SetVServerGroupAttribute",
        slb_groups::set_vserver_group_attribute,
    ),
    (
        "ModifyVServerGroupBackendServers",
        slb_groups::modify_vserver_group_backend_servers,
    ),
    ("DeleteVServerGroup", slb_groups::delete_vserver_group),
    (
        "CreateLoadBalancerTCPListener",
        slb_listeners::create_load_balancer_tcp_listener,
    ),
    (
        "CreateLoadBalancerHTTPListener",
        slb_listeners::create_load_balancer_http_listener,
    ),
    (
        "StartLoadBalancerListener",
        slb_listeners::start_load_balancer_listener,
    ),
    (
        "StopLoadBalancerListener",
        slb_listeners::stop_load_balancer_listener,
    ),
    (
        "DeleteLoadBalancerListener",
        slb_listeners::delete_load_balancer_listener,
    ),
    (
        "DescribeLoadBalancerTCPListenerAttribute",
        slb_listeners::describe_load_balancer_tcp_listener_attribute,
    ),
    (
        "DescribeHealthStatus",
        slb_listeners::describe_health_status,
    ),
];

/// Auto Scaling (ESS 2014-08-28) actions.
const ESS_ACTIONS: ActionTable = &[
    ("CreateScalingGroup", ess::create_scaling_group),
    ("DescribeScalingGroups", ess::describe_scaling_groups),
    ("ModifyScalingGroup", ess::modify_scaling_group),
    ("DeleteScalingGroup", ess::delete_scaling_group),
    ("EnableScalingGroup", ess::enable_scaling_group),
    ("DisableScalingGroup", ess::disable_scaling_group),
    ("SuspendProcesses", ess::suspend_processes),
    ("ResumeProcesses", ess::resume_processes),
    (
        "SetGroupDeletionProtection",
        ess::set_group_deletion_protection,
    ),
    (
        "CreateScalingConfiguration",
        ess::create_scaling_configuration,
    ),
    (
        "DescribeScalingConfigurations",
        ess::describe_scaling_configurations,
    ),
    (
        "ModifyScalingConfiguration",
        ess::modify_scaling_configuration,
    ),
    (
        "DeleteScalingConfiguration",
        ess::delete_scaling_configuration,
    ),
    ("CreateScalingRule", ess::create_scaling_rule),
    ("DescribeScalingRules", ess::describe_scaling_rules),
    ("ModifyScalingRule", ess::modify_scaling_rule),
    ("DeleteScalingRule", ess::delete_scaling_rule),
    ("ExecuteScalingRule", ess::execute_scaling_rule),
    ("ScaleWithAdjustment", ess::scale_with_adjustment),
    (
        "DescribeScalingActivities",
        ess::describe_scaling_activities,
    ),
    (
        "DescribeScalingInstances",
        ess_members::describe_scaling_instances,
    ),
    ("AttachInstances", ess_members::attach_instances),
    ("DetachInstances", ess_members::detach_instances),
    ("RemoveInstances", ess_members::remove_instances),
    ("EnterStandby", ess_members::enter_standby),
    ("ExitStandby", ess_members::exit_standby),
    (
        "SetInstancesProtection",
        ess_members::set_instances_protection,
    ),
    ("CreateLifecycleHook", ess_members::create_lifecycle_hook),
    (
        "DescribeLifecycleHooks",
        ess_members::describe_lifecycle_hooks,
    ),
    ("ModifyLifecycleHook", ess_members::modify_lifecycle_hook),
    ("DeleteLifecycleHook", ess_members::delete_lifecycle_hook),
    (
        "CompleteLifecycleAction",
        ess_members::complete_lifecycle_action,
    ),
    (
        "RecordLifecycleActionHeartbeat",
        ess_members::record_lifecycle_action_heartbeat,
    ),
    (
        "DescribeLifecycleActions",
        ess_members::describe_lifecycle_actions,
    ),
    ("DescribeRegions", regions::describe_ess_regions),
];

/// CloudMonitor (CMS 2019-01-01) actions.
const CMS_ACTIONS: ActionTable = &[
    ("DescribeMetricLast", cms::describe_metric_last),
    ("DescribeMetricList", cms::describe_metric_last),
    ("DescribeMetricData", cms::describe_metric_data),
    ("DescribeMetricRuleList", cms::describe_metric_rule_list),
    ("PutResourceMetricRule", cms::put_resource_metric_rule),
    ("DeleteMetricRules", cms::delete_metric_rules),
];

/// Every routed API version with its action tables: the one source of both [`route`] and
/// [`served_actions`], so the list of served actions cannot drift from the routing.
const ROUTES: &[(&str, &[ActionTable])] = &[
    (
        ECS_VERSION,
        &[ECS_ACTIONS, ASSISTANT_ACTIONS, INSTANCE_FAMILY_ACTIONS],
    ),
    (VPC_VERSION, &[VPC_ACTIONS]),
    (SLB_VERSION, &[SLB_ACTIONS]),
    (ESS_VERSION, &[ESS_ACTIONS]),
    (CMS_VERSION, &[CMS_ACTIONS]),
];

/// The handler for `request`, or `InvalidVersion` / `InvalidAction.NotFound`.
pub fn route(request: &RpcRequest) -> Result<Handler, AcsError> {
    let (_, tables) = ROUTES
        .iter()
        .find(|(version, _)| *version == request.version)
        .ok_or_else(|| unsupported_version(&request.version))?;
    tables
        .iter()
        .flat_map(|table| table.iter())
        .find(|(action, _)| *action == request.action)
        .map(|(_, handler)| *handler)
        .ok_or_else(|| unknown_action(&request.action))
}

/// Every (API version, action) the emulator answers, STS included, in routing order.
pub fn served_actions() -> Vec<(&'static str, &'static str)> {
    let routed = ROUTES.iter().flat_map(|(version, tables)| {
        tables
            .iter()
            .flat_map(move |table| table.iter().map(move |(action, _)| (*version, *action)))
    });
    routed
        .chain(
            crate::sts::ACTIONS
                .iter()
                .map(|action| (crate::sts::STS_VERSION, *action)),
        )
        .collect()
}

/// True for actions that only read (no persistence needed afterwards).
pub fn is_read_only(action: &str) -> bool {
    action.starts_with("Describe") || action.starts_with("List")
}
