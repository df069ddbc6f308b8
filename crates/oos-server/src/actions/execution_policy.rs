//! GenerateExecutionPolicy: the cloud APIs a template calls — its ExecuteAPI/WaitFor/CheckFor tasks,
//! SelectTargets, and the tasks of the child templates and product actions it runs as far as the
//! library resolves them (`template_tree`) — as the minimal policy (`oos_iam::generate_execution_policy`), and
//! `MissingPolicy`: the part of it that the given `RamRole` (or, without one, the caller) is not allowed.

use oos_acs::{AcsError, RpcRequest};
use oos_iam::evaluate::{AuthzRequest, Context, keys};
use oos_iam::execution_policy::required_actions;
use oos_iam::{Principal, RequiredApi, generate_execution_policy};
use oos_template::catalog::AtomicAction;
use oos_template::ActionKind;
use serde_json::{Map, Value};

use super::template_tree::{Reached, literal, reach};
use super::templates::fetch_requested;
use crate::auth::Caller;
use crate::authorized_actions::SELECT_TARGETS_API;
use crate::error;
use crate::api::{Api, Fields};

pub async fn generate(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let (content, name) = match rpc.get("TemplateContent") {
        Some(content) => (content.to_string(), None),
        None => {
            let row = fetch_requested(api, rpc).await?;
            (row.content, Some(row.name))
        }
    };
    let template = oos_template::parse(&content).map_err(|e| error::invalid_template(&e))?;
    let apis = called_apis(&reach(api, template, name.as_deref()).await?);
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

/// Every cloud API the reached templates call, once each, in the order first seen.
fn called_apis(reached: &[Reached]) -> Vec<RequiredApi> {
    let mut apis: Vec<RequiredApi> = Vec::new();
    for task in reached.iter().flat_map(|node| &node.template.tasks) {
        let called = match task.action.kind {
            ActionKind::Atomic(AtomicAction::ExecuteApi | AtomicAction::WaitFor | AtomicAction::CheckFor) => {
                match (literal(&task.properties, "Service"), literal(&task.properties, "API")) {
                    (Some(service), Some(api)) => RequiredApi::new(service, api),
                    _ => continue,
                }
            }
            ActionKind::Atomic(AtomicAction::SelectTargets) => RequiredApi::new(SELECT_TARGETS_API.0, SELECT_TARGETS_API.1),
            _ => continue,
        };
        if !apis.contains(&called) {
            apis.push(called);
        }
    }
    apis
}
