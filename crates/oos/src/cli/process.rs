//! Process-wide concerns of the binary: the tracing subscriber (log lines on stderr, as text or JSON,
//! filtered by `RUST_LOG`).

use std::io::IsTerminal;

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
