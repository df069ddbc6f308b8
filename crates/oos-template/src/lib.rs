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
pub mod state;
mod validate;

pub use diagnostic::{Diagnostic, Severity, TemplateError};
pub use library::{DirectoryLibrary, TemplateFiles, TemplateLibrary};
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
/// Fails on syntax errors, oversize text and shape errors (each with a code, path and position),
/// and on a state template ([`codes::STATE_TEMPLATE`]): what this returns is a template to execute.
pub fn parse(text: &str) -> Result<Template, TemplateError> {
    parse_document(text, ParseOptions::default()).map(|parsed| parsed.template)
}

/// Parses template text into the model and keeps the warnings (unknown keys…); a state template is
/// refused ([`codes::STATE_TEMPLATE`]).
pub fn parse_document(text: &str, options: ParseOptions) -> Result<Parsed, TemplateError> {
    let parsed = parse_any(text, options)?;
    if parsed.template.is_state() {
        let message = "a state template (`OOS-2019-06-01-State`) is applied with CreateStateConfiguration, not executed";
        return Err(TemplateError::from(Diagnostic::error(codes::STATE_TEMPLATE, KeyPath::root().key("FormatVersion"), message).locate(&parsed.template.source_map)));
    }
    Ok(parsed)
}

/// Parses and validates a state template (`OOS-2019-06-01-State`) to apply: every error of
/// [`validate`] fails it, and an automation template is refused ([`codes::NOT_STATE_TEMPLATE`]).
pub fn parse_state(text: &str) -> Result<Template, TemplateError> {
    let validation = validate(text, &ValidateOptions::default());
    if let Some(error) = TemplateError::from_diagnostics(validation.diagnostics) {
        return Err(error);
    }
    let template = validation.template.ok_or_else(|| TemplateError::from(Diagnostic::error(codes::WRONG_TYPE, KeyPath::root(), "not a template")))?;
    if !template.is_state() {
        let message = "an automation template is executed with StartExecution; a state configuration applies a state template (`OOS-2019-06-01-State`)";
        return Err(TemplateError::from(Diagnostic::error(codes::NOT_STATE_TEMPLATE, KeyPath::root().key("FormatVersion"), message).locate(&template.source_map)));
    }
    Ok(template)
}

/// Either kind of template, with its warnings.
fn parse_any(text: &str, options: ParseOptions) -> Result<Parsed, TemplateError> {
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
