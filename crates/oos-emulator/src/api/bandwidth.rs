//! Common bandwidth packages (VPC API 2016-04-28): create, describe, add and remove EIPs
//! (`IpInstanceId` = AllocationId), delete (refused while EIPs are in it).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, check_dry_run, list_body, matches_tags, paginate, tag_list};
use crate::errors::{INVALID_ALLOCATION_ID_NOT_FOUND, not_found};
use crate::model::Tags;
use crate::network_model::BandwidthPackage;
use crate::state::{Cloud, new_id, utc_time};

/// Most EIPs one package holds.
const MAX_EIPS_PER_PACKAGE: usize = 300;

fn package_not_found(id: &str) -> AcsError {
    AcsError::with_code(
        "InvalidBandwidthPackageId.NotFound",
        404,
        format!("The specified BandwidthPackageId does not exist: {id}."),
    )
}

fn package_id(cloud: &Cloud, request: &RpcRequest, region: &str) -> Result<String, AcsError> {
    let id = request.require("BandwidthPackageId")?;
    cloud
        .networks
        .bandwidth_packages
        .get(id)
        .filter(|package| package.region_id == region)
        .map(|package| package.bandwidth_package_id.clone())
        .ok_or_else(|| package_not_found(id))
}

/// The package an EIP is in, if any.
pub fn package_of(cloud: &Cloud, allocation_id: &str) -> Option<String> {
    cloud
        .networks
        .bandwidth_packages
        .values()
        .find(|package| package.eips.iter().any(|eip| eip == allocation_id))
        .map(|package| package.bandwidth_package_id.clone())
}

/// CreateCommonBandwidthPackage: `Bandwidth` (Mbit/s, 1–5000) is required.
pub fn create_common_bandwidth_package(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let bandwidth = request
        .int("Bandwidth")?
        .ok_or_else(|| AcsError::missing_parameter("Bandwidth"))?;
    if !(1..=5000).contains(&bandwidth) {
        return Err(AcsError::invalid_parameter(
            "Bandwidth",
            "must be 1-5000 Mbit/s",
        ));
    }
    let tags: Tags = tag_list(request)?.into_iter().collect();
    let id = new_id("cbwp");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.networks.bandwidth_packages.insert(
        id.clone(),
        BandwidthPackage {
            bandwidth_package_id: id.clone(),
            name: text("Name"),
            description: text("Description"),
            region_id: region,
            bandwidth,
            internet_charge_type: request
                .get("InternetChargeType")
                .unwrap_or("PayByBandwidth")
                .to_string(),
            isp: request.get("ISP").unwrap_or("BGP").to_string(),
            ratio: request.int("Ratio")?.unwrap_or(100),
            status: "Available".into(),
            creation_time: utc_time(ctx.now),
            resource_group_id: text("ResourceGroupId"),
            eips: Vec::new(),
            tags,
        },
    );
    Ok(json!({"BandwidthPackageId": id, "ResourceGroupId": text("ResourceGroupId")}))
}

/// DescribeCommonBandwidthPackages: filters `BandwidthPackageId`, `Name`, `ResourceGroupId`, `Tag.N`.
pub fn describe_common_bandwidth_packages(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let tags = tag_list(request)?;
    let selected: Vec<Value> = cloud
        .networks
        .bandwidth_packages
        .values()
        .filter(|package| package.region_id == region)
        .filter(|package| request.get("BandwidthPackageId").is_none_or(|id| id == package.bandwidth_package_id))
        .filter(|package| request.get("Name").is_none_or(|name| name == package.name))
        .filter(|package| request.get("ResourceGroupId").is_none_or(|group| group == package.resource_group_id))
        .filter(|package| matches_tags(&package.tags, &tags))
        .map(|package| {
            let addresses: Vec<Value> = package
                .eips
                .iter()
                .filter_map(|id| cloud.eips.get(id))
                .map(|address| json!({"AllocationId": address.allocation_id, "IpAddress": address.ip_address,
                                      "BandwidthPackageIpRelationStatus": "BINDED"}))
                .collect();
            json!({
                "BandwidthPackageId": package.bandwidth_package_id,
                "Name": package.name,
                "Description": package.description,
                "RegionId": package.region_id,
                "Bandwidth": package.bandwidth.to_string(),
                "InternetChargeType": package.internet_charge_type,
                "InstanceChargeType": "PostPaid",
                "ISP": package.isp,
                "Ratio": package.ratio,
                "Status": package.status,
                "BusinessStatus": "Normal",
                "BizType": "",
                "CreationTime": package.creation_time,
                "ExpiredTime": "",
                "DeletionProtection": false,
                "HasReservationData": "false",
                "ReservationActiveTime": "",
                "ReservationBandwidth": "",
                "ReservationInternetChargeType": "",
                "ReservationOrderType": "",
                "ResourceGroupId": package.resource_group_id,
                "ServiceManaged": 0,
                "Zone": "",
                "SecurityProtectionTypes": {"SecurityProtectionType": []},
                "PublicIpAddresses": {"PublicIpAddresse": addresses},
                "Tags": {"Tag": package.tags.iter().map(|(key, value)| json!({"Key": key, "Value": value})).collect::<Vec<_>>()},
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    Ok(list_body(
        "CommonBandwidthPackages",
        "CommonBandwidthPackage",
        page,
        paging,
    ))
}

/// AddCommonBandwidthPackageIp: an EIP of the region joins the package (an EIP is in at most
/// one package).
pub fn add_common_bandwidth_package_ip(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = package_id(cloud, request, &region)?;
    let allocation = request.require("IpInstanceId")?.to_string();
    if cloud
        .eips
        .get(&allocation)
        .is_none_or(|address| address.region_id != region)
    {
        return Err(not_found(
            INVALID_ALLOCATION_ID_NOT_FOUND,
            "IpInstanceId",
            &allocation,
        ));
    }
    if let Some(other) = package_of(cloud, &allocation) {
        return Err(AcsError::with_code(
            "OperationFailed.IpInstanceInBandwidthPackage",
            400,
            format!("The EIP {allocation} is already in bandwidth package {other}."),
        ));
    }
    let package = &cloud.networks.bandwidth_packages[&id];
    if package.eips.len() >= MAX_EIPS_PER_PACKAGE {
        return Err(AcsError::with_code(
            "QuotaExceeded.EipsInBandwidthPackage",
            400,
            format!("The bandwidth package {id} holds {MAX_EIPS_PER_PACKAGE} EIPs already."),
        ));
    }
    check_dry_run(request)?;
    cloud
        .networks
        .bandwidth_packages
        .get_mut(&id)
        .expect("checked above")
        .eips
        .push(allocation);
    Ok(json!({}))
}

/// RemoveCommonBandwidthPackageIp: the EIP leaves the package.
pub fn remove_common_bandwidth_package_ip(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = package_id(cloud, request, &region)?;
    let allocation = request.require("IpInstanceId")?.to_string();
    let package = cloud
        .networks
        .bandwidth_packages
        .get_mut(&id)
        .expect("checked above");
    if !package.eips.contains(&allocation) {
        return Err(AcsError::with_code(
            "OperationFailed.IpInstanceNotInBandwidthPackage",
            400,
            format!("The EIP {allocation} is not in bandwidth package {id}."),
        ));
    }
    check_dry_run(request)?;
    package.eips.retain(|eip| *eip != allocation);
    Ok(json!({}))
}

/// DeleteCommonBandwidthPackage: refused while EIPs are in it unless `Force=true`.
pub fn delete_common_bandwidth_package(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = package_id(cloud, request, &region)?;
    let package = &cloud.networks.bandwidth_packages[&id];
    if !package.eips.is_empty() && !request.bool("Force")?.unwrap_or(false) {
        return Err(AcsError::with_code(
            "DependencyViolation.BandwidthPackageIps",
            400,
            format!(
                "The bandwidth package {id} still holds EIPs: {}.",
                package.eips.join(", ")
            ),
        ));
    }
    cloud.networks.bandwidth_packages.shift_remove(&id);
    Ok(json!({}))
}
