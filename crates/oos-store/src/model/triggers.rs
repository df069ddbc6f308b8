//! Rows of trigger executions: each one's trigger (what the intake matches, what the API and
//! `oos trigger` show), and the log of its firings, unique per (trigger execution, firing key).

/// The trigger of a trigger execution, written with every commit that changes the execution.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct TriggerRecord {
    pub execution_id: String,
    /// `TimerTrigger`, `EventTrigger` or `AlarmTrigger` (the execution's Category).
    pub kind: String,
    /// `Pending` (not armed yet), `Active`, `Paused` or `Ended`.
    pub status: String,
    /// JSON object: the trigger task's rendered properties (`{}` until armed; secrets masked).
    pub properties: String,
    /// The next tick of a TimerTrigger.
    pub next_ms: Option<i64>,
    /// Firings so far.
    pub fired: i64,
    pub last_ms: Option<i64>,
    /// Status of the last firing's run (`Running` until it ends).
    pub last_status: Option<String>,
    /// JSON object: the last firing's run's outputs, once it ended.
    pub last_outputs: Option<String>,
    pub last_child_execution_id: Option<String>,
    pub last_success_ms: Option<i64>,
    pub updated_ms: i64,
}

/// One firing of a trigger. `(execution_id, fire_key)` is unique: a tick, an event or an alarm
/// notification fires a trigger once, whatever the number of workers.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct FiringRecord {
    pub execution_id: String,
    /// The tick (unix ms), the event id or the alarm's de-duplication key.
    pub fire_key: String,
    /// `Timer`, `Event`, `Alarm` or `Manual`.
    pub source: String,
    pub child_execution_id: String,
    pub fired_ms: i64,
}

/// Which triggers [`crate::TriggerStore::triggers`] reads; every given field narrows.
#[derive(Debug, Clone, Default)]
pub struct TriggerQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Only these executions (empty: any).
    pub execution_ids: Vec<String>,
    /// Rows with an execution id greater than this (paging, in execution id order).
    pub after: Option<String>,
    pub limit: i64,
}
