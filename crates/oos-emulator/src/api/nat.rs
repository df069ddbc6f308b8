//! NAT gateways (VPC API 2016-04-28): create (enhanced, in a vSwitch of the VPC), describe,
//! delete (refused while an EIP is bound unless `Force=true`).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, PageLimits, list_body, matches_tags, paginate, tag_list, tags_json};
use crate::model::Tags;
use crate::network_model::NatGateway;
use crate::provision::vswitch_of;
use crate::state::{Cloud, new_id, utc_time};

fn nat_not_found(id: &str) -> AcsError {
    AcsError::with_code(
        "InvalidNatGatewayId.NotFound",
        404,
        format!("The specified NatGatewayId does not exist: {id}."),
    )
}

/// The VPC and zone of vSwitch `id` in `region` (a default or a created one).
pub(super) fn vswitch_zone(cloud: &Cloud, region: &str, id: &str) -> Option<(String, String)> {
    if let Some(vswitch) = cloud
        .networks
        .vswitches
        .get(id)
        .filter(|vswitch| vswitch.region_id == region)
    {
        return Some((vswitch.vpc_id.clone(), vswitch.zone_id.clone()));
    }
    cloud
        .region(region)?
        .zones
        .iter()
        .find(|zone| vswitch_of(zone) == id)
        .map(|zone| (crate::provision::vpc_of(region), zone.clone()))
}

/// CreateNatGateway: `VpcId` and `VSwitchId` (of that VPC) are required; Available at once.
pub fn create_nat_gateway(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let vpc_id = request.require("VpcId")?.to_string();
    let vswitch_id = request.require("VSwitchId")?.to_string();
    let (vswitch_vpc, _zone) = vswitch_zone(cloud, &region, &vswitch_id).ok_or_else(|| {
        AcsError::with_code(
            "InvalidVswitchID.NotFound",
            404,
            format!("The specified VSwitchId does not exist: {vswitch_id}."),
        )
    })?;
    if vswitch_vpc != vpc_id {
        return Err(AcsError::with_code(
            "InvalidVpcID.NotFound",
            404,
            format!("The vSwitch {vswitch_id} is not in VPC {vpc_id}."),
        ));
    }
    let network_type = request
        .get("NetworkType")
        .unwrap_or("internet")
        .to_ascii_lowercase();
    if !["internet", "intranet"].contains(&network_type.as_str()) {
        return Err(AcsError::invalid_parameter(
            "NetworkType",
            "must be internet or intranet",
        ));
    }
    let tags: Tags = tag_list(request)?.into_iter().collect();
    let id = new_id("ngw");
    let suffix = id.trim_start_matches("ngw-").to_string();
    let ordinal = cloud.networks.nat_gateways.len() % 250 + 2;
    let text = |name: &str| request.get(name).unwrap_or_default().to_string();
    cloud.networks.nat_gateways.insert(
        id.clone(),
        NatGateway {
            nat_gateway_id: id.clone(),
            name: text("Name"),
            description: text("Description"),
            region_id: region,
            vpc_id,
            vswitch_id,
            network_type,
            spec: request.get("Spec").unwrap_or("Small").to_string(),
            internet_charge_type: request
                .get("InternetChargeType")
                .unwrap_or("PayByLcu")
                .to_string(),
            status: "Available".into(),
            private_ip_address: format!("172.16.250.{ordinal}"),
            snat_table_id: format!("stb-{suffix}"),
            forward_table_id: format!("ftb-{suffix}"),
            creation_time: utc_time(ctx.now),
            tags,
        },
    );
    let gateway = &cloud.networks.nat_gateways[&id];
    Ok(json!({
        "NatGatewayId": id,
        "SnatTableIds": {"SnatTableId": [gateway.snat_table_id]},
        "ForwardTableIds": {"ForwardTableId": [gateway.forward_table_id]},
        "FullNatTableIds": {"FullNatTableId": []},
    }))
}

/// The EIPs bound to gateway `id`.
fn bound_eips<'a>(
    cloud: &'a Cloud,
    id: &'a str,
) -> impl Iterator<Item = &'a crate::model::Eip> + 'a {
    cloud
        .eips
        .values()
        .filter(move |address| address.instance_id == id)
}

/// DescribeNatGateways: filters `NatGatewayId`, `VpcId`, `Name`, `Status`, `NetworkType`, `Tag.N`.
pub fn describe_nat_gateways(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let tags = tag_list(request)?;
    let selected: Vec<Value> = cloud
        .networks
        .nat_gateways
        .values()
        .filter(|gateway| gateway.region_id == region)
        .filter(|gateway| request.get("NatGatewayId").is_none_or(|id| id == gateway.nat_gateway_id))
        .filter(|gateway| request.get("VpcId").is_none_or(|id| id == gateway.vpc_id))
        .filter(|gateway| request.get("Name").is_none_or(|name| name == gateway.name))
        .filter(|gateway| request.get("Status").is_none_or(|status| status == gateway.status))
        .filter(|gateway| request.get("NetworkType").is_none_or(|kind| kind.eq_ignore_ascii_case(&gateway.network_type)))
        .filter(|gateway| matches_tags(&gateway.tags, &tags))
        .map(|gateway| {
            let ips: Vec<Value> = bound_eips(cloud, &gateway.nat_gateway_id)
                .map(|address| json!({"AllocationId": address.allocation_id, "IpAddress": address.ip_address,
                                      "PrivateIpAddress": "", "SnatEntryEnabled": false, "UsingStatus": "Idle"}))
                .collect();
            json!({
                "NatGatewayId": gateway.nat_gateway_id,
                "Name": gateway.name,
                "Description": gateway.description,
                "RegionId": gateway.region_id,
                "VpcId": gateway.vpc_id,
                "NatType": "Enhanced",
                "NetworkType": gateway.network_type,
                "Spec": gateway.spec,
                "InstanceChargeType": "PostPaid",
                "InternetChargeType": gateway.internet_charge_type,
                "Status": gateway.status,
                "BusinessStatus": "Normal",
                "CreationTime": gateway.creation_time,
                "ExpiredTime": "",
                "AutoPay": false,
                "DeletionProtection": false,
                "EcsMetricEnabled": false,
                "IcmpReplyEnabled": true,
                "PrivateLinkEnabled": false,
                "PrivateLinkMode": "",
                "SecurityProtectionEnabled": false,
                "EipBindMode": "MULTI_BINDED",
                "EnableSessionLog": "false",
                "ResourceGroupId": "",
                "AvailabilityMode": "",
                "AccessMode": {"ModeValue": "", "TunnelType": ""},
                "SnatTableIds": {"SnatTableId": [gateway.snat_table_id]},
                "ForwardTableIds": {"ForwardTableId": [gateway.forward_table_id]},
                "FullNatTableIds": {"FullNatTableId": []},
                "IpLists": {"IpList": ips},
                "IpPrefixList": {"IpPrefixList": []},
                "NatGatewayPrivateInfo": {
                    "EniInstanceId": format!("eni-{}", gateway.nat_gateway_id.trim_start_matches("ngw-")),
                    "EniType": "indirect", "IzNo": "", "MaxBandwidth": 5120, "MaxSessionEstablishRate": 100_000,
                    "MaxSessionQuota": 2_000_000, "PrivateIpAddress": gateway.private_ip_address, "VswitchId": gateway.vswitch_id,
                },
                "Tags": tags_json(&gateway.tags),
            })
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_50)?;
    Ok(list_body("NatGateways", "NatGateway", page, paging))
}

/// DeleteNatGateway: refused while EIPs are bound (`DependencyViolation.EIPS`) unless
/// `Force=true`, which unbinds them.
pub fn delete_nat_gateway(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let id = request.require("NatGatewayId")?.to_string();
    if cloud
        .networks
        .nat_gateways
        .get(&id)
        .is_none_or(|gateway| gateway.region_id != region)
    {
        return Err(nat_not_found(&id));
    }
    let bound: Vec<String> = bound_eips(cloud, &id)
        .map(|address| address.allocation_id.clone())
        .collect();
    if !bound.is_empty() && !request.bool("Force")?.unwrap_or(false) {
        return Err(AcsError::with_code(
            "DependencyViolation.EIPS",
            400,
            format!(
                "The NAT gateway {id} still has EIPs bound: {}.",
                bound.join(", ")
            ),
        ));
    }
    for allocation in bound {
        let address = cloud.eips.get_mut(&allocation).expect("listed above");
        address.status = "Available".into();
        address.instance_id.clear();
        address.instance_type.clear();
    }
    cloud.networks.nat_gateways.shift_remove(&id);
    Ok(json!({}))
}
