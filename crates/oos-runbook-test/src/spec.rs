//! The model of a spec file (docs/runbook-tests.md): its test cases, their steps and expectations,
//! and the errors of a spec that cannot be read (file, line, column, stable code).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use oos_emulator::{AlarmRule, FleetSeed, MetricValue};
use oos_template::{KeyPath, Position};
use serde_json::{Map, Value};

use crate::cloud::CloudAssertion;
use crate::matcher::Matcher;

/// Stable codes of spec errors (docs/error-codes.md).
pub mod codes {
    pub const SYNTAX: &str = "InvalidTestSpec.Syntax";
    pub const UNKNOWN_FIELD: &str = "InvalidTestSpec.UnknownField";
    pub const MISSING_FIELD: &str = "InvalidTestSpec.MissingField";
    pub const VALUE: &str = "InvalidTestSpec.Value";
    pub const TEMPLATE: &str = "InvalidTestSpec.Template";
    pub const FLEET: &str = "InvalidTestSpec.Fleet";
}

/// A spec file, read and checked.
#[derive(Debug, Clone)]
pub struct SpecFile {
    pub path: PathBuf,
    pub cases: Vec<Case>,
}

/// One test case, with the file's defaults applied.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// Name the execution gets (the template file's stem, or `inline`).
    pub template_name: String,
    pub template: String,
    pub parameters: Map<String, Value>,
    pub mode: String,
    pub region: String,
    pub fleet: FleetSeed,
    pub start_ms: i64,
    pub steps: Vec<Step>,
    pub timeout: Duration,
    pub expect: Expect,
    /// Where child templates (`ACS::Template`) are looked for: the spec file's directory.
    pub library: PathBuf,
}

/// What happens after the execution starts.
#[derive(Debug, Clone)]
pub enum Step {
    Advance(Duration),
    Event(Value),
    Metrics(Vec<MetricValue>),
    AlarmRules(Vec<AlarmRule>),
    Approve(bool),
}

/// What must hold at the end of a case.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub execution: ExecutionExpect,
    /// A trigger's firing runs, oldest first.
    pub runs: Option<Vec<ExecutionExpect>>,
    pub cloud: Vec<CloudAssertion>,
    /// Requests the sandbox inbox must have captured (an empty list: none).
    pub inbox: Option<Vec<LetterExpect>>,
}

/// A request the sandbox inbox captured: every field named must match.
#[derive(Debug, Clone, Default)]
pub struct LetterExpect {
    /// `Notify`, `Approve` or `HttpRequest`.
    pub kind: Option<String>,
    /// Matchers by field: `task`, `method`, `url`, `body`.
    pub fields: Vec<(String, Matcher)>,
}

/// Expectations on one execution.
#[derive(Debug, Clone, Default)]
pub struct ExecutionExpect {
    pub status: Option<String>,
    pub status_message: Option<Matcher>,
    pub outputs: Vec<(String, Matcher)>,
    pub tasks: Vec<(String, TaskExpect)>,
}

/// Expectations on one task (its last run).
#[derive(Debug, Clone, Default)]
pub struct TaskExpect {
    pub status: Option<String>,
    pub status_message: Option<Matcher>,
    pub outputs: Vec<(String, Matcher)>,
    /// Loop item (its text) → status.
    pub items: Vec<(String, String)>,
    pub item_count: Option<Matcher>,
}

/// A spec that cannot be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub position: Option<Position>,
    pub code: &'static str,
    pub path: KeyPath,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: ", self.code)?;
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}
