//! Classic load balancer actions (SLB API 2014-05-15) for the default server group:
//! describe, and add/set/remove backend servers.

use oos_acs::{AcsError, RpcRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{Ctx, PageLimits, list_body, paginate};
use crate::errors::{INVALID_LOAD_BALANCER_ID_NOT_FOUND, not_found};
use crate::model::{BackendServer, LoadBalancer};
use crate::state::Cloud;

/// One item of the `BackendServers` JSON parameter (`Weight` arrives as text or number).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackendServerParam {
    server_id: String,
    #[serde(default)]
    weight: Option<Value>,
    #[serde(default, rename = "Type")]
    server_type: Option<String>,
}

fn balancer_mut<'a>(cloud: &'a mut Cloud, id: &str) -> Result<&'a mut LoadBalancer, AcsError> {
    cloud
        .load_balancers
        .get_mut(id)
        .ok_or_else(|| not_found(INVALID_LOAD_BALANCER_ID_NOT_FOUND, "LoadBalancerId", id))
}

/// How an answer writes a backend's weight: the SDK models of Add/SetBackendServers have it as
/// a string, those of RemoveBackendServers and DescribeLoadBalancerAttribute as an integer.
#[derive(Clone, Copy)]
enum Weight {
    Text,
    Number,
}

fn servers_json(servers: &[BackendServer], weight: Weight) -> Value {
    let server_json = |server: &BackendServer| {
        let weight = match weight {
            Weight::Text => json!(server.weight.to_string()),
            Weight::Number => json!(server.weight),
        };
        json!({"ServerId": server.server_id, "Weight": weight, "Type": server.server_type, "Description": ""})
    };
    json!({"BackendServer": servers.iter().map(server_json).collect::<Vec<_>>()})
}

fn requested_servers(cloud: &Cloud, request: &RpcRequest) -> Result<Vec<BackendServer>, AcsError> {
    let items: Vec<BackendServerParam> = request
        .json("BackendServers")?
        .ok_or_else(|| AcsError::missing_parameter("BackendServers"))?;
    items
        .into_iter()
        .map(|item| {
            require_instance(cloud, &item.server_id)?;
            let weight = match item.weight {
                None => 100,
                Some(Value::Number(number)) => number.as_i64().unwrap_or(100),
                Some(Value::String(text)) => text.parse().map_err(|_| {
                    AcsError::invalid_parameter("BackendServers", "Weight must be a number")
                })?,
                Some(_) => {
                    return Err(AcsError::invalid_parameter(
                        "BackendServers",
                        "Weight must be a number",
                    ));
                }
            };
            Ok(BackendServer {
                server_id: item.server_id,
                weight,
                server_type: item.server_type.unwrap_or_else(|| "ecs".into()),
            })
        })
        .collect()
}

fn respond(balancer: &LoadBalancer, weight: Weight) -> Value {
    json!({"LoadBalancerId": balancer.load_balancer_id, "BackendServers": servers_json(&balancer.backend_servers, weight)})
}

/// The fields both DescribeLoadBalancers and DescribeLoadBalancerAttribute carry for what the
/// emulator does not model (billing, specs, zones, protection, the balancer's own VPC).
fn with_unmodelled_balancer_fields(balancer: Value) -> Value {
    super::params::with_unmodelled(balancer, json!({
        "AddressIPVersion": "ipv4", "Bandwidth": 0, "CreateTimeStamp": 0, "DeleteProtection": "off",
        "InstanceChargeType": "PayBySpec", "InternetChargeType": "paybytraffic",
        "LoadBalancerSpec": "slb.s1.small", "MasterZoneId": "", "ModificationProtectionReason": "",
        "ModificationProtectionStatus": "NonProtection", "PayType": "PayOnDemand", "RegionIdAlias": "", "ResourceGroupId": "",
        "SlaveZoneId": "", "Tags": {"Tag": []}, "VSwitchId": "", "VpcId": "",
    }))
}

/// DescribeLoadBalancers.
pub fn describe_load_balancers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids: Option<Vec<&str>> = request
        .get("LoadBalancerId")
        .map(|ids| ids.split(',').map(str::trim).collect());
    let selected: Vec<Value> = cloud
        .load_balancers
        .values()
        .filter(|balancer| balancer.region_id == region)
        .filter(|balancer| ids.as_ref().is_none_or(|ids| ids.contains(&balancer.load_balancer_id.as_str())))
        .filter(|balancer| request.get("ServerId").is_none_or(|server| balancer.backend_servers.iter().any(|item| item.server_id == server)))
        .map(|balancer| {
            with_unmodelled_balancer_fields(json!({"LoadBalancerId": balancer.load_balancer_id, "LoadBalancerName": balancer.load_balancer_name,
                   "RegionId": balancer.region_id, "Address": balancer.address, "LoadBalancerStatus": balancer.status,
                   "CreateTime": balancer.creation_time, "AddressType": "intranet", "NetworkType": "vpc",
                   "InternetChargeTypeAlias": "paybytraffic"}))
        })
        .collect();
    let (page, paging) = paginate(
        request,
        selected,
        PageLimits::NUMBERED_100,
    )?;
    Ok(list_body("LoadBalancers", "LoadBalancer", page, paging))
}

/// DescribeLoadBalancerAttribute, with the default server group's backends.
pub fn describe_load_balancer_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?.clone();
    let mut servers = servers_json(&balancer.backend_servers, Weight::Number);
    for server in servers["BackendServer"].as_array_mut().into_iter().flatten() {
        let ip = server["ServerId"].as_str().and_then(|id| cloud.instances.get(id)).map(|instance| instance.private_ip.clone());
        server["ServerIp"] = json!(ip.unwrap_or_default());
    }
    let described = json!({
        "LoadBalancerId": balancer.load_balancer_id,
        "LoadBalancerName": balancer.load_balancer_name,
        "RegionId": balancer.region_id,
        "Address": balancer.address,
        "LoadBalancerStatus": balancer.status,
        "CreateTime": balancer.creation_time,
        "BackendServers": servers,
        "AddressType": "intranet",
        "NetworkType": "vpc",
        "EndTime": "2999-09-08T16:00:00Z",
        "EndTimeStamp": 32_493_801_600_000_i64,
        "RenewalStatus": "Normal",
    });
    // listeners, renewals and protection settings are not modelled
    Ok(super::params::with_unmodelled(with_unmodelled_balancer_fields(described), json!({
        "AutoReleaseTime": 0, "ListenerPorts": {"ListenerPort": []},
        "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": []}, "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": []},
        "RenewalCycUnit": "", "RenewalDuration": 0,
    })))
}

/// AddBackendServers: adds (or re-weights) servers.
pub fn add_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let servers = requested_servers(cloud, request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    for server in servers {
        balancer
            .backend_servers
            .retain(|existing| existing.server_id != server.server_id);
        balancer.backend_servers.push(server);
    }
    Ok(respond(balancer, Weight::Text))
}

/// SetBackendServers: changes the weights of servers already attached.
pub fn set_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let servers = requested_servers(cloud, request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    for server in servers {
        let existing = balancer
            .backend_servers
            .iter_mut()
            .find(|existing| existing.server_id == server.server_id)
            .ok_or_else(|| {
                AcsError::with_code(
                    "BackendServer.NotExist",
                    400,
                    format!(
                        "The server {} is not a backend of this load balancer.",
                        server.server_id
                    ),
                )
            })?;
        existing.weight = server.weight;
    }
    Ok(respond(balancer, Weight::Text))
}

/// RemoveBackendServers.
pub fn remove_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let servers = requested_servers(cloud, request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    balancer.backend_servers.retain(|existing| {
        !servers
            .iter()
            .any(|server| server.server_id == existing.server_id)
    });
    Ok(respond(balancer, Weight::Number))
}
