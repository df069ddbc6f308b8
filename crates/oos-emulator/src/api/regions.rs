//! DescribeRegions and DescribeZones.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::Ctx;
use crate::state::Cloud;

/// The regions with `product`'s endpoints; `status` adds ECS's `Status` (VPC's model has none).
fn regions_json(cloud: &Cloud, product: &str, status: bool) -> Value {
    let regions: Vec<Value> = cloud
        .regions
        .iter()
        .map(|region| {
            let mut item = json!({"RegionId": region.region_id, "LocalName": region.local_name,
                                  "RegionEndpoint": format!("{product}.{}.aliyuncs.com", region.region_id)});
            if status {
                item["Status"] = json!("available");
            }
            item
        })
        .collect();
    json!({"Regions": {"Region": regions}})
}

pub fn describe_regions(
    cloud: &mut Cloud,
    _request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    Ok(regions_json(cloud, "ecs", true))
}

/// Auto Scaling's DescribeRegions: the same regions, with ESS endpoints; every region offers
/// both classic and VPC networks.
pub fn describe_ess_regions(
    cloud: &mut Cloud,
    _request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let mut body = regions_json(cloud, "ess", false);
    for region in body["Regions"]["Region"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        region["ClassicUnavailable"] = json!(false);
        region["VpcUnavailable"] = json!(false);
    }
    Ok(body)
}

/// VPC's DescribeRegions: the same regions, with VPC endpoints.
pub fn describe_vpc_regions(
    cloud: &mut Cloud,
    _request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    Ok(regions_json(cloud, "vpc", false))
}

pub fn describe_zones(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let region = cloud.region(&region_id).expect("validated by Ctx::region");
    let zones: Vec<Value> = region
        .zones
        .iter()
        .map(|zone| {
            json!({"ZoneId": zone, "LocalName": zone, "ZoneType": "AvailabilityZone",
                   "AvailableResourceCreation": {"ResourceTypes": ["Instance", "Disk", "VSwitch"]},
                   "AvailableInstanceTypes": {"InstanceTypes": super::instance_types::instance_types()},
                   "AvailableDiskCategories": {"DiskCategories": super::instance_types::DISK_CATEGORIES},
                   "AvailableVolumeCategories": {"VolumeCategories": []}, "AvailableResources": {"ResourcesInfo": []},
                   "AvailableDedicatedHostTypes": {"DedicatedHostType": []}, "DedicatedHostGenerations": {"DedicatedHostGeneration": []}})
        })
        .collect();
    Ok(json!({"Zones": {"Zone": zones}}))
}
