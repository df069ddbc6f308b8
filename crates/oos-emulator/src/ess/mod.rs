//! Auto Scaling (ESS) in miniature: scaling groups with their configurations, rules, lifecycle
//! hooks, activities and instances. Scale-out creates real emulated ECS instances, scale-in
//! releases them; a lifecycle hook holds the instances in `Pending:Wait` / `Removing:Wait` with a
//! pending lifecycle action until CompleteLifecycleAction or the heartbeat timeout decides.

mod scaling;
pub mod seed;

use indexmap::IndexMap;
use jiff::Timestamp;
use oos_acs::{AcsError, ErrorCode};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::model::Tags;

pub use scaling::Adjustment;

/// ESS error codes (codes and HTTP statuses as Alibaba's).
pub mod codes {
    use oos_acs::ErrorCode;
    pub const GROUP_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidScalingGroupId.NotFound", 404);
    pub const CONFIGURATION_NOT_FOUND: ErrorCode =
        ErrorCode::new("InvalidScalingConfigurationId.NotFound", 404);
    pub const RULE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidScalingRuleId.NotFound", 404);
    pub const HOOK_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidLifecycleHookId.NotExist", 400);
    pub const TOKEN_NOT_FOUND: ErrorCode =
        ErrorCode::new("InvalidLifecycleActionToken.NotExist", 400);
    pub const INCORRECT_GROUP_STATUS: ErrorCode =
        ErrorCode::new("IncorrectScalingGroupStatus", 400);
    pub const INCORRECT_INSTANCE_STATUS: ErrorCode = ErrorCode::new("IncorrectInstanceStatus", 400);
    pub const ACTIVITY_IN_PROGRESS: ErrorCode = ErrorCode::new("ScalingActivityInProgress", 400);
    pub const MAX_SIZE: ErrorCode = ErrorCode::new("IncorrectCapacity.MaxSize", 400);
    pub const MIN_SIZE: ErrorCode = ErrorCode::new("IncorrectCapacity.MinSize", 400);
    pub const INSTANCE_NOT_FOUND: ErrorCode = ErrorCode::new("InvalidInstanceId.NotFound", 404);
    pub const INSTANCE_IN_USE: ErrorCode = ErrorCode::new("InvalidInstanceId.InUse", 400);
    pub const REGION_MISMATCH: ErrorCode = ErrorCode::new("InvalidInstanceId.RegionMismatch", 400);
    pub const DELETION_PROTECTION: ErrorCode =
        ErrorCode::new("OperationDenied.GroupDeletionProtection", 400);
    pub const NAME_DUPLICATE: ErrorCode = ErrorCode::new("ScalingGroupName.Duplicate", 400);
}

/// Lifecycle states of an instance in a scaling group (ESS names).
pub mod state {
    pub const IN_SERVICE: &str = "InService";
    pub const PENDING: &str = "Pending";
    pub const PENDING_WAIT: &str = "Pending:Wait";
    pub const PROTECTED: &str = "Protected";
    pub const STANDBY: &str = "Standby";
    pub const REMOVING: &str = "Removing";
    pub const REMOVING_WAIT: &str = "Removing:Wait";
}

/// A scaling group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingGroup {
    pub id: String,
    pub name: String,
    pub region_id: String,
    pub min_size: i64,
    pub max_size: i64,
    /// `None`: the group has no expected number of instances.
    pub desired_capacity: Option<i64>,
    pub default_cooldown: i64,
    /// `Active`, `Inactive`.
    pub lifecycle_state: String,
    pub active_configuration_id: String,
    pub vswitch_ids: Vec<String>,
    pub load_balancer_ids: Vec<String>,
    pub removal_policies: Vec<String>,
    pub suspended_processes: Vec<String>,
    pub health_check_type: String,
    pub deletion_protection: bool,
    pub creation_time: String,
    pub modification_time: String,
    pub tags: Tags,
    /// The instances of the group, by ECS instance id, in the order they joined.
    pub instances: IndexMap<String, ScalingInstance>,
}

impl ScalingGroup {
    /// Instances in `wanted` lifecycle states.
    pub fn count(&self, wanted: &[&str]) -> i64 {
        self.instances
            .values()
            .filter(|instance| wanted.contains(&instance.lifecycle_state.as_str()))
            .count() as i64
    }

    /// Whether process `name` (`ScaleIn`, `ScaleOut`, …) is suspended.
    pub fn suspended(&self, name: &str) -> bool {
        self.suspended_processes
            .iter()
            .any(|process| process == name)
    }
}

/// One ECS instance's membership of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingInstance {
    pub instance_id: String,
    pub lifecycle_state: String,
    /// `AutoCreated` (released on scale-in) or `Attached`.
    pub creation_type: String,
    pub entrusted: bool,
    pub configuration_id: String,
    pub activity_id: String,
    pub zone_id: String,
    pub weight: i64,
    pub creation_time: String,
}

/// What a scale-out launches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingConfiguration {
    pub id: String,
    pub name: String,
    pub group_id: String,
    /// `Active` (the group's) or `Inactive`.
    pub lifecycle_state: String,
    pub instance_type: String,
    pub instance_types: Vec<String>,
    pub image_id: String,
    pub security_group_id: String,
    pub instance_name: String,
    pub host_name: String,
    pub key_pair_name: String,
    pub ram_role_name: String,
    pub user_data: String,
    pub system_disk_category: String,
    pub system_disk_size: i64,
    pub data_disk_sizes: Vec<i64>,
    pub internet_charge_type: String,
    pub internet_max_bandwidth_out: i64,
    pub load_balancer_weight: i64,
    pub tags: Tags,
    pub creation_time: String,
}

/// A simple scaling rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingRule {
    pub id: String,
    pub ari: String,
    pub name: String,
    pub group_id: String,
    pub adjustment: Adjustment,
    pub cooldown: Option<i64>,
}

/// A lifecycle hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleHook {
    pub id: String,
    pub name: String,
    pub group_id: String,
    /// `SCALE_OUT` or `SCALE_IN`.
    pub transition: String,
    /// `CONTINUE`, `ABANDON` (or `ROLLBACK`): what a timed-out action does.
    pub default_result: String,
    /// Seconds an action waits before `default_result` applies.
    pub heartbeat_timeout: i64,
    /// Where ESS notifies: e.g. `acs:ess:<region>:<account>:oos/<template>`.
    pub notification_arn: String,
    pub notification_metadata: String,
    /// `Active` or `Inactive`.
    pub status: String,
}

/// One hook's hold on the instances of one scaling activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleAction {
    pub token: String,
    pub hook_id: String,
    pub group_id: String,
    pub activity_id: String,
    pub instance_ids: Vec<String>,
    /// `Pending`, `Completed` (CompleteLifecycleAction) or `Timeout` (the default result applied).
    pub status: String,
    /// `CONTINUE`, `ABANDON` or `ROLLBACK` once decided.
    pub result: String,
    pub deadline_ms: i64,
}

/// A scaling activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingActivity {
    pub id: String,
    pub group_id: String,
    pub description: String,
    pub cause: String,
    /// `InProgress`, `Successful`, `Warning`, `Failed`, `Rejected`.
    pub status_code: String,
    pub status_message: String,
    pub start_time: String,
    pub end_time: String,
    pub instance_ids: Vec<String>,
    pub total_capacity: i64,
    pub attached_capacity: i64,
    pub auto_created_capacity: i64,
}

/// Every ESS resource of the cloud.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ess {
    pub groups: IndexMap<String, ScalingGroup>,
    pub configurations: IndexMap<String, ScalingConfiguration>,
    pub rules: IndexMap<String, ScalingRule>,
    pub hooks: IndexMap<String, LifecycleHook>,
    /// Lifecycle actions by token.
    pub actions: IndexMap<String, LifecycleAction>,
    pub activities: IndexMap<String, ScalingActivity>,
}

/// `<kind> does not exist` with `code`.
pub fn missing(code: ErrorCode, what: &str, id: &str) -> AcsError {
    AcsError::new(code, format!("The specified {what} does not exist: {id}."))
}

impl Ess {
    /// The group `id`.
    pub fn group(&self, id: &str) -> Result<&ScalingGroup, AcsError> {
        self.groups
            .get(id)
            .ok_or_else(|| missing(codes::GROUP_NOT_FOUND, "scaling group", id))
    }

    /// The group `id`, to change.
    pub fn group_mut(&mut self, id: &str) -> Result<&mut ScalingGroup, AcsError> {
        self.groups
            .get_mut(id)
            .ok_or_else(|| missing(codes::GROUP_NOT_FOUND, "scaling group", id))
    }

    /// The hook `id`.
    pub fn hook(&self, id: &str) -> Result<&LifecycleHook, AcsError> {
        self.hooks
            .get(id)
            .ok_or_else(|| missing(codes::HOOK_NOT_FOUND, "lifecycle hook", id))
    }

    /// The group holding ECS instance `instance_id`, if any.
    pub fn group_of(&self, instance_id: &str) -> Option<&ScalingGroup> {
        self.groups
            .values()
            .find(|group| group.instances.contains_key(instance_id))
    }
}

/// The group must be `Active` for scaling.
pub fn require_active(group: &ScalingGroup) -> Result<(), AcsError> {
    if group.lifecycle_state == "Active" {
        Ok(())
    } else {
        Err(AcsError::new(
            codes::INCORRECT_GROUP_STATUS,
            format!(
                "The current status of the specified scaling group does not support this action: {} is {}.",
                group.id, group.lifecycle_state
            ),
        ))
    }
}

/// A lifecycle action token, shaped like Alibaba's (a UUID).
pub fn new_token() -> String {
    let value: u128 = rand::rng().random();
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The OOS template a hook notifies (`acs:ess:<region>:<account>:oos/<template>`), if it does.
pub fn oos_template(notification_arn: &str) -> Option<&str> {
    notification_arn
        .rsplit_once(":oos/")
        .map(|(_, template)| template)
        .filter(|template| !template.is_empty())
}

/// Milliseconds of `now`.
pub(crate) fn millis(now: Timestamp) -> i64 {
    now.as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_uuids() {
        let token = new_token();
        let parts: Vec<usize> = token.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_ne!(token, new_token());
    }

    #[test]
    fn oos_notification_arns_name_their_template() {
        assert_eq!(
            oos_template("acs:ess:cn-hangzhou:1:oos/ACS-ESS-LifeCycleRunCommand"),
            Some("ACS-ESS-LifeCycleRunCommand")
        );
        assert_eq!(oos_template("acs:mns:cn-hangzhou:1:queue/q"), None);
    }
}
