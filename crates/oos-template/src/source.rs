//! Reading template text: size limit, JSON/YAML detection, the value tree and its source map.

use serde::Serialize;
use serde_json::Value;

use crate::codes;
use crate::diagnostic::{Diagnostic, TemplateError};
use crate::path::KeyPath;
use crate::source_map::{self, Position, SourceMap};

/// The default content limit of OOS templates (64 KB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;

/// How the template text is written (`TemplateFormat` in the OOS API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TemplateFormat {
    Json,
    Yaml,
}

impl TemplateFormat {
    /// `JSON` or `YAML`, as the OOS API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateFormat::Json => "JSON",
            TemplateFormat::Yaml => "YAML",
        }
    }

    /// A document is JSON when its first non-blank character opens an object.
    pub fn detect(text: &str) -> Self {
        match text.trim_start_matches('\u{feff}').trim_start().starts_with('{') {
            true => TemplateFormat::Json,
            false => TemplateFormat::Yaml,
        }
    }
}

/// Options for reading template text.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// Reject text longer than this many bytes (`InvalidTemplate.TooLarge`).
    pub max_bytes: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self { max_bytes: DEFAULT_MAX_BYTES }
    }
}

/// A template's text, read into a JSON value tree with positions.
#[derive(Debug, Clone)]
pub struct Document {
    /// The original text, byte for byte.
    pub text: String,
    pub format: TemplateFormat,
    pub value: Value,
    pub source_map: SourceMap,
}

/// Reads text as JSON or YAML (auto-detected). Syntax errors, duplicate keys and oversize input
/// are errors with a position.
pub fn read_document(text: &str, options: ParseOptions) -> Result<Document, TemplateError> {
    if text.len() > options.max_bytes {
        return Err(Diagnostic::error(
            codes::TOO_LARGE,
            KeyPath::root(),
            format!("template is {} bytes; the limit is {} bytes", text.len(), options.max_bytes),
        )
        .into());
    }
    let format = TemplateFormat::detect(text);
    let body = text.trim_start_matches('\u{feff}');
    let scan = source_map::scan(body);
    if let Some(error) = TemplateError::from_diagnostics(scan.diagnostics) {
        return Err(error);
    }
    let value = match format {
        TemplateFormat::Json => serde_json::from_str(body).map_err(json_error)?,
        TemplateFormat::Yaml => read_yaml(body)?,
    };
    Ok(Document { text: text.to_owned(), format, value, source_map: scan.source_map })
}

fn json_error(error: serde_json::Error) -> TemplateError {
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Diagnostic::error(codes::SYNTAX, KeyPath::root(), format!("invalid JSON: {message}"))
        .at(Position { line: to_u32(error.line()), column: to_u32(error.column()) })
        .into()
}

fn read_yaml(text: &str) -> Result<Value, TemplateError> {
    let options = serde_saphyr::options! { with_snippet: false };
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(|error| {
        let mut diagnostic =
            Diagnostic::error(codes::SYNTAX, KeyPath::root(), format!("invalid YAML: {}", yaml_message(&error)));
        if let Some(location) = error.location() {
            let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            diagnostic = diagnostic.at(Position { line: to_u32(location.line()), column: to_u32(location.column()) });
        }
        TemplateError::from(diagnostic)
    })?;
    Ok(value)
}

/// The error text without serde-saphyr's `line L column C` prefix (the position is reported apart).
fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    let first_line = text.lines().next().unwrap_or_default();
    match first_line.split_once(": ") {
        Some((prefix, rest)) if prefix.contains("line ") => rest.to_owned(),
        _ => first_line.to_owned(),
    }
}
