//! VPC elastic IP actions (API version 2016-04-28): allocate, associate, unassociate,
//! release, describe.

use oos_acs::{AcsError, RpcRequest};
use rand::Rng;
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{Ctx, PageLimits, check_dry_run, list_body, paginate, tags_json};
use crate::errors::{INCORRECT_EIP_STATUS, INVALID_ALLOCATION_ID_NOT_FOUND, not_found};
use crate::model::{Eip, Tags};
use crate::state::{Cloud, new_id, utc_time};

fn eip<'a>(cloud: &'a Cloud, id: &str) -> Result<&'a Eip, AcsError> {
    cloud
        .eips
        .get(id)
        .ok_or_else(|| not_found(INVALID_ALLOCATION_ID_NOT_FOUND, "AllocationId", id))
}

fn wrong_status(id: &str, status: &str, operation: &str) -> AcsError {
    AcsError::new(
        INCORRECT_EIP_STATUS,
        format!("The EIP {id} is {status}; {operation} is not allowed."),
    )
}

/// A free (`Available`) EIP of `region`.
pub(crate) fn new_eip(id: &str, ip: &str, region: &str, bandwidth: &str, charge_type: &str, now: &str) -> Eip {
    Eip {
        allocation_id: id.to_string(),
        ip_address: ip.to_string(),
        name: String::new(),
        region_id: region.to_string(),
        status: "Available".into(),
        instance_id: String::new(),
        instance_type: String::new(),
        bandwidth: bandwidth.to_string(),
        internet_charge_type: charge_type.to_string(),
        allocation_time: now.to_string(),
        tags: Tags::new(),
    }
}

/// The instance whose EIP an EIP bound to `target` is: the instance itself, or the owner of a
/// primary network interface (`instance_type` NetworkInterface); `None` for other interfaces.
fn owner_of(cloud: &Cloud, target: &str, instance_type: &str) -> Option<String> {
    if instance_type != "NetworkInterface" {
        return Some(target.to_string());
    }
    super::interfaces::find_interface(cloud, target)
        .filter(|eni| eni.device_index == 0 && !eni.instance_id.is_empty())
        .map(|eni| eni.instance_id)
}

/// Binds the EIP `id` to `target`, an instance or a network interface (both checked by the caller).
pub(crate) fn bind(cloud: &mut Cloud, id: &str, target: &str, instance_type: &str) {
    let owner = owner_of(cloud, target, instance_type);
    let address = cloud.eips.get_mut(id).expect("checked by the caller");
    address.status = "InUse".into();
    address.instance_id = target.to_string();
    address.instance_type = instance_type.to_string();
    if let Some(instance) = owner.and_then(|owner| cloud.instances.get_mut(&owner)) {
        instance.eip_allocation_id = Some(id.to_string());
    }
}

/// AllocateEipAddress.
pub fn allocate_eip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = new_id("eip");
    let mut rng = rand::rng();
    let ip = format!(
        "47.{}.{}.{}",
        rng.random_range(1..255),
        rng.random_range(0..255),
        rng.random_range(1..255)
    );
    let mut address = new_eip(
        &id,
        &ip,
        &region,
        request.get("Bandwidth").unwrap_or("5"),
        request.get("InternetChargeType").unwrap_or("PayByTraffic"),
        &utc_time(ctx.now),
    );
    address.name = request.get("Name").unwrap_or_default().to_string();
    cloud.eips.insert(id.clone(), address);
    Ok(json!({"AllocationId": id, "EipAddress": ip, "ResourceGroupId": "", "OrderId": 0}))
}

/// AssociateEipAddress with an ECS instance, or (`InstanceType` NetworkInterface) a network
/// interface: an EIP of a primary interface is also its instance's.
pub fn associate_eip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("AllocationId")?.to_string();
    let instance_id = request.require("InstanceId")?.to_string();
    let found = eip(cloud, &id)?;
    if found.status != "Available" {
        return Err(wrong_status(&id, &found.status, "AssociateEipAddress"));
    }
    let kind = request.get("InstanceType").unwrap_or("EcsInstance");
    if kind == "NetworkInterface" {
        super::interfaces::find_interface(cloud, &instance_id)
            .ok_or_else(|| {
                let code = oos_acs::ErrorCode::INVALID_INSTANCE_ID_NOT_FOUND;
                not_found(code, "network interface", &instance_id)
            })?;
    } else {
        require_instance(cloud, &instance_id)?;
    }
    let owner_eip = owner_of(cloud, &instance_id, kind)
        .and_then(|owner| cloud.instances.get(&owner)?.eip_allocation_id.clone());
    let bound = cloud.eips.values().find(|eip| eip.instance_id == instance_id);
    if let Some(other) = owner_eip.or_else(|| bound.map(|eip| eip.allocation_id.clone())) {
        return Err(AcsError::with_code(
            "InvalidAssociation.Duplicated",
            400,
            format!("The instance {instance_id} already has EIP {other}."),
        ));
    }
    check_dry_run(request)?;
    bind(cloud, &id, &instance_id, kind);
    Ok(json!({}))
}

/// UnassociateEipAddress.
pub fn unassociate_eip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("AllocationId")?.to_string();
    let found = eip(cloud, &id)?;
    if found.status != "InUse" {
        return Err(wrong_status(&id, &found.status, "UnassociateEipAddress"));
    }
    for instance in cloud.instances.values_mut() {
        if instance.eip_allocation_id.as_deref() == Some(id.as_str()) {
            instance.eip_allocation_id = None;
        }
    }
    let address = cloud.eips.get_mut(&id).expect("checked above");
    address.status = "Available".into();
    address.instance_id.clear();
    address.instance_type.clear();
    Ok(json!({}))
}

/// ReleaseEipAddress: only an Available EIP.
pub fn release_eip_address(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("AllocationId")?.to_string();
    let found = eip(cloud, &id)?;
    if found.status != "Available" {
        return Err(wrong_status(&id, &found.status, "ReleaseEipAddress"));
    }
    cloud.eips.shift_remove(&id);
    Ok(json!({}))
}

/// DescribeEipAddresses: AllocationId (comma-separated), EipAddress, Status,
/// AssociatedInstanceId, paging up to 100.
pub fn describe_eip_addresses(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = super::params::comma_ids(request, "AllocationId");
    let selected: Vec<Value> = cloud
        .eips
        .values()
        .filter(|address| address.region_id == region)
        .filter(|address| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&address.allocation_id.as_str()))
        })
        .filter(|address| {
            request
                .get("EipAddress")
                .is_none_or(|ip| ip.split(',').any(|ip| ip.trim() == address.ip_address))
        })
        .filter(|address| {
            request
                .get("Status")
                .is_none_or(|status| status == address.status)
        })
        .filter(|address| {
            request
                .get("AssociatedInstanceId")
                .is_none_or(|instance| instance == address.instance_id)
        })
        .map(|address| {
            let described = json!({
                "AllocationId": address.allocation_id,
                "IpAddress": address.ip_address,
                "Name": address.name,
                "RegionId": address.region_id,
                "Status": address.status,
                "InstanceId": address.instance_id,
                "InstanceType": address.instance_type,
                "InstanceRegionId": address.region_id,
                "Bandwidth": address.bandwidth,
                "InternetChargeType": address.internet_charge_type,
                "ChargeType": "PostPaid",
                "AllocationTime": address.allocation_time,
                "BandwidthPackageId": super::bandwidth::package_of(cloud, &address.allocation_id)
                    .unwrap_or_default(),
                "Tags": tags_json(&address.tags),
                "VpcId": "",
                "PrivateIpAddress": "",
                "Mode": "NAT",
                "Netmode": "public",
                "ISP": "BGP",
                "EipBandwidth": address.bandwidth,
                "BusinessStatus": "Normal",
                "OperationLocks": {"LockReason": []},
                "ExpiredTime": "",
                "DeletionProtection": false,
                "SecondLimited": false,
                "Description": "",
                "ResourceGroupId": "",
            });
            // features not modelled: bandwidth packages, reservations, IP pools, anti-DDoS, managed EIPs
            super::params::with_unmodelled(described, json!({
                "BandwidthPackageBandwidth": "", "BandwidthPackageId": "", "BandwidthPackageType": "", "BizType": "",
                "HDMonitorStatus": "", "HasReservationData": "", "PublicIpAddressPoolId": "", "ReservationActiveTime": "",
                "ReservationBandwidth": "", "ReservationInternetChargeType": "", "ReservationOrderType": "",
                "SecurityProtectionTypes": {"SecurityProtectionType": []}, "SegmentInstanceId": "", "ServiceID": 0,
                "ServiceManaged": 0, "Zone": "",
            }))
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body("EipAddresses", "EipAddress", page, paging))
}
