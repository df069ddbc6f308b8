//! ListExecutionRiskyTasks: the high-risk cloud calls an execution of a stored template would make,
//! where SafetyCheck `ConfirmEveryHighRiskAction` stops for a decision — every `ACS::ExecuteAPI` task
//! whose Properties as written are high risk by the engine's rule (`oos_engine::risk::is_high`), in
//! the template and in the children it runs (`template_tree`). Grouped by (Service, API) as written
//! (an expression as its text), in the order first seen; `Task` holds task paths (the chain of task
//! names from the template's own task down, joined by `/`), `Template` the templates they are in.

use oos_acs::{AcsError, RpcRequest};
use oos_engine::risk::is_high;
use oos_template::ActionKind;
use oos_template::catalog::AtomicAction;
use serde_json::{Map, Value, json};

use super::template_tree::reach;
use super::templates::fetch;
use crate::api::{Api, Fields};
use crate::error;

/// One (Service, API) and where it is called.
struct RiskyTask {
    service: String,
    api: String,
    tasks: Vec<String>,
    templates: Vec<String>,
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let row = fetch(api, rpc.require("TemplateName")?, None).await?;
    let template = oos_template::parse(&row.content).map_err(|e| error::invalid_template(&e))?;
    let mut risky: Vec<RiskyTask> = Vec::new();
    for node in reach(api, template, Some(&row.name)).await? {
        let name = node.name.clone().unwrap_or_default();
        for task in &node.template.tasks {
            if task.action.kind != ActionKind::Atomic(AtomicAction::ExecuteApi) || !is_high(&task.properties) {
                continue;
            }
            let (service, api) = (written(&task.properties, "Service"), written(&task.properties, "API"));
            let at = match risky.iter().position(|group| group.service == service && group.api == api) {
                Some(at) => at,
                None => {
                    risky.push(RiskyTask { service, api, tasks: Vec::new(), templates: Vec::new() });
                    risky.len() - 1
                }
            };
            let group = &mut risky[at];
            group.tasks.push(node.path.iter().chain([&task.name]).cloned().collect::<Vec<_>>().join("/"));
            if !group.templates.contains(&name) {
                group.templates.push(name.clone());
            }
        }
    }
    let risky = risky.into_iter().map(|group| json!({"Service": group.service, "API": group.api, "Task": group.tasks, "Template": group.templates}));
    let mut fields = Map::new();
    fields.insert("RiskyTasks".into(), Value::Array(risky.collect()));
    Ok(fields)
}

/// A property as written: its text, another value as JSON, nothing as `""`.
fn written(properties: &Value, key: &str) -> String {
    match properties.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
