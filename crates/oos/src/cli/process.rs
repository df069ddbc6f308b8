//! Process-wide concerns of the binary: the tracing subscriber (log lines on stderr, as text or JSON,
//! filtered by `RUST_LOG`) and the signals that stop a long-running command (SIGINT, SIGTERM).

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
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|error| {
            eprintln!("warning: RUST_LOG ignored ({error}); using {DEFAULT_FILTER}");
            EnvFilter::new(DEFAULT_FILTER)
        }),
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().init(),
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
