//! Elastic network interfaces: Create/Describe/Attach/Detach/DeleteNetworkInterface,
//! AssignPrivateIpAddresses (security-group membership: `sg_membership.rs`). Every instance has a primary interface derived from it (`eni-` + the instance id's tail);
//! secondary ones are resources of their own.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::instances::instance;
use super::params::{
    Ctx, PageLimits, check_dry_run, list_body, matches_tags, paginate, repeated_or_single,
    tag_list, tags_json,
};
use crate::ecs_model::NetworkInterface;
use crate::errors::{
    ENI_PER_INSTANCE_LIMIT_EXCEEDED, INCORRECT_NETWORK_INTERFACE_STATUS,
    INSTANCE_SECURITY_GROUP_LIMIT_EXCEEDED, INVALID_INSTANCE_ID_MISMATCH,
    INVALID_NETWORK_INTERFACE_ID_NOT_FOUND, INVALID_SECURITY_GROUP_ID_NOT_FOUND,
    INVALID_VSWITCH_ID_NOT_FOUND, IPV4_COUNT_EXCEEDED, not_found, require_status,
};
use crate::model::{Instance, instance_status as status};
use crate::provision::{type_shape, vpc_of};
use crate::state::{Cloud, new_id, utc_time};

/// Security groups an instance or interface may be in.
pub(super) const MAX_GROUPS: usize = 5;
const AVAILABLE: &str = "Available";
const IN_USE: &str = "InUse";

/// The id of instance `instance_id`'s primary network interface.
pub fn primary_eni_id(instance_id: &str) -> String {
    format!("eni-{}", instance_id.trim_start_matches("i-"))
}

/// A stable MAC address for interface `id` (Alibaba's `00:16:3e` prefix).
pub fn mac_of(id: &str) -> String {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ byte as u32).wrapping_mul(0x0100_0193)
    });
    let [_, a, b, c] = hash.to_be_bytes();
    format!("00:16:3e:{a:02x}:{b:02x}:{c:02x}")
}

fn primary_of(instance: &Instance) -> NetworkInterface {
    NetworkInterface {
        network_interface_id: primary_eni_id(&instance.instance_id),
        network_interface_name: String::new(),
        description: String::new(),
        region_id: instance.region_id.clone(),
        zone_id: instance.zone_id.clone(),
        vpc_id: instance.vpc_id.clone(),
        vswitch_id: instance.vswitch_id.clone(),
        security_group_ids: instance.security_group_ids.clone(),
        primary_ip: instance.private_ip.clone(),
        secondary_ips: instance.settings.secondary_private_ips.clone(),
        mac_address: mac_of(&primary_eni_id(&instance.instance_id)),
        status: IN_USE.into(),
        instance_id: instance.instance_id.clone(),
        device_index: 0,
        delete_on_release: true,
        creation_time: instance.creation_time.clone(),
        resource_group_id: instance.resource_group_id.clone(),
        tags: Default::default(),
    }
}

/// Every interface of the cloud, primary ones first.
fn all_interfaces(cloud: &Cloud) -> impl Iterator<Item = NetworkInterface> + '_ {
    cloud
        .instances
        .values()
        .map(primary_of)
        .chain(cloud.network_interfaces.values().cloned())
}

/// The interface `id` (a primary one derived from its instance), if any.
pub(crate) fn find_interface(cloud: &Cloud, id: &str) -> Option<NetworkInterface> {
    all_interfaces(cloud).find(|eni| eni.network_interface_id == id)
}

/// `(address, allocation id)` of the interface's public IP: an EIP bound to it, else (a primary
/// one) its instance's EIP or public IP; empty strings when it has none.
fn public_ip_of(cloud: &Cloud, eni: &NetworkInterface) -> (String, String) {
    if let Some(eip) = cloud.eips.values().find(|eip| eip.instance_id == eni.network_interface_id) {
        return (eip.ip_address.clone(), eip.allocation_id.clone());
    }
    let Some(owner) = cloud
        .instances
        .get(&eni.instance_id)
        .filter(|_| eni.device_index == 0)
    else {
        return Default::default();
    };
    match owner
        .eip_allocation_id
        .as_ref()
        .and_then(|id| cloud.eips.get(id))
    {
        Some(eip) => (eip.ip_address.clone(), eip.allocation_id.clone()),
        None => (
            owner.public_ips.first().cloned().unwrap_or_default(),
            String::new(),
        ),
    }
}

fn eni_json(cloud: &Cloud, eni: &NetworkInterface) -> Value {
    let (public_ip, allocation) = public_ip_of(cloud, eni);
    // Without a public IP the object is empty (the product action
    // ACS::ECS::AllocateAndAssociateEipAddress allocates an EIP when its address selects nothing).
    let associated = if public_ip.is_empty() {
        json!({})
    } else {
        json!({"PublicIpAddress": public_ip, "AllocationId": allocation})
    };
    let mut ips = vec![
        json!({"PrivateIpAddress": eni.primary_ip, "Primary": true, "PrivateDnsName": "", "AssociatedPublicIp": associated}),
    ];
    ips.extend(eni.secondary_ips.iter().map(|ip| {
        json!({"PrivateIpAddress": ip, "Primary": false, "PrivateDnsName": "", "AssociatedPublicIp": {}})
    }));
    json!({
        "NetworkInterfaceId": eni.network_interface_id,
        "NetworkInterfaceName": eni.network_interface_name,
        "Description": eni.description,
        "Type": if eni.device_index == 0 && !eni.instance_id.is_empty() { "Primary" } else { "Secondary" },
        "Status": eni.status,
        "VpcId": eni.vpc_id,
        "VSwitchId": eni.vswitch_id,
        "ZoneId": eni.zone_id,
        "PrivateIpAddress": eni.primary_ip,
        "MacAddress": eni.mac_address,
        "InstanceId": eni.instance_id,
        "CreationTime": eni.creation_time,
        "ResourceGroupId": eni.resource_group_id,
        "DeleteOnRelease": eni.delete_on_release,
        "SourceDestCheck": true,
        "ServiceManaged": false,
        "ServiceID": 0,
        "OwnerId": "",
        "QueueNumber": 1,
        "QueuePairNumber": 1,
        "NetworkInterfaceTrafficMode": "Standard",
        "SecurityGroupIds": {"SecurityGroupId": eni.security_group_ids},
        "AssociatedPublicIp": associated,
        "Attachment": {
            "InstanceId": eni.instance_id,
            "DeviceIndex": eni.device_index,
            "NetworkCardIndex": 0,
            "TrunkNetworkInterfaceId": "",
        },
        "PrivateIpSets": {"PrivateIpSet": ips},
        "Ipv6Sets": {"Ipv6Set": []},
        "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
        "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
        "Tags": tags_json(&eni.tags),
    })
}

/// The zone of vSwitch `id` in `region`: a default or created vSwitch, or one an instance uses.
fn vswitch_zone(cloud: &Cloud, region: &str, id: &str) -> Result<String, AcsError> {
    super::nat::vswitch_zone(cloud, region, id)
        .map(|(_, zone)| zone)
        .or_else(|| {
            cloud
                .instances
                .values()
                .find(|instance| instance.region_id == region && instance.vswitch_id == id)
                .map(|instance| instance.zone_id.clone())
        })
        .ok_or_else(|| not_found(INVALID_VSWITCH_ID_NOT_FOUND, "VSwitchId", id))
}

/// `count` private IPs no instance or interface uses yet.
fn free_ips(cloud: &Cloud, count: usize) -> Vec<String> {
    let mut used: std::collections::HashSet<String> = cloud
        .instances
        .values()
        .map(|instance| instance.private_ip.clone())
        .collect();
    used.extend(
        all_interfaces(cloud).flat_map(|eni| eni.secondary_ips.into_iter().chain([eni.primary_ip])),
    );
    (0..)
        .map(|n: u32| format!("172.17.{}.{}", (n / 250) % 256, n % 250 + 2))
        .filter(|ip| !used.contains(ip))
        .take(count)
        .collect()
}

fn check_groups(cloud: &Cloud, vpc_id: &str, groups: &[String]) -> Result<(), AcsError> {
    if groups.is_empty() {
        return Err(AcsError::missing_parameter("SecurityGroupId"));
    }
    if groups.len() > MAX_GROUPS {
        return Err(AcsError::new(
            INSTANCE_SECURITY_GROUP_LIMIT_EXCEEDED,
            format!("At most {MAX_GROUPS} security groups."),
        ));
    }
    for id in groups {
        let group = cloud
            .security_groups
            .get(id)
            .ok_or_else(|| not_found(INVALID_SECURITY_GROUP_ID_NOT_FOUND, "SecurityGroupId", id))?;
        if group.vpc_id != vpc_id {
            return Err(AcsError::new(
                INVALID_INSTANCE_ID_MISMATCH,
                format!("The security group {id} is not in the VPC {vpc_id}."),
            ));
        }
    }
    Ok(())
}

/// CreateNetworkInterface: a secondary interface in `VSwitchId` with `SecurityGroupId` or
/// `SecurityGroupIds.N`, `PrimaryIpAddress` or a free one, `SecondaryPrivateIpAddressCount` or
/// `PrivateIpAddress.N` more; `Available` until attached.
pub fn create_network_interface(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let vswitch_id = request.require("VSwitchId")?.to_string();
    let zone_id = vswitch_zone(cloud, &region, &vswitch_id)?;
    let vpc_id = vpc_of(&region);
    let mut groups = repeated_or_single(request, "SecurityGroupIds")?.unwrap_or_default();
    groups.extend(request.get("SecurityGroupId").map(str::to_string));
    groups.dedup();
    check_groups(cloud, &vpc_id, &groups)?;
    let mut secondary = request.repeated("PrivateIpAddress");
    let extra = request.int("SecondaryPrivateIpAddressCount")?.unwrap_or(0);
    if !(0..=49).contains(&extra) {
        return Err(AcsError::invalid_parameter(
            "SecondaryPrivateIpAddressCount",
            "must be between 0 and 49",
        ));
    }
    let tags = tag_list(request)?;
    check_dry_run(request)?;
    let mut fresh = free_ips(cloud, 1 + extra as usize).into_iter();
    let primary_ip = match request.get("PrimaryIpAddress") {
        Some(ip) => ip.to_string(),
        None => fresh.next().expect("free IPs never run out"),
    };
    secondary.extend(fresh.take(extra as usize));
    let id = new_id("eni");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    let eni = NetworkInterface {
        network_interface_id: id.clone(),
        network_interface_name: text("NetworkInterfaceName"),
        description: text("Description"),
        region_id: region,
        zone_id,
        vpc_id,
        vswitch_id,
        security_group_ids: groups,
        primary_ip,
        secondary_ips: secondary,
        mac_address: mac_of(&id),
        status: AVAILABLE.into(),
        instance_id: String::new(),
        device_index: 0,
        delete_on_release: request.bool("DeleteOnRelease")?.unwrap_or(false),
        creation_time: utc_time(ctx.now),
        resource_group_id: text("ResourceGroupId"),
        tags: tags.into_iter().collect(),
    };
    let mut body = eni_json(cloud, &eni);
    cloud.network_interfaces.insert(id, eni);
    if let Some(body) = body.as_object_mut() {
        for field in [
            "InstanceId",
            "Attachment",
            "AssociatedPublicIp",
            "CreationTime",
            "DeleteOnRelease",
            "QueueNumber",
            "QueuePairNumber",
            "NetworkInterfaceTrafficMode",
        ] {
            body.remove(field);
        }
        if let Some(Value::Array(ips)) = body
            .get_mut("PrivateIpSets")
            .and_then(|sets| sets.get_mut("PrivateIpSet"))
        {
            for ip in ips.iter_mut().filter_map(Value::as_object_mut) {
                ip.retain(|key, _| key == "PrivateIpAddress" || key == "Primary");
            }
        }
    }
    Ok(body)
}

/// DescribeNetworkInterfaces: primary and secondary interfaces of the region; filters
/// `NetworkInterfaceId.N`, `InstanceId`, `Type`, `Status`, `VSwitchId`, `VpcId`,
/// `PrimaryIpAddress`, `PrivateIpAddress.N`, `SecurityGroupId`, `NetworkInterfaceName`, `Tag.N`.
pub fn describe_network_interfaces(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = repeated_or_single(request, "NetworkInterfaceId")?;
    let private_ips = repeated_or_single(request, "PrivateIpAddress")?.unwrap_or_default();
    let tags = tag_list(request)?;
    let equals = |name: &str, actual: &str| request.get(name).is_none_or(|wanted| wanted == actual);
    let selected: Vec<Value> = all_interfaces(cloud)
        .filter(|eni| eni.region_id == region)
        .filter(|eni| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&eni.network_interface_id))
        })
        .filter(|eni| {
            let kind = if eni.device_index == 0 && !eni.instance_id.is_empty() {
                "Primary"
            } else {
                "Secondary"
            };
            equals("InstanceId", &eni.instance_id)
                && equals("Type", kind)
                && equals("Status", &eni.status)
                && equals("VSwitchId", &eni.vswitch_id)
                && equals("VpcId", &eni.vpc_id)
                && equals("PrimaryIpAddress", &eni.primary_ip)
                && equals("NetworkInterfaceName", &eni.network_interface_name)
        })
        .filter(|eni| {
            request
                .get("SecurityGroupId")
                .is_none_or(|group| eni.security_group_ids.iter().any(|id| id == group))
        })
        .filter(|eni| {
            private_ips.is_empty()
                || private_ips
                    .iter()
                    .any(|ip| *ip == eni.primary_ip || eni.secondary_ips.contains(ip))
        })
        .filter(|eni| matches_tags(&eni.tags, &tags))
        .map(|eni| eni_json(cloud, &eni))
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::TOKEN_100)?;
    Ok(list_body(
        "NetworkInterfaceSets",
        "NetworkInterfaceSet",
        page,
        paging,
    ))
}

fn secondary<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a NetworkInterface, AcsError> {
    if let Some(owner) = cloud
        .instances
        .values()
        .find(|instance| primary_eni_id(&instance.instance_id) == id)
    {
        return Err(AcsError::new(
            INCORRECT_NETWORK_INTERFACE_STATUS,
            format!(
                "The network interface {id} is the primary interface of {}.",
                owner.instance_id
            ),
        ));
    }
    cloud.network_interfaces.get(id).ok_or_else(|| {
        not_found(
            INVALID_NETWORK_INTERFACE_ID_NOT_FOUND,
            "NetworkInterfaceId",
            id,
        )
    })
}

fn wrong_state(eni: &NetworkInterface, operation: &str) -> AcsError {
    AcsError::new(
        INCORRECT_NETWORK_INTERFACE_STATUS,
        format!(
            "{operation} is not allowed: the network interface {} is {}.",
            eni.network_interface_id, eni.status
        ),
    )
}

/// AttachNetworkInterface: an `Available` interface to a Running or Stopped instance of its
/// zone, within the instance type's interface quota (`EniPerInstanceLimitExceeded`).
pub fn attach_network_interface(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let eni_id = request.require("NetworkInterfaceId")?.to_string();
    let instance_id = request.require("InstanceId")?.to_string();
    let eni = secondary(cloud, &eni_id)?;
    let target = instance(cloud, &instance_id)?;
    if eni.status != AVAILABLE {
        return Err(wrong_state(eni, "AttachNetworkInterface"));
    }
    require_status(
        target,
        &[status::RUNNING, status::STOPPED],
        "AttachNetworkInterface",
    )?;
    if eni.zone_id != target.zone_id {
        return Err(AcsError::invalid_parameter(
            "NetworkInterfaceId",
            format!(
                "the interface is in {} and the instance in {}",
                eni.zone_id, target.zone_id
            ),
        ));
    }
    let attached = cloud
        .network_interfaces
        .values()
        .filter(|other| other.instance_id == instance_id)
        .count() as i64;
    let (cpu, _) = type_shape(&target.instance_type);
    if attached + 1 >= (cpu / 2 + 1).min(8) {
        return Err(AcsError::new(
            ENI_PER_INSTANCE_LIMIT_EXCEEDED,
            format!(
                "The instance type {} allows no more network interfaces.",
                target.instance_type
            ),
        ));
    }
    let eni = cloud
        .network_interfaces
        .get_mut(&eni_id)
        .expect("checked above");
    eni.status = IN_USE.into();
    eni.instance_id = instance_id;
    eni.device_index = attached + 1;
    Ok(json!({}))
}

/// DetachNetworkInterface: an `InUse` secondary interface from its instance.
pub fn detach_network_interface(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let eni_id = request.require("NetworkInterfaceId")?.to_string();
    let instance_id = request.require("InstanceId")?.to_string();
    instance(cloud, &instance_id)?;
    let eni = secondary(cloud, &eni_id)?;
    if eni.status != IN_USE || eni.instance_id != instance_id {
        return Err(wrong_state(eni, "DetachNetworkInterface"));
    }
    let eni = cloud
        .network_interfaces
        .get_mut(&eni_id)
        .expect("checked above");
    eni.status = AVAILABLE.into();
    eni.instance_id.clear();
    eni.device_index = 0;
    Ok(json!({}))
}

/// DeleteNetworkInterface: an `Available` secondary interface.
pub fn delete_network_interface(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let eni_id = request.require("NetworkInterfaceId")?.to_string();
    let eni = secondary(cloud, &eni_id)?;
    if eni.status != AVAILABLE {
        return Err(wrong_state(eni, "DeleteNetworkInterface"));
    }
    cloud.network_interfaces.shift_remove(&eni_id);
    Ok(json!({}))
}

/// When instance `id` is released: its `DeleteOnRelease` interfaces go, the others are detached.
pub fn release_with_instance(cloud: &mut Cloud, id: &str) {
    cloud
        .network_interfaces
        .retain(|_, eni| !(eni.instance_id == id && eni.delete_on_release));
    for eni in cloud
        .network_interfaces
        .values_mut()
        .filter(|eni| eni.instance_id == id)
    {
        eni.status = AVAILABLE.into();
        eni.instance_id.clear();
        eni.device_index = 0;
    }
}

/// AssignPrivateIpAddresses: `PrivateIpAddress.N` or `SecondaryPrivateIpAddressCount` free
/// addresses to an interface (primary or secondary), within the type's per-interface quota.
pub fn assign_private_ip_addresses(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let eni_id = request.require("NetworkInterfaceId")?.to_string();
    let eni = all_interfaces(cloud)
        .find(|eni| eni.network_interface_id == eni_id)
        .ok_or_else(|| {
            not_found(
                INVALID_NETWORK_INTERFACE_ID_NOT_FOUND,
                "NetworkInterfaceId",
                &eni_id,
            )
        })?;
    let mut wanted = request.repeated("PrivateIpAddress");
    let count = request.int("SecondaryPrivateIpAddressCount")?.unwrap_or(0);
    if wanted.is_empty() == (count == 0) {
        return Err(AcsError::invalid_parameter(
            "SecondaryPrivateIpAddressCount",
            "give either PrivateIpAddress.N or a positive SecondaryPrivateIpAddressCount",
        ));
    }
    if let Some(taken) = wanted.iter().find(|ip| {
        all_interfaces(cloud)
            .any(|other| other.primary_ip == **ip || other.secondary_ips.contains(ip))
    }) {
        return Err(AcsError::invalid_parameter(
            "PrivateIpAddress",
            format!("{taken} is in use"),
        ));
    }
    wanted.extend(free_ips(cloud, count.clamp(0, 50) as usize));
    let quota = cloud
        .instances
        .get(&eni.instance_id)
        .map_or(10, |owner| (type_shape(&owner.instance_type).0 * 3).min(20))
        as usize;
    if eni.secondary_ips.len() + wanted.len() + 1 > quota {
        return Err(AcsError::new(
            IPV4_COUNT_EXCEEDED,
            format!("The network interface {eni_id} allows at most {quota} private IPs."),
        ));
    }
    match cloud.network_interfaces.get_mut(&eni_id) {
        Some(secondary) => secondary.secondary_ips.extend(wanted.iter().cloned()),
        None => {
            let owner = cloud
                .instances
                .get_mut(&eni.instance_id)
                .expect("a primary interface has its instance");
            owner
                .settings
                .secondary_private_ips
                .extend(wanted.iter().cloned());
        }
    }
    Ok(json!({"AssignedPrivateIpAddressesSet": {
        "NetworkInterfaceId": eni_id,
        "PrivateIpSet": {"PrivateIpAddress": wanted},
        "Ipv4PrefixSet": {"Ipv4Prefixes": []},
    }}))
}

/// The `NetworkInterfaces.NetworkInterface[]` of an instance in DescribeInstances: its primary
/// interface, then the secondary ones attached to it.
pub fn instance_interfaces_json(instance: &Instance, cloud: &Cloud) -> Vec<Value> {
    std::iter::once(primary_of(instance))
        .chain(cloud.network_interfaces.values().filter(|eni| eni.instance_id == instance.instance_id).cloned())
        .map(|eni| {
            let ips: Vec<Value> = std::iter::once((&eni.primary_ip, true))
                .chain(eni.secondary_ips.iter().map(|ip| (ip, false)))
                .map(|(ip, primary)| json!({"PrivateIpAddress": ip, "Primary": primary, "PrivateDnsName": ""}))
                .collect();
            json!({
                "NetworkInterfaceId": eni.network_interface_id,
                "PrimaryIpAddress": eni.primary_ip,
                "MacAddress": eni.mac_address,
                "Type": if eni.device_index == 0 { "Primary" } else { "Secondary" },
                "PrivateIpSets": {"PrivateIpSet": ips},
                "Ipv6Sets": {"Ipv6Set": []},
                "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
                "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
            })
        })
        .collect()
}
