//! W3C trace context of `tracing` spans, read and written through the OpenTelemetry layer.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::{HEADER, MAX_TRACEPARENT};

pub(crate) fn traceparent(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    let span = context.span();
    let parent = span.span_context();
    parent.is_valid().then(|| format!("00-{}-{}-{:02x}", parent.trace_id(), parent.span_id(), parent.trace_flags().to_u8()))
}

pub(crate) fn continue_from(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(value) = traceparent.filter(|value| value.len() <= MAX_TRACEPARENT) else { return };
    let context = TraceContextPropagator::new().extract(&OneHeader(value));
    if context.span().span_context().is_valid() {
        let _ = span.set_parent(context);
    }
}

/// A carrier holding only a `traceparent` value.
struct OneHeader<'a>(&'a str);

impl Extractor for OneHeader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == HEADER).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec![HEADER]
    }
}
