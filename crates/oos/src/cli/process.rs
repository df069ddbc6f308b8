//! Process-wide concerns of the binary: the tracing subscriber (log lines on stderr, as text or JSON,
//! filtered by `RUST_LOG`; for the long-running commands with `--otlp-endpoint`, spans exported
//! over OTLP beside them) and the signals that stop a long-running command (SIGINT, SIGTERM).

use std::io::IsTerminal;

#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// What `RUST_LOG` is when it is unset or empty: info for our crates, warnings for the rest. A
/// directive's target matches by prefix, so `oos` covers every `oos_*` crate too.
pub const DEFAULT_FILTER: &str = "warn,oos=info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields` (with `message`), `target`.
    Json,
}

/// Installs the subscriber of the process: events selected by `RUST_LOG` (else [`DEFAULT_FILTER`])
/// go to stderr in `format`; stdout stays for the commands' answers.
pub fn init_logging(format: LogFormat) {
    let builder = tracing_subscriber::fmt().with_env_filter(log_filter()).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The events `RUST_LOG` selects, else [`DEFAULT_FILTER`].
fn log_filter() -> EnvFilter {
    match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|error| {
            eprintln!("warning: RUST_LOG ignored ({error}); using {DEFAULT_FILTER}");
            EnvFilter::new(DEFAULT_FILTER)
        }),
        _ => EnvFilter::new(DEFAULT_FILTER),
    }
}

/// Where `oos server`, `worker`, `agent`, `run` and `emulator` send their traces.
#[derive(Debug, Clone, clap::Args)]
pub struct TraceArgs {
    /// Export traces over OTLP/HTTP (protobuf) to this collector: its base URL, spans go to
    /// `<URL>/v1/traces`. Unset: no traces, and their spans cost nothing.
    #[arg(long = "otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

impl TraceArgs {
    /// Whether the command installs its own subscriber ([`TraceArgs::start`]) instead of [`init_logging`].
    pub fn exports(&self) -> bool {
        cfg!(feature = "otel") && self.otlp_endpoint.is_some()
    }

    /// With an endpoint, installs the subscriber of the process (inside its runtime): log lines as
    /// [`init_logging`], and spans exported as `role`. Without one, does nothing.
    pub fn start(&self, format: LogFormat, role: &str) -> anyhow::Result<Traces> {
        let Some(endpoint) = &self.otlp_endpoint else { return Ok(Traces::default()) };
        #[cfg(feature = "otel")]
        {
            use tracing_subscriber::Layer;
            use tracing_subscriber::layer::SubscriberExt;
            use tracing_subscriber::util::SubscriberInitExt;
            let instance = format!("{role}-{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond());
            let exporter = oos_telemetry::Exporter::start(endpoint, role, &instance)?;
            let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
            let logs = match format {
                LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).with_filter(log_filter()).boxed(),
                LogFormat::Json => logs.json().with_filter(log_filter()).boxed(),
            };
            tracing_subscriber::registry().with(logs).with(exporter.layer()).init();
            Ok(Traces(Some(exporter)))
        }
        #[cfg(not(feature = "otel"))]
        anyhow::bail!("--otlp-endpoint {endpoint}: this oos was built without the `otel` feature")
    }
}

/// The trace exporter of a running process, if any.
#[derive(Debug, Default)]
pub struct Traces(#[cfg(feature = "otel")] Option<oos_telemetry::Exporter>);

impl Traces {
    /// Sends the spans not exported yet (a graceful stop).
    pub async fn finish(self) {
        #[cfg(feature = "otel")]
        if let Some(exporter) = self.0 {
            exporter.shutdown().await;
        }
    }
}

/// The signals that stop a long-running command: SIGINT (Ctrl-C) and, on Unix, SIGTERM.
pub struct StopSignals {
    #[cfg(unix)]
    listening: Option<(Signal, Signal)>,
}

impl StopSignals {
    /// Starts listening, inside the runtime: from now on the signals no longer end the process by
    /// themselves, so listen before telling anyone (the address line) that the process is up.
    pub fn listen() -> Self {
        #[cfg(unix)]
        {
            let listening = signal(SignalKind::interrupt()).and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)));
            if let Err(error) = &listening {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops this process cleanly");
            }
            Self { listening: listening.ok() }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the next stop signal.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some((interrupt, terminate)) = &mut self.listening {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
