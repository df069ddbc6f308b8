//! Audit records of an execution's outbound calls: `CloudCall`, one per ExecuteAPI / WaitFor /
//! CheckFor / SelectTargets attempt, and `HttpCall`, one per webhook or ExecuteHttpRequest, including
//! calls refused before they left, with the execution's secrets redacted. They commit with the
//! `ActionDone` they produced. `Trigger`, one per firing, commits with the run it started.

use oos_actions::{ActionError, ActionRequest, CallKind, api_call};
use oos_store::audit::{AuditKind, NewAudit, redact};
use serde_json::{Value, json};

use oos_engine::Execution;

/// Who a call is made as, and what must not appear in its record.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallContext {
    /// The user who started the execution, when known.
    pub user: Option<String>,
    /// The execution's secrets (see [`oos_engine::secrets::secret_texts`]).
    pub secrets: Vec<String>,
}

impl CallContext {
    /// The context of `exec`'s calls: its starter (`ACS::ExecuteUser`) and secrets.
    pub(crate) fn of(exec: &Execution) -> Self {
        Self { user: Some(exec.flow.execute_user.clone()), secrets: oos_engine::secrets::secret_texts(exec) }
    }
}

/// The record of one firing of a trigger: which trigger execution, what fired it (the key, not the
/// event or alarm content, which may carry anything) and the run it started.
pub(crate) fn firing(start: &oos_engine::ChildStart, firing: &oos_engine::Firing, now_ms: i64) -> NewAudit {
    let body = json!({
        "Principal": start.ram_role.clone().unwrap_or_else(|| start.executed_by.clone()),
        "User": start.executed_by,
        "ExecutionId": start.parent_execution_id,
        "TaskExecutionId": start.parent_task_execution_id,
        "Source": format!("{:?}", firing.source),
        "FireKey": firing.key,
        "FiredAt": firing.fired_ms,
        "ChildExecutionId": start.child_execution_id,
    });
    NewAudit { time_ms: now_ms, kind: AuditKind::Trigger, body: body.as_object().cloned().unwrap_or_default() }
}

/// The record of one call attempt: a cloud call, or a webhook / HTTP request.
pub(crate) fn call_record(request: &ActionRequest, task_execution_id: &str, outcome: &Result<Value, ActionError>, context: &CallContext, now_ms: i64) -> Option<NewAudit> {
    match request.kind {
        CallKind::CloudApi | CallKind::SelectTargets => cloud_call(request, task_execution_id, outcome, context, now_ms),
        CallKind::Webhook | CallKind::HttpRequest => Some(http_call(request, task_execution_id, outcome, context, now_ms)),
    }
}

/// A webhook or ExecuteHttpRequest: method, URL (user info, credential-like query values and the
/// execution's secrets masked), the answer's status and size, or the failure's code.
fn http_call(request: &ActionRequest, task_execution_id: &str, outcome: &Result<Value, ActionError>, context: &CallContext, now_ms: i64) -> NewAudit {
    let properties = &request.properties;
    let (method, url) = match request.kind {
        CallKind::Webhook => ("POST", properties.pointer("/WebHook/URI")),
        _ => (properties.get("Method").and_then(Value::as_str).unwrap_or("GET"), properties.get("URL").or_else(|| properties.get("URI"))),
    };
    let url = url.and_then(Value::as_str).map(|url| oos_engine::secrets::mask_text(&oos_actions::outbound::display_url(url), &context.secrets));
    let (code, status, bytes) = match outcome {
        Ok(answer) => ("Success".to_owned(), answer.get("StatusCode").cloned().unwrap_or_default(), answer.get("Body").map_or(0, |body| body.to_string().len())),
        Err(error) => (error.code.clone(), Value::Null, 0),
    };
    let body = json!({
        "Principal": request.ram_role.clone().or_else(|| context.user.clone()),
        "User": context.user,
        "ExecutionId": request.execution_id,
        "TaskName": request.task_name,
        "TaskExecutionId": task_execution_id,
        "Action": if request.kind == CallKind::Webhook { "WebHook" } else { "ExecuteHttpRequest" },
        "Method": method.to_ascii_uppercase(),
        "URL": url,
        "ResultCode": code,
        "HttpStatus": status,
        "Bytes": bytes,
    });
    NewAudit { time_ms: now_ms, kind: AuditKind::HttpCall, body: body.as_object().cloned().unwrap_or_default() }
}

/// The record of one cloud call attempt.
fn cloud_call(request: &ActionRequest, task_execution_id: &str, outcome: &Result<Value, ActionError>, context: &CallContext, now_ms: i64) -> Option<NewAudit> {
    let call = api_call(request).ok()?;
    let mut parameters = Value::Object(call.parameters);
    redact(&mut parameters, &context.secrets);
    let (code, mut message, request_id) = match outcome {
        Ok(body) => ("Success".to_string(), Value::String(String::new()), body.get("RequestId").cloned().unwrap_or_default()),
        Err(error) => (error.code.clone(), Value::String(error.message.clone()), Value::String(String::new())),
    };
    redact(&mut message, &context.secrets);
    let principal = call.ram_role.clone().or_else(|| context.user.clone());
    let body = json!({
        "Principal": principal,
        "Role": call.ram_role,
        "User": context.user,
        "ExecutionId": call.execution_id,
        "TaskName": call.task_name,
        "TaskExecutionId": task_execution_id,
        "Service": call.service,
        "Action": call.api,
        "RegionId": call.region_id,
        "Parameters": parameters,
        "ResultCode": code,
        "ResultMessage": message,
        "RequestId": request_id,
    });
    let Value::Object(body) = body else { return None };
    Some(NewAudit { time_ms: now_ms, kind: AuditKind::CloudCall, body })
}

/// Sets the id of the execution a StartExecution record started.
pub(crate) fn started(mut records: Vec<NewAudit>, execution_id: &str) -> Vec<NewAudit> {
    for record in &mut records {
        record.body.insert("ExecutionId".into(), Value::String(execution_id.to_string()));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: CallKind, properties: Value) -> ActionRequest {
        ActionRequest {
            kind,
            properties,
            client_token: "t".into(),
            execution_id: "exec-1".into(),
            task_name: "stop".into(),
            region_id: "cn-hangzhou".into(),
            ram_role: Some("OOSServiceRole".into()),
            executed_by: "oos".into(),
            action: String::new(),
            secrets: Vec::new(),
        }
    }

    #[test]
    fn a_cloud_call_is_recorded_with_role_result_and_redacted_parameters() {
        let properties = json!({"Service": "ECS", "API": "StopInstance", "Parameters": {"InstanceId": "i-1", "Password": "p", "Note": "pw=hunter2"}});
        let context = CallContext { user: Some("acs:ram::1:user/alice".into()), secrets: vec!["hunter2".into()] };
        let outcome = Ok(json!({"RequestId": "r-1"}));
        let record = cloud_call(&request(CallKind::CloudApi, properties.clone()), "exec-1-t1", &outcome, &context, 7).unwrap();
        let body = Value::Object(record.body);
        assert_eq!(body["Principal"], "OOSServiceRole");
        assert_eq!(body["User"], "acs:ram::1:user/alice");
        assert_eq!((body["Service"].as_str(), body["Action"].as_str(), body["ResultCode"].as_str()), (Some("ECS"), Some("StopInstance"), Some("Success")));
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["Parameters"], json!({"InstanceId": "i-1", "Password": "******", "Note": "******"}));
        assert!(!body.to_string().contains("hunter2"));

        let denied = Err(ActionError::new("Forbidden.RAM", "ecs:StopInstance on i-1 denied for role OOSServiceRole"));
        let record = cloud_call(&request(CallKind::CloudApi, properties), "exec-1-t1", &denied, &context, 8).unwrap();
        assert_eq!(record.body["ResultCode"], "Forbidden.RAM");
        assert!(cloud_call(&request(CallKind::Webhook, json!({})), "x", &Ok(json!({})), &context, 9).is_none());
    }
}
