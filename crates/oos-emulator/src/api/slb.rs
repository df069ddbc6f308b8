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

pub(super) fn balancer_mut<'a>(
    cloud: &'a mut Cloud,
    id: &str,
) -> Result<&'a mut LoadBalancer, AcsError> {
    cloud
        .load_balancers
        .get_mut(id)
        .ok_or_else(|| not_found(INVALID_LOAD_BALANCER_ID_NOT_FOUND, "LoadBalancerId", id))
}

/// `{"BackendServer": [...]}`; the SDK models of AddBackendServers and SetBackendServers carry
/// `Weight` as text, RemoveBackendServers' as a number.
fn servers_json(servers: &[BackendServer], weight_as_text: bool) -> Value {
    let weight = |server: &BackendServer| {
        if weight_as_text {
            json!(server.weight.to_string())
        } else {
            json!(server.weight)
        }
    };
    json!({"BackendServer": servers.iter().map(|server| json!({"ServerId": server.server_id, "Weight": weight(server),
        "Type": server.server_type, "Description": ""})).collect::<Vec<_>>()})
}

fn requested_servers(cloud: &Cloud, request: &RpcRequest) -> Result<Vec<BackendServer>, AcsError> {
    let items: Vec<BackendServerParam> = request
        .json("BackendServers")?
        .ok_or_else(|| AcsError::missing_parameter("BackendServers"))?;
    items
        .into_iter()
        .map(|item| {
            require_instance(cloud, &item.server_id)?;
            Ok(BackendServer {
                weight: weight_of(item.weight.as_ref(), "BackendServers")?,
                server_id: item.server_id,
                server_type: item.server_type.unwrap_or_else(|| "ecs".into()),
            })
        })
        .collect()
}

/// A number sent as JSON text or number (`"80"` or `80`), `default` when absent.
pub(super) fn number_of(
    value: Option<&Value>,
    default: i64,
    parameter: &str,
    field: &str,
) -> Result<i64, AcsError> {
    match value {
        None => Ok(default),
        Some(Value::Number(number)) => number.as_i64().ok_or_else(|| {
            AcsError::invalid_parameter(parameter, format!("{field} must be an integer"))
        }),
        Some(Value::String(text)) => text.trim().parse().map_err(|_| {
            AcsError::invalid_parameter(parameter, format!("{field} must be an integer"))
        }),
        Some(_) => Err(AcsError::invalid_parameter(
            parameter,
            format!("{field} must be an integer"),
        )),
    }
}

/// A backend weight: 0–100, 100 when absent.
pub(super) fn weight_of(value: Option<&Value>, parameter: &str) -> Result<i64, AcsError> {
    let weight = number_of(value, 100, parameter, "Weight")?;
    if !(0..=100).contains(&weight) {
        return Err(AcsError::invalid_parameter(
            parameter,
            "Weight must be between 0 and 100",
        ));
    }
    Ok(weight)
}

fn respond(balancer: &LoadBalancer, weight_as_text: bool) -> Value {
    json!({"LoadBalancerId": balancer.load_balancer_id, "BackendServers": servers_json(&balancer.backend_servers, weight_as_text)})
}

/// DescribeLoadBalancers.
pub fn describe_load_balancers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let region = ctx.region(cloud, request)?;
    let ids = super::params::comma_ids(request, "LoadBalancerId");
    let selected: Vec<Value> = cloud
        .load_balancers
        .values()
        .filter(|balancer| balancer.region_id == region)
        .filter(|balancer| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&balancer.load_balancer_id.as_str()))
        })
        .filter(|balancer| {
            request.get("ServerId").is_none_or(|server| {
                balancer
                    .backend_servers
                    .iter()
                    .any(|item| item.server_id == server)
            })
        })
        .map(|balancer| {
            let mut item = balancer_json(balancer);
            item["InternetChargeTypeAlias"] = json!("paybytraffic");
            item
        })
        .collect();
    let (page, paging) = paginate(request, selected, PageLimits::NUMBERED_100)?;
    Ok(list_body("LoadBalancers", "LoadBalancer", page, paging))
}

/// DescribeLoadBalancerAttribute: the balancer, its default server group's backends and its
/// listeners.
pub fn describe_load_balancer_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?.clone();
    let servers: Vec<Value> = balancer
        .backend_servers
        .iter()
        .map(|server| {
            json!({"ServerId": server.server_id, "Weight": server.weight, "Type": server.server_type,
                   "ServerIp": super::slb_listeners::server_ip(cloud, &server.server_id), "Description": ""})
        })
        .collect();
    let mut body = balancer_json(&balancer);
    let extra = json!({
        "BackendServers": {"BackendServer": servers},
        "ListenerPorts": {"ListenerPort": balancer.listeners.iter().map(|listener| listener.listener_port).collect::<Vec<_>>()},
        "ListenerPortsAndProtocal": {"ListenerPortAndProtocal": balancer.listeners.iter().map(|listener| json!({
            "ListenerPort": listener.listener_port, "ListenerProtocal": listener.protocol})).collect::<Vec<_>>()},
        "ListenerPortsAndProtocol": {"ListenerPortAndProtocol": balancer.listeners.iter().map(|listener| json!({
            "ListenerPort": listener.listener_port, "ListenerProtocol": listener.protocol, "Description": listener.description,
            "ForwardPort": 0, "ListenerForward": "off"})).collect::<Vec<_>>()},
        "AutoReleaseTime": 0,
        "EndTime": "2999-09-08T16:00:00Z",
        "EndTimeStamp": 32_493_801_600_000_i64,
        "RenewalCycUnit": "",
        "RenewalDuration": 0,
        "RenewalStatus": "",
    });
    body.as_object_mut()
        .expect("an object")
        .extend(extra.as_object().expect("an object").clone());
    Ok(body)
}

/// The fields DescribeLoadBalancers and DescribeLoadBalancerAttribute share.
fn balancer_json(balancer: &LoadBalancer) -> Value {
    json!({
        "LoadBalancerId": balancer.load_balancer_id,
        "LoadBalancerName": balancer.load_balancer_name,
        "RegionId": balancer.region_id,
        "RegionIdAlias": balancer.region_id,
        "Address": balancer.address,
        "AddressType": "intranet",
        "AddressIPVersion": "ipv4",
        "NetworkType": "vpc",
        "VpcId": crate::provision::vpc_of(&balancer.region_id),
        "VSwitchId": "",
        "LoadBalancerStatus": balancer.status,
        "LoadBalancerSpec": "slb.s1.small",
        "Bandwidth": 5120,
        "InternetChargeType": "paybytraffic",
        "InstanceChargeType": "PayBySpec",
        "PayType": "PayOnDemand",
        "CreateTime": balancer.creation_time,
        "CreateTimeStamp": balancer.creation_time.parse::<jiff::Timestamp>().map_or(0, |time| time.as_millisecond()),
        "DeleteProtection": "off",
        "ModificationProtectionStatus": "NonProtection",
        "ModificationProtectionReason": "",
        "MasterZoneId": "",
        "SlaveZoneId": "",
        "ResourceGroupId": "",
        "Tags": super::params::tags_json(&balancer.tags),
    })
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
    Ok(respond(balancer, true))
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
    Ok(respond(balancer, true))
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
    Ok(respond(balancer, false))
}
