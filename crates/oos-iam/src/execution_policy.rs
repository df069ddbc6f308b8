//! GenerateExecutionPolicy: the minimal RAM policy a template's cloud calls need.

use serde_json::json;

/// One cloud API a template calls (from `ACS::ExecuteAPI`/`WaitFor`/`CheckFor` Service+API, or the APIs a
/// product action such as `ACS::ECS::StopInstance` uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredApi {
    /// Product code as written in the template (`ECS`, `ecs`).
    pub service: String,
    /// API name (`StopInstance`).
    pub api: String,
}

impl RequiredApi {
    pub fn new(service: &str, api: &str) -> RequiredApi {
        RequiredApi {
            service: service.to_string(),
            api: api.to_string(),
        }
    }
}

/// The `ecs:StopInstance`-style actions for `apis`: service codes lower-cased, duplicates (ignoring case)
/// removed, sorted.
pub fn required_actions(apis: &[RequiredApi]) -> Vec<String> {
    let mut actions: Vec<String> = apis
        .iter()
        .filter(|a| !a.service.trim().is_empty() && !a.api.trim().is_empty())
        .map(|a| format!("{}:{}", a.service.trim().to_lowercase(), a.api.trim()))
        .collect();
    actions.sort_by_key(|a| a.to_lowercase());
    actions.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    actions
}

/// The policy document (compact JSON, RAM format) allowing exactly `apis` on `*`.
/// With no API calls the statement list is empty: the template needs no cloud permission.
pub fn generate_execution_policy(apis: &[RequiredApi]) -> String {
    let actions = required_actions(apis);
    let statements = if actions.is_empty() {
        Vec::new()
    } else {
        vec![json!({"Effect": "Allow", "Action": actions, "Resource": "*"})]
    };
    json!({"Version": "1", "Statement": statements}).to_string()
}
