//! VPC networks (API version 2016-04-28; DescribeVSwitches and DescribeVpcs are also served
//! under ECS's version, as templates call them): each region's implicit default VPC with one
//! default vSwitch per zone, plus VPCs and vSwitches made with CreateVpc/CreateVSwitch (Available at
//! once); DeleteVSwitch and DeleteVpc refuse while something is inside.

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, check_dry_run, list_body, matches_tags, paginate, tag_list};
use crate::model::Tags;
use crate::network_model::{VSwitch, Vpc};
use crate::provision::{vpc_of, vswitch_of};
use crate::state::{Cloud, new_id, utc_time};

const LIMITS: PageLimits = PageLimits::NUMBERED_50;

/// The fields ECS's older DescribeVpcs (2014-05-26) answers with; VPC's own version has more.
const ECS_VPC_FIELDS: [&str; 11] = [
    "VpcId",
    "VpcName",
    "Description",
    "RegionId",
    "CidrBlock",
    "Status",
    "IsDefault",
    "CreationTime",
    "VRouterId",
    "VSwitchIds",
    "UserCidrs",
];

/// The default VPC's and vSwitches' creation time.
const DEFAULT_CREATION_TIME: &str = "2020-01-01T00:00:00Z";

/// `{"Tag": [{"Key","Value"}]}` (the VPC API's spelling).
fn vpc_tags_json(tags: &Tags) -> Value {
    json!({"Tag": tags.iter().map(|(key, value)| json!({"Key": key, "Value": value})).collect::<Vec<_>>()})
}

/// Every VPC of `region`: the default one first, then the created ones.
fn vpcs_of(cloud: &Cloud, region: &str) -> Vec<Vpc> {
    let default = Vpc {
        vpc_id: vpc_of(region),
        vpc_name: "default".into(),
        description: String::new(),
        region_id: region.into(),
        cidr_block: "172.16.0.0/12".into(),
        status: "Available".into(),
        creation_time: DEFAULT_CREATION_TIME.into(),
        resource_group_id: String::new(),
        tags: Tags::new(),
    };
    std::iter::once(default)
        .chain(
            cloud
                .networks
                .vpcs
                .values()
                .filter(|vpc| vpc.region_id == region)
                .cloned(),
        )
        .collect()
}

/// Every vSwitch of `region`: one default per zone, then the created ones.
fn vswitches_of(cloud: &Cloud, region: &str) -> Vec<VSwitch> {
    let zones = cloud
        .region(region)
        .map(|found| found.zones.clone())
        .unwrap_or_default();
    zones
        .iter()
        .enumerate()
        .map(|(index, zone)| VSwitch {
            vswitch_id: vswitch_of(zone),
            vswitch_name: format!("default-{zone}"),
            description: String::new(),
            vpc_id: vpc_of(region),
            region_id: region.into(),
            zone_id: zone.clone(),
            cidr_block: format!("172.16.{}.0/20", index * 16),
            status: "Available".into(),
            creation_time: DEFAULT_CREATION_TIME.into(),
            tags: Tags::new(),
        })
        .chain(
            cloud
                .networks
                .vswitches
                .values()
                .filter(|vswitch| vswitch.region_id == region)
                .cloned(),
        )
        .collect()
}

fn listed(request: &RpcRequest, name: &str, value: &str) -> bool {
    request
        .get(name)
        .is_none_or(|ids| ids.split(',').any(|id| id.trim() == value))
}

/// DescribeVpcs: filters `VpcId` (comma-separated), `VpcName`, `IsDefault`, `Tag.N`.
pub fn describe_vpcs(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let tags = tag_list(request)?;
    let is_default = request.bool("IsDefault")?;
    let switches = vswitches_of(cloud, &region_id);
    let vpcs: Vec<Value> = vpcs_of(cloud, &region_id)
        .into_iter()
        .filter(|vpc| listed(request, "VpcId", &vpc.vpc_id))
        .filter(|vpc| {
            request
                .get("VpcName")
                .is_none_or(|name| name == vpc.vpc_name)
        })
        .filter(|vpc| is_default.is_none_or(|wanted| wanted == (vpc.vpc_id == vpc_of(&region_id))))
        .filter(|vpc| matches_tags(&vpc.tags, &tags))
        .map(|vpc| {
            let nat_gateways: Vec<&str> = cloud
                .networks
                .nat_gateways
                .values()
                .filter(|gateway| gateway.vpc_id == vpc.vpc_id)
                .map(|gateway| gateway.nat_gateway_id.as_str())
                .collect();
            let vswitch_ids: Vec<&str> = switches
                .iter()
                .filter(|vswitch| vswitch.vpc_id == vpc.vpc_id)
                .map(|vswitch| vswitch.vswitch_id.as_str())
                .collect();
            let suffix = vpc.vpc_id.trim_start_matches("vpc-");
            let mut item = json!({
                "VpcId": vpc.vpc_id,
                "VpcName": vpc.vpc_name,
                "Description": vpc.description,
                "RegionId": vpc.region_id,
                "CidrBlock": vpc.cidr_block,
                "Status": vpc.status,
                "IsDefault": vpc.vpc_id == vpc_of(&region_id),
                "CreationTime": vpc.creation_time,
                "ResourceGroupId": vpc.resource_group_id,
                "VRouterId": format!("vrt-{suffix}"),
                "RouterTableIds": {"RouterTableIds": [format!("vtb-{suffix}")]},
                "VSwitchIds": {"VSwitchId": vswitch_ids},
                "NatGatewayIds": {"NatGatewayIds": nat_gateways},
                "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
                "UserCidrs": {"UserCidr": []},
                "Ipv6CidrBlock": "",
                "Ipv6CidrBlocks": {"Ipv6CidrBlock": []},
                "EnabledIpv6": false,
                "CenStatus": "",
                "DhcpOptionsSetId": "",
                "DhcpOptionsSetStatus": "",
                "DnsHostnameStatus": "DISABLED",
                "OwnerId": crate::sts::DEFAULT_ACCOUNT_ID.parse::<i64>().unwrap_or_default(),
                "Tags": vpc_tags_json(&vpc.tags),
            });
            if request.version == super::ECS_VERSION {
                item.as_object_mut()
                    .expect("an object")
                    .retain(|field, _| ECS_VPC_FIELDS.contains(&field.as_str()));
            }
            item
        })
        .collect();
    let (page, paging) = paginate(request, vpcs, LIMITS)?;
    Ok(list_body("Vpcs", "Vpc", page, paging))
}

/// DescribeVSwitches: filters `VpcId`, `ZoneId`, `VSwitchId` (comma-separated),
/// `VSwitchName`, `IsDefault`, `Tag.N`.
pub fn describe_vswitches(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region_id = ctx.region(cloud, request)?;
    let tags = tag_list(request)?;
    let is_default = request.bool("IsDefault")?;
    let switches: Vec<Value> = vswitches_of(cloud, &region_id)
        .into_iter()
        .filter(|vswitch| request.get("VpcId").is_none_or(|wanted| wanted == vswitch.vpc_id))
        .filter(|vswitch| request.get("ZoneId").is_none_or(|wanted| wanted == vswitch.zone_id))
        .filter(|vswitch| listed(request, "VSwitchId", &vswitch.vswitch_id))
        .filter(|vswitch| request.get("VSwitchName").is_none_or(|name| name == vswitch.vswitch_name))
        .filter(|vswitch| is_default.is_none_or(|wanted| wanted == (vswitch.vswitch_id == vswitch_of(&vswitch.zone_id))))
        .filter(|vswitch| matches_tags(&vswitch.tags, &tags))
        .map(|vswitch| {
            let used = cloud.instances.values().filter(|instance| instance.vswitch_id == vswitch.vswitch_id).count() as i64;
            let prefix: i64 = vswitch.cidr_block.rsplit('/').next().and_then(|bits| bits.parse().ok()).unwrap_or(24);
            let size = (1_i64 << (32 - prefix.clamp(16, 29))) - 3;
            let mut item = json!({
                "VSwitchId": vswitch.vswitch_id,
                "VSwitchName": vswitch.vswitch_name,
                "Description": vswitch.description,
                "VpcId": vswitch.vpc_id,
                "ZoneId": vswitch.zone_id,
                "CidrBlock": vswitch.cidr_block,
                "Status": vswitch.status,
                "IsDefault": vswitch.vswitch_id == vswitch_of(&vswitch.zone_id),
                "AvailableIpAddressCount": size - used,
                "CreationTime": vswitch.creation_time,
                "ResourceGroupId": "",
                "Tags": vpc_tags_json(&vswitch.tags),
            });
            if request.version == super::VPC_VERSION {
                let extra = json!({
                    "EnabledIpv6": false, "Ipv6CidrBlock": "", "NetworkAclId": "", "ShareType": "",
                    "OwnerId": crate::sts::DEFAULT_ACCOUNT_ID.parse::<i64>().unwrap_or_default(),
                    "RouteTable": {"RouteTableId": format!("vtb-{}", vswitch.vpc_id.trim_start_matches("vpc-")), "RouteTableType": "System"},
                });
                item.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
            } else {
                item.as_object_mut().expect("an object").remove("Tags");
            }
            item
        })
        .collect();
    let (page, paging) = paginate(request, switches, LIMITS)?;
    Ok(list_body("VSwitches", "VSwitch", page, paging))
}

/// An IPv4 CIDR block as (network, prefix length).
fn parse_cidr(text: &str, name: &str) -> Result<(u32, u32), AcsError> {
    let invalid = || {
        AcsError::with_code(
            "InvalidCidrBlock.Malformed",
            400,
            format!("The {name} {text:?} is not a valid IPv4 CIDR block."),
        )
    };
    let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
    let address: std::net::Ipv4Addr = address.parse().map_err(|_| invalid())?;
    let prefix: u32 = prefix.parse().map_err(|_| invalid())?;
    if !(8..=29).contains(&prefix) {
        return Err(invalid());
    }
    let mask = u32::MAX << (32 - prefix);
    Ok((u32::from(address) & mask, prefix))
}

/// True when block `inner` lies inside block `outer`.
fn contains(outer: (u32, u32), inner: (u32, u32)) -> bool {
    inner.1 >= outer.1 && (inner.0 & (u32::MAX << (32 - outer.1))) == outer.0
}

fn overlaps(first: (u32, u32), second: (u32, u32)) -> bool {
    contains(first, second) || contains(second, first)
}

fn vpc_not_found(id: &str) -> AcsError {
    AcsError::with_code(
        "InvalidVpcID.NotFound",
        404,
        format!("The specified VpcId does not exist: {id}."),
    )
}

/// CreateVpc: `CidrBlock` (default 172.16.0.0/12; 10/8, 172.16/12, 192.168/16 or inside them).
pub fn create_vpc(cloud: &mut Cloud, request: &RpcRequest, ctx: &Ctx) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let cidr = request
        .get("CidrBlock")
        .unwrap_or("172.16.0.0/12")
        .to_string();
    let block = parse_cidr(&cidr, "CidrBlock")?;
    let private = [("10.0.0.0/8"), ("172.16.0.0/12"), ("192.168.0.0/16")]
        .iter()
        .any(|range| contains(parse_cidr(range, "range").expect("a valid range"), block));
    if !private {
        return Err(AcsError::with_code(
            "InvalidCidrBlock.Malformed",
            400,
            format!(
                "The CidrBlock {cidr} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."
            ),
        ));
    }
    let tags: Tags = tag_list(request)?.into_iter().collect();
    check_dry_run(request)?;
    let id = new_id("vpc");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.networks.vpcs.insert(
        id.clone(),
        Vpc {
            vpc_id: id.clone(),
            vpc_name: text("VpcName"),
            description: text("Description"),
            region_id: region,
            cidr_block: cidr,
            status: "Available".into(),
            creation_time: utc_time(ctx.now),
            resource_group_id: text("ResourceGroupId"),
            tags,
        },
    );
    let suffix = id.trim_start_matches("vpc-").to_string();
    Ok(
        json!({"VpcId": id, "VRouterId": format!("vrt-{suffix}"), "RouteTableId": format!("vtb-{suffix}"), "ResourceGroupId": text("ResourceGroupId")}),
    )
}

/// CreateVSwitch: `VpcId`, `ZoneId`, `CidrBlock` inside the VPC's and overlapping no other
/// vSwitch's (`InvalidCidrBlock.Overlapped`).
pub fn create_vswitch(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let vpc_id = request.require("VpcId")?.to_string();
    let zone = request.require("ZoneId")?.to_string();
    let cidr = request.require("CidrBlock")?.to_string();
    let vpc = vpcs_of(cloud, &region)
        .into_iter()
        .find(|vpc| vpc.vpc_id == vpc_id)
        .ok_or_else(|| vpc_not_found(&vpc_id))?;
    if !cloud
        .region(&region)
        .is_some_and(|found| found.zones.contains(&zone))
    {
        return Err(AcsError::with_code(
            "InvalidZoneId.NotFound",
            404,
            format!("The specified ZoneId does not exist: {zone}."),
        ));
    }
    let block = parse_cidr(&cidr, "CidrBlock")?;
    if !contains(parse_cidr(&vpc.cidr_block, "VPC CidrBlock")?, block) {
        return Err(AcsError::with_code(
            "InvalidCidrBlock.Malformed",
            400,
            format!(
                "The CidrBlock {cidr} is not inside the VPC's {}.",
                vpc.cidr_block
            ),
        ));
    }
    let clash = vswitches_of(cloud, &region)
        .into_iter()
        .filter(|vswitch| vswitch.vpc_id == vpc_id)
        .find(|vswitch| {
            parse_cidr(&vswitch.cidr_block, "CidrBlock").is_ok_and(|other| overlaps(other, block))
        });
    if let Some(other) = clash {
        return Err(AcsError::with_code(
            "InvalidCidrBlock.Overlapped",
            400,
            format!(
                "The CidrBlock {cidr} overlaps vSwitch {} ({}).",
                other.vswitch_id, other.cidr_block
            ),
        ));
    }
    let tags: Tags = tag_list(request)?.into_iter().collect();
    let id = new_id("vsw");
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.networks.vswitches.insert(
        id.clone(),
        VSwitch {
            vswitch_id: id.clone(),
            vswitch_name: text("VSwitchName"),
            description: text("Description"),
            vpc_id,
            region_id: region,
            zone_id: zone,
            cidr_block: cidr,
            status: "Available".into(),
            creation_time: utc_time(ctx.now),
            tags,
        },
    );
    Ok(json!({"VSwitchId": id}))
}

fn dependency(what: &str, id: &str, user: &str) -> AcsError {
    AcsError::with_code(
        "DependencyViolation",
        400,
        format!("Specified object has dependent resources: {what} {id} is used by {user}."),
    )
}

/// DeleteVSwitch: a created vSwitch with no instance and no NAT gateway in it.
pub fn delete_vswitch(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = request.require("VSwitchId")?.to_string();
    let known_default = cloud
        .regions
        .iter()
        .flat_map(|region| region.zones.iter())
        .any(|zone| vswitch_of(zone) == id);
    if !known_default && !cloud.networks.vswitches.contains_key(&id) {
        return Err(AcsError::with_code(
            "InvalidVswitchID.NotFound",
            404,
            format!("The specified VSwitchId does not exist: {id}."),
        ));
    }
    if let Some(instance) = cloud
        .instances
        .values()
        .find(|instance| instance.vswitch_id == id)
    {
        return Err(dependency("vSwitch", &id, &instance.instance_id));
    }
    if let Some(gateway) = cloud
        .networks
        .nat_gateways
        .values()
        .find(|gateway| gateway.vswitch_id == id)
    {
        return Err(dependency("vSwitch", &id, &gateway.nat_gateway_id));
    }
    if known_default {
        return Err(dependency(
            "vSwitch",
            &id,
            "the region's default security group and VPC",
        ));
    }
    check_dry_run(request)?;
    cloud.networks.vswitches.shift_remove(&id);
    Ok(json!({}))
}

/// DeleteVpc: a created VPC with no vSwitch, NAT gateway or security group in it
/// (`ForceDelete=true` also deletes its empty vSwitches).
pub fn delete_vpc(cloud: &mut Cloud, request: &RpcRequest, _ctx: &Ctx) -> Result<Value, AcsError> {
    let id = request.require("VpcId")?.to_string();
    let known_default = cloud
        .regions
        .iter()
        .any(|region| vpc_of(&region.region_id) == id);
    if !known_default && !cloud.networks.vpcs.contains_key(&id) {
        return Err(vpc_not_found(&id));
    }
    if known_default {
        return Err(dependency("VPC", &id, "the region's default vSwitches"));
    }
    let force = request.bool("ForceDelete")?.unwrap_or(false);
    let vswitches: Vec<String> = cloud
        .networks
        .vswitches
        .values()
        .filter(|vswitch| vswitch.vpc_id == id)
        .map(|vswitch| vswitch.vswitch_id.clone())
        .collect();
    if let Some(vswitch) = vswitches.first().filter(|_| !force) {
        return Err(dependency("VPC", &id, vswitch));
    }
    for vswitch in &vswitches {
        if let Some(instance) = cloud
            .instances
            .values()
            .find(|instance| &instance.vswitch_id == vswitch)
        {
            return Err(dependency("VPC", &id, &instance.instance_id));
        }
    }
    if let Some(gateway) = cloud
        .networks
        .nat_gateways
        .values()
        .find(|gateway| gateway.vpc_id == id)
    {
        return Err(dependency("VPC", &id, &gateway.nat_gateway_id));
    }
    if let Some(group) = cloud
        .security_groups
        .values()
        .find(|group| group.vpc_id == id)
    {
        return Err(dependency("VPC", &id, &group.security_group_id));
    }
    check_dry_run(request)?;
    for vswitch in vswitches {
        cloud.networks.vswitches.shift_remove(&vswitch);
    }
    cloud.networks.vpcs.shift_remove(&id);
    Ok(json!({}))
}
