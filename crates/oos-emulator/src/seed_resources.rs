//! The fleet seed's per-instance settings (key pair, RAM role, billing, `public_ip:` of an
//! instance group) and its `eips:`, `bandwidth_packages:`, `auto_snapshot_policies:` and
//! `system_events:` sections, applied after the instances they name.

use jiff::Timestamp;
use serde::Deserialize;

use crate::fleet::{FleetSeed, InstanceGroup, OneOrMany};
use crate::model::Tags;
use crate::network_model::BandwidthPackage;
use crate::state::{Cloud, new_id, utc_time};
use crate::storage_model::AutoSnapshotPolicy;

/// `public_ip:` of an instance group: `true` (an address derived from the private IP) or the
/// address itself (a `{index}` pattern, or a list cycled over the group).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PublicIpSeed {
    Derived(bool),
    Address(OneOrMany),
}

/// An elastic IP of the seed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EipSeed {
    pub id: Option<String>,
    /// The address (default `47.99.0.N`, N counting the seeded EIPs from 1).
    pub ip: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// Mbit/s.
    #[serde(default = "default_eip_bandwidth")]
    pub bandwidth: i64,
    /// A seeded instance of the same region the EIP is bound to (`InUse`); else `Available`.
    pub instance: Option<String>,
}

/// A common bandwidth package of the seed, holding seeded EIPs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandwidthPackageSeed {
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// Mbit/s, 1–5000.
    #[serde(default = "default_package_bandwidth")]
    pub bandwidth: i64,
    /// Seeded EIPs (allocation ids or addresses) in the package.
    #[serde(default)]
    pub eips: Vec<String>,
}

/// An automatic snapshot policy of the seed, applied to the disks of seeded instances.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoSnapshotPolicySeed {
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    /// Hours of the day (0–23).
    #[serde(default = "default_time_points")]
    pub time_points: Vec<i64>,
    /// Days of the week (1–7).
    #[serde(default = "every_day")]
    pub repeat_weekdays: Vec<i64>,
    /// Days; -1 keeps the snapshots forever.
    #[serde(default = "default_retention")]
    pub retention_days: i64,
    /// Seeded instances whose disks (system and data) follow the policy.
    #[serde(default)]
    pub instances: Vec<String>,
    /// Disks (ids) that follow the policy.
    #[serde(default)]
    pub disks: Vec<String>,
}

/// A system event of a seeded instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemEventSeed {
    /// Default `e-…`.
    pub id: Option<String>,
    /// A seeded instance; the event is in its region.
    pub instance: String,
    /// An instance event type (default `SystemMaintenance.Reboot`).
    #[serde(rename = "type", default = "default_event_type")]
    pub event_type: String,
    /// Default `Inquiring` (AcceptInquiredSystemEvent accepts it).
    #[serde(default = "default_event_status")]
    pub status: String,
    /// When its operation runs (RFC 3339; default three days after the seed is applied).
    pub not_before: Option<String>,
    #[serde(default)]
    pub reason: String,
}

fn default_event_type() -> String {
    "SystemMaintenance.Reboot".into()
}
fn default_event_status() -> String {
    "Inquiring".into()
}
fn default_region() -> String {
    "cn-hangzhou".into()
}
fn default_eip_bandwidth() -> i64 {
    5
}
fn default_package_bandwidth() -> i64 {
    10
}
fn default_time_points() -> Vec<i64> {
    vec![2]
}
fn every_day() -> Vec<i64> {
    (1..=7).collect()
}
fn default_retention() -> i64 {
    7
}

/// Whether `address` is an instance's public IP or an EIP already.
fn address_taken(cloud: &Cloud, address: &str) -> bool {
    cloud.eips.values().any(|eip| eip.ip_address == address)
        || cloud
            .instances
            .values()
            .any(|instance| instance.public_ips.iter().any(|ip| ip == address))
}

/// Gives the seeded instance `id` (the `index`-th of its group) its public IP.
fn give_public_ip(
    cloud: &mut Cloud,
    id: &str,
    seed: &PublicIpSeed,
    index: u32,
) -> Result<(), String> {
    let instance = cloud.instances.get(id).expect("just created");
    let address = match seed {
        PublicIpSeed::Derived(false) => return Ok(()),
        PublicIpSeed::Derived(true) => {
            let tail: Vec<&str> = instance.private_ip.rsplitn(3, '.').take(2).collect();
            format!("47.98.{}.{}", tail[1], tail[0])
        }
        PublicIpSeed::Address(pattern) => pattern.pick(index),
    };
    if address.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(format!("public_ip {address:?} is not an IPv4 address"));
    }
    if address_taken(cloud, &address) {
        return Err(format!("public_ip {address:?} is used twice"));
    }
    let instance = cloud.instances.get_mut(id).expect("just created");
    instance.public_ips = vec![address];
    instance.internet_max_bandwidth_out = instance.internet_max_bandwidth_out.max(5);
    Ok(())
}

/// Applies a group's key pair, RAM role, billing and public IP to the instance `id` it just made.
pub(crate) fn instance_settings(
    cloud: &mut Cloud,
    group: &InstanceGroup,
    index: u32,
    id: &str,
    now: Timestamp,
) -> Result<(), String> {
    let instance = cloud.instances.get(id).expect("just created");
    let region = instance.region_id.clone();
    if let Some(name) = &group.key_pair {
        if !cloud.key_pairs.contains_key(&format!("{region}/{name}")) {
            return Err(format!("key_pair {name:?} is not seeded in {region}"));
        }
        if instance.os_type == "windows" {
            return Err(format!("key_pair {name:?}: a Windows instance cannot use an SSH key pair"));
        }
    }
    if let Some(role) = &group.ram_role
        && !cloud.ram_roles.is_empty()
        && !cloud.ram_roles.contains(role)
    {
        return Err(format!("ram_role {role:?} is not among ram_roles"));
    }
    let charge_type = group.charge_type.as_ref().map(|kind| kind.pick(index));
    let instance = cloud.instances.get_mut(id).expect("just created");
    if let Some(name) = &group.key_pair {
        instance.key_pair_name = name.clone();
    }
    if let Some(role) = &group.ram_role {
        instance.settings.ram_role_name = role.clone();
    }
    match charge_type.as_deref() {
        None | Some("PostPaid") => {}
        Some("PrePaid") => {
            instance.instance_charge_type = "PrePaid".into();
            instance.settings.expired_time = crate::api::expiry_after(now, 1, "Month");
            if group.auto_renew {
                instance.settings.auto_renew = crate::AutoRenew {
                    enabled: true,
                    duration: 1,
                    period_unit: "Month".into(),
                    renewal_status: "AutoRenewal".into(),
                };
            }
        }
        Some(other) => return Err(format!("charge_type {other:?} must be PostPaid or PrePaid")),
    }
    if let Some(seed) = &group.public_ip {
        give_public_ip(cloud, id, seed, index)?;
    }
    Ok(())
}

/// Applies the seed's EIPs, bandwidth packages and automatic snapshot policies.
pub fn apply(seed: &FleetSeed, cloud: &mut Cloud, now: Timestamp) -> Result<(), String> {
    let served = |cloud: &Cloud, region: &str| {
        if cloud.region(region).is_some() {
            Ok(())
        } else {
            Err(format!(
                "region {region:?} is not served (add it to `regions`)"
            ))
        }
    };
    for (number, eip) in seed.eips.iter().enumerate() {
        served(cloud, &eip.region)
            .and_then(|()| seed_eip(cloud, eip, number, now))
            .map_err(|error| format!("eips[{number}]: {error}"))?;
    }
    for (number, package) in seed.bandwidth_packages.iter().enumerate() {
        served(cloud, &package.region)
            .and_then(|()| seed_package(cloud, package, now))
            .map_err(|error| format!("bandwidth_packages[{number}]: {error}"))?;
    }
    for (number, policy) in seed.auto_snapshot_policies.iter().enumerate() {
        served(cloud, &policy.region)
            .and_then(|()| seed_policy(cloud, policy, now))
            .map_err(|error| format!("auto_snapshot_policies[{number}]: {error}"))?;
    }
    for (number, event) in seed.system_events.iter().enumerate() {
        seed_event(cloud, event, now).map_err(|error| format!("system_events[{number}]: {error}"))?;
    }
    Ok(())
}

fn seed_event(cloud: &mut Cloud, seed: &SystemEventSeed, now: Timestamp) -> Result<(), String> {
    let known = |table: &[(&str, i64)], name: &str| table.iter().any(|(known, _)| *known == name);
    if !known(&crate::api::EVENT_TYPES, &seed.event_type) {
        let types: Vec<&str> = crate::api::EVENT_TYPES.iter().map(|(name, _)| *name).collect();
        return Err(format!("type {:?} must be one of {}", seed.event_type, types.join(", ")));
    }
    if !known(&crate::api::CYCLE_STATUSES, &seed.status) {
        let statuses: Vec<&str> = crate::api::CYCLE_STATUSES.iter().map(|(name, _)| *name).collect();
        return Err(format!("status {:?} must be one of {}", seed.status, statuses.join(", ")));
    }
    let instance = cloud
        .instances
        .get(&seed.instance)
        .ok_or_else(|| format!("instance {:?} is not seeded", seed.instance))?;
    let not_before = match &seed.not_before {
        Some(text) => text.parse::<Timestamp>().map_err(|error| format!("not_before {text:?}: {error}"))?,
        None => now + jiff::SignedDuration::from_hours(72),
    };
    let id = seed.id.clone().unwrap_or_else(|| new_id("e"));
    if cloud.system_events.contains_key(&id) {
        return Err(format!("id {id:?} is used twice"));
    }
    let event = crate::ecs_model::SystemEvent {
        event_id: id.clone(),
        region_id: instance.region_id.clone(),
        instance_id: instance.instance_id.clone(),
        event_type: seed.event_type.clone(),
        status: seed.status.clone(),
        publish_time: utc_time(now),
        not_before: utc_time(not_before),
        reason: seed.reason.clone(),
    };
    cloud.system_events.insert(id, event);
    Ok(())
}

fn seed_eip(
    cloud: &mut Cloud,
    seed: &EipSeed,
    number: usize,
    now: Timestamp,
) -> Result<(), String> {
    let address = seed
        .ip
        .clone()
        .unwrap_or_else(|| format!("47.99.0.{}", number + 1));
    if address.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(format!("ip {address:?} is not an IPv4 address"));
    }
    if address_taken(cloud, &address) {
        return Err(format!("ip {address:?} is used twice"));
    }
    if !(1..=500).contains(&seed.bandwidth) {
        return Err(format!("bandwidth {} must be 1-500 Mbit/s", seed.bandwidth));
    }
    let id = seed.id.clone().unwrap_or_else(|| new_id("eip"));
    if cloud.eips.contains_key(&id) {
        return Err(format!("id {id:?} is used twice"));
    }
    if let Some(instance) = &seed.instance {
        match cloud.instances.get(instance) {
            Some(found) if found.region_id != seed.region => {
                return Err(format!("instance {instance:?} is not in {}", seed.region));
            }
            Some(found) if found.eip_allocation_id.is_some() || !found.public_ips.is_empty() => {
                return Err(format!(
                    "instance {instance:?} has a public IP or an EIP already"
                ));
            }
            Some(_) => {}
            None => return Err(format!("instance {instance:?} is not seeded")),
        }
    }
    let mut eip = crate::api::new_eip(
        &id,
        &address,
        &seed.region,
        &seed.bandwidth.to_string(),
        "PayByTraffic",
        &utc_time(now),
    );
    eip.name = seed.name.clone();
    cloud.eips.insert(id.clone(), eip);
    if let Some(instance) = &seed.instance {
        crate::api::bind_eip(cloud, &id, instance, "EcsInstance");
    }
    Ok(())
}

fn seed_package(
    cloud: &mut Cloud,
    seed: &BandwidthPackageSeed,
    now: Timestamp,
) -> Result<(), String> {
    if !(1..=5000).contains(&seed.bandwidth) {
        return Err(format!(
            "bandwidth {} must be 1-5000 Mbit/s",
            seed.bandwidth
        ));
    }
    let id = seed.id.clone().unwrap_or_else(|| new_id("cbwp"));
    if cloud.networks.bandwidth_packages.contains_key(&id) {
        return Err(format!("id {id:?} is used twice"));
    }
    let mut members = Vec::new();
    for wanted in &seed.eips {
        let eip = cloud
            .eips
            .values()
            .find(|eip| {
                (eip.allocation_id == *wanted || eip.ip_address == *wanted)
                    && eip.region_id == seed.region
            })
            .ok_or_else(|| format!("eips: {wanted:?} is not a seeded EIP of {}", seed.region))?;
        if crate::api::package_of(cloud, &eip.allocation_id).is_some()
            || members.contains(&eip.allocation_id)
        {
            return Err(format!(
                "eips: {wanted:?} is in a bandwidth package already"
            ));
        }
        members.push(eip.allocation_id.clone());
    }
    cloud.networks.bandwidth_packages.insert(
        id.clone(),
        BandwidthPackage {
            bandwidth_package_id: id,
            name: seed.name.clone(),
            description: String::new(),
            region_id: seed.region.clone(),
            bandwidth: seed.bandwidth,
            internet_charge_type: "PayByBandwidth".into(),
            isp: "BGP".into(),
            ratio: 100,
            status: "Available".into(),
            creation_time: utc_time(now),
            resource_group_id: String::new(),
            eips: members,
            tags: Tags::new(),
        },
    );
    Ok(())
}

fn seed_policy(
    cloud: &mut Cloud,
    seed: &AutoSnapshotPolicySeed,
    now: Timestamp,
) -> Result<(), String> {
    let list = |numbers: &[i64]| serde_json::to_string(numbers).expect("numbers serialise");
    let time_points = crate::api::number_array(&list(&seed.time_points), 0..=23, 24, "time_points")
        .map_err(|_| "time_points: 1-24 hours from 0 to 23".to_string())?;
    let weekdays =
        crate::api::number_array(&list(&seed.repeat_weekdays), 1..=7, 7, "repeat_weekdays")
            .map_err(|_| "repeat_weekdays: 1-7 days from 1 to 7".to_string())?;
    if seed.retention_days != -1 && !(1..=65536).contains(&seed.retention_days) {
        return Err(format!(
            "retention_days {} must be -1 (forever) or 1-65536",
            seed.retention_days
        ));
    }
    let id = seed.id.clone().unwrap_or_else(|| new_id("sp"));
    if cloud.auto_snapshot_policies.contains_key(&id) {
        return Err(format!("id {id:?} is used twice"));
    }
    let mut disks = Vec::new();
    for instance in &seed.instances {
        let found = cloud
            .instances
            .get(instance)
            .filter(|found| found.region_id == seed.region)
            .ok_or_else(|| {
                format!(
                    "instances: {instance:?} is not a seeded instance of {}",
                    seed.region
                )
            })?;
        let id = found.instance_id.clone();
        disks.extend(
            cloud
                .disks
                .values()
                .filter(|disk| disk.instance_id == id)
                .map(|disk| disk.disk_id.clone()),
        );
    }
    for disk in &seed.disks {
        cloud
            .disks
            .get(disk)
            .filter(|found| found.region_id == seed.region)
            .ok_or_else(|| format!("disks: {disk:?} is not a disk of {}", seed.region))?;
        disks.push(disk.clone());
    }
    cloud.auto_snapshot_policies.insert(
        id.clone(),
        AutoSnapshotPolicy {
            auto_snapshot_policy_id: id.clone(),
            auto_snapshot_policy_name: seed.name.clone(),
            region_id: seed.region.clone(),
            time_points,
            repeat_weekdays: weekdays,
            retention_days: seed.retention_days,
            enable_cross_region_copy: false,
            target_copy_regions: String::new(),
            copied_snapshots_retention_days: -1,
            creation_time: utc_time(now),
            resource_group_id: String::new(),
            tags: Tags::new(),
        },
    );
    for disk in disks {
        cloud
            .disk_settings
            .entry(disk)
            .or_default()
            .auto_snapshot_policy_id = id.clone();
    }
    Ok(())
}
