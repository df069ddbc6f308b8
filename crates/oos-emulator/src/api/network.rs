//! VPC networks (API version 2016-04-28): one VPC per region and one vSwitch per zone, the
//! ones instances are placed in. DescribeVpcs, DescribeVSwitches.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, list_body, paginate};
use crate::provision::{vpc_of, vswitch_of};
use crate::state::Cloud;

const LIMITS: PageLimits = PageLimits::NUMBERED_50;

/// DescribeVpcs: the region's VPC (filter `VpcId`, comma-separated).
pub fn describe_vpcs(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let region = cloud.region(&region_id).expect("validated by Ctx::region");
    let vpc_id = vpc_of(&region_id);
    let wanted = request
        .get("VpcId")
        .is_none_or(|ids| ids.split(',').any(|id| id.trim() == vpc_id));
    let vpcs: Vec<Value> = wanted
        .then(|| {
            let described = json!({
                "VpcId": vpc_id,
                "VpcName": "default",
                "RegionId": region_id,
                "CidrBlock": "172.16.0.0/12",
                "Status": "Available",
                "IsDefault": true,
                "CreationTime": "2020-01-01T00:00:00Z",
                "VSwitchIds": {"VSwitchId": region.zones.iter().map(|zone| vswitch_of(zone)).collect::<Vec<_>>()},
                "Description": "",
                "VRouterId": format!("vrt-{}", vpc_id.trim_start_matches("vpc-")),
                "RouterTableIds": {"RouterTableIds": [format!("vtb-{}", vpc_id.trim_start_matches("vpc-"))]},
                "ResourceGroupId": "",
                "Tags": {"Tag": []},
                "EnabledIpv6": false,
                "DnsHostnameStatus": "DISABLED",
            });
            // features not modelled: IPv6, CEN, DHCP option sets, NAT gateways, secondary CIDRs
            super::params::with_unmodelled(described, json!({
                "CenStatus": "", "DhcpOptionsSetId": "", "DhcpOptionsSetStatus": "", "Ipv6CidrBlock": "",
                "Ipv6CidrBlocks": {"Ipv6CidrBlock": []}, "NatGatewayIds": {"NatGatewayIds": []},
                "SecondaryCidrBlocks": {"SecondaryCidrBlock": []}, "UserCidrs": {"UserCidr": []},
            }))
        })
        .into_iter()
        .collect();
    let (page, paging) = paginate(request, vpcs, LIMITS)?;
    Ok(list_body("Vpcs", "Vpc", page, paging))
}

/// DescribeVSwitches: one per zone of the region (filters `VpcId`, `ZoneId`, `VSwitchId`).
pub fn describe_vswitches(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let region = cloud.region(&region_id).expect("validated by Ctx::region");
    let vpc_id = vpc_of(&region_id);
    let switches: Vec<Value> = region
        .zones
        .iter()
        .enumerate()
        .map(|(index, zone)| (index, zone, vswitch_of(zone)))
        .filter(|_| request.get("VpcId").is_none_or(|wanted| wanted == vpc_id))
        .filter(|(_, zone, _)| {
            request
                .get("ZoneId")
                .is_none_or(|wanted| wanted == zone.as_str())
        })
        .filter(|(_, _, id)| request.get("VSwitchId").is_none_or(|wanted| wanted == id))
        .map(|(index, zone, id)| {
            let used = cloud
                .instances
                .values()
                .filter(|instance| instance.vswitch_id == id)
                .count() as i64;
            json!({
                "VSwitchId": id,
                "VSwitchName": format!("default-{zone}"),
                "VpcId": vpc_id,
                "ZoneId": zone,
                "CidrBlock": format!("172.16.{}.0/20", index * 16),
                "Status": "Available",
                "IsDefault": true,
                "AvailableIpAddressCount": 4093 - used,
                "CreationTime": "2020-01-01T00:00:00Z",
                "Description": "",
                "ResourceGroupId": "",
                "Tags": {"Tag": []},
                "RouteTable": {"RouteTableId": format!("vtb-{}", vpc_id.trim_start_matches("vpc-")), "RouteTableType": "System"},
                "ShareType": "Sharing",
                "EnabledIpv6": false,
                "Ipv6CidrBlock": "",
                "NetworkAclId": "",
            })
        })
        .collect();
    let (page, paging) = paginate(request, switches, LIMITS)?;
    Ok(list_body("VSwitches", "VSwitch", page, paging))
}
