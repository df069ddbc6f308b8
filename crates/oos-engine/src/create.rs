//! Creating an execution: parameter values checked against the template (required, types, defaults
//! evaluated with the `ACS::` built-ins), RamRole evaluated, the initial state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use oos_template::Template;
use serde_json::{Map, Value};

use crate::context::EvalContext;
use crate::state::{Changes, EngineConfig, Execution, Flow};
use crate::status::{ExecutionStatus, Mode};

/// A request to start an execution.
#[derive(Debug, Clone)]
pub struct NewExecution {
    pub id: String,
    pub template: Arc<Template>,
    pub template_name: String,
    pub template_version: Option<String>,
    pub parameters: Map<String, Value>,
    pub mode: Mode,
    pub parent_execution_id: Option<String>,
    pub parent_task_execution_id: Option<String>,
    pub description: String,
    /// `ACS::RegionId` of this execution (None: the engine's default region).
    pub region_id: Option<String>,
    /// Snapshot of the `{{ oos:Name }}` values the template references, by name.
    pub store_parameters: BTreeMap<String, Value>,
    /// Snapshot of the `{{ oos-secret:Name[:Version] }}` values it references, by `Name[:Version]`.
    pub secret_parameters: BTreeMap<String, Value>,
    /// Who starts it (`ACS::ExecuteUser`; a server puts the caller's ARN); None: the engine's configured user.
    pub execute_user: Option<String>,
    /// The firing this execution runs (a trigger execution's child; None otherwise).
    pub firing: Option<crate::event::Firing>,
}

/// Why an execution could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CreateError {
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: String) -> CreateError {
    CreateError { code: "InvalidParameter", message }
}

/// Builds the initial state of an execution (status `Started`); feed it [`crate::Event::Start`].
pub fn create(request: NewExecution, now_ms: i64, config: &EngineConfig) -> Result<Execution, CreateError> {
    let mut exec = Execution {
        id: request.id,
        template: request.template.clone(),
        template_name: request.template_name,
        template_version: request.template_version,
        parameters: Map::new(),
        mode: request.mode,
        status: ExecutionStatus::Started,
        status_message: String::new(),
        outputs: None,
        parent_execution_id: request.parent_execution_id,
        parent_task_execution_id: request.parent_task_execution_id,
        description: request.description,
        created_ms: now_ms,
        updated_ms: now_ms,
        start_ms: None,
        end_ms: None,
        flow: Flow {
            region_id: request.region_id.unwrap_or_else(|| config.region_id.clone()),
            account_id: config.account_id.clone(),
            execute_user: request.execute_user.unwrap_or_else(|| config.execute_user.clone()),
            store_parameters: request.store_parameters,
            secret_parameters: request.secret_parameters,
            firing: request.firing,
            ..Flow::default()
        },
        tasks: Vec::new(),
        by_id: HashMap::new(),
        latest: HashMap::new(),
        changes: Changes { execution: true, ..Changes::default() },
    };
    let ctx = EvalContext::new(&exec, now_ms);
    let parameters = oos_template::check_parameters(&request.template, &request.parameters, &ctx)
        .map_err(|e| CreateError { code: e.code, message: format!("parameter {}: {}", e.parameter, e.message) })?;
    exec.parameters = parameters;
    if let Some(role) = &request.template.ram_role {
        let ctx = EvalContext::new(&exec, now_ms);
        let role = oos_expr::evaluate(role, &ctx).map_err(|e| invalid(format!("RamRole: {e}")))?;
        exec.flow.ram_role = role.and_then(|v| v.as_str().map(str::to_owned)).filter(|r| !r.is_empty());
    }
    Ok(exec)
}
