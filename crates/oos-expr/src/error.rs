//! Errors with stable OOS-style codes and the place inside the evaluated value.

use std::fmt;

/// Stable error codes carried by [`ExprError::code`].
pub mod codes {
    /// Malformed `{{ }}` expression (syntax).
    pub const INVALID_EXPRESSION: &str = "InvalidTemplate.Expression";
    /// Unknown `Fn::` function, or a function given arguments of the wrong shape.
    pub const INVALID_FUNCTION: &str = "InvalidTemplate.Function";
    /// A jq program that does not compile.
    pub const JQ_SYNTAX: &str = "InvalidTemplate.JqSyntax";
    /// A jq program that failed while running (e.g. iterating over a string).
    pub const JQ_RUNTIME: &str = "Expression.JqRuntime";
    /// A reference whose name the context does not know.
    pub const UNDEFINED_REFERENCE: &str = "Expression.UndefinedReference";
    /// A value of the wrong type (e.g. `"abc"` where a Number is required).
    pub const TYPE_MISMATCH: &str = "Expression.TypeMismatch";
    /// An index or key that is not in the list or map (`Fn::Select`).
    pub const INDEX_OUT_OF_RANGE: &str = "Expression.IndexOutOfRange";
    /// A Jinja expression that exceeded its instruction budget.
    pub const FUEL_EXHAUSTED: &str = "Expression.FuelExhausted";
    /// A malformed duration (`ACS::Sleep` `Duration`).
    pub const INVALID_DURATION: &str = "InvalidTemplate.Duration";
    /// A malformed or out-of-range timestamp in a time function.
    pub const INVALID_TIME: &str = "Expression.InvalidTime";
    /// An `Fn::Eval` arithmetic error (syntax, division by zero).
    pub const EVAL: &str = "Expression.Eval";
    /// A jq program longer or more deeply nested than allowed.
    pub const TOO_COMPLEX: &str = "Expression.TooComplex";
    /// An evaluation that took more steps than allowed.
    pub const STEP_LIMIT: &str = "Expression.StepLimitExceeded";
    /// An evaluation that recursed deeper than allowed.
    pub const RECURSION_LIMIT: &str = "Expression.RecursionLimitExceeded";
    /// An evaluation that ran longer than allowed.
    pub const TIME_LIMIT: &str = "Expression.TimeLimitExceeded";
    /// A result larger or deeper than allowed (jq output, `Fn::Join`, `Fn::Replace`, ...).
    pub const OUTPUT_TOO_LARGE: &str = "Expression.OutputTooLarge";
    /// An isolated evaluation that needed more memory than allowed (or whose evaluator died).
    pub const MEMORY_LIMIT: &str = "Expression.MemoryLimitExceeded";

    /// Every code above.
    pub const ALL: &[&str] = &[
        INVALID_EXPRESSION,
        INVALID_FUNCTION,
        JQ_SYNTAX,
        JQ_RUNTIME,
        UNDEFINED_REFERENCE,
        TYPE_MISMATCH,
        INDEX_OUT_OF_RANGE,
        FUEL_EXHAUSTED,
        INVALID_DURATION,
        INVALID_TIME,
        EVAL,
        TOO_COMPLEX,
        STEP_LIMIT,
        RECURSION_LIMIT,
        TIME_LIMIT,
        OUTPUT_TOO_LARGE,
        MEMORY_LIMIT,
    ];
}

/// One step of a path inside a value tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(key) => write!(f, ".{key}"),
            Self::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Renders a path as `.Parameters.InstanceIds[0]` (empty path renders as `.`).
pub fn display_path(path: &[PathSegment]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    path.iter().map(ToString::to_string).collect()
}

/// An expression error: a stable code, a human message and where inside the evaluated value it arose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (at {})", display_path(.path))]
pub struct ExprError {
    /// Stable code, one of [`codes`].
    pub code: &'static str,
    /// Human-readable explanation naming the offending reference, function or value.
    pub message: String,
    /// Where inside the evaluated value the error arose (outermost first).
    pub path: Vec<PathSegment>,
}

impl ExprError {
    /// An error at the root of the evaluated value.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: Vec::new(),
        }
    }

    /// Replaces every occurrence of each non-empty secret value in the message with `******` (error
    /// messages may quote argument values; callers pass the values of `NoEcho` parameters and
    /// `oos-secret:` entries).
    #[must_use]
    pub fn redacted<'s>(mut self, secrets: impl IntoIterator<Item = &'s str>) -> Self {
        for secret in secrets.into_iter().filter(|secret| !secret.is_empty()) {
            self.message = self.message.replace(secret, "******");
        }
        self
    }

    /// Prefixes the path with `segment` (used while unwinding out of nested values).
    #[must_use]
    pub fn within(mut self, segment: PathSegment) -> Self {
        self.path.insert(0, segment);
        self
    }
}

/// A value found at a path inside a value tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// Where inside the scanned value (outermost first).
    pub path: Vec<PathSegment>,
    /// What was found there.
    pub value: T,
}
