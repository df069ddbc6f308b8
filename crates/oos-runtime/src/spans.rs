//! An execution's spans, hung on its [`TraceLink`] (the span that created it): one per turn that
//! stepped it, one per call it made. Each carries `oos.execution_id` (its own) and
//! `oos.root_execution_id` (the execution its trace began with). An execution with no link (tracing
//! was off when it was created) has none.

use oos_engine::{Call, Execution, TraceLink};
use oos_telemetry::TARGET;
use tracing::Span;
use tracing::field::Empty;

/// The span of `exec`'s part of one turn (step and commit); `oos.status` is recorded after the commit.
pub(crate) fn turn(exec: &Execution) -> Option<Span> {
    let link = exec.flow.trace.as_ref()?;
    let span = tracing::info_span!(target: TARGET, parent: None, "execution.turn",
        oos.execution_id = %exec.id, oos.root_execution_id = %link.root_execution_id, oos.status = Empty);
    Some(linked(span, link))
}

/// The span of one call (a cloud call, a webhook, an HTTP request, a command); `oos.outcome` is
/// recorded when it ends.
pub(crate) fn call(exec: Option<&Execution>, call: &Call, action: &str) -> Span {
    let Some(link) = exec.and_then(|exec| exec.flow.trace.as_ref()) else { return Span::none() };
    let span = tracing::info_span!(target: TARGET, parent: None, "execution.call",
        oos.execution_id = %call.execution_id, oos.root_execution_id = %link.root_execution_id,
        oos.task_name = %call.task_name, oos.action = %action, oos.outcome = Empty);
    linked(span, link)
}

/// The link of a trigger's firing: a trace of its own, begun by a span of the firing.
pub(crate) fn firing(trigger_execution_id: &str, child_execution_id: &str) -> Option<TraceLink> {
    let span = tracing::info_span!(target: TARGET, parent: None, "execution.fire",
        oos.execution_id = %child_execution_id, oos.trigger_execution_id = %trigger_execution_id);
    let parent = oos_telemetry::traceparent(&span)?;
    Some(TraceLink { parent, root_execution_id: child_execution_id.to_owned() })
}

/// The link of an execution created inside the current span (a request's): None when it is not traced.
pub(crate) fn created_here(execution_id: &str) -> Option<TraceLink> {
    let parent = oos_telemetry::traceparent(&Span::current())?;
    Some(TraceLink { parent, root_execution_id: execution_id.to_owned() })
}

fn linked(span: Span, link: &TraceLink) -> Span {
    oos_telemetry::continue_from(&span, Some(&link.parent));
    span
}
