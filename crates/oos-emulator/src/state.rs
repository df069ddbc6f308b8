//! The whole emulated cloud in one value: resources by id, regions, and the clock-driven
//! settling of pending status steps. Serialises to JSON for persistence.

use indexmap::IndexMap;
use jiff::Timestamp;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::model::{
    Disk, Eip, Image, Instance, LoadBalancer, PendingStep, SecurityGroup, Snapshot, Stepped,
};

/// A region and its zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub region_id: String,
    pub local_name: String,
    pub zones: Vec<String>,
}

/// The regions an emulator serves when the seed names none.
pub fn default_regions() -> Vec<Region> {
    [
        ("cn-hangzhou", "华东1（杭州）", &["h", "i", "j", "k"][..]),
        ("cn-shanghai", "华东2（上海）", &["e", "f", "g"][..]),
        ("cn-beijing", "华北2（北京）", &["h", "i", "j"][..]),
        ("cn-shenzhen", "华南1（深圳）", &["d", "e", "f"][..]),
        ("ap-southeast-1", "新加坡", &["a", "b", "c"][..]),
        ("us-west-1", "美国（硅谷）", &["a", "b"][..]),
    ]
    .iter()
    .map(|(region, name, zones)| Region {
        region_id: region.to_string(),
        local_name: name.to_string(),
        zones: zones
            .iter()
            .map(|zone| format!("{region}-{zone}"))
            .collect(),
    })
    .collect()
}

/// Every resource of the emulated cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cloud {
    pub regions: Vec<Region>,
    pub instances: IndexMap<String, Instance>,
    pub disks: IndexMap<String, Disk>,
    pub snapshots: IndexMap<String, Snapshot>,
    pub images: IndexMap<String, Image>,
    pub security_groups: IndexMap<String, SecurityGroup>,
    pub eips: IndexMap<String, Eip>,
    pub load_balancers: IndexMap<String, LoadBalancer>,
    /// Earliest pending step of any resource (ms); `None` when nothing is in flight.
    #[serde(default)]
    next_due_ms: Option<i64>,
    /// Cloud Assistant commands, invocations, file deliveries and scripted results.
    #[serde(default)]
    pub assistant: crate::api::Assistant,
    /// Answers to mutating calls that carried a ClientToken.
    #[serde(default)]
    pub(crate) answered: crate::idempotency::Answered,
    /// Metric values and alarm rules with their states.
    #[serde(default)]
    pub monitor: crate::monitor::Monitor,
    /// SSH key pairs, by `<region>/<name>`.
    #[serde(default)]
    pub key_pairs: IndexMap<String, crate::ecs_model::KeyPair>,
    /// Secondary elastic network interfaces, by id.
    #[serde(default)]
    pub network_interfaces: IndexMap<String, crate::ecs_model::NetworkInterface>,
    /// Instance diagnostic reports, by id.
    #[serde(default)]
    pub diagnostic_reports: IndexMap<String, crate::ecs_model::DiagnosticReport>,
    /// Instance system events, by id.
    #[serde(default)]
    pub system_events: IndexMap<String, crate::ecs_model::SystemEvent>,
    /// The RAM roles instances may be given; empty: any role name exists.
    #[serde(default)]
    pub ram_roles: Vec<String>,
    /// Auto Scaling groups, configurations, rules, hooks, actions and activities.
    #[serde(default)]
    pub ess: crate::ess::Ess,
    /// Events and alarms raised and not yet published (published when the lock is released).
    #[serde(skip)]
    pub(crate) raised: Vec<crate::events::Published>,
    /// Disk settings (performance level, charge type, automatic snapshots), by disk id.
    #[serde(default)]
    pub disk_settings: IndexMap<String, crate::storage_model::DiskSettings>,
    /// Automatic snapshot policies by id.
    #[serde(default)]
    pub auto_snapshot_policies: IndexMap<String, crate::storage_model::AutoSnapshotPolicy>,
    /// Image export and import tasks by id.
    #[serde(default)]
    pub tasks: IndexMap<String, crate::storage_model::Task>,
    /// VPCs, vSwitches, NAT gateways and bandwidth packages created through the API.
    #[serde(default)]
    pub networks: crate::network_model::Networks,
    /// SLB vServer groups by id.
    #[serde(default)]
    pub vserver_groups: IndexMap<String, crate::network_model::VServerGroup>,
}

impl Default for Cloud {
    fn default() -> Self {
        Self::with_regions(default_regions())
    }
}

impl Cloud {
    /// An empty cloud serving `regions`.
    pub fn with_regions(regions: Vec<Region>) -> Self {
        Self {
            regions,
            instances: IndexMap::new(),
            disks: IndexMap::new(),
            snapshots: IndexMap::new(),
            images: IndexMap::new(),
            security_groups: IndexMap::new(),
            eips: IndexMap::new(),
            load_balancers: IndexMap::new(),
            assistant: Default::default(),
            answered: Default::default(),
            monitor: Default::default(),
            key_pairs: IndexMap::new(),
            network_interfaces: IndexMap::new(),
            diagnostic_reports: IndexMap::new(),
            system_events: IndexMap::new(),
            ram_roles: Vec::new(),
            ess: Default::default(),
            raised: Vec::new(),
            next_due_ms: None,
            disk_settings: IndexMap::new(),
            auto_snapshot_policies: IndexMap::new(),
            tasks: IndexMap::new(),
            networks: Default::default(),
            vserver_groups: IndexMap::new(),
        }
    }

    /// The region called `region_id`, if served.
    pub fn region(&self, region_id: &str) -> Option<&Region> {
        self.regions
            .iter()
            .find(|region| region.region_id == region_id)
    }

    /// Applies every pending step due at `now`.
    pub fn settle(&mut self, now: Timestamp) {
        let now_ms = now.as_millisecond();
        if self.next_due_ms.is_none_or(|due| due > now_ms) {
            return;
        }
        let mut next = None;
        let mut reached_by_instances = Vec::new();
        settle_all(self.instances.values_mut(), now_ms, &mut next, |instance, steps| {
            reached_by_instances.extend(steps.iter().map(|step| (instance.instance_id.clone(), step.clone())));
        });
        settle_all(self.disks.values_mut(), now_ms, &mut next, |_, _| {});
        settle_all(self.snapshots.values_mut(), now_ms, &mut next, |_, _| {});
        settle_all(self.images.values_mut(), now_ms, &mut next, |_, _| {});
        self.next_due_ms = next;
        for (id, step) in reached_by_instances {
            self.raise_state_change(&id, &step.status, step.at_ms);
        }
    }

    /// Records that some step falls due at `at_ms`, so [`Cloud::settle`] looks again then.
    pub fn note_due(&mut self, at_ms: i64) {
        self.next_due_ms = Some(self.next_due_ms.map_or(at_ms, |due| due.min(at_ms)));
    }

    /// Recomputes the next due time after resources were edited directly.
    pub fn recompute_due(&mut self) {
        self.next_due_ms = Some(i64::MIN);
        self.settle(Timestamp::MIN);
    }
}

/// Applies the due steps of `items`, telling `reached` each item's steps that took effect.
fn settle_all<'a, T: Stepped + 'a>(
    items: impl Iterator<Item = &'a mut T>,
    now_ms: i64,
    next: &mut Option<i64>,
    mut reached: impl FnMut(&T, &[PendingStep]),
) {
    for item in items {
        let pending = item.pending_mut();
        if pending.is_empty() {
            continue;
        }
        let due = pending
            .iter()
            .take_while(|step| step.at_ms <= now_ms)
            .count();
        let taken: Vec<PendingStep> = pending.drain(..due).collect();
        if let Some(first_left) = pending.first() {
            *next = Some(next.map_or(first_left.at_ms, |at: i64| at.min(first_left.at_ms)));
        }
        if let Some(last) = taken.last() {
            *item.status_mut() = last.status.clone();
            reached(item, &taken);
        }
    }
}

/// Moves `item` through `steps`: the first status applies now, each later one after a
/// further `delay_ms`; with no delay the last status applies at once.
pub fn schedule<T: Stepped>(
    cloud_due: &mut Option<i64>,
    item: &mut T,
    steps: &[&str],
    now: Timestamp,
    delay_ms: i64,
) {
    let pending = item.pending_mut();
    pending.clear();
    if delay_ms <= 0 || steps.len() == 1 {
        *item.status_mut() = steps.last().expect("at least one step").to_string();
        return;
    }
    let now_ms = now.as_millisecond();
    for (index, status) in steps.iter().enumerate().skip(1) {
        pending.push(PendingStep {
            status: status.to_string(),
            at_ms: now_ms + delay_ms * index as i64,
        });
    }
    let first_due = now_ms + delay_ms;
    *cloud_due = Some(cloud_due.map_or(first_due, |due| due.min(first_due)));
    *item.status_mut() = steps[0].to_string();
}

macro_rules! scheduler {
    ($($name:ident => $map:ident),*) => {
        impl Cloud {$(
            #[doc = concat!("Schedules status steps on one of `", stringify!($map), "` (see [`schedule`]).")]
            pub fn $name(&mut self, id: &str, steps: &[&str], now: Timestamp, delay_ms: i64) {
                if let Some(item) = self.$map.get_mut(id) {
                    schedule(&mut self.next_due_ms, item, steps, now, delay_ms);
                }
            }
        )*}
    };
}
scheduler!(schedule_disk => disks, schedule_snapshot => snapshots, schedule_image => images);

impl Cloud {
    /// Schedules status steps on instance `id` (see [`schedule`]) and raises `Instance:StateChange`
    /// for the first step now, or for every step now when they all apply at once; later steps
    /// raise theirs when [`Cloud::settle`] reaches them.
    pub fn schedule_instance(&mut self, id: &str, steps: &[&str], now: Timestamp, delay_ms: i64) {
        let Some(instance) = self.instances.get_mut(id) else {
            return;
        };
        schedule(&mut self.next_due_ms, instance, steps, now, delay_ms);
        let at_once = if instance.pending.is_empty() { steps.len() } else { 1 };
        for status in &steps[..at_once] {
            self.raise_state_change(id, status, now.as_millisecond());
        }
    }
}

/// A new resource id: `prefix-` + 20 lower-case letters and digits, like Alibaba's.
pub fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{tail}")
}

/// ECS time format (`2017-12-10T04:04Z`, minute precision).
pub fn ecs_time(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%MZ").to_string()
}

/// Second-precision UTC time (`2017-12-10T04:04:05Z`).
pub fn utc_time(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
