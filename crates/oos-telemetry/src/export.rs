//! The OTLP/HTTP (protobuf) exporter: spans on [`TARGET`](crate::TARGET) batched on tokio and
//! posted to `<endpoint>/v1/traces`, under the resource `service.name=openoos` with the process's
//! role and instance.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// The service every process of OpenOOS reports as.
const SERVICE: &str = "openoos";
/// How long finished spans wait to be sent together.
const BATCH_DELAY: Duration = Duration::from_secs(1);
/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the exporter cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("Telemetry.InvalidEndpoint: the OTLP endpoint must be an http:// or https:// URL, not {0:?}")]
    InvalidEndpoint(String),
    #[error("Telemetry.ExporterFailed: {0}")]
    Exporter(String),
}

/// Spans leaving the process over OTLP; [`Exporter::shutdown`] sends what is left.
#[derive(Debug)]
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Starts exporting to `endpoint` (the OTLP base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT`), as
    /// `role` (`server`, `worker`, `agent`, …) and `instance`. Call inside the tokio runtime.
    pub fn start(endpoint: &str, role: &str, instance: &str) -> Result<Self, ExportError> {
        let base = endpoint.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ExportError::InvalidEndpoint(endpoint.to_owned()));
        }
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{base}/v1/traces"))
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|error| ExportError::Exporter(error.to_string()))?;
        let batches = BatchSpanProcessor::builder(exporter, Tokio).with_batch_config(BatchConfigBuilder::default().with_scheduled_delay(BATCH_DELAY).build()).build();
        let resource = Resource::builder()
            .with_service_name(SERVICE)
            .with_attributes([KeyValue::new("service.instance.id", instance.to_owned()), KeyValue::new("oos.role", role.to_owned())])
            .build();
        Ok(Self { provider: SdkTracerProvider::builder().with_span_processor(batches).with_resource(resource).build() })
    }

    /// The `tracing` layer that turns spans on [`TARGET`](crate::TARGET) into OpenTelemetry spans.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let tracer = self.provider.tracer(SERVICE);
        tracing_opentelemetry::layer().with_tracer(tracer).with_filter(Targets::new().with_target(crate::TARGET, tracing::Level::INFO))
    }

    /// Sends the spans still batched and stops; a failure is only logged (the process is stopping).
    pub async fn shutdown(self) {
        let provider = self.provider;
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "the last spans could not be exported"),
            Err(error) => tracing::warn!(%error, "the span exporter did not stop"),
        }
    }
}
