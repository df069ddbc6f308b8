//! Instance actions: describe, power state machine (start/stop/reboot, single and batch),
//! create (RunInstances/CreateInstance), delete, attribute changes.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{
    CreationWindow, Ctx, Field, FieldFilters, PageLimits, check_dry_run, id_list, list_body,
    matches_tags, paginate, repeated_or_single, tag_list, tags_json,
};
use crate::errors::{
    OPERATION_DENIED_DELETION_PROTECTION, incorrect_instance_status, instance_not_found,
};
use crate::model::{Instance, instance_status as status};
use crate::provision::{InstanceSpec, create_instance};
use crate::state::Cloud;

/// The instance as DescribeInstances shows it.
pub fn instance_json(instance: &Instance, cloud: &Cloud) -> Value {
    let eip = instance
        .eip_allocation_id
        .as_ref()
        .and_then(|id| cloud.eips.get(id));
    let described = json!({
        "InstanceId": instance.instance_id,
        "InstanceName": instance.instance_name,
        "Description": instance.description,
        "HostName": instance.host_name,
        "RegionId": instance.region_id,
        "ZoneId": instance.zone_id,
        "InstanceType": instance.instance_type,
        "InstanceTypeFamily": instance.instance_type.rsplit_once('.').map_or("", |(family, _)| family),
        "Cpu": instance.cpu,
        "Memory": instance.memory,
        "ImageId": instance.image_id,
        "OSName": instance.os_name,
        "OSNameEn": instance.os_name,
        "OSType": instance.os_type,
        "Status": instance.status,
        "CreationTime": instance.creation_time,
        "StartTime": instance.start_time,
        "ExpiredTime": instance.settings.expired_time,
        "InstanceChargeType": instance.instance_charge_type,
        "InternetChargeType": instance.internet_charge_type,
        "InternetMaxBandwidthOut": instance.internet_max_bandwidth_out,
        "InternetMaxBandwidthIn": instance.settings.internet_max_bandwidth_in,
        "InstanceNetworkType": "vpc",
        "IoOptimized": true,
        "DeletionProtection": instance.deletion_protection,
        "StoppedMode": instance.stopped_mode,
        "KeyPairName": instance.key_pair_name,
        "ResourceGroupId": instance.resource_group_id,
        "SerialNumber": instance.instance_id.trim_start_matches("i-"),
        "SecurityGroupIds": {"SecurityGroupId": instance.security_group_ids},
        "VpcAttributes": {
            "VpcId": instance.vpc_id,
            "VSwitchId": instance.vswitch_id,
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [instance.private_ip]},
        },
        "InnerIpAddress": {"IpAddress": []},
        "PublicIpAddress": {"IpAddress": instance.public_ips},
        "EipAddress": {
            "AllocationId": eip.map_or("", |eip| eip.allocation_id.as_str()),
            "IpAddress": eip.map_or("", |eip| eip.ip_address.as_str()),
            "Bandwidth": eip.and_then(|eip| eip.bandwidth.parse::<i64>().ok()).unwrap_or(0),
            "InternetChargeType": eip.map_or("", |eip| eip.internet_charge_type.as_str()),
            "IsSupportUnassociate": true,
        },
        "NetworkInterfaces": {"NetworkInterface": super::interfaces::instance_interfaces_json(instance, cloud)},
        "MetadataOptions": {
            "HttpEndpoint": instance.settings.metadata.http_endpoint,
            "HttpTokens": instance.settings.metadata.http_tokens,
            "HttpPutResponseHopLimit": instance.settings.metadata.http_put_response_hop_limit,
            "InstanceMetadataTags": instance.settings.metadata.instance_metadata_tags,
        },
        "OperationLocks": {"LockReason": []},
        "Tags": tags_json(&instance.tags),
    });
    super::params::with_unmodelled(described, unmodelled_instance_fields(instance))
}

/// DescribeInstances fields of features the emulator does not model.
fn unmodelled_instance_fields(instance: &Instance) -> Value {
    json!({
        "AdditionalInfo": {"EnableHighDensityMode": false, "ManagedHostId": "", "NodeSerialNumber": ""},
        "AutoReleaseTime": "", "ClockOptions": {"PtpStatus": ""}, "ClusterId": "",
        "CpuOptions": {"CoreCount": (instance.cpu / 2).max(1), "ThreadsPerCore": if instance.cpu > 1 { 2 } else { 1 },
                       "EnableVISST": false, "EnableVRDT": false, "NestedVirtualization": "", "Numa": "", "TopologyType": "", "TurboMode": ""},
        "CreditSpecification": crate::ecs_model::credit_specification(&instance.instance_type, &instance.settings),
        "DedicatedHostAttribute": {"DedicatedHostClusterId": "", "DedicatedHostId": "", "DedicatedHostName": ""},
        "DedicatedInstanceAttribute": {"Affinity": "", "Tenancy": ""},
        "DeploymentSetGroupNo": 0, "DeploymentSetId": "", "DeviceAvailable": true,
        "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": ""},
        "EnableNVS": false, "GPUAmount": 0, "GPUSpec": "", "HibernationOptions": {"Configured": false},
        "HpcClusterId": "", "ISP": "", "ImageOptions": {"CurrentOSNVMeSupported": true, "LoginAsNonRoot": false},
        "LocalStorageAmount": 0, "LocalStorageCapacity": 0,
        "PrivateDnsNameOptions": {"EnableInstanceIdDnsAAAARecord": false, "EnableInstanceIdDnsARecord": false,
                                  "EnableIpDnsARecord": false, "EnableIpDnsPtrRecord": false, "HostnameType": "Custom"},
        "RdmaIpAddress": {"IpAddress": []}, "Recyclable": false, "SaleCycle": "",
        "SecurityOptions": {"EnableSecureBoot": false},
        "SpotDuration": 0, "SpotInterruptionBehavior": "Terminate", "SpotPriceLimit": 0.0, "SpotStrategy": "NoSpot", "VlanId": "",
    })
}

const INSTANCE_FIELDS: [Field<Instance>; 9] = [
    ("Status", |instance| &instance.status),
    ("ZoneId", |instance| &instance.zone_id),
    ("InstanceType", |instance| &instance.instance_type),
    ("VpcId", |instance| &instance.vpc_id),
    ("VSwitchId", |instance| &instance.vswitch_id),
    ("ImageId", |instance| &instance.image_id),
    ("InstanceChargeType", |instance| {
        &instance.instance_charge_type
    }),
    ("ResourceGroupId", |instance| &instance.resource_group_id),
    ("KeyPairName", |instance| &instance.key_pair_name),
];

fn json_strings(request: &RpcRequest, name: &str) -> Result<Option<Vec<String>>, AcsError> {
    request.json::<Vec<String>>(name)
}

/// DescribeInstances: filters, Tag.N, InstanceIds (unknown ids give an empty list), paging.
/// `InstanceId` (a JSON list, `InstanceId.N` or one id), which the SDK model lacks, filters too:
/// public templates send it (ACS-ECS-ConvertsPublicIPToNewEIPByInstanceId,
/// ACS::ECS::ConvertPublicToEIPAndAddToCommonBandwidthPackage).
pub fn describe_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = match id_list(request, "InstanceIds", "InstanceId")? {
        Some(ids) => Some(ids),
        None => repeated_or_single(request, "InstanceId")?,
    };
    let tags = tag_list(request)?;
    let private_ips = json_strings(request, "PrivateIpAddresses")?;
    let public_ips = json_strings(request, "PublicIpAddresses")?;
    let eip_ips = json_strings(request, "EipAddresses")?;
    let name_pattern = request
        .get("InstanceName")
        .map(|name| name.replace('*', ""));
    let fields = FieldFilters::new(request, &INSTANCE_FIELDS);
    let security_group = request.get("SecurityGroupId");
    let created = CreationWindow::from_request(request)?;
    let selected: Vec<&Instance> = cloud
        .instances
        .values()
        .filter(|instance| instance.region_id == region)
        .filter(|instance| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&instance.instance_id))
        })
        .filter(|instance| matches_tags(&instance.tags, &tags))
        .filter(|instance| created.contains(&instance.creation_time))
        .filter(|instance| {
            name_pattern
                .as_ref()
                .is_none_or(|name| instance.instance_name.contains(name.as_str()))
        })
        .filter(|instance| fields.matches(instance))
        .filter(|instance| {
            security_group
                .is_none_or(|group| instance.security_group_ids.iter().any(|id| id == group))
        })
        .filter(|instance| {
            private_ips
                .as_ref()
                .is_none_or(|ips| ips.contains(&instance.private_ip))
        })
        .filter(|instance| {
            public_ips
                .as_ref()
                .is_none_or(|ips| instance.public_ips.iter().any(|ip| ips.contains(ip)))
        })
        .filter(|instance| {
            eip_ips.as_ref().is_none_or(|ips| {
                let eip = instance
                    .eip_allocation_id
                    .as_ref()
                    .and_then(|id| cloud.eips.get(id));
                eip.is_some_and(|eip| ips.contains(&eip.ip_address))
            })
        })
        .collect();
    check_dry_run(request)?;
    let limits = PageLimits::TOKEN_100;
    let (page, paging) = paginate(request, selected, limits)?;
    let items = page
        .into_iter()
        .map(|instance| instance_json(instance, cloud))
        .collect();
    Ok(list_body("Instances", "Instance", items, paging))
}

/// DescribeInstanceStatus: `InstanceId.N`, `ZoneId`, paging up to 50.
pub fn describe_instance_status(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = request.repeated("InstanceId");
    let zone = FieldFilters::new(request, &INSTANCE_FIELDS[1..2]);
    let selected: Vec<Value> = cloud
        .instances
        .values()
        .filter(|instance| instance.region_id == region)
        .filter(|instance| ids.is_empty() || ids.contains(&instance.instance_id))
        .filter(|instance| zone.matches(instance))
        .map(|instance| json!({"InstanceId": instance.instance_id, "Status": instance.status}))
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    Ok(list_body(
        "InstanceStatuses",
        "InstanceStatus",
        page,
        paging,
    ))
}

pub(super) fn instance<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a Instance, AcsError> {
    cloud
        .instances
        .get(id)
        .ok_or_else(|| instance_not_found(id))
}

fn check_deletable(cloud: &Cloud, id: &str, force: bool) -> Result<(), AcsError> {
    let instance = instance(cloud, id)?;
    if instance.deletion_protection {
        return Err(AcsError::new(
            OPERATION_DENIED_DELETION_PROTECTION,
            format!("The instance {id} has deletion protection enabled."),
        ));
    }
    let stopped = instance.status == status::STOPPED || instance.status == status::PENDING;
    let forced = force && instance.status == status::RUNNING;
    if !(stopped || forced) {
        return Err(incorrect_instance_status(
            id,
            &instance.status,
            "DeleteInstance",
        ));
    }
    Ok(())
}

/// Removes an instance with its `DeleteWithInstance` disks (raising its `Deleted` state change);
/// detaches the others, frees its EIP and drops it from load balancers.
pub(crate) fn remove_instance(cloud: &mut Cloud, id: &str, ctx: &Ctx) {
    cloud.raise_state_change(id, status::DELETED, ctx.now.as_millisecond());
    cloud.instances.shift_remove(id);
    cloud
        .disks
        .retain(|_, disk| !(disk.instance_id == id && disk.delete_with_instance));
    for disk in cloud
        .disks
        .values_mut()
        .filter(|disk| disk.instance_id == id)
    {
        disk.instance_id.clear();
        disk.device.clear();
        disk.status = "Available".into();
    }
    for eip in cloud.eips.values_mut().filter(|eip| eip.instance_id == id) {
        eip.instance_id.clear();
        eip.instance_type.clear();
        eip.status = "Available".into();
    }
    for balancer in cloud.load_balancers.values_mut() {
        balancer
            .backend_servers
            .retain(|server| server.server_id != id);
    }
    super::interfaces::release_with_instance(cloud, id);
}

pub fn delete_instance(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    check_deletable(cloud, &id, request.bool("Force")?.unwrap_or(false))?;
    check_dry_run(request)?;
    remove_instance(cloud, &id, ctx);
    Ok(json!({}))
}

pub fn delete_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let ids = request.repeated("InstanceId");
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("InstanceId.1"));
    }
    let force = request.bool("Force")?.unwrap_or(false);
    ids.iter()
        .try_for_each(|id| check_deletable(cloud, id, force))?;
    check_dry_run(request)?;
    ids.iter().for_each(|id| remove_instance(cloud, id, ctx));
    Ok(json!({}))
}

fn spec_from(
    cloud: &Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
    status: &str,
) -> Result<InstanceSpec, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let image_id = request.require("ImageId")?.to_string();
    if super::images::image_key(cloud, &region_id, &image_id).is_none() {
        return Err(crate::errors::not_found(
            crate::errors::INVALID_IMAGE_ID_NOT_FOUND,
            "ImageId",
            &image_id,
        ));
    }
    let security_group_id = request
        .get("SecurityGroupId")
        .unwrap_or_default()
        .to_string();
    if !security_group_id.is_empty() && !cloud.security_groups.contains_key(&security_group_id) {
        return Err(crate::errors::not_found(
            crate::errors::INVALID_SECURITY_GROUP_ID_NOT_FOUND,
            "SecurityGroupId",
            &security_group_id,
        ));
    }
    let data_disk_sizes = request
        .repeated_records("DataDisk")
        .iter()
        .map(|record| {
            record
                .iter()
                .find(|(field, _)| field == "Size")
                .and_then(|(_, size)| size.parse().ok())
                .unwrap_or(40)
        })
        .collect();
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    Ok(InstanceSpec {
        instance_id: None,
        region_id,
        zone_id: text("ZoneId"),
        instance_name: text("InstanceName"),
        description: text("Description"),
        host_name: text("HostName"),
        instance_type: request.require("InstanceType")?.to_string(),
        image_id,
        security_group_id,
        vswitch_id: text("VSwitchId"),
        status: status.to_string(),
        system_disk_size: request.int("SystemDisk.Size")?.unwrap_or(40),
        system_disk_category: text("SystemDisk.Category"),
        data_disk_sizes,
        internet_max_bandwidth_out: request.int("InternetMaxBandwidthOut")?.unwrap_or(0),
        tags: tag_list(request)?.into_iter().collect(),
    })
}

/// RunInstances: `Amount` instances, Pending → Starting → Running.
pub fn run_instances(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let spec = spec_from(cloud, request, ctx, status::PENDING)?;
    let amount = request.int("Amount")?.unwrap_or(1);
    if !(1..=100).contains(&amount) {
        return Err(AcsError::invalid_parameter(
            "Amount",
            "must be between 1 and 100",
        ));
    }
    check_dry_run(request)?;
    let mut ids = Vec::new();
    for index in 1..=amount {
        let mut one = spec.clone();
        if amount > 1
            && !one.instance_name.is_empty()
            && request.bool("UniqueSuffix")?.unwrap_or(false)
        {
            one.instance_name = format!("{}{index:03}", one.instance_name);
        }
        let id = create_instance(cloud, one, ctx.now);
        cloud.schedule_instance(
            &id,
            &[status::PENDING, status::STARTING, status::RUNNING],
            ctx.now,
            ctx.delay_ms,
        );
        ids.push(id);
    }
    Ok(json!({"InstanceIdSets": {"InstanceIdSet": ids}, "OrderId": "", "TradePrice": 0.0}))
}

/// CreateInstance: one instance, left `Stopped` (after Pending).
pub fn create_instance_action(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let spec = spec_from(cloud, request, ctx, status::PENDING)?;
    check_dry_run(request)?;
    let id = create_instance(cloud, spec, ctx.now);
    cloud.schedule_instance(
        &id,
        &[status::PENDING, status::STOPPED],
        ctx.now,
        ctx.delay_ms,
    );
    Ok(json!({"InstanceId": id, "OrderId": "", "TradePrice": 0.0}))
}

/// ModifyInstanceAttribute: name, description, host name, deletion protection, and the CPU credit
/// mode of a burstable instance (`CreditSpecification` `Standard` or `Unlimited`).
pub fn modify_instance_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("InstanceId")?.to_string();
    let target = instance(cloud, &id)?;
    let protection = request.bool("DeletionProtection")?;
    let credit = request.get("CreditSpecification").map(str::to_string);
    if let Some(mode) = &credit {
        if !["Standard", "Unlimited"].contains(&mode.as_str()) {
            return Err(AcsError::invalid_parameter("CreditSpecification", format!("{mode:?} is not Standard or Unlimited")));
        }
        if !crate::ecs_model::is_burstable(&target.instance_type) {
            return Err(AcsError::new(
                crate::errors::NOT_SUPPORT_CREDIT,
                format!("The instance type {} is not burstable and has no CreditSpecification.", target.instance_type),
            ));
        }
    }
    check_dry_run(request)?;
    let instance = cloud.instances.get_mut(&id).expect("checked above");
    for (name, field) in [
        ("InstanceName", &mut instance.instance_name),
        ("Description", &mut instance.description),
        ("HostName", &mut instance.host_name),
    ] {
        if let Some(value) = request.get(name) {
            *field = value.to_string();
        }
    }
    if let Some(protection) = protection {
        instance.deletion_protection = protection;
    }
    if let Some(mode) = credit {
        instance.settings.credit_specification = mode;
    }
    Ok(json!({}))
}

/// Checks an instance exists (used by other resource kinds).
pub fn require_instance(cloud: &Cloud, id: &str) -> Result<(), AcsError> {
    instance(cloud, id).map(|_| ())
}
