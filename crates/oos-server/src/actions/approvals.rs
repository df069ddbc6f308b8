//! NotifyExecution Approve, Reject or Resume of a waiting approval (an ACS::Approve, or a high-risk
//! call under `SafetyCheck`): the caller as the engine sees it
//! ([`Notifier`]), refused here when they may not decide (`Forbidden.NotApprover`,
//! `Forbidden.SelfApproval`: nothing is written), and what the decision will do recorded in the
//! request's audit record (`Approval`). The engine checks again and is the one that counts
//! ([`ApprovalRule`]); the audit record's outcome is what the task showed when the request came.

use oos_acs::AcsError;
use oos_engine::{ApprovalRule, ExecutionStatus, Notifier, NotifyType, Refusal, TaskStatus};
use oos_iam::evaluate::{AuthzRequest, Context, keys};
use oos_iam::oos_actions::APPROVE_OWN_EXECUTION;
use oos_iam::{ArnScope, Principal};
use oos_store::{ExecutionRecord, TaskRecord};
use oos_template::catalog::AtomicAction;
use serde_json::{Value, json};

use crate::api::Api;
use crate::auth::Caller;
use crate::error::{self, NOT_APPROVER, SELF_APPROVAL};

/// Most parents walked up to find the execution's starter (children carry no metadata of their own).
const MAX_PARENTS: usize = 16;

/// The caller of a NotifyExecution of `record`; refused when the execution waits for an approval
/// the caller may not give or refuse.
pub(super) async fn screen(api: &Api, caller: &Caller, record: &ExecutionRecord, notify_type: NotifyType) -> Result<Notifier, AcsError> {
    let starter = starter(api, record).await?;
    let may_decide_own = caller.arn == starter && may_decide_own(api, caller, &record.id).await;
    let user = match &caller.principal {
        Principal::User(name) => Some(name.clone()),
        Principal::Root | Principal::Role(_) => None,
    };
    let notifier = Notifier { arn: caller.arn.clone(), user, may_decide_own };
    let deciding = matches!(notify_type, NotifyType::Approve | NotifyType::Reject | NotifyType::Resume);
    if !deciding || ExecutionStatus::parse(&record.status) != Some(ExecutionStatus::Waiting) {
        return Ok(notifier);
    }
    let Some(task) = waiting_approval(api, &record.id).await? else { return Ok(notifier) };
    let properties = task.properties.as_deref().and_then(|text| serde_json::from_str::<Value>(text).ok());
    let rule = ApprovalRule::of(&task.task_action, properties.as_ref());
    match rule.refusal(&notifier, &starter) {
        Some(Refusal::NotApprover) => Err(AcsError::new(
            NOT_APPROVER,
            format!("{} is not one of the Approvers of task {} ({}).", notifier.name(), task.task_name, rule.approvers.join(", ")),
        )),
        Some(Refusal::OwnExecution) => Err(AcsError::new(
            SELF_APPROVAL,
            format!("{} started execution {} and may not decide on it without {APPROVE_OWN_EXECUTION}.", notifier.name(), record.id),
        )),
        None => {
            oos_store::audit::annotate("Approval", outcome(&task, &rule, &notifier, notify_type));
            Ok(notifier)
        }
    }
}

/// Who started the execution (its top-level execution's `ExecutedBy`).
async fn starter(api: &Api, record: &ExecutionRecord) -> Result<String, AcsError> {
    let mut parent = record.parent_execution_id.clone();
    let mut id = record.id.clone();
    for _ in 0..MAX_PARENTS {
        let Some(next) = parent else { break };
        let above = api.store.execution(&next).await.map_err(error::store)?;
        parent = above.and_then(|above| above.parent_execution_id);
        id = next;
    }
    Ok(api.store.execution_meta(&id).await.map_err(error::store)?.map(|meta| meta.executed_by).unwrap_or_default())
}

/// Whether the caller's policies allow `oos:ApproveOwnExecution` on the execution (checked with
/// `acs:CurrentTime` and the execution's tags, like the request itself).
async fn may_decide_own(api: &Api, caller: &Caller, execution_id: &str) -> bool {
    let resource = ArnScope::new(api.region.clone(), api.iam.account().to_string()).execution(execution_id);
    let tags = crate::resource_tags::of(api, &resource).await;
    let context = crate::resource_tags::with_tags(Context::new().with(keys::CURRENT_TIME, api.clock.timestamp().to_string()), &tags);
    let request = AuthzRequest { action: APPROVE_OWN_EXECUTION.to_owned(), resources: vec![resource], context };
    api.iam.require(&caller.principal, &request).await.is_ok()
}

/// The task the execution waits on for a decision: the latest waiting ACS::Approve, or high-risk
/// ExecuteAPI call (`SafetyCheck`).
async fn waiting_approval(api: &Api, execution_id: &str) -> Result<Option<TaskRecord>, AcsError> {
    let tasks = api.store.tasks(execution_id).await.map_err(error::store)?;
    let decided = [AtomicAction::Approve.name(), AtomicAction::ExecuteApi.name()];
    Ok(tasks.into_iter().filter(|task| task.status == TaskStatus::Waiting.as_str() && decided.contains(&task.task_action.as_str())).max_by_key(|task| task.seq))
}

/// What the decision does to the waiting task, as its `ApprovedBy` output shows the approvals so far.
fn outcome(task: &TaskRecord, rule: &ApprovalRule, by: &Notifier, notify_type: NotifyType) -> Value {
    let approved: Vec<String> = task
        .outputs
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|outputs| serde_json::from_value(outputs["ApprovedBy"].clone()).ok())
        .unwrap_or_default();
    let already = approved.iter().any(|name| name == by.name());
    let approvals = approved.len() + usize::from(!already && notify_type != NotifyType::Reject);
    let outcome = match notify_type {
        NotifyType::Reject => "Rejected",
        _ if already => "AlreadyCounted",
        _ if approvals >= rule.required => "Approved",
        _ => "Counted",
    };
    json!({
        "TaskExecutionId": task.id,
        "TaskName": task.task_name,
        "Outcome": outcome,
        "Approvals": approvals,
        "Required": rule.required,
    })
}
