//! The OOS template language (`FormatVersion: OOS-2019-06-01`): parsing JSON/YAML with positions,
//! the typed model, the action catalog, validation and parameter checking.
//!
//! Entry points: [`parse`] (text → [`Template`]), [`parse_document`] (keeps warnings), [`validate`]
//! (ValidateTemplateContent: every diagnostic), [`check_parameters`] (an execution's parameters).
//! Expressions themselves (`{{ }}`, `Fn::`, jq) live in `oos-expr`.

pub mod catalog;
pub mod codes;
mod constraints;
mod diagnostic;
mod library;
mod lower;
pub mod model;
mod parameters;
mod path;
pub mod properties;
pub mod rate_control;
mod source;
mod source_map;
mod validate;

pub use diagnostic::{Diagnostic, Severity, TemplateError};
pub use library::{DirectoryLibrary, TemplateLibrary};
pub use lower::action_name;
pub use model::*;
pub use parameters::{REDACTED, ParameterError, check_parameters, redact_parameters};
pub use path::{KeyPath, Segment};
pub use source::{DEFAULT_MAX_BYTES, Document, ParseOptions, TemplateFormat, read_document};
pub use source_map::{Position, SourceMap};
pub use validate::{ValidateOptions, Validation, validate, validate_template};

/// A parsed template together with the warnings found while reading it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub template: Template,
    pub warnings: Vec<Diagnostic>,
}

/// Parses template text (JSON or YAML, auto-detected) into the model, with the default options.
/// Fails on syntax errors, oversize text and shape errors (each with a code, path and position).
pub fn parse(text: &str) -> Result<Template, TemplateError> {
    parse_document(text, ParseOptions::default()).map(|parsed| parsed.template)
}

/// Parses template text into the model and keeps the warnings (unknown keys…).
pub fn parse_document(text: &str, options: ParseOptions) -> Result<Parsed, TemplateError> {
    let (template, diagnostics) = parse_lenient(text, options)?;
    if let Some(error) = TemplateError::from_diagnostics(diagnostics.clone()) {
        return Err(error);
    }
    let template = template.ok_or_else(|| {
        TemplateError::from(Diagnostic::error(codes::WRONG_TYPE, KeyPath::root(), "not a template"))
    })?;
    Ok(Parsed { template, warnings: diagnostics })
}

/// Reads the text and builds as much of the model as possible: shape errors are returned as
/// diagnostics (located), not as failure. Fails only when the text cannot be read at all.
pub(crate) fn parse_lenient(
    text: &str,
    options: ParseOptions,
) -> Result<(Option<Template>, Vec<Diagnostic>), TemplateError> {
    let document = read_document(text, options)?;
    let source_map = document.source_map.clone();
    let mut diagnostics = Vec::new();
    let template = lower::lower(document, &mut diagnostics);
    let diagnostics = diagnostics.into_iter().map(|d| d.locate(&source_map)).collect();
    Ok((template, diagnostics))
}
