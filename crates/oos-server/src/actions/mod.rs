//! The OOS actions this server implements, and what they share: paging, dates, JSON parameters.

mod audit;
mod execution_policy;
mod execution_role;
mod executions;
mod logs;
pub mod parameters;
pub mod ram;
mod tags;
mod template_admin;
pub(crate) mod template_url;
mod templates;

use oos_acs::{AcsError, RpcRequest, unknown_action};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::pipeline::{Api, Fields};

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
    "DeleteTemplates",
    "UpdateTemplateAttributes",
    "GetTemplateParameterConstraints",
    "StartExecution",
    "ListExecutions",
    "GetExecutionTemplate",
    "CancelExecution",
    "NotifyExecution",
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
];

/// Every `(Version, Action)` the server serves: the OOS actions, then the RAM management actions.
pub fn served_actions() -> Vec<(&'static str, &'static str)> {
    let oos = SERVED_ACTIONS.iter().map(|action| (crate::pipeline::OOS_VERSION, *action));
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
        "StartExecution" => executions::start(api, caller, rpc).await,
        "ListExecutions" => executions::list(api, rpc).await,
        "GetExecutionTemplate" => executions::template(api, rpc).await,
        "CancelExecution" => executions::cancel(api, rpc).await,
        "NotifyExecution" => executions::notify(api, rpc).await,
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
        other => Err(unknown_action(other)),
    }
}

/// One page of a list action: `MaxResults` (1–100, default 50) and the opaque `NextToken`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    pub fn from_request(rpc: &RpcRequest) -> Result<Self, AcsError> {
        let limit = rpc.int("MaxResults")?.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(AcsError::invalid_parameter("MaxResults", format!("must be between 1 and 100, got {limit}")));
        }
        let offset = match rpc.get("NextToken") {
            None => 0,
            Some(token) => token.parse::<i64>().ok().filter(|offset| *offset >= 0).ok_or_else(|| AcsError::invalid_parameter("NextToken", "not a token this server issued"))?,
        };
        Ok(Self { offset, limit })
    }

    /// Adds `MaxResults` and `NextToken` (only when more rows follow) to a list answer.
    pub fn finish(&self, fields: &mut Fields, rows_on_page: usize, more: bool) {
        fields.insert("MaxResults".into(), Value::from(self.limit));
        if more {
            fields.insert("NextToken".into(), Value::from((self.offset + rows_on_page as i64).to_string()));
        }
    }
}

/// OOS date text (`2019-05-16T10:26:14Z`) of unix milliseconds.
pub(crate) fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// A date parameter as unix milliseconds.
pub(crate) fn date_param(rpc: &RpcRequest, name: &str) -> Result<Option<i64>, AcsError> {
    rpc.get(name)
        .map(|text| {
            text.trim().parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).map_err(|_| AcsError::invalid_parameter(name, format!("{text:?} is not a date like 2019-05-16T10:26:14Z")))
        })
        .transpose()
}

/// `Ascending` / `Descending` (default descending).
pub(crate) fn ascending(rpc: &RpcRequest) -> Result<bool, AcsError> {
    match rpc.get("SortOrder") {
        None => Ok(false),
        Some(order) if order.eq_ignore_ascii_case("Ascending") => Ok(true),
        Some(order) if order.eq_ignore_ascii_case("Descending") => Ok(false),
        Some(order) => Err(AcsError::invalid_parameter("SortOrder", format!("{order:?} is neither Ascending nor Descending"))),
    }
}

/// A `Tags` parameter (JSON object) as text, checked.
pub(crate) fn tags_param(rpc: &RpcRequest) -> Result<Option<String>, AcsError> {
    Ok(rpc.json::<Map<String, Value>>("Tags")?.map(|tags| Value::Object(tags).to_string()))
}

/// A `Tags` filter as (key, value) pairs.
pub(crate) fn tag_filter(rpc: &RpcRequest) -> Result<Vec<(String, String)>, AcsError> {
    let tags = rpc.json::<Map<String, Value>>("Tags")?.unwrap_or_default();
    Ok(tags.into_iter().map(|(key, value)| (key, value.as_str().map_or_else(|| value.to_string(), str::to_string))).collect())
}

/// A stored JSON document parsed back (an object when unreadable or absent).
pub(crate) fn json_object(text: Option<&str>) -> Value {
    text.and_then(|text| serde_json::from_str(text).ok()).unwrap_or_else(|| Value::Object(Map::new()))
}
