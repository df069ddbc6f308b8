//! Template validation (ValidateTemplateContent semantics): every check, as located diagnostics.

mod actions;
mod flow;
mod literals;
mod references;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::library::TemplateLibrary;
use crate::model::Template;
use crate::path::KeyPath;
pub(crate) use crate::properties::get_ci;
use crate::source::ParseOptions;

/// What validation may consult.
#[derive(Clone, Copy, Default)]
pub struct ValidateOptions<'a> {
    pub parse: ParseOptions,
    /// Product-action templates; without it product actions are not checked.
    pub library: Option<&'a dyn TemplateLibrary>,
}

impl std::fmt::Debug for ValidateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateOptions").field("parse", &self.parse).field("library", &self.library.is_some()).finish()
    }
}

/// The outcome of validating template text: the diagnostics (sorted by position) and what
/// ValidateTemplateContent returns (Parameters, Outputs, RamRole).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Validation {
    #[serde(skip)]
    pub template: Option<Template>,
    pub diagnostics: Vec<Diagnostic>,
    /// The template's `Parameters` object (`{}` when absent).
    pub parameters: Value,
    /// The template's `Outputs` object (`{}` when absent).
    pub outputs: Value,
    pub ram_role: Option<Value>,
}

impl Validation {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Reads and validates template text. Never panics; unreadable text yields one located error.
pub fn validate(text: &str, options: &ValidateOptions<'_>) -> Validation {
    let (template, mut diagnostics) = match crate::parse_lenient(text, options.parse) {
        Ok(read) => read,
        Err(error) => (None, error.diagnostics),
    };
    if let Some(template) = &template {
        let found = validate_template(template, options.library);
        diagnostics.extend(found.into_iter().map(|d| d.locate(&template.source_map)));
    }
    diagnostics.sort_by_key(|d| (d.line, d.column, d.severity));
    diagnostics.dedup();
    let section = |key: &str| {
        template.as_ref().and_then(|t| t.document.get(key).cloned()).unwrap_or_else(|| Value::Object(Default::default()))
    };
    Validation {
        parameters: section("Parameters"),
        outputs: section("Outputs"),
        ram_role: template.as_ref().and_then(|t| t.ram_role.clone()),
        template,
        diagnostics,
    }
}

/// The semantic checks over a parsed template (diagnostics carry key paths, not yet positions).
pub fn validate_template(template: &Template, library: Option<&dyn TemplateLibrary>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    literals::check_parameters(template, &mut diagnostics);
    actions::check_tasks(template, library, &mut diagnostics);
    flow::check_jumps(template, &mut diagnostics);
    literals::check_task_literals(template, &mut diagnostics);
    literals::check_output_literals(template, &mut diagnostics);
    for state in &template.states {
        crate::state::check_state(state, &mut diagnostics);
    }
    references::check_references(template, &mut diagnostics);
    diagnostics
}

/// Calls `visit` on every node of `value` (depth first, parents before children).
pub(crate) fn walk(value: &Value, path: &KeyPath, visit: &mut impl FnMut(&Value, &KeyPath)) {
    visit(value, path);
    match value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &path.index(index), visit);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                walk(item, &path.key(key), visit);
            }
        }
        _ => {}
    }
}

/// Appends an `oos-expr` path (inside a value) to a template key path.
pub(crate) fn join_expr_path(base: &KeyPath, inner: &[oos_expr::PathSegment]) -> KeyPath {
    inner.iter().fold(base.clone(), |path, segment| match segment {
        oos_expr::PathSegment::Key(key) => path.key(key),
        oos_expr::PathSegment::Index(index) => path.index(*index),
    })
}
