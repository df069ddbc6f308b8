//! The emulated resources: instances, disks, snapshots, images, security groups, EIPs, load
//! balancers, and the pending status steps that make their state machines asynchronous.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Tags of a resource, in insertion order.
pub type Tags = IndexMap<String, String>;

/// A status change that takes effect at a wall-clock time (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingStep {
    /// The status the resource takes.
    pub status: String,
    /// When it takes it.
    pub at_ms: i64,
}

/// Instance lifecycle states (ECS names).
pub mod instance_status {
    /// Being created.
    pub const PENDING: &str = "Pending";
    /// Booting.
    pub const STARTING: &str = "Starting";
    /// Up.
    pub const RUNNING: &str = "Running";
    /// Shutting down.
    pub const STOPPING: &str = "Stopping";
    /// Down.
    pub const STOPPED: &str = "Stopped";
    /// Released (only ever seen in an `Instance:StateChange` event).
    pub const DELETED: &str = "Deleted";
}

/// An ECS instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub instance_id: String,
    pub instance_name: String,
    pub description: String,
    pub host_name: String,
    pub region_id: String,
    pub zone_id: String,
    pub instance_type: String,
    pub cpu: i64,
    /// MiB.
    pub memory: i64,
    pub image_id: String,
    pub os_name: String,
    pub os_type: String,
    pub status: String,
    pub creation_time: String,
    pub start_time: String,
    pub security_group_ids: Vec<String>,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub private_ip: String,
    pub public_ips: Vec<String>,
    /// AllocationId of the associated EIP.
    pub eip_allocation_id: Option<String>,
    pub resource_group_id: String,
    pub instance_charge_type: String,
    pub internet_charge_type: String,
    pub internet_max_bandwidth_out: i64,
    pub key_pair_name: String,
    pub deletion_protection: bool,
    pub stopped_mode: String,
    pub tags: Tags,
    pub pending: Vec<PendingStep>,
    /// Billing, RAM role, maintenance and metadata settings.
    #[serde(default)]
    pub settings: crate::ecs_model::InstanceSettings,
}

/// An ECS block storage disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    pub disk_id: String,
    pub disk_name: String,
    pub description: String,
    pub region_id: String,
    pub zone_id: String,
    /// `system` or `data`.
    pub disk_type: String,
    pub category: String,
    /// GiB.
    pub size: i64,
    /// `In_use`, `Available`, `Attaching`, `Detaching`, `Creating`.
    pub status: String,
    pub instance_id: String,
    pub device: String,
    pub image_id: String,
    pub source_snapshot_id: String,
    pub delete_with_instance: bool,
    pub portable: bool,
    pub encrypted: bool,
    pub creation_time: String,
    pub attached_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
    pub pending: Vec<PendingStep>,
}

/// A disk snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub snapshot_name: String,
    pub description: String,
    pub region_id: String,
    pub source_disk_id: String,
    pub source_disk_type: String,
    pub source_disk_size: i64,
    /// `progressing` or `accomplished`.
    pub status: String,
    pub retention_days: Option<i64>,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
    pub pending: Vec<PendingStep>,
}

/// A custom or public image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub image_id: String,
    pub image_name: String,
    pub description: String,
    pub region_id: String,
    /// `self` (custom) or `system` (public).
    pub owner_alias: String,
    /// `Creating`, `Available`, `CreateFailed`.
    pub status: String,
    pub size: i64,
    pub os_name: String,
    pub os_type: String,
    pub platform: String,
    pub architecture: String,
    pub source_instance_id: String,
    pub snapshot_ids: Vec<String>,
    pub shared_accounts: Vec<String>,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
    pub pending: Vec<PendingStep>,
}

/// One security group rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    pub rule_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    pub ip_protocol: String,
    pub port_range: String,
    pub source_cidr_ip: String,
    pub dest_cidr_ip: String,
    pub source_group_id: String,
    pub dest_group_id: String,
    pub policy: String,
    pub priority: String,
    pub nic_type: String,
    pub description: String,
    pub create_time: String,
}

/// A security group and its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub security_group_id: String,
    pub security_group_name: String,
    pub description: String,
    pub region_id: String,
    pub vpc_id: String,
    pub creation_time: String,
    pub resource_group_id: String,
    pub rules: Vec<SecurityGroupRule>,
    pub tags: Tags,
}

/// An elastic IP address (VPC API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eip {
    pub allocation_id: String,
    pub ip_address: String,
    pub name: String,
    pub region_id: String,
    /// `Available`, `Associating`, `InUse`, `Unassociating`.
    pub status: String,
    pub instance_id: String,
    pub instance_type: String,
    pub bandwidth: String,
    pub internet_charge_type: String,
    pub allocation_time: String,
    pub tags: Tags,
}

/// A backend server of a load balancer's default server group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendServer {
    pub server_id: String,
    pub weight: i64,
    pub server_type: String,
}

/// A classic load balancer (SLB API) with its default server group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub load_balancer_id: String,
    pub load_balancer_name: String,
    pub region_id: String,
    pub address: String,
    pub status: String,
    pub creation_time: String,
    pub backend_servers: Vec<BackendServer>,
    pub tags: Tags,
    /// Listeners, by port.
    #[serde(default)]
    pub listeners: Vec<crate::network_model::Listener>,
}

/// Lets the state machine handle every resource kind that has pending steps alike.
pub trait Stepped {
    /// The pending steps, earliest first.
    fn pending_mut(&mut self) -> &mut Vec<PendingStep>;
    /// The status field.
    fn status_mut(&mut self) -> &mut String;
}

macro_rules! stepped {
    ($($kind:ty),*) => {$(
        impl Stepped for $kind {
            fn pending_mut(&mut self) -> &mut Vec<PendingStep> {
                &mut self.pending
            }
            fn status_mut(&mut self) -> &mut String {
                &mut self.status
            }
        }
    )*};
}
stepped!(Instance, Disk, Snapshot, Image);
