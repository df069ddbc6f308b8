//! Inventory of managed instances. Applying a state configuration writes, with the configuration's
//! row, one invocation of kind [`KIND`] (its `file` names the types to collect) with a pending
//! target per instance its `Targets` select; the hub sends each agent `Collect` for it, records
//! the agent's `Inventory` answer per type with its capture time, and finishes the target. What
//! was collected is read back per instance and type ([`entries`]). A scheduled configuration
//! (`rate`) is applied again when due by whichever hub claims it first ([`Assistant::apply_due`]).

use oos_acs::AcsError;
use oos_store::{Application, InvocationRow, InvocationTarget, ManagedInstanceQuery, StateConfigurationRow, TargetChange};
use serde_json::{Map, Value, json};

use crate::commands::REPORT_GRACE_MS;
use crate::{Assistant, ids, select, store_error};

/// The invocation kind of an inventory collection.
pub const KIND: &str = "Inventory";

/// How long an agent has to answer a collection.
const TIMEOUT_SECS: i64 = 120;

/// The shortest interval of a `rate` schedule.
const MIN_RATE_MS: i64 = 30 * 60 * 1000;

/// Scheduled configurations applied again per round of a hub.
const DUE_PER_ROUND: i64 = 20;

/// The interval of a `rate` schedule expression (`30 minutes`, `1 hour`, `2 days`), at least 30 minutes.
pub fn rate_interval_ms(expression: &str) -> Result<i64, String> {
    let invalid = || format!("{expression:?} is not a rate like `30 minutes`, `1 hour` or `2 days` (at least 30 minutes)");
    let (count, unit) = expression.trim().split_once(' ').ok_or_else(invalid)?;
    let count: i64 = count.parse().map_err(|_| invalid())?;
    let unit_ms = match unit.trim().trim_end_matches('s') {
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        _ => return Err(invalid()),
    };
    let interval = count.checked_mul(unit_ms).ok_or_else(invalid)?;
    if interval < MIN_RATE_MS {
        return Err(invalid());
    }
    Ok(interval)
}

/// The types an inventory invocation collects (its `file` column).
pub(crate) fn types_of(invocation: &InvocationRow) -> Vec<String> {
    serde_json::from_str::<Value>(&invocation.file)
        .ok()
        .and_then(|file| file.get("Types").cloned())
        .and_then(|types| serde_json::from_value(types).ok())
        .unwrap_or_default()
}

/// The managed instances a state configuration's `Targets` (a JSON object: `ResourceType`
/// `ALIYUN::ECS::ManagedInstance`, `Type` `ResourceIds`, `Tags` or `All`) select, checked.
pub fn targets_query(targets: &str) -> Result<ManagedInstanceQuery, AcsError> {
    let parsed: Value = serde_json::from_str(targets).map_err(|error| AcsError::invalid_parameter("Targets", format!("not JSON: {error}")))?;
    let Some(object) = parsed.as_object() else {
        return Err(AcsError::invalid_parameter("Targets", "must be a JSON object with ResourceType and Type"));
    };
    match object.get("ResourceType").and_then(Value::as_str) {
        None | Some(select::MANAGED_INSTANCE) => {}
        Some(other) => {
            return Err(AcsError::invalid_parameter("Targets", format!("ResourceType {other} is not supported; inventory is collected from {}", select::MANAGED_INSTANCE)));
        }
    }
    let mut filter = object.clone();
    if !filter.contains_key("Type") {
        let inferred = if filter.contains_key("ResourceIds") { "ResourceIds" } else if filter.contains_key("Tags") { "Tags" } else { "All" };
        filter.insert("Type".into(), Value::from(inferred));
    }
    select::query_of(&Value::Object(filter), "Targets")
}

impl Assistant {
    /// Writes a new state configuration with the invocation applying it (`types` on the instances its
    /// targets select) and wakes the hub; the id of an earlier configuration with its ClientToken, if any.
    pub async fn create_state_configuration(&self, row: &StateConfigurationRow, types: &[String]) -> Result<Option<String>, AcsError> {
        let (invocation, targets) = self.application(row, types).await?;
        let application = (!targets.is_empty()).then_some(Application { invocation: &invocation, targets: &targets });
        let existing = self.store().create_state_configuration(row, application).await.map_err(store_error)?;
        self.wake_hub();
        Ok(existing)
    }

    /// Writes a changed state configuration with the invocation applying it again; whether it exists.
    pub async fn update_state_configuration(&self, row: &StateConfigurationRow, types: &[String]) -> Result<bool, AcsError> {
        let (invocation, targets) = self.application(row, types).await?;
        let application = (!targets.is_empty()).then_some(Application { invocation: &invocation, targets: &targets });
        let found = self.store().update_state_configuration(row, application).await.map_err(store_error)?;
        self.wake_hub();
        Ok(found)
    }

    /// Applies again every scheduled configuration that is due, each claimed by one hub of the cluster
    /// and written with its invocation; the next application is one interval from now.
    pub(crate) async fn apply_due(&self) -> Result<(), oos_store::StoreError> {
        let now = self.now_ms();
        for row in self.store().due_state_configurations(now, DUE_PER_ROUND).await? {
            let Some(due) = row.next_apply_ms else { continue };
            let interval = rate_interval_ms(&row.schedule_expression).unwrap_or(MIN_RATE_MS);
            let types: Vec<String> = serde_json::from_str(&row.inventory_types).unwrap_or_default();
            let built = match self.application(&row, &types).await {
                Ok(built) => Some(built),
                Err(error) => {
                    tracing::warn!(configuration = %row.state_configuration_id, %error, "a scheduled state configuration cannot be applied");
                    None
                }
            };
            let application = built.as_ref().filter(|(_, targets)| !targets.is_empty()).map(|(invocation, targets)| Application { invocation, targets });
            let applied = application.is_some();
            if self.store().reapply_state_configuration(&row.state_configuration_id, due, now + interval, application).await? && applied {
                self.wake_hub();
            }
        }
        Ok(())
    }

    /// The invocation collecting `types` from the instances `row` targets, and its targets.
    async fn application(&self, row: &StateConfigurationRow, types: &[String]) -> Result<(InvocationRow, Vec<InvocationTarget>), AcsError> {
        let query = targets_query(&row.targets)?;
        let instances = if types.is_empty() { Vec::new() } else { self.store().managed_instances(&query).await.map_err(store_error)? };
        let now = self.now_ms();
        let invocation = InvocationRow {
            invoke_id: ids::invocation_id(),
            region_id: row.region_id.clone(),
            kind: KIND.into(),
            command_id: None,
            command_name: format!("{} {}", row.template_name, row.template_version),
            command_type: KIND.into(),
            content_base64: String::new(),
            working_dir: String::new(),
            timeout_secs: TIMEOUT_SECS,
            username: String::new(),
            enable_parameter: false,
            parameters: String::from("{}"),
            file: json!({"Types": types}).to_string(),
            created_ms: now,
            creator: row.state_configuration_id.clone(),
            client_token: None,
            tags: String::from("{}"),
            traceparent: None,
        };
        let deadline = now + TIMEOUT_SECS * 1000 + REPORT_GRACE_MS;
        let targets = instances.iter().map(|instance| InvocationTarget::pending(&invocation.invoke_id, &instance.instance_id, deadline)).collect();
        Ok((invocation, targets))
    }
}

/// What the store keeps of an agent's answer: per type, its items and when they were captured.
pub(crate) fn recorded(data: &Map<String, Value>, now_ms: i64) -> String {
    let recorded: Map<String, Value> = data.iter().map(|(kind, items)| (kind.clone(), json!({"CaptureMs": now_ms, "Entries": items}))).collect();
    Value::Object(recorded).to_string()
}

/// The end of an inventory target: what was collected, by type.
pub(crate) fn finished(data: &Map<String, Value>, types: &[String], now_ms: i64) -> TargetChange {
    let counts: Vec<String> = types.iter().map(|kind| format!("{kind}: {}", data.get(kind).and_then(Value::as_array).map_or(0, Vec::len))).collect();
    TargetChange::Finished {
        status: "Success".into(),
        exit_code: Some(0),
        output: format!("collected {}", counts.join(", ")),
        dropped: 0,
        error_code: String::new(),
        error_info: String::new(),
        start_ms: Some(now_ms),
        finish_ms: now_ms,
    }
}

/// The items of type `type_name` in an instance's collected inventory and when they were captured
/// (Unix milliseconds); `None` when that type was never collected.
pub fn entries(collected: &str, type_name: &str) -> Option<(i64, Vec<Value>)> {
    let collected: Value = serde_json::from_str(collected).ok()?;
    let recorded = collected.get(type_name)?;
    let capture_ms = recorded.get("CaptureMs").and_then(Value::as_i64).unwrap_or(0);
    let items = recorded.get("Entries").and_then(Value::as_array).cloned().unwrap_or_default();
    Some((capture_ms, items))
}
