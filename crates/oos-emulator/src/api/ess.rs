//! Auto Scaling (ESS 2014-08-28) actions on scaling groups, configurations, rules and activities.
//! The instances of a group and its lifecycle hooks are in `ess_members`.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, id_list, list_body, paginate, tag_list, with_numbered};
use crate::errors::{INVALID_IMAGE_ID_NOT_FOUND, INVALID_SECURITY_GROUP_ID_NOT_FOUND, not_found};
use crate::ess::{
    Adjustment, ScalingActivity, ScalingConfiguration, ScalingGroup, ScalingRule, codes, missing,
    require_active, state,
};
use crate::model::Tags;
use crate::state::{Cloud, ecs_time, new_id};
use crate::sts::DEFAULT_ACCOUNT_ID;

/// ESS pages hold at most 50 items.
const ESS_PAGES: PageLimits = PageLimits::NUMBERED_50;

/// Settles heartbeat timeouts and vanished instances before an action reads the groups.
pub(super) fn prepared<'a>(cloud: &'a mut Cloud, ctx: &Ctx) -> &'a mut Cloud {
    cloud.ess_reconcile(ctx);
    cloud
}

fn wrapped<T: serde::Serialize>(item: &str, values: &[T]) -> Value {
    json!({ item: values })
}

fn group_json(group: &ScalingGroup) -> Value {
    let count = |states: &[&str]| group.count(states);
    let vpc = group
        .vswitch_ids
        .first()
        .map(|_| crate::provision::vpc_of(&group.region_id))
        .unwrap_or_default();
    let described = json!({
        "ScalingGroupId": group.id, "ScalingGroupName": group.name, "RegionId": group.region_id,
        "LifecycleState": group.lifecycle_state, "MinSize": group.min_size, "MaxSize": group.max_size,
        "DesiredCapacity": group.desired_capacity.unwrap_or_default(), "EnableDesiredCapacity": group.desired_capacity.is_some(),
        "DefaultCooldown": group.default_cooldown, "ActiveScalingConfigurationId": group.active_configuration_id,
        // No launch template: Alibaba leaves `LaunchTemplateId`/`LaunchTemplateVersion` out, and
        // templates test them for null (ACS::ESS::ReplaceSystemDisk).
        "VpcId": vpc,
        "VSwitchId": group.vswitch_ids.first().cloned().unwrap_or_default(),
        "VSwitchIds": wrapped("VSwitchId", &group.vswitch_ids),
        "LoadBalancerIds": wrapped("LoadBalancerId", &group.load_balancer_ids),
        "DBInstanceIds": wrapped("DBInstanceId", &[] as &[String]),
        "RemovalPolicies": wrapped("RemovalPolicy", &group.removal_policies),
        "SuspendedProcesses": wrapped("SuspendedProcess", &group.suspended_processes),
        "HealthCheckType": group.health_check_type, "GroupDeletionProtection": group.deletion_protection,
        "TotalCapacity": group.instances.len(), "TotalInstanceCount": group.instances.len(),
        "ActiveCapacity": count(&[state::IN_SERVICE]), "PendingCapacity": count(&[state::PENDING]),
        "PendingWaitCapacity": count(&[state::PENDING_WAIT]), "RemovingCapacity": count(&[state::REMOVING]),
        "RemovingWaitCapacity": count(&[state::REMOVING_WAIT]), "StandbyCapacity": count(&[state::STANDBY]),
        "ProtectedCapacity": count(&[state::PROTECTED]), "StoppedCapacity": 0,
        "CreationTime": group.creation_time, "ModificationTime": group.modification_time,
        "GroupType": "ECS", "MultiAZPolicy": "PRIORITY", "ScalingPolicy": "recycle", "ResourceGroupId": "",
        "Tags": wrapped("Tag", &group.tags.iter().map(|(key, value)| json!({"TagKey": key, "TagValue": value})).collect::<Vec<_>>()),
    });
    // features not modelled: ALB/server groups, spot and on-demand mixes, capacity options, instance lifetimes, databases
    super::params::with_unmodelled(
        described,
        json!({
            "AlbServerGroups": [], "AllocationStrategy": "", "AutoRebalance": false, "AzBalance": false,
            "BalanceMode": "",
            "CapacityOptions": {"CompensateWithOnDemand": false, "OnDemandBaseCapacity": 0, "OnDemandPercentageAboveBaseCapacity": 0, "PriceComparisonMode": "", "SpotAutoReplaceOnDemand": false},
            "CompensateWithOnDemand": false, "CurrentHostName": "", "CustomPolicyARN": "",
            "DBInstances": [], "HealthCheckTypes": [], "InitCapacity": 0,
            "IsElasticStrengthInAlarm": false, "LaunchTemplateOverrides": [], "LoadBalancerConfigs": [],
            "MaxInstanceLifetime": 0, "MonitorGroupId": "", "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0, "ServerGroups": [], "SpotAllocationStrategy": "",
            "SpotCapacity": 0, "SpotInstancePools": 0, "SpotInstanceRemedy": false,
            "StopInstanceTimeout": 0, "SystemSuspended": false, "VServerGroups": []
        }),
    )
}

fn size(request: &RpcRequest, name: &str) -> Result<Option<i64>, AcsError> {
    match request.int(name)? {
        Some(value) if !(0..=2000).contains(&value) => Err(AcsError::invalid_parameter(
            name,
            "must be between 0 and 2000",
        )),
        other => Ok(other),
    }
}

fn check_bounds(min: i64, max: i64, desired: Option<i64>) -> Result<(), AcsError> {
    if min > max {
        return Err(AcsError::invalid_parameter(
            "MinSize",
            format!("{min} is greater than MaxSize {max}"),
        ));
    }
    if let Some(desired) = desired.filter(|desired| !(min..=max).contains(desired)) {
        return Err(AcsError::invalid_parameter(
            "DesiredCapacity",
            format!("{desired} is not between MinSize {min} and MaxSize {max}"),
        ));
    }
    Ok(())
}

fn vswitches(request: &RpcRequest) -> Result<Vec<String>, AcsError> {
    let mut ids = id_list(request, "VSwitchIds", "VSwitchIds")?.unwrap_or_default();
    if let Some(single) = request.get("VSwitchId") {
        ids.insert(0, single.to_owned());
    }
    Ok(ids)
}

fn removal_policies(request: &RpcRequest) -> Result<Option<Vec<String>>, AcsError> {
    let policies = request.repeated("RemovalPolicy");
    for policy in &policies {
        if ![
            "OldestInstance",
            "NewestInstance",
            "OldestScalingConfiguration",
        ]
        .contains(&policy.as_str())
        {
            return Err(AcsError::invalid_parameter(
                "RemovalPolicy",
                format!(
                    "{policy:?} is not OldestInstance, NewestInstance or OldestScalingConfiguration"
                ),
            ));
        }
    }
    Ok((!policies.is_empty()).then_some(policies))
}

/// CreateScalingGroup: an `Inactive` group (EnableScalingGroup starts it).
pub fn create_scaling_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let min = size(request, "MinSize")?.ok_or_else(|| AcsError::missing_parameter("MinSize"))?;
    let max = size(request, "MaxSize")?.ok_or_else(|| AcsError::missing_parameter("MaxSize"))?;
    let desired = size(request, "DesiredCapacity")?;
    check_bounds(min, max, desired)?;
    let id = new_id("asg");
    let name = request.get("ScalingGroupName").unwrap_or(&id).to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AcsError::invalid_parameter(
            "ScalingGroupName",
            "must be 1 to 64 characters",
        ));
    }
    if cloud
        .ess
        .groups
        .values()
        .any(|group| group.region_id == region && group.name == name)
    {
        return Err(AcsError::new(
            codes::NAME_DUPLICATE,
            format!("The specified scaling group name already exists: {name}."),
        ));
    }
    let load_balancer_ids: Vec<String> =
        id_list(request, "LoadBalancerIds", "LoadBalancerId")?.unwrap_or_default();
    for balancer in &load_balancer_ids {
        if !cloud.load_balancers.contains_key(balancer) {
            return Err(not_found(
                crate::errors::INVALID_LOAD_BALANCER_ID_NOT_FOUND,
                "LoadBalancerId",
                balancer,
            ));
        }
    }
    let now = ecs_time(ctx.now);
    cloud.ess.groups.insert(
        id.clone(),
        ScalingGroup {
            id: id.clone(),
            name,
            region_id: region,
            min_size: min,
            max_size: max,
            desired_capacity: desired,
            default_cooldown: request.int("DefaultCooldown")?.unwrap_or(300),
            lifecycle_state: "Inactive".into(),
            active_configuration_id: String::new(),
            vswitch_ids: vswitches(request)?,
            load_balancer_ids,
            removal_policies: removal_policies(request)?.unwrap_or_else(|| {
                vec!["OldestScalingConfiguration".into(), "OldestInstance".into()]
            }),
            suspended_processes: Vec::new(),
            health_check_type: request.get("HealthCheckType").unwrap_or("ECS").to_owned(),
            deletion_protection: request.bool("GroupDeletionProtection")?.unwrap_or(false),
            creation_time: now.clone(),
            modification_time: now,
            tags: tag_list(request)?.into_iter().collect(),
            instances: Default::default(),
        },
    );
    Ok(json!({"ScalingGroupId": id}))
}

/// DescribeScalingGroups: by region, ids (`ScalingGroupId.N`) or names, 50 a page.
pub fn describe_scaling_groups(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud = prepared(cloud, ctx);
    let ids = with_numbered(id_list(request, "ScalingGroupIds", "ScalingGroupId")?, request, "ScalingGroupId");
    let mut names = request.repeated("ScalingGroupName");
    names.extend(request.get("ScalingGroupName").map(str::to_owned));
    let selected: Vec<Value> = cloud
        .ess
        .groups
        .values()
        .filter(|group| group.region_id == region)
        .filter(|group| ids.as_ref().is_none_or(|ids| ids.contains(&group.id)))
        .filter(|group| names.is_empty() || names.contains(&group.name))
        .map(group_json)
        .collect();
    let (page, paging) = paginate(request, selected, ESS_PAGES)?;
    Ok(list_body("ScalingGroups", "ScalingGroup", page, paging))
}

/// ModifyScalingGroup: bounds, desired capacity, name, configuration, policies; an active group
/// then scales into its new bounds.
pub fn modify_scaling_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = request.require("ScalingGroupId")?.to_owned();
    let group = cloud.ess.group(&id)?;
    let min = size(request, "MinSize")?.unwrap_or(group.min_size);
    let max = size(request, "MaxSize")?.unwrap_or(group.max_size);
    let desired = size(request, "DesiredCapacity")?.or(group.desired_capacity);
    check_bounds(min, max, desired)?;
    if let Some(configuration) = request.get("ActiveScalingConfigurationId") {
        configuration_of(cloud, configuration, &id)?;
    }
    let policies = removal_policies(request)?;
    let vswitch_ids = vswitches(request)?;
    let protection = request.bool("GroupDeletionProtection")?;
    let cooldown = request.int("DefaultCooldown")?;
    let group = cloud.ess.group_mut(&id)?;
    (group.min_size, group.max_size, group.desired_capacity) = (min, max, desired);
    if let Some(name) = request.get("ScalingGroupName") {
        group.name = name.to_owned();
    }
    if let Some(kind) = request.get("HealthCheckType") {
        group.health_check_type = kind.to_owned();
    }
    if let Some(policies) = policies {
        group.removal_policies = policies;
    }
    if !vswitch_ids.is_empty() {
        group.vswitch_ids = vswitch_ids;
    }
    if let Some(protection) = protection {
        group.deletion_protection = protection;
    }
    if let Some(cooldown) = cooldown {
        group.default_cooldown = cooldown;
    }
    group.modification_time = ecs_time(ctx.now);
    if let Some(configuration) = request.get("ActiveScalingConfigurationId") {
        activate_configuration(cloud, &id, configuration);
    }
    rescale(cloud, &id, "A user modified the scaling group.", ctx);
    Ok(json!({}))
}

/// Scales an active group into its bounds (to its desired capacity when it has one); an activity
/// already in progress leaves it for later, as ESS does.
fn rescale(cloud: &mut Cloud, id: &str, cause: &str, ctx: &Ctx) {
    let Some(group) = cloud
        .ess
        .groups
        .get(id)
        .filter(|group| group.lifecycle_state == "Active")
    else {
        return;
    };
    let target = group
        .desired_capacity
        .unwrap_or_else(|| Cloud::ess_capacity(group));
    match cloud.ess_scale_to(id, target, cause, ctx) {
        Ok(_) => {}
        Err(error) => tracing::debug!(group = id, code = %error.code, "scaling deferred"),
    }
}

fn configuration_of<'a>(
    cloud: &'a Cloud,
    id: &str,
    group_id: &str,
) -> Result<&'a ScalingConfiguration, AcsError> {
    cloud
        .ess
        .configurations
        .get(id)
        .filter(|configuration| configuration.group_id == group_id)
        .ok_or_else(|| missing(codes::CONFIGURATION_NOT_FOUND, "scaling configuration", id))
}

fn activate_configuration(cloud: &mut Cloud, group_id: &str, configuration_id: &str) {
    for configuration in cloud
        .ess
        .configurations
        .values_mut()
        .filter(|configuration| configuration.group_id == group_id)
    {
        configuration.lifecycle_state = if configuration.id == configuration_id {
            "Active"
        } else {
            "Inactive"
        }
        .into();
    }
    if let Some(group) = cloud.ess.groups.get_mut(group_id) {
        group.active_configuration_id = configuration_id.to_owned();
    }
}

/// EnableScalingGroup: `Active` with the given (or its first) configuration, then scales to its
/// minimum or desired size; `InstanceId.N` are attached.
pub fn enable_scaling_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = request.require("ScalingGroupId")?.to_owned();
    let group = cloud.ess.group(&id)?;
    if group.lifecycle_state == "Active" {
        return Err(AcsError::new(
            codes::INCORRECT_GROUP_STATUS,
            format!("The scaling group {id} is already Active."),
        ));
    }
    let wanted = request
        .get("ActiveScalingConfigurationId")
        .map(str::to_owned)
        .or_else(|| {
            let current = group.active_configuration_id.clone();
            (!current.is_empty()).then_some(current).or_else(|| {
                cloud
                    .ess
                    .configurations
                    .values()
                    .find(|c| c.group_id == id)
                    .map(|c| c.id.clone())
            })
        });
    let configuration = wanted.ok_or_else(|| {
        AcsError::new(
            codes::INCORRECT_GROUP_STATUS,
            format!("The scaling group {id} has no scaling configuration."),
        )
    })?;
    configuration_of(cloud, &configuration, &id)?;
    let attach = super::ess_members::instance_ids(request)?;
    activate_configuration(cloud, &id, &configuration);
    cloud.ess.group_mut(&id)?.lifecycle_state = "Active".into();
    if !attach.is_empty() {
        let members = super::ess_members::attachable(cloud, &id, &attach, false, ctx)?;
        cloud.ess_attach(&id, members, ctx)?;
    }
    let group = cloud.ess.group(&id)?;
    let target = group
        .desired_capacity
        .unwrap_or(group.min_size)
        .max(Cloud::ess_capacity(group));
    cloud.ess_scale_to(&id, target, "The scaling group was enabled.", ctx)?;
    Ok(json!({}))
}

/// DisableScalingGroup: `Inactive` (no scaling; the instances stay).
pub fn disable_scaling_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group = cloud.ess.group_mut(request.require("ScalingGroupId")?)?;
    group.lifecycle_state = "Inactive".into();
    Ok(json!({}))
}

/// DeleteScalingGroup: refused with instances unless `ForceDelete=true` (then the auto-created ones
/// are released); removes its configurations, rules, hooks and actions.
pub fn delete_scaling_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = request.require("ScalingGroupId")?.to_owned();
    let force = request.bool("ForceDelete")?.unwrap_or(false);
    let group = cloud.ess.group(&id)?;
    if group.deletion_protection {
        return Err(AcsError::new(
            codes::DELETION_PROTECTION,
            format!("The scaling group {id} has deletion protection enabled."),
        ));
    }
    if !group.instances.is_empty() && !force {
        return Err(AcsError::new(
            codes::INCORRECT_GROUP_STATUS,
            format!(
                "The scaling group {id} still has {} instances; set ForceDelete to release them.",
                group.instances.len()
            ),
        ));
    }
    if cloud
        .ess
        .activities
        .values()
        .any(|activity| activity.group_id == id && activity.status_code == "InProgress")
    {
        return Err(AcsError::new(
            codes::ACTIVITY_IN_PROGRESS,
            "You cannot delete a scaling group while there is a scaling activity in progress for it.",
        ));
    }
    let group = cloud.ess.groups.shift_remove(&id).expect("looked up above");
    for member in group
        .instances
        .values()
        .filter(|member| member.creation_type == "AutoCreated")
    {
        if cloud.instances.contains_key(&member.instance_id) {
            super::release_instance(cloud, &member.instance_id, ctx);
        }
    }
    cloud
        .ess
        .configurations
        .retain(|_, configuration| configuration.group_id != id);
    cloud.ess.rules.retain(|_, rule| rule.group_id != id);
    cloud.ess.hooks.retain(|_, hook| hook.group_id != id);
    cloud.ess.actions.retain(|_, action| action.group_id != id);
    Ok(json!({}))
}

const PROCESSES: [&str; 5] = [
    "ScaleIn",
    "ScaleOut",
    "HealthCheck",
    "AlarmNotification",
    "ScheduledAction",
];

fn processes(request: &RpcRequest) -> Result<Vec<String>, AcsError> {
    let mut wanted = request.repeated("Process");
    if wanted.is_empty() {
        wanted = request.repeated("Processes");
    }
    if wanted.is_empty() {
        return Err(AcsError::missing_parameter("Process.1"));
    }
    if let Some(unknown) = wanted
        .iter()
        .find(|process| !PROCESSES.contains(&process.as_str()))
    {
        return Err(AcsError::invalid_parameter(
            "Process",
            format!("{unknown:?} is not one of {}", PROCESSES.join(", ")),
        ));
    }
    Ok(wanted)
}

/// SuspendProcesses: `Process.N` of ScaleIn, ScaleOut, HealthCheck, AlarmNotification, ScheduledAction.
pub fn suspend_processes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let wanted = processes(request)?;
    let group = prepared(cloud, ctx)
        .ess
        .group_mut(request.require("ScalingGroupId")?)?;
    for process in wanted {
        if !group.suspended(&process) {
            group.suspended_processes.push(process);
        }
    }
    Ok(json!({}))
}

/// ResumeProcesses.
pub fn resume_processes(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let wanted = processes(request)?;
    let group = prepared(cloud, ctx)
        .ess
        .group_mut(request.require("ScalingGroupId")?)?;
    group
        .suspended_processes
        .retain(|process| !wanted.contains(process));
    Ok(json!({}))
}

/// SetGroupDeletionProtection.
pub fn set_group_deletion_protection(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let protect = request
        .bool("GroupDeletionProtection")?
        .ok_or_else(|| AcsError::missing_parameter("GroupDeletionProtection"))?;
    prepared(cloud, ctx)
        .ess
        .group_mut(request.require("ScalingGroupId")?)?
        .deletion_protection = protect;
    Ok(json!({}))
}

fn configuration_json(configuration: &ScalingConfiguration) -> Value {
    let (cpu, memory) = crate::provision::type_shape(&configuration.instance_type);
    let described = json!({
        "ScalingConfigurationId": configuration.id, "ScalingConfigurationName": configuration.name,
        "ScalingGroupId": configuration.group_id, "LifecycleState": configuration.lifecycle_state,
        "InstanceType": configuration.instance_type, "InstanceTypes": wrapped("InstanceType", &configuration.instance_types),
        "Cpu": cpu, "Memory": memory / 1024, "ImageId": configuration.image_id, "ImageName": "", "ImageFamily": "",
        "SecurityGroupId": configuration.security_group_id, "SecurityGroupIds": wrapped("SecurityGroupId", std::slice::from_ref(&configuration.security_group_id)),
        "InstanceName": configuration.instance_name, "HostName": configuration.host_name,
        "KeyPairName": configuration.key_pair_name, "RamRoleName": configuration.ram_role_name, "UserData": configuration.user_data,
        "SystemDiskCategory": configuration.system_disk_category, "SystemDiskSize": configuration.system_disk_size,
        "SystemDiskCategories": wrapped("SystemDiskCategory", std::slice::from_ref(&configuration.system_disk_category)),
        "DataDisks": wrapped("DataDisk", &configuration.data_disk_sizes.iter().map(|size| json!({"Size": size, "Category": "cloud_essd", "DeleteWithInstance": true})).collect::<Vec<_>>()),
        "InternetChargeType": configuration.internet_charge_type, "InternetMaxBandwidthOut": configuration.internet_max_bandwidth_out,
        "InternetMaxBandwidthIn": 200, "LoadBalancerWeight": configuration.load_balancer_weight, "IoOptimized": "optimized",
        "InstanceGeneration": "ecs-4", "SpotStrategy": "NoSpot", "SecurityEnhancementStrategy": "Active",
        "PasswordInherit": false, "Tags": wrapped("Tag", &configuration.tags.iter().map(|(key, value)| json!({"Key": key, "Value": value})).collect::<Vec<_>>()),
        "CreationTime": configuration.creation_time,
    });
    // features not modelled: instance patterns, spot, dedicated hosts, storage sets, private pools, disk encryption, ENIs
    super::params::with_unmodelled(
        described,
        json!({
            "Affinity": "", "CpuOptions": {"NestedVirtualization": ""}, "CreditSpecification": "",
            "CustomPriorities": [], "DedicatedHostClusterId": "", "DedicatedHostId": "",
            "DeletionProtection": false, "DeploymentSetId": "", "HpcClusterId": "", "HttpEndpoint": "",
            "HttpTokens": "", "ImageOptionsLoginAsNonRoot": false, "ImageOwnerAlias": "",
            "InstanceDescription": "", "InstancePatternInfos": [],
            "InstanceTypeCandidateOptions": {"AllowCidrBlocks": [], "AllowCrossAz": false, "AllowDifferentGeneration": false, "Enabled": false, "MaxPrice": 0.0},
            "Ipv6AddressCount": 0, "NetworkInterfaces": [], "PasswordSetted": false,
            "ResourceGroupId": "",
            "ResourcePoolOptions": {"PrivatePoolIds": [], "PrivatePoolTags": [], "Strategy": ""},
            "SchedulerOptions": {"ManagedPrivateSpaceId": ""},
            "SecurityOptions": {"ConfidentialComputingMode": ""}, "SpotDuration": 0,
            "SpotInterruptionBehavior": "", "SpotPriceLimits": [], "StorageSetId": "",
            "StorageSetPartitionNumber": 0, "SystemDiskAutoSnapshotPolicyId": "",
            "SystemDiskBurstingEnabled": false, "SystemDiskDescription": "",
            "SystemDiskEncryptAlgorithm": "", "SystemDiskEncrypted": false, "SystemDiskKMSKeyId": "",
            "SystemDiskName": "", "SystemDiskPerformanceLevel": "", "SystemDiskProvisionedIops": 0,
            "Tenancy": "", "WeightedCapacities": [], "ZoneId": "", "PrivatePoolOptions.Id": "",
            "PrivatePoolOptions.MatchCriteria": ""
        }),
    )
}

/// ESS takes configuration tags as a JSON object (`{"k":"v"}`), or `Tag.N` pairs.
fn configuration_tags(request: &RpcRequest) -> Result<Option<Tags>, AcsError> {
    let tags = tag_list(request)?;
    Ok((!tags.is_empty()).then(|| tags.into_iter().collect()))
}

/// Applies the launch fields a request sets to `configuration`, checking images and groups.
fn apply_launch_fields(
    cloud: &Cloud,
    region: &str,
    request: &RpcRequest,
    configuration: &mut ScalingConfiguration,
) -> Result<(), AcsError> {
    if let Some(image) = request.get("ImageId") {
        if super::images::image_key(cloud, region, image).is_none() {
            return Err(not_found(INVALID_IMAGE_ID_NOT_FOUND, "ImageId", image));
        }
        configuration.image_id = image.to_owned();
    }
    if let Some(group) = request.get("SecurityGroupId") {
        if !cloud.security_groups.contains_key(group) {
            return Err(not_found(
                INVALID_SECURITY_GROUP_ID_NOT_FOUND,
                "SecurityGroupId",
                group,
            ));
        }
        configuration.security_group_id = group.to_owned();
    }
    let types = request.repeated("InstanceTypes");
    if let Some(first) = types.first() {
        configuration.instance_type = first.clone();
        configuration.instance_types = types.clone();
    }
    if let Some(kind) = request.get("InstanceType") {
        configuration.instance_type = kind.to_owned();
        configuration.instance_types = vec![kind.to_owned()];
    }
    for (name, field) in [
        ("ScalingConfigurationName", &mut configuration.name),
        ("InstanceName", &mut configuration.instance_name),
        ("HostName", &mut configuration.host_name),
        ("KeyPairName", &mut configuration.key_pair_name),
        ("RamRoleName", &mut configuration.ram_role_name),
        ("UserData", &mut configuration.user_data),
        (
            "InternetChargeType",
            &mut configuration.internet_charge_type,
        ),
    ] {
        if let Some(value) = request.get(name) {
            *field = value.to_owned();
        }
    }
    if let Some(category) = request
        .get("SystemDisk.Category")
        .or(request.get("SystemDiskCategory"))
    {
        configuration.system_disk_category = category.to_owned();
    }
    if let Some(size) = request
        .int("SystemDisk.Size")?
        .or(request.int("SystemDiskSize")?)
    {
        configuration.system_disk_size = size;
    }
    let disks = request.repeated_records("DataDisk");
    if !disks.is_empty() {
        configuration.data_disk_sizes = disks
            .iter()
            .map(|record| {
                record
                    .iter()
                    .find(|(field, _)| field == "Size")
                    .and_then(|(_, size)| size.parse().ok())
                    .unwrap_or(40)
            })
            .collect();
    }
    if let Some(bandwidth) = request.int("InternetMaxBandwidthOut")? {
        configuration.internet_max_bandwidth_out = bandwidth;
    }
    if let Some(weight) = request.int("LoadBalancerWeight")? {
        configuration.load_balancer_weight = weight;
    }
    if let Some(tags) = configuration_tags(request)? {
        configuration.tags = tags;
    }
    Ok(())
}

/// CreateScalingConfiguration: needs `ImageId` and `InstanceType`/`InstanceTypes.N`; the group's
/// first configuration becomes its active one.
pub fn create_scaling_configuration(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    let region = cloud.ess.group(&group_id)?.region_id.clone();
    let id = new_id("asc");
    let mut configuration = ScalingConfiguration {
        id: id.clone(),
        name: id.clone(),
        group_id: group_id.clone(),
        lifecycle_state: "Inactive".into(),
        system_disk_category: "cloud_efficiency".into(),
        system_disk_size: 40,
        internet_charge_type: "PayByTraffic".into(),
        load_balancer_weight: 50,
        creation_time: ecs_time(ctx.now),
        ..ScalingConfiguration::default()
    };
    apply_launch_fields(cloud, &region, request, &mut configuration)?;
    if configuration.image_id.is_empty() {
        return Err(AcsError::missing_parameter("ImageId"));
    }
    if configuration.instance_type.is_empty() {
        return Err(AcsError::missing_parameter("InstanceType"));
    }
    let first = !cloud
        .ess
        .configurations
        .values()
        .any(|other| other.group_id == group_id);
    cloud.ess.configurations.insert(id.clone(), configuration);
    if first {
        activate_configuration(cloud, &group_id, &id);
    }
    Ok(json!({"ScalingConfigurationId": id}))
}

/// ModifyScalingConfiguration: changes what later scale-outs launch.
pub fn modify_scaling_configuration(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = request.require("ScalingConfigurationId")?;
    let mut configuration = cloud
        .ess
        .configurations
        .get(id)
        .cloned()
        .ok_or_else(|| missing(codes::CONFIGURATION_NOT_FOUND, "scaling configuration", id))?;
    let region = cloud.ess.group(&configuration.group_id)?.region_id.clone();
    apply_launch_fields(cloud, &region, request, &mut configuration)?;
    cloud
        .ess
        .configurations
        .insert(id.to_owned(), configuration);
    Ok(json!({}))
}

/// DeleteScalingConfiguration: not the active one of an active group.
pub fn delete_scaling_configuration(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = request.require("ScalingConfigurationId")?;
    let configuration = cloud
        .ess
        .configurations
        .get(id)
        .ok_or_else(|| missing(codes::CONFIGURATION_NOT_FOUND, "scaling configuration", id))?;
    if configuration.lifecycle_state == "Active"
        && cloud.ess.group(&configuration.group_id)?.lifecycle_state == "Active"
    {
        return Err(AcsError::with_code(
            "IncorrectScalingConfigurationLifecycleState",
            400,
            format!("The scaling configuration {id} is the active one of an active scaling group."),
        ));
    }
    cloud.ess.configurations.shift_remove(id);
    Ok(json!({}))
}

/// DescribeScalingConfigurations: by group, `ScalingConfigurationId.N` or name.
pub fn describe_scaling_configurations(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud = prepared(cloud, ctx);
    let ids = with_numbered(
        id_list(request, "ScalingConfigurationIds", "ScalingConfigurationId")?,
        request,
        "ScalingConfigurationId",
    );
    let names = request.repeated("ScalingConfigurationName");
    let group = request.get("ScalingGroupId");
    let selected: Vec<Value> = cloud
        .ess
        .configurations
        .values()
        .filter(|configuration| {
            cloud
                .ess
                .groups
                .get(&configuration.group_id)
                .is_some_and(|owner| owner.region_id == region)
        })
        .filter(|configuration| group.is_none_or(|group| configuration.group_id == group))
        .filter(|configuration| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&configuration.id))
        })
        .filter(|configuration| names.is_empty() || names.contains(&configuration.name))
        .map(configuration_json)
        .collect();
    let (page, paging) = paginate(request, selected, ESS_PAGES)?;
    Ok(list_body(
        "ScalingConfigurations",
        "ScalingConfiguration",
        page,
        paging,
    ))
}

fn rule_json(rule: &ScalingRule, group: Option<&ScalingGroup>) -> Value {
    let (kind, value, magnitude) = rule.adjustment.wire();
    let described = json!({
        "ScalingRuleId": rule.id, "ScalingRuleAri": rule.ari, "ScalingRuleName": rule.name, "ScalingGroupId": rule.group_id,
        "ScalingRuleType": "SimpleScalingRule", "AdjustmentType": kind, "AdjustmentValue": value,
        "MinAdjustmentMagnitude": magnitude, "Cooldown": rule.cooldown.or(group.map(|group| group.default_cooldown)).unwrap_or_default(),
        "MinSize": group.map(|group| group.min_size), "MaxSize": group.map(|group| group.max_size),
        "Alarms": wrapped("Alarm", &[] as &[Value]), "StepAdjustments": wrapped("StepAdjustment", &[] as &[Value]),
    });
    // only simple scaling rules are modelled: no target-tracking, step, predictive or hybrid-metric fields
    super::params::with_unmodelled(
        described,
        json!({
            "AlarmDimensions": [], "DisableScaleIn": false, "EstimatedInstanceWarmup": 0,
            "HybridMetrics": [], "HybridMonitorNamespace": "", "InitialMaxSize": 0, "MetricName": "",
            "MetricType": "", "PredictiveScalingMode": "", "PredictiveTaskBufferTime": 0,
            "PredictiveValueBehavior": "", "PredictiveValueBuffer": 0, "ScaleInEvaluationCount": 0,
            "ScaleOutEvaluationCount": 0, "TargetValue": 0.0
        }),
    )
}

fn adjustment(request: &RpcRequest, current: Option<Adjustment>) -> Result<Adjustment, AcsError> {
    let (old_kind, old_value, old_magnitude) = current.map_or(("", 0, 0), Adjustment::wire);
    let kind = request.get("AdjustmentType").unwrap_or(old_kind);
    if kind.is_empty() {
        return Err(AcsError::missing_parameter("AdjustmentType"));
    }
    let value = match request.int("AdjustmentValue")? {
        Some(value) => value,
        None if current.is_some() => old_value,
        None => return Err(AcsError::missing_parameter("AdjustmentValue")),
    };
    Adjustment::parse(
        kind,
        value,
        request
            .int("MinAdjustmentMagnitude")?
            .unwrap_or(old_magnitude),
    )
}

/// CreateScalingRule: simple rules only.
pub fn create_scaling_rule(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    let region = cloud.ess.group(&group_id)?.region_id.clone();
    if let Some(kind) = request
        .get("ScalingRuleType")
        .filter(|kind| *kind != "SimpleScalingRule")
    {
        return Err(AcsError::invalid_parameter(
            "ScalingRuleType",
            format!("{kind:?}: the emulator serves SimpleScalingRule only"),
        ));
    }
    let adjustment = adjustment(request, None)?;
    let id = new_id("asr");
    let rule = ScalingRule {
        ari: format!("ari:acs:ess:{region}:{DEFAULT_ACCOUNT_ID}:scalingrule/{id}"),
        name: request.get("ScalingRuleName").unwrap_or(&id).to_owned(),
        group_id,
        adjustment,
        cooldown: request.int("Cooldown")?,
        id: id.clone(),
    };
    let ari = rule.ari.clone();
    cloud.ess.rules.insert(id.clone(), rule);
    Ok(json!({"ScalingRuleId": id, "ScalingRuleAri": ari}))
}

fn rule_by<'a>(cloud: &'a Cloud, field: &str, value: &str) -> Result<&'a ScalingRule, AcsError> {
    cloud
        .ess
        .rules
        .values()
        .find(|rule| {
            if field == "ScalingRuleAri" {
                rule.ari == value
            } else {
                rule.id == value
            }
        })
        .ok_or_else(|| missing(codes::RULE_NOT_FOUND, "scaling rule", value))
}

/// ModifyScalingRule.
pub fn modify_scaling_rule(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let mut rule = rule_by(cloud, "ScalingRuleId", request.require("ScalingRuleId")?)?.clone();
    rule.adjustment = adjustment(request, Some(rule.adjustment))?;
    if let Some(name) = request.get("ScalingRuleName") {
        rule.name = name.to_owned();
    }
    if let Some(cooldown) = request.int("Cooldown")? {
        rule.cooldown = Some(cooldown);
    }
    cloud.ess.rules.insert(rule.id.clone(), rule);
    Ok(json!({}))
}

/// DeleteScalingRule.
pub fn delete_scaling_rule(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let id = rule_by(cloud, "ScalingRuleId", request.require("ScalingRuleId")?)?
        .id
        .clone();
    cloud.ess.rules.shift_remove(&id);
    Ok(json!({}))
}

/// DescribeScalingRules.
pub fn describe_scaling_rules(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud = prepared(cloud, ctx);
    let ids = id_list(request, "ScalingRuleIds", "ScalingRuleId")?;
    let aris = id_list(request, "ScalingRuleAris", "ScalingRuleAri")?;
    let group = request.get("ScalingGroupId");
    let selected: Vec<Value> = cloud
        .ess
        .rules
        .values()
        .map(|rule| (rule, cloud.ess.groups.get(&rule.group_id)))
        .filter(|(_, owner)| owner.is_some_and(|owner| owner.region_id == region))
        .filter(|(rule, _)| group.is_none_or(|group| rule.group_id == group))
        .filter(|(rule, _)| ids.as_ref().is_none_or(|ids| ids.contains(&rule.id)))
        .filter(|(rule, _)| aris.as_ref().is_none_or(|aris| aris.contains(&rule.ari)))
        .filter(|(rule, _)| {
            request
                .get("ScalingRuleName")
                .is_none_or(|name| rule.name == name)
        })
        .map(|(rule, owner)| rule_json(rule, owner))
        .collect();
    let (page, paging) = paginate(request, selected, ESS_PAGES)?;
    Ok(list_body("ScalingRules", "ScalingRule", page, paging))
}

/// Runs `adjustment` on an active group: the new activity, or a `Rejected` one when the size
/// would not change.
fn adjust(
    cloud: &mut Cloud,
    group_id: &str,
    adjustment: Adjustment,
    cause: &str,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let group = cloud.ess.group(group_id)?;
    require_active(group)?;
    let target = adjustment.target(Cloud::ess_capacity(group));
    let activity = match cloud.ess_scale_to(group_id, target, cause, ctx)? {
        Some(activity) => activity,
        None => {
            let id = new_id("asa");
            let total = Cloud::ess_capacity(cloud.ess.group(group_id)?);
            cloud.ess.activities.insert(
                id.clone(),
                ScalingActivity {
                    id: id.clone(),
                    group_id: group_id.to_owned(),
                    description: "Add/Remove \"0\" ECS instance(s)".into(),
                    cause: cause.to_owned(),
                    status_code: "Rejected".into(),
                    status_message:
                        "To execute the specified scaling rule, the total capacity will not change."
                            .into(),
                    start_time: ecs_time(ctx.now),
                    end_time: ecs_time(ctx.now),
                    instance_ids: Vec::new(),
                    total_capacity: total,
                    attached_capacity: 0,
                    auto_created_capacity: 0,
                },
            );
            id
        }
    };
    Ok(json!({"ScalingActivityId": activity}))
}

/// ExecuteScalingRule by `ScalingRuleAri`.
pub fn execute_scaling_rule(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let rule = rule_by(cloud, "ScalingRuleAri", request.require("ScalingRuleAri")?)?.clone();
    adjust(
        cloud,
        &rule.group_id,
        rule.adjustment,
        &format!("A user executes the scaling rule {}.", rule.name),
        ctx,
    )
}

/// ScaleWithAdjustment.
pub fn scale_with_adjustment(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let cloud = prepared(cloud, ctx);
    let group_id = request.require("ScalingGroupId")?.to_owned();
    let adjustment = adjustment(request, None)?;
    let mut body = adjust(
        cloud,
        &group_id,
        adjustment,
        "A user scales the group with an adjustment.",
        ctx,
    )?;
    // the synchronous activity type and the allocation plan of a dry run are not modelled
    body["ActivityType"] = json!("");
    body["PlanResult"] = json!({"ResourceAllocations": []});
    Ok(body)
}

fn activity_json(activity: &ScalingActivity) -> Value {
    let progress = if activity.status_code == "InProgress" {
        50
    } else {
        100
    };
    let described = json!({
        "ScalingActivityId": activity.id, "ScalingGroupId": activity.group_id, "Description": activity.description,
        "Cause": activity.cause, "StatusCode": activity.status_code, "StatusMessage": activity.status_message,
        "StartTime": activity.start_time, "EndTime": activity.end_time, "Progress": progress,
        "ScalingInstanceNumber": activity.instance_ids.len(), "TotalCapacity": activity.total_capacity.to_string(),
        "AttachedCapacity": activity.attached_capacity.to_string(), "AutoCreatedCapacity": activity.auto_created_capacity.to_string(),
    });
    // per-activity instance lists, error details, refresh tasks and hook contexts are not modelled
    super::params::with_unmodelled(
        described,
        json!({
            "ActivityMetadata": "", "CreatedCapacity": 0, "CreatedInstances": [], "DestroyedCapacity": 0,
            "DestroyedInstances": [], "Detail": "", "ErrorCode": "", "ErrorMessage": "",
            "ErrorMessages": [], "InstanceRefreshTaskId": "",
            "LifecycleHookContext": {"DisableLifecycleHook": false, "IgnoredLifecycleHookIds": []},
            "StartedCapacity": 0, "StartedInstances": [], "StoppedCapacity": 0, "StoppedInstances": [],
            "TriggerSourceId": "", "TriggerSourceType": ""
        }),
    )
}

/// DescribeScalingActivities: newest first; by group, `ScalingActivityId.N`, `StatusCode`.
pub fn describe_scaling_activities(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cloud = prepared(cloud, ctx);
    let ids = id_list(request, "ScalingActivityIds", "ScalingActivityId")?;
    let group = request.get("ScalingGroupId");
    if group.is_none() && ids.is_none() {
        return Err(AcsError::missing_parameter("ScalingGroupId"));
    }
    let selected: Vec<Value> = cloud
        .ess
        .activities
        .values()
        .rev()
        .filter(|activity| {
            cloud
                .ess
                .groups
                .get(&activity.group_id)
                .is_none_or(|owner| owner.region_id == region)
        })
        .filter(|activity| group.is_none_or(|group| activity.group_id == group))
        .filter(|activity| ids.as_ref().is_none_or(|ids| ids.contains(&activity.id)))
        .filter(|activity| {
            request
                .get("StatusCode")
                .is_none_or(|code| activity.status_code == code)
        })
        .map(activity_json)
        .collect();
    let (page, paging) = paginate(request, selected, ESS_PAGES)?;
    Ok(list_body(
        "ScalingActivities",
        "ScalingActivity",
        page,
        paging,
    ))
}
