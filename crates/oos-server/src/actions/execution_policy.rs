//! GenerateExecutionPolicy: the cloud APIs a template calls — its ExecuteAPI/WaitFor/CheckFor tasks,
//! SelectTargets, and the tasks of the child templates and product actions it runs as far as the
//! library resolves them — as the minimal policy (`oos_iam::generate_execution_policy`), and
//! `MissingPolicy`: the part of it that the given `RamRole` (or, without one, the caller) is not allowed.

use std::collections::HashSet;
use std::sync::Arc;

use oos_acs::{AcsError, RpcRequest};
use oos_runtime::{Library, TemplateSource};
use oos_iam::evaluate::{AuthzRequest, Context, keys};
use oos_iam::execution_policy::required_actions;
use oos_iam::{Principal, RequiredApi, generate_execution_policy};
use oos_template::catalog::AtomicAction;
use oos_template::{ActionKind, Template};
use serde_json::{Map, Value};

use super::templates::fetch_requested;
use crate::auth::Caller;
use crate::authorized_actions::SELECT_TARGETS_API;
use crate::error;
use crate::api::{Api, Fields};

/// How deep child templates are followed (a template calling itself stops here too).
const MAX_DEPTH: usize = 5;

pub async fn generate(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let content = match rpc.get("TemplateContent") {
        Some(content) => content.to_string(),
        None => fetch_requested(api, rpc).await?.content,
    };
    let template = oos_template::parse(&content).map_err(|e| error::invalid_template(&e))?;
    let library = oos_product_actions::WithBuiltins::new(Library::new(Some(api.store.clone() as Arc<dyn oos_store::LibraryStore>), &[]));
    let apis = called_apis(template, &library).await;
    let principal = match rpc.get("RamRole").filter(|role| !role.is_empty()) {
        Some(role) => Principal::Role(role.to_string()),
        None => caller.principal.clone(),
    };
    let mut missing = Vec::new();
    for api_call in &apis {
        let action = required_actions(std::slice::from_ref(api_call)).concat();
        let context = Context::new().with(keys::CURRENT_TIME, api.clock.timestamp().to_string());
        let request = AuthzRequest { action, resources: vec!["*".into()], context };
        if !api.iam.authorize(&principal, &request).await.map_err(error::iam)?.allowed {
            missing.push(api_call.clone());
        }
    }
    let mut fields = Map::new();
    fields.insert("Policy".into(), Value::String(generate_execution_policy(&apis)));
    fields.insert("MissingPolicy".into(), Value::String(generate_execution_policy(&missing)));
    Ok(fields)
}

/// Every cloud API `template` and its resolvable children call, in the order first seen.
async fn called_apis(template: Template, library: &dyn TemplateSource) -> Vec<RequiredApi> {
    let mut apis: Vec<RequiredApi> = Vec::new();
    let mut visited: HashSet<String> = HashSet::new();
    let mut pending = vec![(template, 0)];
    while let Some((template, depth)) = pending.pop() {
        for task in &template.tasks {
            let child = match task.action.kind {
                ActionKind::Atomic(AtomicAction::ExecuteApi | AtomicAction::WaitFor | AtomicAction::CheckFor) => {
                    if let (Some(service), Some(api)) = (literal(&task.properties, "Service"), literal(&task.properties, "API")) {
                        apis.push(RequiredApi::new(service, api));
                    }
                    None
                }
                ActionKind::Atomic(AtomicAction::SelectTargets) => {
                    apis.push(RequiredApi::new(SELECT_TARGETS_API.0, SELECT_TARGETS_API.1));
                    None
                }
                ActionKind::Atomic(AtomicAction::Template) => match literal(&task.properties, "TemplateContent") {
                    Some(content) => oos_template::parse(content).ok(),
                    None => find(library, literal(&task.properties, "TemplateName"), &mut visited).await,
                },
                ActionKind::Product => find(library, Some(&task.action.canonical), &mut visited).await,
                _ => None,
            };
            if let Some(child) = child.filter(|_| depth < MAX_DEPTH) {
                pending.push((child, depth + 1));
            }
        }
    }
    apis
}

/// The library's template `name` (latest version), once per name.
async fn find(library: &dyn TemplateSource, name: Option<&str>, visited: &mut HashSet<String>) -> Option<Template> {
    let name = name?;
    if !visited.insert(name.to_string()) {
        return None;
    }
    let found = library.find(name, None).await.ok()??;
    oos_template::parse(&found.content).ok()
}

/// A property's literal text (expressions are unknown until run time and are skipped).
fn literal<'a>(properties: &'a Value, key: &str) -> Option<&'a str> {
    properties.get(key).and_then(Value::as_str).filter(|text| !text.contains("{{"))
}
