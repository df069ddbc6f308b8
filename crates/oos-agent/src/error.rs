//! The agent's own failures (not those of the commands it runs, which are outcomes).

use std::path::PathBuf;

/// What stops the agent from registering, connecting or keeping its state.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The state directory or one of its files could not be read or written.
    #[error("Agent.State: {path}: {source}")]
    State { path: PathBuf, source: std::io::Error },
    /// A state file is not what the agent wrote.
    #[error("Agent.StateCorrupt: {path}: {message}")]
    StateCorrupt { path: PathBuf, message: String },
    /// No identity yet and no activation to register with.
    #[error("Agent.ActivationRequired: this host is not registered yet; give --activation-id and --activation-code")]
    ActivationRequired,
    /// No server URL to talk to.
    #[error("Agent.NoServer: give at least one --server URL")]
    NoServer,
    /// A server URL that is not `http://` or `https://`.
    #[error("Agent.InvalidServer: {0} (expected http://… or https://…)")]
    InvalidServer(String),
    /// The server refused the registration with an OOS error.
    #[error("Agent.RegistrationRefused: {code}: {message}")]
    RegistrationRefused { code: String, message: String },
    /// The registration could not reach a server or understand its answer.
    #[error("Agent.RegistrationFailed: {0}")]
    RegistrationFailed(String),
    /// The TLS setup (CA file, system roots) failed.
    #[error("Agent.Tls: {0}")]
    Tls(String),
    /// The WebSocket could not be opened or broke.
    #[error("Agent.Connection: {0}")]
    Connection(String),
}

impl AgentError {
    pub(crate) fn state(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::State { path: path.into(), source }
    }
}
