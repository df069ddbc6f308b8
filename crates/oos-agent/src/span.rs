//! The `agent.command` span of one command: a child of the span that started its invocation (the
//! `JobTrace` the hub sent), with the instance, the invocation, the command type, and at its end
//! the status and exit code. Never the script nor its output. Without a trace context (an older
//! server, tracing off, a malformed value) it is a root span of the agent's own.

use oos_agent_proto::{Job, Outcome};
use oos_telemetry::TARGET;
use tracing::Span;
use tracing::field::Empty;

/// The span of running `job` on `instance_id`, not yet entered.
pub(crate) fn command(instance_id: &str, job: &Job) -> Span {
    let trace = job.trace.as_ref();
    let span = tracing::info_span!(target: TARGET, parent: None, "agent.command",
        oos.instance_id = %instance_id, oos.invoke_id = %job.invoke_id, oos.command_type = %job.command_type,
        oos.execution_id = trace.and_then(|trace| trace.execution_id.as_deref()),
        oos.status = Empty, oos.exit_code = Empty);
    oos_telemetry::continue_from(&span, trace.map(|trace| trace.traceparent.as_str()));
    span
}

/// Records how the command ended on `span`.
pub(crate) fn ended(span: &Span, outcome: &Outcome) {
    span.record("oos.status", tracing::field::debug(&outcome.status));
    if let Some(exit_code) = outcome.exit_code {
        span.record("oos.exit_code", i64::from(exit_code));
    }
}
