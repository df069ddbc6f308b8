//! What each OOS API action is authorized as: `oos:<Action>` on the ARNs named by its request parameters,
//! plus the condition keys the request itself supplies (`oos:TemplateName`, `oos:TagKeys`, ...).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::arn::ArnScope;
use crate::error::IamError;
use crate::evaluate::{Context, keys};

/// Where an action's resources come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceSource {
    /// One resource of this type named by this parameter; `<type>/*` when the parameter is absent.
    One(&'static str, &'static str),
    /// The stored template named by `TemplateName`; `template/*` when the request carries its own
    /// template (`TemplateContent` or `TemplateURL`), whatever `TemplateName` says, since the name
    /// then names nothing that is checked.
    TemplateOrInline,
    /// Several resources named by a JSON array (or single string) parameter; `<type>/*` when absent.
    Many(&'static str, &'static str),
    /// The whole collection: `<type>/*`.
    Collection(&'static str),
    /// Parameters under the path in `Path`: `<type>/<path>/*`.
    UnderPath(&'static str),
    /// `ResourceType` + `ResourceIds` (JSON array) of the tag actions.
    TaggedResources,
    /// `ResourceType` + `ResourceId` (ChangeResourceGroup).
    TaggedResource,
    /// Not resource-scoped: `*`.
    Global,
}

use ResourceSource::*;

/// OpenOOS's own actions on the OOS endpoint (not in Alibaba's API reference), authorized like the rest.
pub const EXTENSION_ACTIONS: &[&str] = &["ListAuditEvents", "VerifyAuditTrail", "PauseTrigger", "ResumeTrigger", "ListSandboxInbox", "ClearSandboxInbox"];

/// A permission that is not an API action: deciding (NotifyExecution Approve/Reject) on an
/// execution one started oneself, checked on the execution's ARN when the caller is its starter.
/// `oos:*` grants it, so root and administrators may approve their own executions.
pub const APPROVE_OWN_EXECUTION: &str = "oos:ApproveOwnExecution";

/// Every OOS action the server exposes, with its resources.
pub const OOS_ACTIONS: &[(&str, ResourceSource)] = &[
    // templates
    ("CreateTemplate", One("template", "TemplateName")),
    ("UpdateTemplate", One("template", "TemplateName")),
    ("GetTemplate", One("template", "TemplateName")),
    ("DeleteTemplate", One("template", "TemplateName")),
    ("DeleteTemplates", Many("template", "TemplateNames")),
    ("ListTemplates", Collection("template")),
    ("ListTemplateVersions", One("template", "TemplateName")),
    ("UpdateTemplateAttributes", One("template", "TemplateName")),
    ("GetTemplateParameterConstraints", TemplateOrInline),
    ("ListExecutionRiskyTasks", One("template", "TemplateName")),
    ("GenerateExecutionPolicy", TemplateOrInline),
    ("ValidateTemplateContent", Global),
    ("ListActions", Global),
    // executions
    ("StartExecution", TemplateOrInline),
    ("ListExecutions", One("execution", "ExecutionId")),
    ("GetExecutionTemplate", One("execution", "ExecutionId")),
    ("CancelExecution", One("execution", "ExecutionId")),
    ("NotifyExecution", One("execution", "ExecutionId")),
    ("UpdateExecution", One("execution", "ExecutionId")),
    ("TriggerExecution", One("execution", "ExecutionId")),
    // OpenOOS: stop and restart a trigger's firings
    ("PauseTrigger", One("execution", "ExecutionId")),
    ("ResumeTrigger", One("execution", "ExecutionId")),
    ("DeleteExecutions", Many("execution", "ExecutionIds")),
    ("ListTaskExecutions", One("execution", "ExecutionId")),
    ("ListExecutionLogs", One("execution", "ExecutionId")),
    (
        "ListResourceExecutionStatus",
        One("execution", "ExecutionId"),
    ),
    ("ListTaskExecutionInvocations", Collection("execution")),
    ("StartDebugExecution", Collection("execution")),
    // parameter store
    ("CreateParameter", One("parameter", "Name")),
    ("GetParameter", One("parameter", "Name")),
    ("UpdateParameter", One("parameter", "Name")),
    ("DeleteParameter", One("parameter", "Name")),
    ("ListParameterVersions", One("parameter", "Name")),
    ("GetParameters", Many("parameter", "Names")),
    ("GetParametersByPath", UnderPath("parameter")),
    ("ListParameters", Collection("parameter")),
    ("CreateSecretParameter", One("secretparameter", "Name")),
    ("GetSecretParameter", One("secretparameter", "Name")),
    ("UpdateSecretParameter", One("secretparameter", "Name")),
    ("DeleteSecretParameter", One("secretparameter", "Name")),
    (
        "ListSecretParameterVersions",
        One("secretparameter", "Name"),
    ),
    ("GetSecretParameters", Many("secretparameter", "Names")),
    ("GetSecretParametersByPath", UnderPath("secretparameter")),
    ("ListSecretParameters", Collection("secretparameter")),
    // tags and resource groups
    ("TagResources", TaggedResources),
    ("UntagResources", TaggedResources),
    ("ListTagResources", TaggedResources),
    ("ListTagKeys", Global),
    ("ListTagValues", Global),
    ("ChangeResourceGroup", TaggedResource),
    // state configurations (applying a template: its name) and the inventory they collect
    ("CreateStateConfiguration", One("template", "TemplateName")),
    ("UpdateStateConfiguration", One("stateconfiguration", "StateConfigurationId")),
    ("ListStateConfigurations", Many("stateconfiguration", "StateConfigurationIds")),
    ("DeleteStateConfigurations", Many("stateconfiguration", "StateConfigurationIds")),
    ("ListInventoryEntries", One("instance", "InstanceId")),
    ("GetInventorySchema", Global),
    // audit trail (OpenOOS extensions)
    ("ListAuditEvents", Collection("audit")),
    ("VerifyAuditTrail", Collection("audit")),
    // the sandbox inbox (OpenOOS extensions): requests a sandbox captured instead of sending
    ("ListSandboxInbox", Collection("sandboxinbox")),
    ("ClearSandboxInbox", Collection("sandboxinbox")),
    // service
    ("DescribeRegions", Global),
    ("GetServiceSettings", Global),
    ("SetServiceSettings", Global),
];

/// Read access to an API request's parameters (decoded query/form values).
pub trait RequestParams {
    fn param(&self, name: &str) -> Option<&str>;
}

impl RequestParams for BTreeMap<String, String> {
    fn param(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl RequestParams for HashMap<String, String> {
    fn param(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// What to check for one API request: the action, its resources and request-derived condition keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAuthz {
    /// `oos:<Action>`.
    pub action: String,
    pub resources: Vec<String>,
    /// `oos:TemplateName`, `oos:TemplateVersion`, `oos:TagKeys`, `oos:RequestTag/<key>` when present.
    pub request_context: Vec<(String, Vec<String>)>,
}

impl ActionAuthz {
    /// Adds the request-derived keys to a context that already holds the connection's keys.
    pub fn extend_context(&self, mut context: Context) -> Context {
        for (key, values) in &self.request_context {
            context = context.with_values(key, values.iter().cloned());
        }
        context
    }
}

/// Maps an OOS API action and its parameters to what must be authorized.
/// Unknown actions are `InvalidAction.NotFound`.
pub fn oos_action_authz(
    action: &str,
    params: &dyn RequestParams,
    scope: &ArnScope,
) -> Result<ActionAuthz, IamError> {
    let (name, source) = OOS_ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .ok_or_else(|| IamError::UnknownAction(action.to_string()))?;
    // Values exactly as the handlers read them: a trimmed copy here and the raw one there would name two resources.
    let param = |p: &str| params.param(p).filter(|v| !v.is_empty());
    let inline = is_inline(params);
    let collection = |kind: &str| vec![scope.oos(kind, "*")];
    let each = |kind: &str, ids: &str| {
        let ids = list_values(ids);
        if ids.is_empty() {
            collection(kind)
        } else {
            ids.iter().map(|id| scope.oos(kind, id)).collect()
        }
    };
    let resources = match *source {
        One(kind, p) => param(p).map_or_else(|| collection(kind), |id| vec![scope.oos(kind, id)]),
        TemplateOrInline if inline => collection("template"),
        TemplateOrInline => param("TemplateName").map_or_else(|| collection("template"), |id| vec![scope.oos("template", id)]),
        Many(kind, p) => param(p).map_or_else(|| collection(kind), |ids| each(kind, ids)),
        Collection(kind) => collection(kind),
        UnderPath(kind) => match param("Path") {
            Some(path) => vec![scope.oos(kind, &format!("{}/*", path.trim_end_matches('/')))],
            None => collection(kind),
        },
        TaggedResources | TaggedResource => {
            let kind = param("ResourceType").unwrap_or("*").to_lowercase();
            let ids_param = if *source == TaggedResources {
                "ResourceIds"
            } else {
                "ResourceId"
            };
            match param(ids_param) {
                Some(ids) => each(&kind, ids),
                None => collection(&kind),
            }
        }
        Global => vec!["*".to_string()],
    };
    Ok(ActionAuthz {
        action: format!("oos:{name}"),
        resources,
        request_context: request_context(params, inline),
    })
}

/// Whether the request brings its own template text instead of naming a stored one.
fn is_inline(params: &dyn RequestParams) -> bool {
    ["TemplateContent", "TemplateURL"].iter().any(|name| params.param(name).is_some_and(|value| !value.is_empty()))
}

/// A JSON array of strings, a JSON object's keys (`ResourceIds` may be `{"id": ...}`), or one plain value.
fn list_values(raw: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => items.iter().map(scalar_text).collect(),
        Ok(Value::Object(map)) => map.keys().cloned().collect(),
        _ => vec![raw.to_string()],
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The condition keys the request supplies; an inline template has no `oos:TemplateName` or
/// `oos:TemplateVersion` (its `TemplateName` is only a label, so a condition on it must not match).
fn request_context(params: &dyn RequestParams, inline: bool) -> Vec<(String, Vec<String>)> {
    let mut context = Vec::new();
    for (param, key) in [
        ("TemplateName", keys::TEMPLATE_NAME),
        ("TemplateVersion", keys::TEMPLATE_VERSION),
    ] {
        if inline {
            break;
        }
        if let Some(value) = params.param(param) {
            context.push((key.to_string(), vec![value.to_string()]));
        }
    }
    if let Some(Ok(Value::Object(tags))) = params.param("Tags").map(serde_json::from_str::<Value>) {
        context.push((keys::TAG_KEYS.to_string(), tags.keys().cloned().collect()));
        for (key, value) in &tags {
            context.push((
                format!("{}{key}", keys::REQUEST_TAG_PREFIX),
                vec![scalar_text(value)],
            ));
        }
    } else if let Some(tag_keys) = params.param("TagKeys") {
        context.push((keys::TAG_KEYS.to_string(), list_values(tag_keys)));
    }
    context
}
