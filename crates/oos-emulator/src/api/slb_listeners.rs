//! SLB listeners (API 2014-05-15): create TCP/HTTP listeners, start, stop, delete, describe a
//! TCP listener, and the backends' health (normal while the instance is Running).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Value, json};

use super::params::{Ctx, tags_json};
use super::slb::balancer_mut;
use crate::model::{LoadBalancer, instance_status};
use crate::network_model::Listener;
use crate::state::Cloud;

/// The private IP of instance `id`, empty when it is gone.
pub fn server_ip(cloud: &Cloud, id: &str) -> String {
    cloud
        .instances
        .get(id)
        .map(|instance| instance.private_ip.clone())
        .unwrap_or_default()
}

/// `ListenerPort` of the request: required, 1–65535.
fn listener_port(request: &RpcRequest) -> Result<i64, AcsError> {
    let port = request
        .int("ListenerPort")?
        .ok_or_else(|| AcsError::missing_parameter("ListenerPort"))?;
    port_in_range(port, "ListenerPort")
}

fn port_in_range(port: i64, name: &str) -> Result<i64, AcsError> {
    if (1..=65535).contains(&port) {
        Ok(port)
    } else {
        Err(AcsError::invalid_parameter(
            name,
            "must be between 1 and 65535",
        ))
    }
}

/// Alibaba's answer for a listener that does not exist.
fn listener_not_found(port: i64) -> AcsError {
    AcsError::with_code(
        "InvalidParameter",
        400,
        format!("The specified resource does not exist: listener {port}."),
    )
}

/// The index of the listener on `port` (and `protocol`, when the request names one).
fn listener_index(
    balancer: &LoadBalancer,
    request: &RpcRequest,
    port: i64,
) -> Result<usize, AcsError> {
    let protocol = request.get("ListenerProtocol").map(str::to_ascii_lowercase);
    balancer
        .listeners
        .iter()
        .position(|listener| {
            listener.listener_port == port
                && protocol
                    .as_ref()
                    .is_none_or(|wanted| *wanted == listener.protocol)
        })
        .ok_or_else(|| listener_not_found(port))
}

fn create_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    protocol: &str,
) -> Result<Value, AcsError> {
    let balancer_id = request.require("LoadBalancerId")?.to_string();
    let port = listener_port(request)?;
    let vserver_group_id = request
        .get("VServerGroupId")
        .unwrap_or_default()
        .to_string();
    if !vserver_group_id.is_empty()
        && cloud
            .vserver_groups
            .get(&vserver_group_id)
            .is_none_or(|group| group.load_balancer_id != balancer_id)
    {
        return Err(AcsError::with_code(
            "InvalidParameter",
            400,
            format!("The specified VServerGroupId does not exist: {vserver_group_id}."),
        ));
    }
    let backend_port = match request.int("BackendServerPort")? {
        Some(port) => port_in_range(port, "BackendServerPort")?,
        None if !vserver_group_id.is_empty() => 0,
        None => return Err(AcsError::missing_parameter("BackendServerPort")),
    };
    let bandwidth = request.int("Bandwidth")?.unwrap_or(-1);
    let balancer = balancer_mut(cloud, &balancer_id)?;
    if balancer
        .listeners
        .iter()
        .any(|listener| listener.listener_port == port)
    {
        return Err(AcsError::with_code(
            "ListenerAlreadyExists",
            400,
            format!("The listener {port} of {balancer_id} already exists."),
        ));
    }
    let health_check = if protocol == "http" {
        request.get("HealthCheck").unwrap_or("off")
    } else {
        request.get("HealthCheckSwitch").unwrap_or("on")
    };
    balancer.listeners.push(Listener {
        listener_port: port,
        protocol: protocol.into(),
        backend_server_port: backend_port,
        status: "stopped".into(),
        vserver_group_id,
        bandwidth,
        scheduler: request.get("Scheduler").unwrap_or("wrr").to_string(),
        description: request.get("Description").unwrap_or_default().to_string(),
        health_check: health_check.to_string(),
    });
    Ok(json!({}))
}

/// CreateLoadBalancerTCPListener: a `stopped` TCP listener (start it with
/// StartLoadBalancerListener).
pub fn create_load_balancer_tcp_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    create_listener(cloud, request, "tcp")
}

/// CreateLoadBalancerHTTPListener: a `stopped` HTTP listener.
pub fn create_load_balancer_http_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    create_listener(cloud, request, "http")
}

fn set_listener_status(
    cloud: &mut Cloud,
    request: &RpcRequest,
    status: &str,
) -> Result<Value, AcsError> {
    let port = listener_port(request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    let index = listener_index(balancer, request, port)?;
    balancer.listeners[index].status = status.into();
    Ok(json!({}))
}

/// StartLoadBalancerListener: `stopped` → `running`.
pub fn start_load_balancer_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    set_listener_status(cloud, request, "running")
}

/// StopLoadBalancerListener: `running` → `stopped`.
pub fn stop_load_balancer_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    set_listener_status(cloud, request, "stopped")
}

/// DeleteLoadBalancerListener.
pub fn delete_load_balancer_listener(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let port = listener_port(request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    let index = listener_index(balancer, request, port)?;
    balancer.listeners.remove(index);
    Ok(json!({}))
}

/// DescribeLoadBalancerTCPListenerAttribute: a TCP listener's configuration and status.
pub fn describe_load_balancer_tcp_listener_attribute(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let port = listener_port(request)?;
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?;
    let listener = balancer
        .listeners
        .iter()
        .find(|listener| listener.listener_port == port && listener.protocol == "tcp")
        .ok_or_else(|| listener_not_found(port))?;
    Ok(json!({
        "LoadBalancerId": balancer.load_balancer_id,
        "ListenerPort": listener.listener_port,
        "BackendServerPort": listener.backend_server_port,
        "Bandwidth": listener.bandwidth,
        "Status": listener.status,
        "Scheduler": listener.scheduler,
        "Description": listener.description,
        "VServerGroupId": listener.vserver_group_id,
        "MasterSlaveServerGroupId": "",
        "HealthCheck": listener.health_check,
        "HealthCheckType": "tcp",
        "HealthCheckConnectPort": listener.backend_server_port,
        "HealthCheckConnectTimeout": 5,
        "HealthCheckInterval": 2,
        "HealthCheckDomain": "",
        "HealthCheckURI": "",
        "HealthCheckHttpCode": "",
        "HealthCheckMethod": "",
        "HealthyThreshold": 3,
        "UnhealthyThreshold": 3,
        "PersistenceTimeout": 0,
        "EstablishedTimeout": 900,
        "ConnectionDrain": "off",
        "ConnectionDrainTimeout": 0,
        "ProxyProtocolV2Enabled": false,
        "SynProxy": "disable",
        "AclId": "",
        "AclIds": {"AclId": []},
        "AclStatus": "off",
        "AclType": "",
        "Tags": tags_json(&Default::default()),
    }))
}

/// DescribeHealthStatus: one row per running listener and backend (of the listener's vServer
/// group, else of the default server group); `normal` while the instance is Running,
/// `abnormal` otherwise. Filters `ListenerPort`, `ListenerProtocol`.
pub fn describe_health_status(
    cloud: &mut Cloud,
    request: &RpcRequest,
    _ctx: &Ctx,
) -> Result<Value, AcsError> {
    let wanted_port = request.int("ListenerPort")?;
    let wanted_protocol = request.get("ListenerProtocol").map(str::to_ascii_lowercase);
    let balancer = balancer_mut(cloud, request.require("LoadBalancerId")?)?.clone();
    let health = |server_id: &str| {
        let running = cloud
            .instances
            .get(server_id)
            .is_some_and(|instance| instance.status == instance_status::RUNNING);
        if running { "normal" } else { "abnormal" }
    };
    let mut rows = Vec::new();
    for listener in balancer
        .listeners
        .iter()
        .filter(|listener| listener.status == "running")
        .filter(|listener| wanted_port.is_none_or(|port| port == listener.listener_port))
        .filter(|listener| {
            wanted_protocol
                .as_ref()
                .is_none_or(|protocol| *protocol == listener.protocol)
        })
    {
        let servers: Vec<(String, i64)> = match cloud.vserver_groups.get(&listener.vserver_group_id)
        {
            Some(group) => group
                .backend_servers
                .iter()
                .map(|server| (server.server_id.clone(), server.port))
                .collect(),
            None => balancer
                .backend_servers
                .iter()
                .map(|server| (server.server_id.clone(), listener.backend_server_port))
                .collect(),
        };
        rows.extend(servers.into_iter().map(|(server_id, port)| {
            json!({
                "ListenerPort": listener.listener_port,
                "Protocol": listener.protocol,
                "Port": port,
                "ServerHealthStatus": health(&server_id),
                "ServerIp": server_ip(cloud, &server_id),
                "ServerId": server_id,
            })
        }));
    }
    Ok(json!({"BackendServers": {"BackendServer": rows}}))
}
