//! Evaluation that can be stopped from outside. Budgets inside the evaluator (steps, time, stack,
//! output) stop what they can see; a single step of jq or minijinja can still ask for more memory
//! than the machine has (`"x" * 1e12`). So a process (the `oos` binary) may [`install`] an
//! [`Isolation`]: every jq program that is not a plain path and every Jinja expression is then sent
//! there as a [`Job`], and the isolation runs [`Job::run_here`] where running out of memory or time
//! ends only that evaluation. This crate does no I/O itself: the isolation is someone else's.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ExprError, codes};
use crate::limits::Exceeded;

/// One evaluation, with everything it needs (no callbacks into the engine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// A jq program (as compiled: implied leading dot included) and its input; the answer is the
    /// array of its outputs.
    Jq { program: String, input: Value },
    /// A Jinja expression, the values of the names it uses, and the names the context did not know.
    Jinja { expression: String, names: BTreeMap<String, Value>, missing: Vec<String> },
}

impl Job {
    /// Evaluates the job in this process, within the budgets of [`crate::limits`].
    pub fn run_here(&self) -> Result<Value, ExprError> {
        let evaluator = crate::Evaluator::shared();
        match self {
            Job::Jq { program, input } => evaluator.jq_program(program)?.run_here_json(input).map(Value::Array),
            Job::Jinja { expression, names, missing } => evaluator.jinja().eval_with(expression, names.clone(), missing),
        }
    }

    /// What the job evaluates, as the user wrote it (for error messages).
    pub fn source(&self) -> &str {
        match self {
            Job::Jq { program, .. } => program,
            Job::Jinja { expression, .. } => expression,
        }
    }
}

/// Runs jobs where they can be stopped.
pub trait Isolation: Send + Sync {
    /// The job's answer, or its error (an evaluator that died is [`Exceeded::Memory`]).
    fn evaluate(&self, job: &Job) -> Result<Value, ExprError>;
}

static INSTALLED: OnceLock<Arc<dyn Isolation>> = OnceLock::new();

/// Makes every later evaluation of this process use `isolation`. Only the first call has effect;
/// returns whether it was this one.
pub fn install(isolation: Arc<dyn Isolation>) -> bool {
    INSTALLED.set(isolation).is_ok()
}

/// The installed isolation, if any.
pub(crate) fn installed() -> Option<&'static Arc<dyn Isolation>> {
    INSTALLED.get()
}

/// An error as it crosses the process boundary: its code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub message: String,
}

impl From<&ExprError> for WireError {
    fn from(error: &ExprError) -> Self {
        WireError { code: error.code.to_owned(), message: error.message.clone() }
    }
}

impl WireError {
    /// The error again, with its code if it is one of [`codes::ALL`] (else `Expression.JqRuntime`).
    pub fn into_error(self) -> ExprError {
        let code = codes::ALL.iter().find(|code| **code == self.code).copied().unwrap_or(codes::JQ_RUNTIME);
        ExprError::new(code, self.message)
    }
}

/// The error for a job whose evaluator died or stopped answering.
pub fn evaluator_died(job: &Job, exceeded: Exceeded) -> ExprError {
    exceeded.error(job.source())
}
