//! The fleet seed's load balancer listeners and vServer groups (kept apart from `fleet.rs`).

use jiff::Timestamp;

use crate::fleet::{ListenerSeed, LoadBalancerSeed};
use crate::model::Tags;
use crate::network_model::{Listener, VServerBackend, VServerGroup};
use crate::state::{Cloud, new_id, utc_time};

/// The seeded vServer groups of `balancer` (load balancer id filled in by [`insert_groups`]).
pub fn vserver_groups(
    cloud: &Cloud,
    balancer: &LoadBalancerSeed,
    now: Timestamp,
) -> Vec<VServerGroup> {
    balancer
        .vserver_groups
        .iter()
        .map(|group| VServerGroup {
            vserver_group_id: group.id.clone().unwrap_or_else(|| new_id("rsp")),
            vserver_group_name: group.name.clone(),
            load_balancer_id: String::new(),
            region_id: balancer.region.clone(),
            creation_time: utc_time(now),
            backend_servers: cloud
                .instances
                .values()
                .filter(|instance| instance.region_id == balancer.region)
                .take(group.backends)
                .map(|instance| VServerBackend {
                    server_id: instance.instance_id.clone(),
                    port: group.port,
                    weight: 100,
                    server_type: "ecs".into(),
                    description: String::new(),
                })
                .collect(),
            tags: Tags::new(),
        })
        .collect()
}

/// Stores `groups` under load balancer `balancer_id`.
pub fn insert_groups(cloud: &mut Cloud, balancer_id: &str, groups: Vec<VServerGroup>) {
    for mut group in groups {
        group.load_balancer_id = balancer_id.to_string();
        cloud
            .vserver_groups
            .insert(group.vserver_group_id.clone(), group);
    }
}

/// The running listeners of `balancer`: the seeded ones, else one TCP listener on port 80.
pub fn listeners(
    balancer: &LoadBalancerSeed,
    groups: &[VServerGroup],
) -> Result<Vec<Listener>, String> {
    let default = [ListenerSeed {
        port: 80,
        protocol: "tcp".into(),
        backend_port: None,
        vserver_group: None,
    }];
    let seeds = balancer.listeners.as_deref().unwrap_or(&default);
    let place = |index: usize| format!("load balancer {:?}: listeners[{index}]", balancer.name);
    let mut listeners: Vec<Listener> = Vec::new();
    for (index, seed) in seeds.iter().enumerate() {
        if !(1..=65535).contains(&seed.port)
            || seed
                .backend_port
                .is_some_and(|port| !(1..=65535).contains(&port))
        {
            return Err(format!("{}: ports must be 1-65535", place(index)));
        }
        if !["tcp", "udp", "http", "https"].contains(&seed.protocol.as_str()) {
            return Err(format!(
                "{}: protocol {:?} must be tcp, udp, http or https",
                place(index),
                seed.protocol
            ));
        }
        if listeners
            .iter()
            .any(|listener| listener.listener_port == seed.port)
        {
            return Err(format!(
                "{}: port {} is used twice",
                place(index),
                seed.port
            ));
        }
        let vserver_group_id = match &seed.vserver_group {
            None => String::new(),
            Some(wanted) => groups
                .iter()
                .find(|group| {
                    &group.vserver_group_id == wanted || &group.vserver_group_name == wanted
                })
                .map(|group| group.vserver_group_id.clone())
                .ok_or_else(|| {
                    format!(
                        "{}: vserver_group {wanted:?} is not seeded on this balancer",
                        place(index)
                    )
                })?,
        };
        listeners.push(Listener {
            listener_port: seed.port,
            protocol: seed.protocol.clone(),
            backend_server_port: seed.backend_port.unwrap_or(seed.port),
            status: "running".into(),
            vserver_group_id,
            bandwidth: -1,
            scheduler: "wrr".into(),
            description: String::new(),
            health_check: "on".into(),
        });
    }
    Ok(listeners)
}
