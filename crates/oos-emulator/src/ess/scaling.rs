//! The scaling transitions: scale-out through the ECS provisioning path, scale-in through instance
//! release, lifecycle hooks holding instances in a wait state with a pending action, and the
//! decisions (CompleteLifecycleAction, heartbeat timeout) that end the wait.

use oos_acs::AcsError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    LifecycleAction, ScalingActivity, ScalingGroup, ScalingInstance, codes, millis, new_token,
    oos_template, state,
};
use crate::api::Ctx;
use crate::events::EventKind;
use crate::model::{BackendServer, instance_status};
use crate::provision::{InstanceSpec, create_instance};
use crate::state::{Cloud, ecs_time, new_id, utc_time};

/// How a rule changes the number of instances (the variants are ESS's `AdjustmentType` names).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Adjustment {
    /// Add (or remove, when negative) this many.
    QuantityChangeInCapacity(i64),
    /// Change by this percentage, by at least `min_magnitude` instances.
    PercentChangeInCapacity { percent: i64, min_magnitude: i64 },
    /// Make the group this size.
    TotalCapacity(i64),
}

impl Adjustment {
    /// Reads `AdjustmentType`/`AdjustmentValue` (and `MinAdjustmentMagnitude`).
    pub fn parse(kind: &str, value: i64, min_magnitude: i64) -> Result<Self, AcsError> {
        match kind {
            "QuantityChangeInCapacity" => Ok(Self::QuantityChangeInCapacity(value)),
            "PercentChangeInCapacity" => Ok(Self::PercentChangeInCapacity {
                percent: value,
                min_magnitude,
            }),
            "TotalCapacity" if value >= 0 => Ok(Self::TotalCapacity(value)),
            "TotalCapacity" => Err(AcsError::invalid_parameter(
                "AdjustmentValue",
                "must not be negative for TotalCapacity",
            )),
            other => Err(AcsError::invalid_parameter(
                "AdjustmentType",
                format!(
                    "{other:?} is not QuantityChangeInCapacity, PercentChangeInCapacity or TotalCapacity"
                ),
            )),
        }
    }

    /// `(AdjustmentType, AdjustmentValue, MinAdjustmentMagnitude)`.
    pub fn wire(self) -> (&'static str, i64, i64) {
        match self {
            Self::QuantityChangeInCapacity(value) => ("QuantityChangeInCapacity", value, 0),
            Self::PercentChangeInCapacity {
                percent,
                min_magnitude,
            } => ("PercentChangeInCapacity", percent, min_magnitude),
            Self::TotalCapacity(value) => ("TotalCapacity", value, 0),
        }
    }

    /// The size wanted from `current` instances, before the group's bounds.
    pub fn target(self, current: i64) -> i64 {
        match self {
            Self::QuantityChangeInCapacity(value) => current + value,
            Self::TotalCapacity(value) => value,
            Self::PercentChangeInCapacity {
                percent,
                min_magnitude,
            } => {
                let change = current * percent / 100;
                let change = if change.abs() < min_magnitude {
                    min_magnitude * percent.signum()
                } else {
                    change
                };
                current + change
            }
        }
    }
}

/// States that count towards a group's capacity for scaling decisions.
const COUNTED: [&str; 5] = [
    state::IN_SERVICE,
    state::PENDING,
    state::PENDING_WAIT,
    state::PROTECTED,
    state::STANDBY,
];

impl Cloud {
    /// Drops members whose ECS instance is gone and applies the default result of every lifecycle
    /// action whose heartbeat timed out.
    pub(crate) fn ess_reconcile(&mut self, ctx: &Ctx) {
        let instances = &self.instances;
        for group in self.ess.groups.values_mut() {
            group.instances.retain(|id, _| instances.contains_key(id));
        }
        let now_ms = millis(ctx.now);
        let expired: Vec<String> = self
            .ess
            .actions
            .values()
            .filter(|action| action.status == "Pending" && action.deadline_ms <= now_ms)
            .map(|action| action.token.clone())
            .collect();
        for token in expired {
            let hook_id = self.ess.actions[&token].hook_id.clone();
            let result = self
                .ess
                .hooks
                .get(&hook_id)
                .map_or("CONTINUE".to_owned(), |hook| hook.default_result.clone());
            self.decide(&token, &result, "Timeout", ctx);
        }
    }

    /// The current size of a group for scaling (everything but instances on their way out).
    pub(crate) fn ess_capacity(group: &ScalingGroup) -> i64 {
        group.count(&COUNTED)
    }

    /// Refuses a new activity while one of the group is in progress.
    fn check_no_activity(&self, group_id: &str) -> Result<(), AcsError> {
        if self
            .ess
            .activities
            .values()
            .any(|activity| activity.group_id == group_id && activity.status_code == "InProgress")
        {
            return Err(AcsError::new(
                codes::ACTIVITY_IN_PROGRESS,
                "You cannot delete a scaling group or launch a new scaling activity while there is a scaling activity in progress for the specified scaling group.",
            ));
        }
        Ok(())
    }

    fn start_activity(
        &mut self,
        group_id: &str,
        description: String,
        cause: &str,
        ctx: &Ctx,
    ) -> String {
        let id = new_id("asa");
        let total = self.ess.groups.get(group_id).map_or(0, Cloud::ess_capacity);
        self.ess.activities.insert(
            id.clone(),
            ScalingActivity {
                id: id.clone(),
                group_id: group_id.to_owned(),
                description,
                cause: cause.to_owned(),
                status_code: "InProgress".into(),
                status_message: String::new(),
                start_time: ecs_time(ctx.now),
                end_time: String::new(),
                instance_ids: Vec::new(),
                total_capacity: total,
                attached_capacity: 0,
                auto_created_capacity: 0,
            },
        );
        id
    }

    /// Ends activity `id` when none of its lifecycle actions is pending any more.
    fn settle_activity(&mut self, id: &str, ctx: &Ctx) {
        if self
            .ess
            .actions
            .values()
            .any(|action| action.activity_id == id && action.status == "Pending")
        {
            return;
        }
        let Some(activity) = self.ess.activities.get(id) else {
            return;
        };
        let group = self.ess.groups.get(&activity.group_id);
        let kept = activity
            .instance_ids
            .iter()
            .filter(|instance| group.is_some_and(|group| group.instances.contains_key(*instance)))
            .count();
        let abandoned = self
            .ess
            .actions
            .values()
            .any(|action| action.activity_id == id && action.result != "CONTINUE");
        let total = group.map_or(0, Cloud::ess_capacity);
        let activity = self.ess.activities.get_mut(id).expect("looked up above");
        activity.total_capacity = total;
        activity.end_time = ecs_time(ctx.now);
        (activity.status_code, activity.status_message) = match (abandoned, kept) {
            (false, _) => ("Successful".into(), String::new()),
            (true, 0) if activity.description.starts_with("Add") => (
                "Failed".into(),
                "The lifecycle hook ended the scale-out with ABANDON or ROLLBACK.".into(),
            ),
            (true, _) => (
                "Warning".into(),
                "A lifecycle hook ended with ABANDON or ROLLBACK.".into(),
            ),
        };
    }

    /// Puts `instance_ids` (already members) through the group's `transition` hooks: a pending
    /// action per active hook, the instances in `wait_state`. Returns whether any hook holds them.
    fn hold_for_hooks(
        &mut self,
        group_id: &str,
        activity_id: &str,
        instance_ids: &[String],
        transition: &str,
        wait_state: &str,
        ctx: &Ctx,
    ) -> bool {
        let hooks: Vec<_> = self
            .ess
            .hooks
            .values()
            .filter(|hook| {
                hook.group_id == group_id
                    && hook.transition == transition
                    && hook.status == "Active"
            })
            .cloned()
            .collect();
        if hooks.is_empty() || instance_ids.is_empty() {
            return false;
        }
        let group = self
            .ess
            .groups
            .get_mut(group_id)
            .expect("the caller checked the group");
        for id in instance_ids {
            if let Some(member) = group.instances.get_mut(id) {
                member.lifecycle_state = wait_state.to_owned();
            }
        }
        let region = group.region_id.clone();
        for hook in hooks {
            let token = new_token();
            self.ess.actions.insert(
                token.clone(),
                LifecycleAction {
                    token: token.clone(),
                    hook_id: hook.id.clone(),
                    group_id: group_id.to_owned(),
                    activity_id: activity_id.to_owned(),
                    instance_ids: instance_ids.to_vec(),
                    status: "Pending".into(),
                    result: String::new(),
                    deadline_ms: millis(ctx.now) + hook.heartbeat_timeout * 1000,
                },
            );
            let event = json!({
                "id": new_id("evt"), "product": "ESS", "name": "LifecycleAction:Pending", "level": "INFO",
                "regionId": region, "resourceId": group_id, "time": utc_time(ctx.now),
                "content": {
                    "scalingGroupId": group_id, "scalingActivityId": activity_id, "lifecycleHookId": hook.id,
                    "lifecycleHookName": hook.name, "lifecycleTransition": hook.transition,
                    "lifecycleActionToken": token, "instanceIds": instance_ids, "regionId": region,
                    "notificationArn": hook.notification_arn, "notificationMetadata": hook.notification_metadata,
                    "oosTemplateName": oos_template(&hook.notification_arn),
                },
            });
            self.raise(EventKind::Event, event);
        }
        true
    }

    /// Launches `count` instances from the group's active configuration (the ECS RunInstances
    /// path: Pending → Starting → Running); returns the activity id.
    pub(crate) fn ess_scale_out(
        &mut self,
        group_id: &str,
        count: i64,
        cause: &str,
        ctx: &Ctx,
    ) -> Result<String, AcsError> {
        let group = self.ess.group(group_id)?;
        super::require_active(group)?;
        if Cloud::ess_capacity(group) + count > group.max_size {
            return Err(AcsError::new(
                codes::MAX_SIZE,
                format!(
                    "To add {count} instances, the total capacity will be greater than the scaling group max size {}.",
                    group.max_size
                ),
            ));
        }
        let configuration = self
            .ess
            .configurations
            .get(&group.active_configuration_id)
            .cloned()
            .ok_or_else(|| {
                AcsError::new(
                    codes::INCORRECT_GROUP_STATUS,
                    format!("The scaling group {group_id} has no active scaling configuration."),
                )
            })?;
        let (region, vswitch, name) = (
            group.region_id.clone(),
            group.vswitch_ids.first().cloned().unwrap_or_default(),
            group.name.clone(),
        );
        self.check_no_activity(group_id)?;
        let activity_id = self.start_activity(
            group_id,
            format!("Add \"{count}\" ECS instance(s)"),
            cause,
            ctx,
        );
        let zone = self.zone_of_vswitch(&region, &vswitch);
        let mut launched = Vec::new();
        for _ in 0..count {
            let spec = InstanceSpec {
                region_id: region.clone(),
                zone_id: zone.clone(),
                instance_name: if configuration.instance_name.is_empty() {
                    format!("ESS-{name}")
                } else {
                    configuration.instance_name.clone()
                },
                host_name: configuration.host_name.clone(),
                instance_type: configuration.instance_type.clone(),
                image_id: configuration.image_id.clone(),
                security_group_id: configuration.security_group_id.clone(),
                vswitch_id: vswitch.clone(),
                status: instance_status::PENDING.into(),
                system_disk_size: configuration.system_disk_size,
                system_disk_category: configuration.system_disk_category.clone(),
                data_disk_sizes: configuration.data_disk_sizes.clone(),
                internet_max_bandwidth_out: configuration.internet_max_bandwidth_out,
                tags: configuration.tags.clone(),
                ..InstanceSpec::default()
            };
            let id = create_instance(self, spec, ctx.now);
            if let Some(instance) = self.instances.get_mut(&id) {
                instance.key_pair_name = configuration.key_pair_name.clone();
            }
            self.schedule_instance(
                &id,
                &[
                    instance_status::PENDING,
                    instance_status::STARTING,
                    instance_status::RUNNING,
                ],
                ctx.now,
                ctx.delay_ms,
            );
            launched.push(id);
        }
        let members: Vec<ScalingInstance> = launched
            .iter()
            .map(|id| ScalingInstance {
                instance_id: id.clone(),
                lifecycle_state: state::PENDING.into(),
                creation_type: "AutoCreated".into(),
                entrusted: true,
                configuration_id: configuration.id.clone(),
                activity_id: activity_id.clone(),
                zone_id: self.instances[id].zone_id.clone(),
                weight: configuration.load_balancer_weight,
                creation_time: ecs_time(ctx.now),
            })
            .collect();
        self.join(group_id, &activity_id, members, "auto_created", ctx);
        Ok(activity_id)
    }

    /// Adds existing instances to a group as `Attached`; returns the activity id.
    pub(crate) fn ess_attach(
        &mut self,
        group_id: &str,
        members: Vec<ScalingInstance>,
        ctx: &Ctx,
    ) -> Result<String, AcsError> {
        let group = self.ess.group(group_id)?;
        super::require_active(group)?;
        if Cloud::ess_capacity(group) + members.len() as i64 > group.max_size {
            return Err(AcsError::new(
                codes::MAX_SIZE,
                format!(
                    "To attach {} instances, the total capacity will be greater than the scaling group max size {}.",
                    members.len(),
                    group.max_size
                ),
            ));
        }
        self.check_no_activity(group_id)?;
        let activity_id = self.start_activity(
            group_id,
            format!("Add \"{}\" ECS instance(s)", members.len()),
            "A user attaches instances.",
            ctx,
        );
        let members = members
            .into_iter()
            .map(|member| ScalingInstance {
                activity_id: activity_id.clone(),
                ..member
            })
            .collect();
        self.join(group_id, &activity_id, members, "attached", ctx);
        Ok(activity_id)
    }

    fn join(
        &mut self,
        group_id: &str,
        activity_id: &str,
        members: Vec<ScalingInstance>,
        kind: &str,
        ctx: &Ctx,
    ) {
        let ids: Vec<String> = members
            .iter()
            .map(|member| member.instance_id.clone())
            .collect();
        let group = self
            .ess
            .groups
            .get_mut(group_id)
            .expect("checked by the caller");
        for member in members {
            group.instances.insert(member.instance_id.clone(), member);
        }
        let activity = self
            .ess
            .activities
            .get_mut(activity_id)
            .expect("just started");
        activity.instance_ids = ids.clone();
        if kind == "attached" {
            activity.attached_capacity = ids.len() as i64;
        } else {
            activity.auto_created_capacity = ids.len() as i64;
        }
        if !self.hold_for_hooks(
            group_id,
            activity_id,
            &ids,
            "SCALE_OUT",
            state::PENDING_WAIT,
            ctx,
        ) {
            self.put_in_service(group_id, &ids);
        }
        self.settle_activity(activity_id, ctx);
    }

    fn put_in_service(&mut self, group_id: &str, ids: &[String]) {
        let Some(group) = self.ess.groups.get_mut(group_id) else {
            return;
        };
        for id in ids {
            if let Some(member) = group.instances.get_mut(id) {
                member.lifecycle_state = state::IN_SERVICE.into();
            }
        }
        let weights: Vec<(String, i64)> = ids
            .iter()
            .filter_map(|id| {
                group
                    .instances
                    .get(id)
                    .map(|member| (id.clone(), member.weight))
            })
            .collect();
        let balancers = group.load_balancer_ids.clone();
        self.set_backend_weights(&balancers, &weights);
    }

    /// Sets (adds) the backend weight of `weights` on `balancers`.
    pub(crate) fn set_backend_weights(&mut self, balancers: &[String], weights: &[(String, i64)]) {
        for (_, balancer) in self
            .load_balancers
            .iter_mut()
            .filter(|(id, _)| balancers.contains(id))
        {
            for (id, weight) in weights {
                balancer
                    .backend_servers
                    .retain(|server| &server.server_id != id);
                balancer.backend_servers.push(BackendServer {
                    server_id: id.clone(),
                    weight: *weight,
                    server_type: "ecs".into(),
                });
            }
        }
    }

    /// Takes `ids` out of the group (through the SCALE_IN hooks); released when `release` and they
    /// were auto-created. Returns the activity id.
    pub(crate) fn ess_scale_in(
        &mut self,
        group_id: &str,
        ids: &[String],
        release: bool,
        cause: &str,
        ctx: &Ctx,
    ) -> Result<String, AcsError> {
        let group = self.ess.group(group_id)?;
        super::require_active(group)?;
        for id in ids {
            if !group.instances.contains_key(id) {
                return Err(AcsError::new(
                    codes::INSTANCE_NOT_FOUND,
                    format!("Instance \"{id}\" does not exist in the scaling group {group_id}."),
                ));
            }
        }
        let left = Cloud::ess_capacity(group) - ids.len() as i64;
        if left < group.min_size {
            return Err(AcsError::new(
                codes::MIN_SIZE,
                format!(
                    "To remove {} instances, the total capacity will be lesser than the scaling group min size {}.",
                    ids.len(),
                    group.min_size
                ),
            ));
        }
        self.check_no_activity(group_id)?;
        let activity_id = self.start_activity(
            group_id,
            format!("Remove \"{}\" ECS instance(s)", ids.len()),
            cause,
            ctx,
        );
        let group = self.ess.groups.get_mut(group_id).expect("checked above");
        for id in ids {
            let member = group.instances.get_mut(id).expect("checked above");
            member.lifecycle_state = state::REMOVING.into();
            member.activity_id = activity_id.clone();
            if !release {
                member.creation_type = "Attached".into();
            }
        }
        self.ess
            .activities
            .get_mut(&activity_id)
            .expect("just started")
            .instance_ids = ids.to_vec();
        if !self.hold_for_hooks(
            group_id,
            &activity_id,
            ids,
            "SCALE_IN",
            state::REMOVING_WAIT,
            ctx,
        ) {
            self.leave(group_id, ids, ctx);
        }
        self.settle_activity(&activity_id, ctx);
        Ok(activity_id)
    }

    /// Removes members from the group, releasing the auto-created ones.
    fn leave(&mut self, group_id: &str, ids: &[String], ctx: &Ctx) {
        let Some(group) = self.ess.groups.get_mut(group_id) else {
            return;
        };
        let balancers = group.load_balancer_ids.clone();
        let mut released = Vec::new();
        for id in ids {
            if let Some(member) = group.instances.shift_remove(id)
                && member.creation_type == "AutoCreated"
            {
                released.push(id.clone());
            }
        }
        for (_, balancer) in self
            .load_balancers
            .iter_mut()
            .filter(|(id, _)| balancers.contains(id))
        {
            balancer
                .backend_servers
                .retain(|server| !ids.contains(&server.server_id));
        }
        for id in released {
            if self.instances.contains_key(&id) {
                crate::api::release_instance(self, &id, ctx);
            }
        }
    }

    /// Applies `result` to the lifecycle action `token` (status `Completed` or `Timeout`): the
    /// waiting instances go on once no other hook holds them.
    pub(crate) fn decide(&mut self, token: &str, result: &str, status: &str, ctx: &Ctx) {
        let Some(action) = self.ess.actions.get_mut(token) else {
            return;
        };
        action.status = status.to_owned();
        action.result = result.to_owned();
        let action = action.clone();
        let siblings: Vec<&LifecycleAction> = self
            .ess
            .actions
            .values()
            .filter(|other| other.activity_id == action.activity_id)
            .collect();
        if siblings.iter().any(|other| other.status == "Pending") {
            return;
        }
        let scale_in = self
            .ess
            .hooks
            .get(&action.hook_id)
            .is_some_and(|hook| hook.transition == "SCALE_IN");
        let results: Vec<&str> = siblings.iter().map(|other| other.result.as_str()).collect();
        let go_on = if scale_in {
            // Scale-in: any ROLLBACK keeps the instances; otherwise they leave.
            !results.contains(&"ROLLBACK")
        } else {
            results.iter().all(|result| *result == "CONTINUE")
        };
        let waiting: Vec<String> = self
            .ess
            .groups
            .get(&action.group_id)
            .map(|group| {
                action
                    .instance_ids
                    .iter()
                    .filter(|id| group.instances.contains_key(*id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        match (scale_in, go_on) {
            (false, true) | (true, false) => self.put_in_service(&action.group_id, &waiting),
            (false, false) | (true, true) => {
                if let Some(group) = self.ess.groups.get_mut(&action.group_id) {
                    for id in &waiting {
                        if let Some(member) = group.instances.get_mut(id) {
                            member.lifecycle_state = state::REMOVING.into();
                        }
                    }
                }
                self.leave(&action.group_id, &waiting, ctx)
            }
        }
        self.settle_activity(&action.activity_id, ctx);
    }

    /// Scales the group to `target` (within its bounds): launches, or removes the oldest
    /// unprotected in-service instances. `None` when the size is already right.
    pub(crate) fn ess_scale_to(
        &mut self,
        group_id: &str,
        target: i64,
        cause: &str,
        ctx: &Ctx,
    ) -> Result<Option<String>, AcsError> {
        let group = self.ess.group(group_id)?;
        let target = target.clamp(group.min_size, group.max_size);
        let current = Cloud::ess_capacity(group);
        if target > current {
            if group.suspended("ScaleOut") {
                return Ok(None);
            }
            return self
                .ess_scale_out(group_id, target - current, cause, ctx)
                .map(Some);
        }
        if target < current && !group.suspended("ScaleIn") {
            let newest_first = group
                .removal_policies
                .first()
                .is_some_and(|policy| policy == "NewestInstance");
            let mut candidates: Vec<String> = group
                .instances
                .values()
                .filter(|member| member.lifecycle_state == state::IN_SERVICE)
                .map(|member| member.instance_id.clone())
                .collect();
            if newest_first {
                candidates.reverse();
            }
            candidates.truncate((current - target) as usize);
            if candidates.is_empty() {
                return Ok(None);
            }
            return self
                .ess_scale_in(group_id, &candidates, true, cause, ctx)
                .map(Some);
        }
        Ok(None)
    }

    /// The zone of the emulator's vSwitch `vswitch` in `region` (its first zone when unknown).
    pub(crate) fn zone_of_vswitch(&self, region: &str, vswitch: &str) -> String {
        let zones = self
            .region(region)
            .map(|region| region.zones.clone())
            .unwrap_or_default();
        zones
            .iter()
            .find(|zone| crate::provision::vswitch_of(zone) == vswitch)
            .or(zones.first())
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Adjustment;

    #[test]
    fn adjustments_compute_their_target() {
        assert_eq!(Adjustment::QuantityChangeInCapacity(-2).target(5), 3);
        assert_eq!(Adjustment::TotalCapacity(7).target(5), 7);
        let percent = Adjustment::PercentChangeInCapacity {
            percent: 10,
            min_magnitude: 1,
        };
        assert_eq!(
            percent.target(5),
            6,
            "10 % of 5 is below the minimum magnitude 1"
        );
        assert_eq!(percent.target(50), 55);
        assert!(Adjustment::parse("Nope", 1, 0).is_err());
    }
}
