//! The error of a trigger's properties or of an incoming event, with a stable code.

/// A trigger's properties (or an incoming event) that cannot be used, with a stable code
/// (`InvalidTrigger.*`, listed in `docs/error-codes.md`) and a message naming the property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct TriggerError {
    pub code: &'static str,
    pub message: String,
}

impl TriggerError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
