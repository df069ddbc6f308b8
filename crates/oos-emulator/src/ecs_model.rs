//! The ECS resources and instance attributes beyond the core model: key pairs, elastic network
//! interfaces, diagnostic reports, system events, and each instance's billing, RAM role,
//! maintenance and metadata settings. Every field has a default so older state files still load.

use serde::{Deserialize, Serialize};

use crate::model::Tags;

/// `ExpiredTime` of a pay-as-you-go instance (Alibaba shows a far-future date).
pub const NEVER_EXPIRES: &str = "2099-12-31T15:59Z";

/// Settings of an instance that the core model does not carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceSettings {
    /// `ExpiredTime` (minute precision); [`NEVER_EXPIRES`] for PostPaid.
    pub expired_time: String,
    pub auto_renew: AutoRenew,
    /// The attached instance RAM role (empty: none).
    pub ram_role_name: String,
    pub maintenance: Maintenance,
    pub metadata: MetadataOptions,
    /// Mbit/s.
    pub internet_max_bandwidth_in: i64,
    /// Whether a VNC password was set (the password itself is never kept).
    pub vnc_password_set: bool,
    /// Secondary private IPs of the primary network interface.
    pub secondary_private_ips: Vec<String>,
    /// `Unlimited` once set so on a burstable instance; empty: the type's default ([`credit_specification`]).
    pub credit_specification: String,
}

/// Whether an instance type is burstable (`ecs.t5-…`, `ecs.t6-…`): the only ones with a CPU credit
/// mode.
pub fn is_burstable(instance_type: &str) -> bool {
    instance_type.starts_with("ecs.t5-") || instance_type.starts_with("ecs.t6-")
}

/// `CreditSpecification` as DescribeInstances shows it: `Standard` or `Unlimited` for a burstable
/// instance, empty for any other.
pub fn credit_specification(instance_type: &str, settings: &InstanceSettings) -> String {
    match (is_burstable(instance_type), settings.credit_specification.as_str()) {
        (false, _) => String::new(),
        (true, "") => "Standard".into(),
        (true, mode) => mode.into(),
    }
}

impl Default for InstanceSettings {
    fn default() -> Self {
        Self {
            expired_time: NEVER_EXPIRES.into(),
            auto_renew: AutoRenew::default(),
            ram_role_name: String::new(),
            maintenance: Maintenance::default(),
            metadata: MetadataOptions::default(),
            internet_max_bandwidth_in: 100,
            vnc_password_set: false,
            secondary_private_ips: Vec::new(),
            credit_specification: String::new(),
        }
    }
}

/// Auto-renewal of a subscription instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoRenew {
    pub enabled: bool,
    pub duration: i64,
    /// `Month` or `Week`.
    pub period_unit: String,
    /// `AutoRenewal`, `Normal` or `NotRenewal`.
    pub renewal_status: String,
}

impl Default for AutoRenew {
    fn default() -> Self {
        Self {
            enabled: false,
            duration: 0,
            period_unit: "Month".into(),
            renewal_status: "Normal".into(),
        }
    }
}

/// Maintenance attributes of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Maintenance {
    /// `Stop`, `AutoRecover` or `AutoRedeploy`.
    pub action_on_maintenance: String,
    pub notify_on_maintenance: bool,
    /// `(StartTime, EndTime)` pairs, `HH:mm:ssZ`.
    pub windows: Vec<(String, String)>,
}

impl Default for Maintenance {
    fn default() -> Self {
        Self {
            action_on_maintenance: "AutoRecover".into(),
            notify_on_maintenance: false,
            windows: vec![("18:00:00Z".into(), "21:00:00Z".into())],
        }
    }
}

/// Instance metadata service options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetadataOptions {
    /// `enabled` or `disabled`.
    pub http_endpoint: String,
    /// `optional` or `required` (security-hardened mode).
    pub http_tokens: String,
    pub http_put_response_hop_limit: i64,
    /// `enabled` or `disabled`.
    pub instance_metadata_tags: String,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        Self {
            http_endpoint: "enabled".into(),
            http_tokens: "optional".into(),
            http_put_response_hop_limit: 1,
            instance_metadata_tags: "disabled".into(),
        }
    }
}

/// An SSH key pair (only the public half is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPair {
    pub key_pair_name: String,
    pub key_pair_id: String,
    pub region_id: String,
    /// OpenSSH format (`ssh-ed25519 AAAA…`, `ssh-rsa AAAA…`).
    pub public_key: String,
    /// MD5 of the decoded public key blob, lower-case hex.
    pub finger_print: String,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
}

/// A secondary elastic network interface (primary ones are derived from their instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub network_interface_id: String,
    pub network_interface_name: String,
    pub description: String,
    pub region_id: String,
    pub zone_id: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub security_group_ids: Vec<String>,
    pub primary_ip: String,
    pub secondary_ips: Vec<String>,
    pub mac_address: String,
    /// `Available` or `InUse`.
    pub status: String,
    /// The instance it is attached to (empty when Available).
    pub instance_id: String,
    pub device_index: i64,
    pub delete_on_release: bool,
    pub creation_time: String,
    pub resource_group_id: String,
    pub tags: Tags,
}

/// A diagnostic report of an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticReport {
    pub report_id: String,
    pub region_id: String,
    pub resource_id: String,
    pub metric_set_id: String,
    pub start_time: String,
    pub end_time: String,
    pub creation_time: String,
    /// When it is `Finished` (ms since the epoch); `InProgress` before.
    pub finished_at_ms: i64,
    pub finished_time: String,
    /// `Healthy` or `Warn` (from the instance's status when the report was asked for).
    pub severity: String,
    /// The instance status seen when the report was created.
    pub instance_status: String,
}

/// A system event of an instance (seeded: ECS raises them, the API cannot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemEvent {
    pub event_id: String,
    pub region_id: String,
    pub instance_id: String,
    /// `SystemMaintenance.Reboot`, `SystemMaintenance.IsolateErrorDisk`, …
    pub event_type: String,
    /// `Inquiring`, `Scheduled` (shown `Executed` once `not_before` has passed), `Executed`,
    /// `Avoided`, `Canceled` or `Failed`.
    pub status: String,
    pub publish_time: String,
    /// When the event's operation runs.
    pub not_before: String,
    pub reason: String,
}
