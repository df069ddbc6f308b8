//! VPC and SLB resources beyond the implicit per-region network: VPCs and vSwitches created
//! through the API, NAT gateways, common bandwidth packages, SLB listeners and vServer groups.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::Tags;

/// A VPC created with CreateVpc (the region's default VPC is implicit, see `provision::vpc_of`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    pub vpc_id: String,
    pub vpc_name: String,
    pub description: String,
    pub region_id: String,
    pub cidr_block: String,
    /// `Pending` → `Available`.
    pub status: String,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
}

/// A vSwitch created with CreateVSwitch (the zone's default vSwitch is implicit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VSwitch {
    pub vswitch_id: String,
    pub vswitch_name: String,
    pub description: String,
    pub vpc_id: String,
    pub region_id: String,
    pub zone_id: String,
    pub cidr_block: String,
    pub status: String,
    pub creation_time: String,
    pub tags: Tags,
}

/// An enhanced NAT gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGateway {
    pub nat_gateway_id: String,
    pub name: String,
    pub description: String,
    pub region_id: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    /// `Internet` or `Intranet`.
    pub network_type: String,
    pub spec: String,
    pub internet_charge_type: String,
    pub status: String,
    pub private_ip_address: String,
    pub snat_table_id: String,
    pub forward_table_id: String,
    pub creation_time: String,
    pub tags: Tags,
}

/// A common (shared) bandwidth package and the EIPs in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthPackage {
    pub bandwidth_package_id: String,
    pub name: String,
    pub description: String,
    pub region_id: String,
    /// Mbit/s.
    pub bandwidth: i64,
    pub internet_charge_type: String,
    pub isp: String,
    pub ratio: i64,
    pub status: String,
    pub creation_time: String,
    pub resource_group_id: String,
    /// AllocationIds of the EIPs in the package, in the order they were added.
    pub eips: Vec<String>,
    pub tags: Tags,
}

/// The VPC family's resources created through the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Networks {
    #[serde(default)]
    pub vpcs: IndexMap<String, Vpc>,
    #[serde(default)]
    pub vswitches: IndexMap<String, VSwitch>,
    #[serde(default)]
    pub nat_gateways: IndexMap<String, NatGateway>,
    #[serde(default)]
    pub bandwidth_packages: IndexMap<String, BandwidthPackage>,
}

/// A listener of a classic load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub listener_port: i64,
    /// `tcp`, `udp`, `http` or `https`.
    pub protocol: String,
    pub backend_server_port: i64,
    /// `running` or `stopped`.
    pub status: String,
    /// Forwards to this vServer group instead of the default server group, when set.
    #[serde(default)]
    pub vserver_group_id: String,
    pub bandwidth: i64,
    pub scheduler: String,
    pub description: String,
    pub health_check: String,
}

/// A backend of a vServer group: an instance and a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VServerBackend {
    pub server_id: String,
    pub port: i64,
    pub weight: i64,
    pub server_type: String,
    pub description: String,
}

/// A vServer group of a classic load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VServerGroup {
    pub vserver_group_id: String,
    pub vserver_group_name: String,
    pub load_balancer_id: String,
    pub region_id: String,
    pub creation_time: String,
    pub backend_servers: Vec<VServerBackend>,
    pub tags: Tags,
}
