//! Decisions on a waiting approval (an ACS::Approve, or a high-risk call under `SafetyCheck`): who may decide (`Approvers` of ACS::Approve, and not the
//! execution's starter unless a policy allows it), distinct approvals counted on the task up to
//! `MinRequiredApprovals`, and one eligible rejection ending the wait.

use std::fmt;

use oos_template::catalog::AtomicAction;
use serde_json::{Value, json};

use crate::event::{CallKind, Notifier, Notify};
use crate::state::{Approval, TaskRun};
use crate::status::TaskStatus;
use crate::step::{Outcome, Progress, Step};

/// How an approval by the owner of a data directory (no server, no identity) is shown.
const LOCAL_OPERATOR: &str = "the local operator";

/// Who decides on one waiting task, and how many approvals it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    /// RAM user names allowed to decide; empty: anyone allowed to NotifyExecution.
    pub approvers: Vec<String>,
    /// Distinct approvals that end the wait (at least 1).
    pub required: usize,
}

/// Why a caller's decision is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Approvers` is given and does not name the caller.
    NotApprover,
    /// The caller started the execution and no policy allows them `oos:ApproveOwnExecution`.
    OwnExecution,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::NotApprover => "not one of the task's Approvers",
            Refusal::OwnExecution => "the starter of the execution may not decide on it (oos:ApproveOwnExecution)",
        })
    }
}

impl ApprovalRule {
    /// The rule of a task with canonical action `action` and rendered `properties`: ACS::Approve
    /// reads `Approvers` and `MinRequiredApprovals` (default 1); any other waiting task (a high-risk
    /// call) takes one approval by anyone allowed to NotifyExecution.
    pub fn of(action: &str, properties: Option<&Value>) -> Self {
        let property = |name: &str| {
            properties.and_then(Value::as_object).and_then(|map| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name))).map(|(_, value)| value)
        };
        if action != AtomicAction::Approve.name() {
            return Self { approvers: Vec::new(), required: 1 };
        }
        let approvers = match property("Approvers") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let required = match property("MinRequiredApprovals") {
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            _ => None,
        };
        let required = required.map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX).max(1));
        Self { approvers, required }
    }

    /// Why `by` may not decide on an execution started by `starter` (an ARN), if they may not.
    pub fn refusal(&self, by: &Notifier, starter: &str) -> Option<Refusal> {
        let listed = by.user.as_ref().is_some_and(|user| self.approvers.iter().any(|approver| approver == user));
        if !self.approvers.is_empty() && !listed {
            return Some(Refusal::NotApprover);
        }
        (by.arn == starter && !by.may_decide_own).then_some(Refusal::OwnExecution)
    }

    /// More approvals are required than `Approvers` names: the wait could never end.
    pub fn unreachable(&self) -> bool {
        !self.approvers.is_empty() && self.required > self.approvers.len()
    }
}

/// `ApprovedBy` of a task that counted approvals: the approvers' names in order.
pub(crate) fn approved_by(run: &TaskRun) -> Option<Value> {
    (!run.state.approvals.is_empty()).then(|| json!(run.state.approvals.iter().map(|approval| approval.name.as_str()).collect::<Vec<_>>()))
}

impl Step<'_> {
    /// NotifyExecution Approve (`approve`) or Reject on the waiting task `pos`. None: nothing moves on
    /// (a refused caller, an approval counted short of the required number, or one already counted).
    pub(crate) fn decide(&mut self, pos: usize, notify: Notify, approve: bool) -> Option<Progress> {
        let run = &self.exec.tasks[pos];
        let rule = ApprovalRule::of(&run.action, run.properties.as_ref());
        let id = run.id.clone();
        let verb = if approve { "approval" } else { "rejection" };
        let (arn, name) = match &notify.by {
            Some(by) => {
                if let Some(refusal) = rule.refusal(by, &self.exec.flow.execute_user) {
                    self.exec.log(Some(&id), self.now, format!("{verb} by {} not counted: {refusal}", by.name()));
                    return None;
                }
                (by.arn.clone(), by.name().to_owned())
            }
            None => (String::new(), LOCAL_OPERATOR.to_owned()),
        };
        let note = notify.note.map(|note| note.trim().to_owned()).filter(|note| !note.is_empty());
        if !approve {
            self.exec.log(Some(&id), self.now, format!("rejected by {name}"));
            self.resume_running();
            let message = match &note {
                Some(note) => format!("rejected by {name}: {note}"),
                None => format!("rejected by {name}"),
            };
            return Some(self.finish_action(pos, Outcome::Failure(message)));
        }
        let required = if notify.by.is_some() { rule.required } else { 1 };
        if self.exec.tasks[pos].state.approvals.iter().any(|approval| approval.arn == arn) {
            let count = self.exec.tasks[pos].state.approvals.len();
            self.exec.log(Some(&id), self.now, format!("approval by {name} already counted ({count} of {required})"));
            return None;
        }
        let now = self.now;
        let run = self.exec.task_mut(pos, now);
        run.state.approvals.push(Approval { arn, name: name.clone(), at_ms: now, note: note.clone() });
        run.outputs = approved_by(run).map(|names| [("ApprovedBy".to_owned(), names)].into_iter().collect());
        let count = run.state.approvals.len();
        self.exec.log(Some(&id), now, format!("approved by {name} ({count} of {required})"));
        if count < required {
            return None;
        }
        self.resume_running();
        Some(self.approved(pos, note))
    }

    /// The approval is complete: an ACS::Approve task succeeds; a high-risk call is sent.
    fn approved(&mut self, pos: usize, note: Option<String>) -> Progress {
        if self.exec.tasks[pos].action == AtomicAction::Approve.name() {
            let result = json!({ "Note": note, "ApprovedBy": approved_by(&self.exec.tasks[pos]) });
            return self.finish_action(pos, Outcome::Success(result));
        }
        let run = self.exec.task_mut(pos, self.now);
        run.status = TaskStatus::Running;
        run.state.awaiting_decision = false;
        match self.call(pos, CallKind::CloudApi) {
            Some(outcome) => self.finish_action(pos, outcome),
            None => Progress::Pending,
        }
    }
}
