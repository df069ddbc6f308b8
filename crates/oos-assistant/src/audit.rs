//! The Cloud Assistant's records in the audit trail (kind `Agent`): a registration, and each
//! outcome an agent reports — status, exit code and, unless the server is told to leave it out,
//! the output itself. The invocation's command and who asked for it are in the record of the
//! request or cloud call that created it.

use oos_store::audit::{AuditKind, NewAudit};
use serde_json::{Value, json};

use crate::Assistant;

impl Assistant {
    /// Appends one record; a failure is logged (the report itself is already stored).
    pub(crate) async fn audit(&self, body: Value) {
        let record = NewAudit { time_ms: self.now_ms(), kind: AuditKind::Agent, body: body.as_object().cloned().unwrap_or_default() };
        if let Err(error) = self.store().append_audit(&[record]).await {
            tracing::error!(%error, "writing an agent's audit record");
        }
    }

    /// The record of a finished target.
    pub(crate) async fn audit_outcome(&self, instance_id: &str, invoke_id: &str, status: &str, exit_code: Option<i64>, error_code: &str, output: &str, dropped: i64) {
        let output = if self.audits_output() { Value::String(output.to_string()) } else { Value::Null };
        self.audit(json!({
            "Principal": format!("managed-instance/{instance_id}"),
            "Action": "ReportInvocation",
            "InstanceId": instance_id,
            "InvokeId": invoke_id,
            "InvocationStatus": status,
            "ExitCode": exit_code,
            "ErrorCode": error_code,
            "Output": output,
            "Dropped": dropped,
            "ResultCode": "Success",
        }))
        .await;
    }
}
