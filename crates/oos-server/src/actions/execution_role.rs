//! StartExecution's role check: the template's `RamRole` resolved from the request's parameters exactly
//! as the engine will resolve it (`oos_engine::create`, with the same `{{ oos:Name }}` snapshot), then `ram:PassRole` for the caller and the
//! role's trust in `oos.aliyuncs.com` (`Iam::require_pass_role`) — all before anything is written.

use std::sync::Arc;

use oos_acs::AcsError;
use oos_runtime::{Reader, snapshot};
use oos_engine::{CreateError, EngineConfig, Mode, NewExecution, create};
use oos_iam::evaluate::{Context, keys};
use serde_json::{Map, Value};

use super::parameters::StoreParameters;
use crate::auth::Caller;
use crate::error;
use crate::api::Api;

/// The role an execution of `content` with `parameters` would act as (None: the caller's own permissions).
async fn resolve(api: &Api, caller: &Caller, region: &str, content: &str, parameters: &Map<String, Value>) -> Result<Option<String>, AcsError> {
    let template = oos_template::parse(content).map_err(|e| error::invalid_template(&e))?;
    if template.ram_role.is_none() {
        return Ok(None);
    }
    let create_error = |e: CreateError| AcsError::with_code(e.code, if e.code.starts_with("Forbidden") { 403 } else { 400 }, e.message);
    let source = StoreParameters { store: api.store.clone(), iam: api.iam.clone(), region: region.to_string() };
    let reader = Reader { executed_by: Some(caller.arn.clone()), ram_role: None };
    let values = snapshot(Some(&source), &template, &reader).await.map_err(create_error)?;
    let config = EngineConfig { region_id: region.to_string(), account_id: api.iam.account().to_string(), execute_user: caller.arn.clone(), ..EngineConfig::default() };
    let request = NewExecution {
        id: String::new(),
        template: Arc::new(template),
        template_name: String::new(),
        template_version: None,
        parameters: parameters.clone(),
        mode: Mode::Automatic,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        region_id: Some(region.to_string()),
        store_parameters: values.common,
        secret_parameters: values.secret,
        execute_user: Some(caller.arn.clone()),
    };
    let execution = create(request, jiff::Timestamp::now().as_millisecond(), &config).map_err(create_error)?;
    Ok(execution.flow.ram_role)
}

/// Refuses the start unless `caller` may pass the resolved role to OOS (`Forbidden.RAM`,
/// `EntityNotExist.Role`, `InvalidRamRole.NotTrusted`); an empty role needs nothing. Returns the role.
pub async fn authorize(api: &Api, caller: &Caller, region: &str, content: &str, parameters: &Map<String, Value>) -> Result<Option<String>, AcsError> {
    let Some(role) = resolve(api, caller, region, content, parameters).await? else { return Ok(None) };
    let context = Context::new().with(keys::CURRENT_TIME, jiff::Timestamp::now().to_string());
    api.iam.require_pass_role(&caller.principal, &role, context).await.map_err(error::iam)?;
    Ok(Some(role))
}
