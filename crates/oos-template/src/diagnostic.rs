//! Diagnostics (errors and warnings) with a stable code, a key path and a source position.

use std::fmt;

use serde::Serialize;

use crate::path::KeyPath;
use crate::source_map::{Position, SourceMap};

/// How bad a diagnostic is: errors reject the template, warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding about a template: what (code + message), where (key path, line, column).
/// Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(serialize_with = "serialize_path")]
    pub path: KeyPath,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

fn serialize_path<S: serde::Serializer>(path: &KeyPath, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(path)
}

impl Diagnostic {
    pub fn error(code: &'static str, path: KeyPath, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code, message: message.into(), path, line: None, column: None }
    }

    pub fn warning(code: &'static str, path: KeyPath, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, path, message) }
    }

    /// Sets the position explicitly (used for syntax errors reported by the parsers).
    pub fn at(mut self, position: Position) -> Self {
        self.line = Some(position.line);
        self.column = Some(position.column);
        self
    }

    /// Fills the position from the source map when it is not yet known.
    pub fn locate(mut self, source_map: &SourceMap) -> Self {
        if self.line.is_none()
            && let Some(position) = source_map.position_of(&self.path)
        {
            self = self.at(position);
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `line:col: error[Code]: message (at Tasks[2].OnError)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, "{line}:{column}: ")?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        if !self.path.is_root() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

/// A template that could not be turned into a model: the first error, plus everything found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{first}")]
pub struct TemplateError {
    pub first: Diagnostic,
    pub diagnostics: Vec<Diagnostic>,
}

impl TemplateError {
    /// Builds the error from a diagnostic list that holds at least one error.
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>) -> Option<Self> {
        let first = diagnostics.iter().find(|d| d.is_error())?.clone();
        Some(Self { first, diagnostics })
    }

    pub fn code(&self) -> &'static str {
        self.first.code
    }
}

impl From<Diagnostic> for TemplateError {
    fn from(first: Diagnostic) -> Self {
        Self { diagnostics: vec![first.clone()], first }
    }
}
