//! The decisions of the Cloud Assistant's writes that both backends take alike, in Rust, on rows
//! they have read (and locked) in the write's transaction: whether a registration may use an
//! activation, what a change does to an invocation target, and how collected inventory merges.

use serde_json::{Map, Value};

use crate::model::{InvocationTarget, RegisterOutcome, TargetChange, TargetStatus};

/// `error_code` and `error_info` of a target failed because its instance was deregistered.
pub(crate) const DEREGISTERED: (&str, &str) = ("InstanceDeregistered", "the instance was deregistered before the command finished");
/// … of a target stopped before its agent took it.
pub(crate) const STOPPED: (&str, &str) = ("InvocationStopped", "the invocation was stopped before the agent took the command");
/// … of a target its agent never took before the deadline.
pub(crate) const NOT_TAKEN: (&str, &str) = ("ClientNotResponse", "the agent did not take the command before its timeout");
/// … of a target that ran past its deadline.
pub(crate) const TIMED_OUT: (&str, &str) = ("ExecutionTimeout", "the command did not finish before its timeout");

/// What registering with an activation finds: `activation` is its (usage limit, usage count,
/// expiry) when it exists with the code given.
pub(crate) fn registration(activation: Option<(i64, i64, i64)>, now_ms: i64) -> RegisterOutcome {
    match activation {
        None => RegisterOutcome::NotFound,
        Some((_, _, expires_ms)) if expires_ms <= now_ms => RegisterOutcome::Expired,
        Some((usage_limit, usage_count, _)) if usage_count >= usage_limit => RegisterOutcome::UsedUp,
        Some(_) => RegisterOutcome::Registered,
    }
}

/// The target after `change`, or `None` when the change leaves it as it is (it is final, or the
/// change does not apply to its status). A `Finished` report without a start keeps the known one.
pub(crate) fn changed(current: &InvocationTarget, change: &TargetChange) -> Option<InvocationTarget> {
    if current.is_final() {
        return None;
    }
    let mut next = current.clone();
    match change {
        TargetChange::Accepted { start_ms } => {
            if current.status == TargetStatus::PENDING {
                next.status = TargetStatus::RUNNING.into();
                next.start_ms = Some(*start_ms);
            }
        }
        TargetChange::Output { data, limit } => {
            let room = usize::try_from(limit.saturating_sub(current.output.len() as i64)).unwrap_or(0);
            let kept = data.floor_char_boundary(room.min(data.len()));
            next.output.push_str(&data[..kept]);
            next.dropped += (data.len() - kept) as i64;
        }
        TargetChange::StopRequested { now_ms } => match current.status.as_str() {
            TargetStatus::PENDING => {
                next.status = TargetStatus::STOPPED.into();
                next.finish_ms = Some(*now_ms);
                (next.error_code, next.error_info) = (STOPPED.0.into(), STOPPED.1.into());
            }
            TargetStatus::RUNNING => next.status = TargetStatus::STOPPING.into(),
            _ => {}
        },
        TargetChange::Finished { status, exit_code, output, dropped, error_code, error_info, start_ms, finish_ms } => {
            next = InvocationTarget {
                status: status.clone(),
                exit_code: *exit_code,
                output: output.clone(),
                dropped: *dropped,
                error_code: error_code.clone(),
                error_info: error_info.clone(),
                start_ms: start_ms.or(current.start_ms),
                finish_ms: Some(*finish_ms),
                ..next
            };
        }
    }
    (next != *current).then_some(next)
}

/// `current` collected inventory (a JSON object: type → items) with the types of `collected`
/// replacing those it had; text that is not a JSON object counts as none.
pub(crate) fn merged_inventory(current: &str, collected: &str) -> String {
    let object = |text: &str| serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default();
    let mut merged = object(current);
    merged.extend(object(collected));
    Value::Object(merged).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(status: &str, output: &str) -> InvocationTarget {
        InvocationTarget { status: status.into(), output: output.into(), ..InvocationTarget::pending("t-1", "mi-1", 100) }
    }

    #[test]
    fn output_is_cut_on_a_character_boundary_and_the_rest_counted() {
        // "é" is two bytes: a limit falling inside it keeps neither byte.
        let next = changed(&target("Running", "abc"), &TargetChange::Output { data: "déf".into(), limit: 5 }).unwrap();
        assert_eq!((next.output.as_str(), next.dropped), ("abcd", 3));
        let full = changed(&next, &TargetChange::Output { data: "xyz".into(), limit: 4 }).unwrap();
        assert_eq!((full.output.as_str(), full.dropped), ("abcd", 6), "nothing more fits");
        assert_eq!(changed(&full, &TargetChange::Output { data: String::new(), limit: 4 }), None);
    }

    #[test]
    fn registration_checks_existence_then_expiry_then_uses() {
        assert_eq!(registration(None, 5), RegisterOutcome::NotFound);
        assert_eq!(registration(Some((1, 0, 5)), 5), RegisterOutcome::Expired);
        assert_eq!(registration(Some((1, 1, 6)), 5), RegisterOutcome::UsedUp);
        assert_eq!(registration(Some((2, 1, 6)), 5), RegisterOutcome::Registered);
    }

    #[test]
    fn newer_inventory_types_replace_older_ones() {
        let merged = merged_inventory(r#"{"File":[1],"Service":[2]}"#, r#"{"Service":[3],"User":[]}"#);
        assert_eq!(merged, r#"{"File":[1],"Service":[3],"User":[]}"#);
        assert_eq!(merged_inventory("", r#"{"A":1}"#), r#"{"A":1}"#);
    }
}
