//! Fleet seed files (YAML): regions, instance groups with generator shorthand
//! (`count`, `{index}` name patterns, values cycled from lists), custom images, security
//! groups, load balancers, the Cloud Assistant's scripted command results, and the monitor's
//! alarm rules and metric values.

use std::path::Path;

use indexmap::IndexMap;
use jiff::Timestamp;
use serde::Deserialize;

use crate::EmulatorError;
use crate::model::{BackendServer, Image, LoadBalancer, SecurityGroup, Tags};
use crate::monitor::{AlarmRule, MetricValue};
use crate::provision::{InstanceSpec, create_instance, vpc_of};
use crate::state::{Cloud, Region, default_regions, new_id, utc_time};

/// One value, or a list cycled over the generated items.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The value for the item at 1-based `index`, with `{index}` patterns expanded.
    pub(crate) fn pick(&self, index: u32) -> String {
        let value = match self {
            Self::One(value) => value.clone(),
            Self::Many(values) if values.is_empty() => String::new(),
            Self::Many(values) => values[(index as usize - 1) % values.len()].clone(),
        };
        expand(&value, index)
    }
}

/// Expands `{index}` and `{index:0N}` (zero-padded to N digits).
fn expand(pattern: &str, index: u32) -> String {
    let mut out = pattern.replace("{index}", &index.to_string());
    while let Some(start) = out.find("{index:0") {
        let Some(end) = out[start..].find('}').map(|offset| start + offset) else {
            break;
        };
        let width: usize = out[start + 8..end].parse().unwrap_or(1);
        out.replace_range(start..=end, &format!("{index:0width$}"));
    }
    out
}

fn one(value: &str) -> OneOrMany {
    OneOrMany::One(value.to_string())
}

/// A group of generated instances.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceGroup {
    /// How many (default: as many as `ids`, at least one).
    pub count: Option<u32>,
    /// Fixed ids (used in order; the rest are generated).
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default = "default_instance_name")]
    pub name: OneOrMany,
    #[serde(default = "default_region")]
    pub region: OneOrMany,
    pub zone: Option<OneOrMany>,
    #[serde(default = "default_status")]
    pub status: OneOrMany,
    pub instance_type: Option<OneOrMany>,
    pub image_id: Option<String>,
    /// Security group by id or by the name of a seeded group.
    pub security_group: Option<String>,
    #[serde(default)]
    pub data_disks: Vec<i64>,
    #[serde(default)]
    pub tags: IndexMap<String, OneOrMany>,
    /// A seeded key pair bound to each instance (Linux images only).
    #[serde(default)]
    pub key_pair: Option<String>,
    /// An instance RAM role attached to each instance.
    #[serde(default)]
    pub ram_role: Option<String>,
    /// `PostPaid` (default) or `PrePaid` (a one-month subscription from the seed time).
    #[serde(default)]
    pub charge_type: Option<OneOrMany>,
    /// Auto-renewal of `PrePaid` instances (one month at a time).
    #[serde(default)]
    pub auto_renew: bool,
    /// A fixed public IP (with 5 Mbit/s out): `true` for `47.98.` + the private IP's last two
    /// numbers, or the address (a pattern, or a list cycled over the group).
    #[serde(default)]
    pub public_ip: Option<crate::seed_resources::PublicIpSeed>,
}

/// An SSH key pair known to the cloud (its public half, OpenSSH format).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPairSeed {
    pub name: String,
    #[serde(default = "default_region_name")]
    pub region: String,
    pub public_key: String,
}

/// A group of custom images.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageGroup {
    /// How many (default: as many as `ids`, at least one).
    pub count: Option<u32>,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default = "default_image_name")]
    pub name: OneOrMany,
    #[serde(default = "default_region")]
    pub region: OneOrMany,
    /// Creation time (e.g. `2020-01-01T00:00:00Z`), to seed old images.
    pub creation_time: Option<String>,
    #[serde(default)]
    pub tags: IndexMap<String, OneOrMany>,
}

/// A named security group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSeed {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "default_region_name")]
    pub region: String,
    #[serde(default)]
    pub description: String,
}

/// A load balancer whose default server group holds the first `backends` instances of its region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSeed {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "default_region_name")]
    pub region: String,
    #[serde(default)]
    pub backends: usize,
    /// Listeners (default: one running TCP listener on port 80 to backend port 80; `[]` for none).
    #[serde(default)]
    pub listeners: Option<Vec<ListenerSeed>>,
    /// vServer groups on this balancer.
    #[serde(default)]
    pub vserver_groups: Vec<VServerGroupSeed>,
}

/// A running listener of a seeded load balancer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerSeed {
    pub port: i64,
    /// `tcp` (default), `udp`, `http` or `https`.
    #[serde(default = "default_listener_protocol")]
    pub protocol: String,
    /// Default: the listener port.
    pub backend_port: Option<i64>,
    /// Forward to the seeded vServer group of this id or name instead of the default group.
    pub vserver_group: Option<String>,
}

/// A vServer group holding the first `backends` instances of the balancer's region on `port`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VServerGroupSeed {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub backends: usize,
    #[serde(default = "default_backend_port")]
    pub port: i64,
}

fn default_listener_protocol() -> String {
    "tcp".into()
}
fn default_backend_port() -> i64 {
    80
}

/// A whole seed file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSeed {
    /// Regions to serve (default: a built-in list); zones are `<region>-a`, `-b`, `-c`
    /// unless the region is built in.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroupSeed>,
    #[serde(default)]
    pub instances: Vec<InstanceGroup>,
    #[serde(default)]
    pub images: Vec<ImageGroup>,
    #[serde(default)]
    pub load_balancers: Vec<LoadBalancerSeed>,
    /// What commands run by the Cloud Assistant print and exit with (first match wins).
    #[serde(default)]
    pub commands: Vec<crate::ScriptedResult>,
    /// CloudMonitor-like alarm rules (names unique).
    #[serde(default, rename = "alarmRules", alias = "alarm_rules")]
    pub alarm_rules: Vec<AlarmRule>,
    /// Metric values, set in order after the rules (each is an evaluation, so it may fire alarms).
    #[serde(default)]
    pub metrics: Vec<MetricValue>,
    /// SSH key pairs (seeded before the instances, which may name them).
    #[serde(default)]
    pub key_pairs: Vec<KeyPairSeed>,
    /// The RAM roles instances may be given (default: any name).
    #[serde(default)]
    pub ram_roles: Vec<String>,
    /// Auto Scaling groups (after the instances and load balancers they refer to).
    #[serde(default)]
    pub scaling_groups: Vec<crate::ess::seed::ScalingGroupSeed>,
    /// Elastic IPs, free or bound to a seeded instance.
    #[serde(default)]
    pub eips: Vec<crate::seed_resources::EipSeed>,
    /// Common bandwidth packages holding seeded EIPs.
    #[serde(default)]
    pub bandwidth_packages: Vec<crate::seed_resources::BandwidthPackageSeed>,
    /// Automatic snapshot policies, applied to the disks of seeded instances.
    #[serde(default)]
    pub auto_snapshot_policies: Vec<crate::seed_resources::AutoSnapshotPolicySeed>,
    /// System events of seeded instances (ECS raises them; the API cannot).
    #[serde(default)]
    pub system_events: Vec<crate::seed_resources::SystemEventSeed>,
}

/// How many a group makes: `count`, else one per fixed id (at least one); fewer than the ids is refused.
fn group_size(count: Option<u32>, ids: &[String]) -> Result<u32, String> {
    let fixed = u32::try_from(ids.len()).map_err(|_| "too many ids".to_string())?;
    match count {
        Some(count) if count < fixed => {
            Err(format!("count {count} is less than the {fixed} ids given"))
        }
        Some(count) => Ok(count),
        None => Ok(fixed.max(1)),
    }
}
fn default_instance_name() -> OneOrMany {
    one("instance-{index}")
}
fn default_image_name() -> OneOrMany {
    one("image-{index}")
}
fn default_region() -> OneOrMany {
    one("cn-hangzhou")
}
fn default_region_name() -> String {
    "cn-hangzhou".into()
}
fn default_status() -> OneOrMany {
    one("Running")
}

impl FleetSeed {
    /// Parses a YAML seed; errors carry line and column.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        serde_saphyr::from_str(text).map_err(|error| error.to_string())
    }

    /// Reads and parses a seed file.
    pub fn from_file(path: &Path) -> Result<Self, EmulatorError> {
        let failed = |message: String| EmulatorError::Seed {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|error| failed(error.to_string()))?;
        Self::from_yaml(&text).map_err(failed)
    }

    /// A small default fleet: three Running instances in `region`.
    pub fn small(region: &str) -> Self {
        Self {
            instances: vec![InstanceGroup {
                count: Some(3),
                ids: Vec::new(),
                name: one("demo-{index}"),
                region: one(region),
                zone: None,
                status: default_status(),
                instance_type: None,
                image_id: None,
                security_group: None,
                data_disks: Vec::new(),
                tags: IndexMap::from([("env".to_string(), one("demo"))]),
                key_pair: None,
                ram_role: None,
                charge_type: None,
                auto_renew: false,
                public_ip: None,
            }],
            ..Self::default()
        }
    }

    /// The regions this seed serves.
    pub fn regions(&self) -> Vec<Region> {
        if self.regions.is_empty() {
            return default_regions();
        }
        let known = default_regions();
        self.regions
            .iter()
            .map(|name| {
                known
                    .iter()
                    .find(|region| &region.region_id == name)
                    .cloned()
                    .unwrap_or_else(|| Region {
                        region_id: name.clone(),
                        local_name: name.clone(),
                        zones: ["a", "b", "c"]
                            .iter()
                            .map(|zone| format!("{name}-{zone}"))
                            .collect(),
                    })
            })
            .collect()
    }

    /// Checks references (regions, security groups) and fills `cloud`.
    pub fn apply(&self, cloud: &mut Cloud, now: Timestamp) -> Result<(), String> {
        let served: Vec<String> = cloud
            .regions
            .iter()
            .map(|region| region.region_id.clone())
            .collect();
        let check_region = |region: &str, what: &str| {
            if served.iter().any(|name| name == region) {
                Ok(())
            } else {
                Err(format!(
                    "{what}: region {region:?} is not served (add it to `regions`)"
                ))
            }
        };
        for group in &self.security_groups {
            check_region(&group.region, &format!("security group {:?}", group.name))?;
            let id = group.id.clone().unwrap_or_else(|| new_id("sg"));
            cloud.security_groups.insert(
                id.clone(),
                SecurityGroup {
                    security_group_id: id,
                    security_group_name: group.name.clone(),
                    description: group.description.clone(),
                    region_id: group.region.clone(),
                    vpc_id: vpc_of(&group.region),
                    creation_time: utc_time(now),
                    resource_group_id: String::new(),
                    rules: Vec::new(),
                    tags: Tags::new(),
                },
            );
        }
        for (number, script) in self.commands.iter().enumerate() {
            script
                .validate()
                .map_err(|error| format!("commands[{number}]: {error}"))?;
        }
        cloud.assistant.scripts = self.commands.clone();
        cloud.ram_roles = self.ram_roles.clone();
        for (number, pair) in self.key_pairs.iter().enumerate() {
            let place = format!("key_pairs[{number}] ({:?})", pair.name);
            check_region(&pair.region, &place)?;
            crate::api::seed_key_pair(cloud, &pair.region, &pair.name, &pair.public_key, &utc_time(now))
                .map_err(|error| format!("{place}: {error}"))?;
        }
        for (number, group) in self.instances.iter().enumerate() {
            let size = group_size(group.count, &group.ids)
                .map_err(|error| format!("instances[{number}]: {error}"))?;
            for index in 1..=size {
                let spec = self
                    .instance_spec(cloud, group, index)
                    .map_err(|error| format!("instances[{number}]: {error}"))?;
                check_region(&spec.region_id, &format!("instances[{number}]"))?;
                let id = create_instance(cloud, spec, now);
                crate::seed_resources::instance_settings(cloud, group, index, &id, now)
                    .map_err(|error| format!("instances[{number}]: {error}"))?;
            }
        }
        for (number, group) in self.images.iter().enumerate() {
            let size = group_size(group.count, &group.ids)
                .map_err(|error| format!("images[{number}]: {error}"))?;
            for index in 1..=size {
                let image = image_from(group, index, now)
                    .map_err(|error| format!("images[{number}]: {error}"))?;
                check_region(&image.region_id, &format!("images[{number}]"))?;
                cloud.images.insert(image.image_id.clone(), image);
            }
        }
        for balancer in &self.load_balancers {
            check_region(
                &balancer.region,
                &format!("load balancer {:?}", balancer.name),
            )?;
            let groups = crate::seed_network::vserver_groups(cloud, balancer, now);
            let backends = cloud
                .instances
                .values()
                .filter(|instance| instance.region_id == balancer.region)
                .take(balancer.backends)
                .map(|instance| BackendServer {
                    server_id: instance.instance_id.clone(),
                    weight: 100,
                    server_type: "ecs".into(),
                })
                .collect();
            let id = balancer.id.clone().unwrap_or_else(|| new_id("lb"));
            let listeners = crate::seed_network::listeners(balancer, &groups)?;
            crate::seed_network::insert_groups(cloud, &id, groups);
            cloud.load_balancers.insert(
                id.clone(),
                LoadBalancer {
                    load_balancer_id: id,
                    load_balancer_name: balancer.name.clone(),
                    region_id: balancer.region.clone(),
                    address: format!("172.16.200.{}", cloud.load_balancers.len() + 1),
                    status: "active".into(),
                    creation_time: utc_time(now),
                    backend_servers: backends,
                    tags: Tags::new(),
                    listeners,
                },
            );
        }
        for (number, group) in self.scaling_groups.iter().enumerate() {
            group
                .apply(cloud, now)
                .map_err(|error| format!("scaling_groups[{number}] ({:?}): {error}", group.name))?;
        }
        crate::seed_resources::apply(self, cloud, now)?;
        self.apply_monitor(cloud, now)
    }

    fn apply_monitor(&self, cloud: &mut Cloud, now: Timestamp) -> Result<(), String> {
        for (number, rule) in self.alarm_rules.iter().enumerate() {
            let place = format!("alarmRules[{number}] ({:?})", rule.rule_name);
            if self.alarm_rules[..number]
                .iter()
                .any(|earlier| earlier.rule_name == rule.rule_name)
            {
                return Err(format!(
                    "{place}: ruleName: a rule of this name is seeded already"
                ));
            }
            cloud
                .put_alarm_rule(rule.clone())
                .map_err(|error| format!("{place}: {error}"))?;
        }
        for (number, metric) in self.metrics.iter().enumerate() {
            cloud
                .set_metric(metric.clone(), now)
                .map_err(|error| format!("metrics[{number}]: {error}"))?;
        }
        Ok(())
    }

    fn instance_spec(
        &self,
        cloud: &Cloud,
        group: &InstanceGroup,
        index: u32,
    ) -> Result<InstanceSpec, String> {
        let region_id = group.region.pick(index);
        let status = group.status.pick(index);
        if !["Running", "Stopped"].contains(&status.as_str()) {
            return Err(format!("status {status:?} must be Running or Stopped"));
        }
        let security_group_id = match &group.security_group {
            None => String::new(),
            Some(wanted) => seeded_security_group(cloud, wanted, &region_id)?,
        };
        Ok(InstanceSpec {
            instance_id: group.ids.get(index as usize - 1).cloned(),
            zone_id: group
                .zone
                .as_ref()
                .map(|zone| zone.pick(index))
                .unwrap_or_default(),
            instance_name: group.name.pick(index),
            instance_type: group
                .instance_type
                .as_ref()
                .map(|kind| kind.pick(index))
                .unwrap_or_default(),
            image_id: group.image_id.clone().unwrap_or_default(),
            security_group_id,
            status,
            data_disk_sizes: group.data_disks.clone(),
            tags: group
                .tags
                .iter()
                .map(|(key, value)| (key.clone(), value.pick(index)))
                .collect(),
            region_id,
            ..InstanceSpec::default()
        })
    }
}

/// The id of the seeded security group `wanted` (an id, or a name in `region_id`).
pub(crate) fn seeded_security_group(
    cloud: &Cloud,
    wanted: &str,
    region_id: &str,
) -> Result<String, String> {
    cloud
        .security_groups
        .values()
        .find(|group| {
            group.security_group_id == wanted
                || (group.security_group_name == wanted && group.region_id == region_id)
        })
        .map(|group| group.security_group_id.clone())
        .ok_or_else(|| format!("security group {wanted:?} is not seeded in {region_id}"))
}

fn image_from(group: &ImageGroup, index: u32, now: Timestamp) -> Result<Image, String> {
    let creation_time = match &group.creation_time {
        Some(text) => text
            .parse::<Timestamp>()
            .map_err(|error| format!("creation_time {text:?}: {error}"))?,
        None => now,
    };
    let region_id = group.region.pick(index);
    let image_id = group
        .ids
        .get(index as usize - 1)
        .cloned()
        .unwrap_or_else(|| new_id("m"));
    Ok(Image {
        image_name: group.name.pick(index),
        description: String::new(),
        owner_alias: "self".into(),
        status: "Available".into(),
        size: 40,
        os_name: crate::api::PUBLIC_IMAGES[0].1.into(),
        os_type: "linux".into(),
        platform: "Aliyun".into(),
        architecture: "x86_64".into(),
        source_instance_id: String::new(),
        snapshot_ids: Vec::new(),
        shared_accounts: Vec::new(),
        creation_time: utc_time(creation_time),
        resource_group_id: String::new(),
        tags: group
            .tags
            .iter()
            .map(|(key, value)| (key.clone(), value.pick(index)))
            .collect(),
        pending: Vec::new(),
        image_id,
        region_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_expand_the_index() {
        assert_eq!(expand("web-{index}", 7), "web-7");
        assert_eq!(expand("web-{index:04}-{index}", 7), "web-0007-7");
    }

    #[test]
    fn a_group_makes_one_instance_per_fixed_id() {
        let ids = ["a", "b", "c"].map(String::from);
        assert_eq!(group_size(None, &ids), Ok(3));
        assert_eq!(group_size(None, &[]), Ok(1));
        assert_eq!(group_size(Some(5), &ids), Ok(5));
        assert!(group_size(Some(2), &ids).unwrap_err().contains("count 2"));
    }

    #[test]
    fn lists_cycle_over_the_group() {
        let regions = OneOrMany::Many(vec!["a".into(), "b".into()]);
        assert_eq!([1, 2, 3].map(|index| regions.pick(index)), ["a", "b", "a"]);
    }
}
