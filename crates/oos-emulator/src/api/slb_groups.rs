//! SLB vServer groups (API 2014-05-15): create, describe, add/remove/set/modify backend
//! servers (instance and port), delete.

use oos_acs::{AcsError, RpcRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use super::instances::require_instance;
use super::params::{Ctx, tag_list, tags_json};
use super::slb::{balancer_mut, number_of, weight_of};
use super::slb_listeners::server_ip;
use crate::network_model::{VServerBackend, VServerGroup};
use crate::state::{Cloud, new_id, utc_time};

/// Most backends one request may name.
const MAX_BACKENDS_PER_CALL: usize = 20;

/// One item of a `BackendServers` JSON parameter of the vServer group actions.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackendParam {
    server_id: String,
    #[serde(default)]
    port: Option<Value>,
    #[serde(default)]
    weight: Option<Value>,
    #[serde(default, rename = "Type")]
    server_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// The backends of parameter `name`; `port_required` for the ones that add servers.
fn backends(
    cloud: &Cloud,
    request: &RpcRequest,
    name: &str,
    port_required: bool,
) -> Result<Vec<VServerBackend>, AcsError> {
    let items: Vec<BackendParam> = request
        .json(name)?
        .ok_or_else(|| AcsError::missing_parameter(name))?;
    if items.len() > MAX_BACKENDS_PER_CALL {
        return Err(AcsError::invalid_parameter(
            name,
            format!("at most {MAX_BACKENDS_PER_CALL} servers a call"),
        ));
    }
    items
        .into_iter()
        .map(|item| {
            require_instance(cloud, &item.server_id)?;
            if port_required && item.port.is_none() {
                return Err(AcsError::invalid_parameter(
                    name,
                    "each server needs a Port",
                ));
            }
            let port = number_of(item.port.as_ref(), 0, name, "Port")?;
            if item.port.is_some() && !(1..=65535).contains(&port) {
                return Err(AcsError::invalid_parameter(
                    name,
                    "Port must be between 1 and 65535",
                ));
            }
            Ok(VServerBackend {
                weight: weight_of(item.weight.as_ref(), name)?,
                server_id: item.server_id,
                port,
                server_type: item.server_type.unwrap_or_else(|| "ecs".into()),
                description: item.description.unwrap_or_default(),
            })
        })
        .collect()
}

/// `InvalidParameter`: the group does not exist (Alibaba's code and message).
fn group_not_found(id: &str) -> AcsError {
    AcsError::with_code(
        "InvalidParameter",
        400,
        format!("The specified VServerGroupId does not exist: {id}."),
    )
}

fn group<'a>(cloud: &'a Cloud, request: &RpcRequest) -> Result<&'a VServerGroup, AcsError> {
    let id = request.require("VServerGroupId")?;
    cloud
        .vserver_groups
        .get(id)
        .ok_or_else(|| group_not_found(id))
}

fn group_mut<'a>(cloud: &'a mut Cloud, id: &str) -> &'a mut VServerGroup {
    cloud
        .vserver_groups
        .get_mut(id)
        .expect("checked by group()")
}

/// True when `item` is `wanted` (same instance, and the same port when one was named).
fn same_backend(item: &VServerBackend, wanted: &VServerBackend) -> bool {
    item.server_id == wanted.server_id && (wanted.port == 0 || item.port == wanted.port)
}

fn not_a_backend(wanted: &VServerBackend) -> AcsError {
    AcsError::with_code(
        "BackendServer.NotExist",
        400,
        format!(
            "The server {} (port {}) is not a backend of this vServer group.",
            wanted.server_id, wanted.port
        ),
    )
}

/// `{"BackendServer": [...]}` with the fields of the SDK model (`ServerIp` where it has one).
fn backends_json(
    cloud: &Cloud,
    group: &VServerGroup,
    with_ip: bool,
    with_description: bool,
) -> Value {
    let items: Vec<Value> = group
        .backend_servers
        .iter()
        .map(|server| {
            let mut item = json!({"ServerId": server.server_id, "Port": server.port, "Weight": server.weight, "Type": server.server_type});
            if with_description {
                item["Description"] = json!(server.description);
            }
            if with_ip {
                item["ServerIp"] = json!(server_ip(cloud, &server.server_id));
            }
            item
        })
        .collect();
    json!({ "BackendServer": items })
}

fn changed(cloud: &Cloud, id: &str) -> Value {
    let group = &cloud.vserver_groups[id];
    json!({"VServerGroupId": id, "BackendServers": backends_json(cloud, group, false, true)})
}

/// Adds `servers` to `group`, replacing an entry with the same instance and port.
fn merge(group: &mut VServerGroup, servers: Vec<VServerBackend>) {
    for server in servers {
        group.backend_servers.retain(|existing| {
            !(existing.server_id == server.server_id && existing.port == server.port)
        });
        group.backend_servers.push(server);
    }
}

/// Removes `servers` from `group`; `BackendServer.NotExist` (and nothing removed) when one
/// of them is not in it.
fn take_out(group: &mut VServerGroup, servers: &[VServerBackend]) -> Result<(), AcsError> {
    let listed = |wanted: &VServerBackend| {
        group
            .backend_servers
            .iter()
            .any(|item| same_backend(item, wanted))
    };
    if let Some(missing) = servers.iter().find(|wanted| !listed(wanted)) {
        return Err(not_a_backend(missing));
    }
    group
        .backend_servers
        .retain(|item| !servers.iter().any(|wanted| same_backend(item, wanted)));
    Ok(())
}

/// CreateVServerGroup: a named group on a load balancer, with optional backends.
pub fn create_vserver_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    ctx: &Ctx,
) -> Result<Value, AcsError> {
    let balancer_id = request.require("LoadBalancerId")?.to_string();
    let region_id = balancer_mut(cloud, &balancer_id)?.region_id.clone();
    let servers = match request.get("BackendServers") {
        Some(_) => backends(cloud, request, "BackendServers", true)?,
        None => Vec::new(),
    };
    let id = new_id("rsp");
    let mut group = VServerGroup {
        vserver_group_id: id.clone(),
        vserver_group_name: request
            .get("VServerGroupName")
            .unwrap_or_default()
            .to_string(),
        load_balancer_id: balancer_id,
        region_id,
        creation_time: utc_time(ctx.now),
        backend_servers: Vec::new(),
        tags: tag_list(request)?.into_iter().collect(),
    };
    merge(&mut group, servers);
    cloud.vserver_groups.insert(id.clone(), group);
    Ok(changed(cloud, &id))
}

/// DescribeVServerGroups: the groups of a load balancer, with their listeners when
/// `IncludeListener=true`.
pub fn describe_vserver_groups(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let balancer_id = request.require("LoadBalancerId")?.to_string();
    let balancer = balancer_mut(cloud, &balancer_id)?.clone();
    let include_listener = request.bool("IncludeListener")?.unwrap_or(false);
    let include_rule = request.bool("IncludeRule")?.unwrap_or(false);
    let groups: Vec<Value> = cloud
        .vserver_groups
        .values()
        .filter(|group| group.load_balancer_id == balancer_id)
        .filter(|group| {
            request
                .get("Description")
                .is_none_or(|name| group.vserver_group_name == name)
        })
        .map(|group| {
            let mut item = json!({
                "VServerGroupId": group.vserver_group_id,
                "VServerGroupName": group.vserver_group_name,
                "CreateTime": group.creation_time,
                "ServerCount": group.backend_servers.len(),
                "Tags": tags_json(&group.tags),
            });
            if include_listener || include_rule {
                let listeners: Vec<Value> = balancer
                    .listeners
                    .iter()
                    .filter(|listener| listener.vserver_group_id == group.vserver_group_id)
                    .map(|listener| json!({"Port": listener.listener_port, "Protocol": listener.protocol}))
                    .collect();
                item["AssociatedObjects"] = json!({"Listeners": {"Listener": listeners}, "Rules": {"Rule": []}});
            }
            item
        })
        .collect();
    Ok(json!({"VServerGroups": {"VServerGroup": groups}}))
}

/// DescribeVServerGroupAttribute: one group with its backends and their IPs.
pub fn describe_vserver_group_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let group = group(cloud, request)?;
    Ok(json!({
        "VServerGroupId": group.vserver_group_id,
        "VServerGroupName": group.vserver_group_name,
        "LoadBalancerId": group.load_balancer_id,
        "CreateTime": group.creation_time,
        "BackendServers": backends_json(cloud, group, true, true),
        "Tags": tags_json(&group.tags),
    }))
}

/// AddVServerGroupBackendServers: adds servers (the same instance and port again re-weights it).
pub fn add_vserver_group_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = group(cloud, request)?.vserver_group_id.clone();
    let servers = backends(cloud, request, "BackendServers", true)?;
    merge(group_mut(cloud, &id), servers);
    Ok(changed(cloud, &id))
}

/// RemoveVServerGroupBackendServers: removes servers by instance and port; answers the rest.
pub fn remove_vserver_group_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = group(cloud, request)?.vserver_group_id.clone();
    let servers = backends(cloud, request, "BackendServers", false)?;
    take_out(group_mut(cloud, &id), &servers)?;
    let group = &cloud.vserver_groups[&id];
    Ok(json!({"VServerGroupId": id, "BackendServers": backends_json(cloud, group, false, false)}))
}

/// SetVServerGroupAttribute: renames the group and changes the weights (and descriptions) of
/// servers already in it.
pub fn set_vserver_group_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = group(cloud, request)?.vserver_group_id.clone();
    let servers = match request.get("BackendServers") {
        Some(_) => backends(cloud, request, "BackendServers", false)?,
        None => Vec::new(),
    };
    let group = group_mut(cloud, &id);
    for wanted in &servers {
        let mut found = false;
        for item in group
            .backend_servers
            .iter_mut()
            .filter(|item| same_backend(item, wanted))
        {
            item.weight = wanted.weight;
            if !wanted.description.is_empty() {
                item.description = wanted.description.clone();
            }
            found = true;
        }
        if !found {
            return Err(not_a_backend(wanted));
        }
    }
    if let Some(name) = request.get("VServerGroupName") {
        group.vserver_group_name = name.to_string();
    }
    let mut body = changed(cloud, &id);
    body["VServerGroupName"] = json!(cloud.vserver_groups[&id].vserver_group_name);
    Ok(body)
}

/// ModifyVServerGroupBackendServers: replaces `OldBackendServers` with `NewBackendServers`.
pub fn modify_vserver_group_backend_servers(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let id = group(cloud, request)?.vserver_group_id.clone();
    let old = backends(cloud, request, "OldBackendServers", true)?;
    let new = backends(cloud, request, "NewBackendServers", true)?;
    let group = group_mut(cloud, &id);
    take_out(group, &old)?;
    merge(group, new);
    Ok(changed(cloud, &id))
}

/// DeleteVServerGroup: refused while a listener forwards to it (`RspoolVipExist`).
pub fn delete_vserver_group(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let group = group(cloud, request)?;
    let id = group.vserver_group_id.clone();
    let in_use = cloud
        .load_balancers
        .get(&group.load_balancer_id)
        .and_then(|balancer| {
            balancer
                .listeners
                .iter()
                .find(|listener| listener.vserver_group_id == id)
        });
    if let Some(listener) = in_use {
        return Err(AcsError::with_code(
            "RspoolVipExist",
            400,
            format!(
                "The vServer group {id} is used by listener {} and cannot be deleted.",
                listener.listener_port
            ),
        ));
    }
    cloud.vserver_groups.shift_remove(&id);
    Ok(json!({}))
}
