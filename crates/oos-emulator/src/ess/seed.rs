//! The fleet seed's `scaling_groups:` section: groups with their configuration, lifecycle hooks and
//! instances (seeded instances attached, or new ones launched), `InService` from the start unless a
//! hook's `pending` lifecycle action holds them in an activity that is in progress.

use jiff::Timestamp;
use serde::Deserialize;

use super::{
    LifecycleAction, LifecycleHook, ScalingActivity, ScalingConfiguration, ScalingGroup,
    ScalingInstance, millis, state,
};
use crate::model::Tags;
use crate::provision::{InstanceSpec, create_instance, vswitch_of};
use crate::state::{Cloud, ecs_time, new_id};

/// A scaling group of the seed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingGroupSeed {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub min_size: i64,
    #[serde(default = "default_max_size")]
    pub max_size: i64,
    pub desired_capacity: Option<i64>,
    /// Load balancers (ids) whose default server group holds the group's instances.
    #[serde(default)]
    pub load_balancers: Vec<String>,
    #[serde(default)]
    pub configuration: ConfigurationSeed,
    /// Seeded instances (ids) attached to the group.
    #[serde(default)]
    pub instances: Vec<String>,
    /// How many instances the group launched from its configuration.
    #[serde(default)]
    pub launched: u32,
    #[serde(default)]
    pub lifecycle_hooks: Vec<LifecycleHookSeed>,
    /// `false` leaves the group `Inactive`.
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// The group's (active) scaling configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigurationSeed {
    pub id: Option<String>,
    pub name: Option<String>,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    pub security_group: Option<String>,
    pub instance_name: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// A lifecycle hook of a seeded group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleHookSeed {
    pub id: Option<String>,
    pub name: String,
    /// `SCALE_OUT` or `SCALE_IN`.
    pub transition: String,
    #[serde(default = "default_result")]
    pub default_result: String,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_timeout: i64,
    #[serde(default)]
    pub notification_arn: String,
    #[serde(default)]
    pub notification_metadata: String,
    /// A lifecycle action of this hook still waiting for CompleteLifecycleAction.
    pub pending: Option<PendingActionSeed>,
}

/// A pending lifecycle action: the hook holds `instances` (members of the group: `Pending:Wait`
/// for a scale-out, which launched them, `Removing:Wait` for a scale-in) in a scaling activity
/// that is in progress, until CompleteLifecycleAction with `token` or the heartbeat timeout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingActionSeed {
    /// The lifecycle action token (default: a new UUID).
    pub token: Option<String>,
    /// The scaling activity (default: a new id).
    pub activity: Option<String>,
    pub instances: Vec<String>,
}

fn default_region() -> String {
    "cn-hangzhou".into()
}
fn default_max_size() -> i64 {
    10
}
fn enabled() -> bool {
    true
}
fn default_result() -> String {
    "CONTINUE".into()
}
fn default_heartbeat() -> i64 {
    600
}

impl ScalingGroupSeed {
    /// Adds the group (after the instances, security groups and load balancers) to `cloud`.
    pub fn apply(&self, cloud: &mut Cloud, now: Timestamp) -> Result<(), String> {
        let id = self.id.clone().unwrap_or_else(|| new_id("asg"));
        let region = cloud.region(&self.region).ok_or_else(|| {
            format!(
                "region {:?} is not served (add it to `regions`)",
                self.region
            )
        })?;
        let zone = region.zones.first().cloned().unwrap_or_default();
        let size = self.instances.len() as i64 + i64::from(self.launched);
        if !(0..=self.max_size).contains(&self.min_size)
            || !(self.min_size..=self.max_size).contains(&size)
        {
            return Err(format!(
                "min_size {} ≤ instances {size} ≤ max_size {} does not hold",
                self.min_size, self.max_size
            ));
        }
        if cloud.ess.groups.contains_key(&id) {
            return Err(format!("id {id:?} is seeded already"));
        }
        for balancer in &self.load_balancers {
            if !cloud.load_balancers.contains_key(balancer) {
                return Err(format!("load balancer {balancer:?} is not seeded"));
            }
        }
        let configuration = self.configuration(cloud, &id, now)?;
        let mut members = Vec::new();
        for instance_id in &self.instances {
            let instance = cloud
                .instances
                .get(instance_id)
                .ok_or_else(|| format!("instances: {instance_id:?} is not a seeded instance"))?;
            if instance.region_id != self.region {
                return Err(format!(
                    "instances: {instance_id:?} is not in {}",
                    self.region
                ));
            }
            if cloud.ess.group_of(instance_id).is_some() {
                return Err(format!(
                    "instances: {instance_id:?} is in another scaling group"
                ));
            }
            members.push(member(
                instance_id,
                &instance.zone_id,
                "Attached",
                &configuration,
                now,
            ));
        }
        for _ in 0..self.launched {
            let spec = InstanceSpec {
                region_id: self.region.clone(),
                zone_id: zone.clone(),
                instance_name: configuration.instance_name.clone(),
                instance_type: configuration.instance_type.clone(),
                image_id: configuration.image_id.clone(),
                security_group_id: configuration.security_group_id.clone(),
                tags: configuration.tags.clone(),
                ..InstanceSpec::default()
            };
            let instance_id = create_instance(cloud, spec, now);
            members.push(member(
                &instance_id,
                &zone,
                "AutoCreated",
                &configuration,
                now,
            ));
        }
        let weights: Vec<(String, i64)> = members
            .iter()
            .map(|member| (member.instance_id.clone(), member.weight))
            .collect();
        cloud.set_backend_weights(&self.load_balancers, &weights);
        let mut pending = Vec::new();
        for (number, seed) in self.lifecycle_hooks.iter().enumerate() {
            let hook = seed
                .build(&id)
                .map_err(|error| format!("lifecycle_hooks[{number}]: {error}"))?;
            if let Some(action) = &seed.pending {
                pending.push((number, hook.id.clone(), action));
            }
            cloud.ess.hooks.insert(hook.id.clone(), hook);
        }
        let created = ecs_time(now);
        cloud.ess.groups.insert(
            id.clone(),
            ScalingGroup {
                id: id.clone(),
                name: self.name.clone(),
                region_id: self.region.clone(),
                min_size: self.min_size,
                max_size: self.max_size,
                desired_capacity: self.desired_capacity,
                default_cooldown: 300,
                lifecycle_state: if self.enabled { "Active" } else { "Inactive" }.into(),
                active_configuration_id: configuration.id.clone(),
                vswitch_ids: vec![vswitch_of(&zone)],
                load_balancer_ids: self.load_balancers.clone(),
                removal_policies: vec![
                    "OldestScalingConfiguration".into(),
                    "OldestInstance".into(),
                ],
                suspended_processes: Vec::new(),
                health_check_type: "ECS".into(),
                deletion_protection: false,
                creation_time: created.clone(),
                modification_time: created,
                tags: Tags::new(),
                instances: members
                    .into_iter()
                    .map(|member| (member.instance_id.clone(), member))
                    .collect(),
            },
        );
        cloud
            .ess
            .configurations
            .insert(configuration.id.clone(), configuration);
        for (number, hook, action) in pending {
            action
                .apply(cloud, &id, &hook, now)
                .map_err(|error| format!("lifecycle_hooks[{number}]: pending: {error}"))?;
        }
        Ok(())
    }

    fn configuration(
        &self,
        cloud: &Cloud,
        group_id: &str,
        now: Timestamp,
    ) -> Result<ScalingConfiguration, String> {
        let seed = &self.configuration;
        let security_group_id = match &seed.security_group {
            None => String::new(),
            Some(wanted) => crate::fleet::seeded_security_group(cloud, wanted, &self.region)
                .map_err(|error| format!("configuration: {error}"))?,
        };
        let id = seed.id.clone().unwrap_or_else(|| new_id("asc"));
        let instance_type = seed
            .instance_type
            .clone()
            .unwrap_or_else(|| "ecs.g7.large".into());
        Ok(ScalingConfiguration {
            name: seed.name.clone().unwrap_or_else(|| id.clone()),
            id,
            group_id: group_id.to_owned(),
            lifecycle_state: "Active".into(),
            instance_types: vec![instance_type.clone()],
            instance_type,
            image_id: seed
                .image_id
                .clone()
                .unwrap_or_else(|| crate::api::PUBLIC_IMAGES[0].0.into()),
            security_group_id,
            instance_name: seed
                .instance_name
                .clone()
                .unwrap_or_else(|| format!("ESS-{}", self.name)),
            system_disk_category: "cloud_essd".into(),
            system_disk_size: 40,
            internet_charge_type: "PayByTraffic".into(),
            load_balancer_weight: 50,
            tags: seed.tags.clone(),
            creation_time: ecs_time(now),
            ..ScalingConfiguration::default()
        })
    }
}

fn member(
    instance_id: &str,
    zone_id: &str,
    creation_type: &str,
    configuration: &ScalingConfiguration,
    now: Timestamp,
) -> ScalingInstance {
    ScalingInstance {
        instance_id: instance_id.to_owned(),
        lifecycle_state: state::IN_SERVICE.into(),
        creation_type: creation_type.into(),
        entrusted: creation_type == "AutoCreated",
        configuration_id: if creation_type == "AutoCreated" {
            configuration.id.clone()
        } else {
            String::new()
        },
        activity_id: String::new(),
        zone_id: zone_id.to_owned(),
        weight: configuration.load_balancer_weight,
        creation_time: ecs_time(now),
    }
}

impl PendingActionSeed {
    /// Holds the instances for `hook_id` of group `group_id` in a new activity in progress.
    fn apply(
        &self,
        cloud: &mut Cloud,
        group_id: &str,
        hook_id: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        let hook = cloud.ess.hooks[hook_id].clone();
        let token = self.token.clone().unwrap_or_else(super::new_token);
        if cloud.ess.actions.contains_key(&token) {
            return Err(format!("token {token:?} is seeded already"));
        }
        if cloud
            .ess
            .actions
            .values()
            .any(|action| action.group_id == group_id)
        {
            return Err("the group has a pending activity already".into());
        }
        let scale_out = hook.transition == "SCALE_OUT";
        let group = cloud.ess.groups.get_mut(group_id).expect("inserted above");
        for instance_id in &self.instances {
            let member = group.instances.get_mut(instance_id).ok_or_else(|| {
                format!("instances: {instance_id:?} is not an instance of the group")
            })?;
            member.lifecycle_state = if scale_out {
                state::PENDING_WAIT
            } else {
                state::REMOVING_WAIT
            }
            .into();
            if scale_out {
                member.creation_type = "AutoCreated".into();
                member.entrusted = true;
                member.configuration_id = group.active_configuration_id.clone();
            }
        }
        let activity_id = self.activity.clone().unwrap_or_else(|| new_id("asa"));
        for member in &self.instances {
            group.instances[member].activity_id = activity_id.clone();
        }
        let count = self.instances.len();
        let total = group.instances.len() as i64;
        cloud.ess.activities.insert(
            activity_id.clone(),
            ScalingActivity {
                id: activity_id.clone(),
                group_id: group_id.to_owned(),
                description: if scale_out {
                    format!("Add \"{count}\" ECS instance(s)")
                } else {
                    format!("Remove \"{count}\" ECS instance(s)")
                },
                cause: "A user requests to execute scaling rule, changing the Total Capacity."
                    .into(),
                status_code: "InProgress".into(),
                status_message: String::new(),
                start_time: ecs_time(now),
                end_time: String::new(),
                instance_ids: self.instances.clone(),
                total_capacity: total,
                attached_capacity: 0,
                auto_created_capacity: if scale_out { count as i64 } else { 0 },
            },
        );
        cloud.ess.actions.insert(
            token.clone(),
            LifecycleAction {
                token,
                hook_id: hook.id,
                group_id: group_id.to_owned(),
                activity_id,
                instance_ids: self.instances.clone(),
                status: "Pending".into(),
                result: String::new(),
                deadline_ms: millis(now) + hook.heartbeat_timeout * 1000,
            },
        );
        Ok(())
    }
}

impl LifecycleHookSeed {
    fn build(&self, group_id: &str) -> Result<LifecycleHook, String> {
        if !["SCALE_OUT", "SCALE_IN"].contains(&self.transition.as_str()) {
            return Err(format!(
                "transition: {:?} is not SCALE_OUT or SCALE_IN",
                self.transition
            ));
        }
        if !["CONTINUE", "ABANDON", "ROLLBACK"].contains(&self.default_result.as_str()) {
            return Err(format!(
                "default_result: {:?} is not CONTINUE, ABANDON or ROLLBACK",
                self.default_result
            ));
        }
        if !(30..=21600).contains(&self.heartbeat_timeout) {
            return Err("heartbeat_timeout: must be between 30 and 21600 seconds".into());
        }
        Ok(LifecycleHook {
            id: self.id.clone().unwrap_or_else(|| new_id("ash")),
            name: self.name.clone(),
            group_id: group_id.to_owned(),
            transition: self.transition.clone(),
            default_result: self.default_result.clone(),
            heartbeat_timeout: self.heartbeat_timeout,
            notification_arn: self.notification_arn.clone(),
            notification_metadata: self.notification_metadata.clone(),
            status: "Active".into(),
        })
    }
}
