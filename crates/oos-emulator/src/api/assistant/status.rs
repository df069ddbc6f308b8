//! Statuses derived from an invocation's stored times at the moment of a query: each target's
//! phase and the three status vocabularies the API reports (per-instance `InvocationStatus`, the
//! older `InstanceInvokeStatus`/`InvokeRecordStatus`, and the aggregates over all targets).

use super::model::Target;

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    /// Finished with exit code 0.
    Success,
    /// Finished with another exit code.
    Failed,
    /// Killed at the timeout.
    Timeout,
    /// Never delivered (instance not running).
    Aborted,
    /// Stopped before it started.
    Cancelled,
    /// Stopped while running.
    Terminated,
}

impl Phase {
    /// The phase of `target` at `now_ms`.
    pub fn of(target: &Target, now_ms: i64) -> Self {
        if target.aborted.is_some() {
            return Self::Aborted;
        }
        if let Some(stopped) = target
            .stopped_ms
            .filter(|stopped| *stopped < target.end_ms && now_ms >= *stopped)
        {
            return if stopped < target.start_ms {
                Self::Cancelled
            } else {
                Self::Terminated
            };
        }
        if now_ms < target.start_ms {
            Self::Pending
        } else if now_ms < target.end_ms {
            Self::Running
        } else if target.timed_out {
            Self::Timeout
        } else if target.exit_code == 0 {
            Self::Success
        } else {
            Self::Failed
        }
    }

    /// The per-instance `InvocationStatus`.
    pub fn invocation_status(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Success => "Success",
            Self::Failed => "Failed",
            Self::Timeout => "Timeout",
            Self::Aborted => "Aborted",
            Self::Cancelled => "Cancelled",
            Self::Terminated => "Terminated",
        }
    }

    /// The older per-instance status (`InstanceInvokeStatus`, `InvokeRecordStatus`): a command that
    /// ran to its end is `Finished` whatever its exit code.
    pub fn record_status(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Success | Self::Failed => "Finished",
            Self::Timeout | Self::Aborted => "Failed",
            Self::Cancelled | Self::Terminated => "Stopped",
        }
    }

    /// Whether the target is over (nothing will change any more).
    pub fn is_over(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }

    /// `(ErrorCode, ErrorInfo)` of a target that did not succeed.
    pub fn error(self, target: &Target) -> (&str, &str) {
        match self {
            Self::Aborted => target
                .aborted
                .as_ref()
                .map_or(("", ""), |(code, info)| (code.as_str(), info.as_str())),
            Self::Failed => (
                "ExitCodeNonzero",
                "the command execution exit code is not zero",
            ),
            Self::Timeout => ("ExecutionTimeout", "the command execution has been timeout"),
            Self::Terminated => (
                "ExecutionInterrupted",
                "the command execution has been interrupted",
            ),
            _ => ("", ""),
        }
    }
}

/// The aggregate `InvokeStatus` (older vocabulary): Pending, Running, Finished, Failed,
/// PartialFailed or Stopped.
pub fn invoke_status(phases: &[Phase]) -> &'static str {
    if phases.iter().all(|phase| *phase == Phase::Pending) && !phases.is_empty() {
        return "Pending";
    }
    if phases.iter().any(|phase| !phase.is_over()) {
        return "Running";
    }
    let records: Vec<&str> = phases.iter().map(|phase| phase.record_status()).collect();
    if records.iter().all(|status| *status == "Stopped") {
        "Stopped"
    } else if records.iter().all(|status| *status != "Finished") {
        "Failed"
    } else if records.contains(&"Failed") {
        "PartialFailed"
    } else {
        "Finished"
    }
}

/// The aggregate `InvocationStatus`: Pending, Running, Success, Failed, PartialFailed or Stopped.
pub fn invocation_status(phases: &[Phase]) -> &'static str {
    let stopped = |phase: &Phase| matches!(phase, Phase::Cancelled | Phase::Terminated);
    let failed = |phase: &Phase| matches!(phase, Phase::Failed | Phase::Timeout | Phase::Aborted);
    if phases.contains(&Phase::Pending) {
        "Pending"
    } else if phases.contains(&Phase::Running) {
        "Running"
    } else if phases.iter().all(stopped) {
        "Stopped"
    } else if !phases.iter().any(failed) {
        "Success"
    } else if phases.iter().all(|phase| failed(phase) || stopped(phase)) {
        "Failed"
    } else {
        "PartialFailed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_follow_the_targets() {
        use Phase::*;
        assert_eq!(invoke_status(&[Success, Failed]), "Finished");
        assert_eq!(invocation_status(&[Success, Failed]), "PartialFailed");
        assert_eq!(invoke_status(&[Success, Aborted]), "PartialFailed");
        assert_eq!(invoke_status(&[Aborted, Timeout]), "Failed");
        assert_eq!(invocation_status(&[Failed]), "Failed");
        assert_eq!(invoke_status(&[Running, Success]), "Running");
        assert_eq!(invoke_status(&[Cancelled, Terminated]), "Stopped");
        assert_eq!(invocation_status(&[Success, Terminated]), "Success");
    }
}
