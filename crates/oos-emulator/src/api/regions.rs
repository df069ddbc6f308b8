//! DescribeRegions and DescribeZones.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::Ctx;
use crate::state::Cloud;

pub fn describe_regions(
    cloud: &mut Cloud,
    _request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let regions: Vec<Value> = cloud
        .regions
        .iter()
        .map(|region| {
            json!({"RegionId": region.region_id, "LocalName": region.local_name, "Status": "available",
                   "RegionEndpoint": format!("ecs.{}.aliyuncs.com", region.region_id)})
        })
        .collect();
    Ok(json!({"Regions": {"Region": regions}}))
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
                   "AvailableDiskCategories": {"DiskCategories": super::instance_types::DISK_CATEGORIES}})
        })
        .collect();
    Ok(json!({"Zones": {"Zone": zones}}))
}
