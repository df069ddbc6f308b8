//! The OOS actions this server implements, and what they share: paging, dates, JSON parameters.

mod approvals;
pub mod assistant;
pub mod cloud_reads;
mod audit;
pub(crate) mod common;
mod execution_policy;
mod execution_role;
mod executions;
mod inventory;
pub(crate) mod logs;
pub mod parameters;
pub mod ram;
mod ram_console;
mod risky_tasks;
mod sandbox_inbox;
mod states;
mod tags;
mod template_admin;
mod template_tree;
pub(crate) mod template_url;
mod templates;
mod triggers;

use oos_acs::{AcsError, RpcRequest, unknown_action};

use crate::auth::Caller;
use crate::api::{Api, Fields};

/// The OOS actions [`dispatch`] serves (the authorization matrix test checks this list against the
/// server's answers: a new action must be listed here).
pub const SERVED_ACTIONS: &[&str] = &[
    "CreateTemplate",
    "UpdateTemplate",
    "GetTemplate",
    "ListTemplates",
    "ListTemplateVersions",
    "DeleteTemplate",
    "ValidateTemplateContent",
    "GenerateExecutionPolicy",
    "ListExecutionRiskyTasks",
    "DeleteTemplates",
    "UpdateTemplateAttributes",
    "GetTemplateParameterConstraints",
    "StartExecution",
    "ListExecutions",
    "GetExecutionTemplate",
    "CancelExecution",
    "NotifyExecution",
    "TriggerExecution",
    "PauseTrigger",
    "ResumeTrigger",
    "DeleteExecutions",
    "ListTaskExecutions",
    "ListExecutionLogs",
    "CreateParameter",
    "CreateSecretParameter",
    "GetParameter",
    "GetSecretParameter",
    "GetParameters",
    "GetSecretParameters",
    "GetParametersByPath",
    "GetSecretParametersByPath",
    "UpdateParameter",
    "UpdateSecretParameter",
    "DeleteParameter",
    "DeleteSecretParameter",
    "ListParameters",
    "ListSecretParameters",
    "ListParameterVersions",
    "ListSecretParameterVersions",
    "TagResources",
    "UntagResources",
    "ListTagResources",
    "ListTagKeys",
    "ListTagValues",
    "ListAuditEvents",
    "VerifyAuditTrail",
    "ListSandboxInbox",
    "ClearSandboxInbox",
    "CreateStateConfiguration",
    "UpdateStateConfiguration",
    "ListStateConfigurations",
    "DeleteStateConfigurations",
    "GetInventorySchema",
    "ListInventoryEntries",
];

/// Every `(Version, Action)` the server serves: the OOS actions, then the RAM management actions.
pub fn served_actions() -> Vec<(&'static str, &'static str)> {
    let oos = SERVED_ACTIONS.iter().map(|action| (crate::api::OOS_VERSION, *action));
    let ram = oos_iam::ram_actions::RAM_ACTIONS.iter().map(|(action, _)| (oos_iam::ram_actions::RAM_VERSION, *action));
    oos.chain(ram).collect()
}

/// Routes an authorized request to its action.
pub async fn dispatch(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    match rpc.action.as_str() {
        "CreateTemplate" => templates::create(api, caller, rpc).await,
        "UpdateTemplate" => templates::update(api, caller, rpc).await,
        "GetTemplate" => templates::get(api, rpc).await,
        "ListTemplates" => templates::list(api, rpc).await,
        "ListTemplateVersions" => templates::versions(api, rpc).await,
        "DeleteTemplate" => templates::delete(api, rpc).await,
        "ValidateTemplateContent" => templates::validate_content(rpc),
        "DeleteTemplates" => template_admin::delete_many(api, rpc).await,
        "UpdateTemplateAttributes" => template_admin::update_attributes(api, rpc).await,
        "GetTemplateParameterConstraints" => template_admin::parameter_constraints(api, rpc).await,
        "GenerateExecutionPolicy" => execution_policy::generate(api, caller, rpc).await,
        "ListExecutionRiskyTasks" => risky_tasks::list(api, rpc).await,
        "StartExecution" => executions::start(api, caller, rpc).await,
        "ListExecutions" => executions::list(api, rpc).await,
        "GetExecutionTemplate" => executions::template(api, rpc).await,
        "CancelExecution" => executions::cancel(api, rpc).await,
        "NotifyExecution" => executions::notify(api, caller, rpc).await,
        "TriggerExecution" => triggers::fire(api, rpc).await,
        "PauseTrigger" => triggers::pause(api, rpc, true).await,
        "ResumeTrigger" => triggers::pause(api, rpc, false).await,
        "DeleteExecutions" => executions::delete(api, rpc).await,
        "ListTaskExecutions" => logs::task_executions(api, rpc).await,
        "ListExecutionLogs" => logs::execution_logs(api, rpc).await,
        "CreateParameter" => parameters::create(api, caller, rpc, parameters::COMMON).await,
        "CreateSecretParameter" => parameters::create(api, caller, rpc, parameters::SECRET).await,
        "GetParameter" => parameters::get(api, rpc, parameters::COMMON).await,
        "GetSecretParameter" => parameters::get(api, rpc, parameters::SECRET).await,
        "GetParameters" => parameters::get_many(api, rpc, parameters::COMMON).await,
        "GetSecretParameters" => parameters::get_many(api, rpc, parameters::SECRET).await,
        "GetParametersByPath" => parameters::by_path(api, rpc, parameters::COMMON).await,
        "GetSecretParametersByPath" => parameters::by_path(api, rpc, parameters::SECRET).await,
        "UpdateParameter" => parameters::update(api, caller, rpc, parameters::COMMON).await,
        "UpdateSecretParameter" => parameters::update(api, caller, rpc, parameters::SECRET).await,
        "DeleteParameter" => parameters::delete(api, rpc, parameters::COMMON).await,
        "DeleteSecretParameter" => parameters::delete(api, rpc, parameters::SECRET).await,
        "ListParameters" => parameters::list(api, rpc, parameters::COMMON).await,
        "ListSecretParameters" => parameters::list(api, rpc, parameters::SECRET).await,
        "ListParameterVersions" => parameters::versions(api, rpc, parameters::COMMON).await,
        "ListSecretParameterVersions" => parameters::versions(api, rpc, parameters::SECRET).await,
        "TagResources" => tags::tag(api, rpc).await,
        "UntagResources" => tags::untag(api, rpc).await,
        "ListTagResources" => tags::list_resources(api, rpc).await,
        "ListTagKeys" => tags::keys(api, rpc).await,
        "ListTagValues" => tags::values(api, rpc).await,
        "ListAuditEvents" => audit::list(api, rpc).await,
        "VerifyAuditTrail" => audit::verify(api).await,
        "ListSandboxInbox" => sandbox_inbox::list(api, rpc).await,
        "ClearSandboxInbox" => sandbox_inbox::clear(api).await,
        "CreateStateConfiguration" => states::create(api, rpc).await,
        "UpdateStateConfiguration" => states::update(api, rpc).await,
        "ListStateConfigurations" => states::list(api, rpc).await,
        "DeleteStateConfigurations" => states::delete(api, rpc).await,
        "GetInventorySchema" => inventory::schema(rpc),
        "ListInventoryEntries" => inventory::entries(api, rpc).await,
        other => Err(unknown_action(other)),
    }
}
