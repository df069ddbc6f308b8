//! oos-telemetry: the traces of OpenOOS. Spans are ordinary `tracing` spans on [`TARGET`]; with the
//! `otel` feature and an exporter installed ([`Exporter`]) they leave over OTLP/HTTP, and the W3C
//! trace context of a span can be read ([`traceparent`]) to carry it on: on an execution's stored
//! state, on outbound requests (`traceparent` header). Without the feature, or without an exporter,
//! these are no-ops and the spans are disabled callsites.

#[cfg(feature = "otel")]
mod export;
#[cfg(feature = "otel")]
mod context;

#[cfg(feature = "otel")]
pub use export::{ExportError, Exporter};

/// The target of every span meant for traces. It does not start with `oos`, so the default log
/// filter (`warn,oos=info`) leaves these spans disabled when no exporter is installed.
pub const TARGET: &str = "openoos::trace";

/// The W3C Trace Context header.
pub const HEADER: &str = "traceparent";

/// The longest `traceparent` value read from outside; a longer one is ignored unparsed.
pub const MAX_TRACEPARENT: usize = 128;

/// The W3C `traceparent` of `span`: None when tracing is off or the span is disabled.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    #[cfg(feature = "otel")]
    return context::traceparent(span);
    #[cfg(not(feature = "otel"))]
    {
        let _ = span;
        None
    }
}

/// Makes `span` (not yet entered) the child of the remote span `traceparent` names; a missing,
/// oversized or malformed value is ignored, and `span` stays where it was.
pub fn continue_from(span: &tracing::Span, traceparent: Option<&str>) {
    #[cfg(feature = "otel")]
    context::continue_from(span, traceparent);
    #[cfg(not(feature = "otel"))]
    let _ = (span, traceparent);
}
