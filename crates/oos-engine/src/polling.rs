//! WaitFor/CheckFor: selecting the polled value and matching it; back-off between WaitFor polls.

use oos_expr::ValueType;
use oos_template::{DelayType, Task};
use serde_json::Value;

/// The verdict on one polled response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Poll {
    /// Every selected value is desired (or none is not-desired).
    Matched,
    /// A selected value hit StopRetryValues: fail now.
    Stop(String),
    /// Not yet; the message says what was seen.
    NotYet(String),
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn texts(properties: &Value, key: &str) -> Option<Vec<String>> {
    properties.get(key)?.as_array().map(|list| list.iter().map(text_of).collect())
}

/// Matches the values `PropertySelector` picks from `response` (compared by string form; when
/// several values are selected, all must match).
pub(crate) fn evaluate_poll(properties: &Value, response: &Value) -> Result<Poll, String> {
    let selector = properties
        .get("PropertySelector")
        .and_then(Value::as_str)
        .ok_or("PropertySelector is required")?;
    let selected = oos_expr::jq::select(selector, response, ValueType::List).map_err(|e| format!("PropertySelector: {e}"))?;
    let values: Vec<String> = selected.as_array().map(|l| l.iter().map(text_of).collect()).unwrap_or_default();
    let shown = values.join(",");
    if let Some(stop) = texts(properties, "StopRetryValues")
        && values.iter().any(|v| stop.contains(v))
    {
        return Ok(Poll::Stop(format!("selected value {shown} is one of StopRetryValues")));
    }
    if values.is_empty() {
        return Ok(Poll::NotYet(format!("PropertySelector {selector} selected nothing")));
    }
    let matched = match (texts(properties, "DesiredValues"), texts(properties, "NotDesiredValues")) {
        (Some(desired), _) => values.iter().all(|v| desired.contains(v)),
        (None, Some(not_desired)) => values.iter().all(|v| !not_desired.contains(v)),
        (None, None) => return Err("DesiredValues or NotDesiredValues is required".into()),
    };
    Ok(if matched { Poll::Matched } else { Poll::NotYet(format!("selected value {shown} is not the desired value")) })
}

/// The delay before poll `attempt + 1`, or None once `Retries` (default 10) are used up.
///
/// Exponential (default): 2^attempt s; Constant: `Delay` (default 2 s); Linear: `Delay + BackOff*attempt`
/// (BackOff default 2 s); every interval capped by `MaxRetryInterval` (default 1800 s).
pub(crate) fn retry_delay_ms(task: &Task, attempt: u32) -> Option<i64> {
    let retries = task.retries_literal().unwrap_or(10);
    if u64::from(attempt) > retries {
        return None;
    }
    let delay = task.delay_literal().unwrap_or(2);
    let back_off = task.back_off_literal().unwrap_or(2);
    let cap = task.max_retry_interval_literal().unwrap_or(1800);
    let seconds = match task.delay_type_literal().unwrap_or(DelayType::Exponential) {
        DelayType::Exponential => 1u64.checked_shl(attempt.min(40)).unwrap_or(u64::MAX),
        DelayType::Constant => delay,
        DelayType::Linear => delay.saturating_add(back_off.saturating_mul(u64::from(attempt))),
    };
    Some(i64::try_from(seconds.min(cap)).unwrap_or(1800) * 1000)
}
