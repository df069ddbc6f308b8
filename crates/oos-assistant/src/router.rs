//! [`AssistantActions`]: the worker's Cloud Assistant calls for managed instances go to this
//! process's [`Assistant`] (rows in the shared store) instead of to a cloud. A call is ours when it
//! names managed instances (`mi-…`, or emulated instances an agent is bound to), invocations or
//! commands we made (`t-oos…`, `c-oos…`), or activations and managed instances themselves;
//! everything else goes on to the cloud (or the emulator) unchanged. `ACS::SelectTargets` with
//! `ResourceType: ALIYUN::ECS::ManagedInstance` selects among managed instances.

use std::sync::Arc;

use oos_acs::{AcsError, RpcRequest};
use oos_actions::{ActionError, ActionRequest, Actions, ApiCall, CallKind, api_call};
use oos_store::ManagedInstanceQuery;
use serde_json::Value;

use crate::{Assistant, ECS_VERSION, ids, params, store_error};

/// Actions that exist only for managed instances.
const MANAGED_ONLY: &[&str] = &["CreateActivation", "DescribeActivations", "DeleteActivation", "DescribeManagedInstances", "DeregisterManagedInstance"];
/// Actions naming the instances they act on.
const ON_INSTANCES: &[&str] = &["RunCommand", "InvokeCommand", "SendFile", "DescribeCloudAssistantStatus"];
/// Actions naming an invocation.
const ON_INVOCATIONS: &[&str] = &["DescribeInvocations", "DescribeInvocationResults", "StopInvocation", "DescribeSendFileResults"];
/// Actions naming a saved command.
const ON_COMMANDS: &[&str] = &["DescribeCommands", "DeleteCommand"];

/// The executors of an execution, with Cloud Assistant calls for managed instances served here.
pub struct AssistantActions {
    inner: Arc<dyn Actions>,
    assistant: Assistant,
}

impl AssistantActions {
    pub fn new(inner: Arc<dyn Actions>, assistant: Assistant) -> Self {
        Self { inner, assistant }
    }
}

#[async_trait::async_trait]
impl Actions for AssistantActions {
    async fn run(&self, request: &ActionRequest) -> Result<Value, ActionError> {
        match request.kind {
            CallKind::SelectTargets if crate::select::is_managed(request) => {
                let call = api_call(request)?;
                crate::select::select_managed(&self.assistant, &call).await.map_err(|error| action_error(&call, error))
            }
            CallKind::CloudApi => {
                let call = api_call(request)?;
                if !call.service.eq_ignore_ascii_case("ECS") || call.roa.is_some() {
                    return self.inner.run(request).await;
                }
                let mut parameters = call.parameters.clone();
                oos_cloud::client_token::apply(&call.service, &call.api, &call.client_token, &mut parameters);
                let rpc = RpcRequest::new(&call.api, ECS_VERSION, oos_cloud::params::serialize(&call.service, &call.api, &parameters));
                match is_ours(&self.assistant, &rpc).await.map_err(|error| action_error(&call, error))? {
                    true => self.assistant.call(&rpc, &call.execution_id).await.map(Value::Object).map_err(|error| action_error(&call, error)),
                    false => self.inner.run(request).await,
                }
            }
            _ => self.inner.run(request).await,
        }
    }
}

fn action_error(call: &ApiCall, error: AcsError) -> ActionError {
    ActionError::new(error.code.clone(), format!("task {}: {}.{}: {}", call.task_name, call.service, call.api, error.message))
}

/// Whether `request` (an ECS call) is for the Cloud Assistant of managed instances.
async fn is_ours(assistant: &Assistant, request: &RpcRequest) -> Result<bool, AcsError> {
    let action = request.action.as_str();
    if MANAGED_ONLY.contains(&action) {
        return Ok(true);
    }
    if ON_INVOCATIONS.contains(&action) {
        if let Some(invoke_id) = request.get("InvokeId") {
            return Ok(ids::is_assistant_invocation(invoke_id));
        }
        return Ok(request.get("InstanceId").is_some_and(ids::is_managed_instance));
    }
    if ON_COMMANDS.contains(&action) {
        return Ok(request.get("CommandId").is_some_and(ids::is_assistant_command));
    }
    if !ON_INSTANCES.contains(&action) {
        return Ok(false);
    }
    if request.get("CommandId").is_some_and(ids::is_assistant_command) {
        return Ok(true);
    }
    let instances = params::instance_ids(request, false)?;
    let mut ours = 0;
    for id in &instances {
        if ids::is_managed_instance(id) || bound_instance(assistant, id).await?.is_some() {
            ours += 1;
        }
    }
    if ours > 0 && ours < instances.len() {
        return Err(AcsError::invalid_parameter("InstanceId", "managed instances and cloud instances cannot be mixed in one call"));
    }
    Ok(ours > 0)
}

/// The managed instance an agent registered for the emulated instance `instance_id`, if any.
pub(crate) async fn bound_instance(assistant: &Assistant, instance_id: &str) -> Result<Option<String>, AcsError> {
    if !instance_id.starts_with("i-") {
        return Ok(None);
    }
    let query = ManagedInstanceQuery { sandbox_instance: Some(instance_id.to_string()), ..Default::default() };
    let found = assistant.store().managed_instances(&query).await.map_err(store_error)?;
    Ok(found.into_iter().next().map(|row| row.instance_id))
}
