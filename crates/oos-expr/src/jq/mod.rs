//! jq selectors (`ValueSelector`, `PropertySelector`, `Fn::Jq`) on jaq, with OOS's optional leading
//! dot, deterministic built-ins only, output typing, a thread-safe cache of compiled programs, and
//! budgets on every run (`compile`: length and nesting; `meter`: steps, time, recursion, output).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jaq_json::Val;
use serde_json::Value;

use crate::error::{ExprError, codes};
use crate::isolation::{self, Job};
use crate::limits::shorten;
use crate::value_type::{ValueType, coerce};

mod compile;
mod convert;
mod meter;
mod natives;
mod regex;
mod shape;

/// Outputs beyond this many are an error (guards against runaway generators such as `range(1e12)`).
pub const MAX_OUTPUTS: usize = 100_000;

/// A compiled jq program; `Send + Sync`, so one compilation can be shared across threads.
pub struct Program {
    source: String,
    filter: meter::Filter,
    /// A plain path: bounded by its input, so it always runs in-process.
    plain: bool,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program").field("source", &self.source).field("plain", &self.plain).finish_non_exhaustive()
    }
}

impl Program {
    /// Compiles `src`. When `src` does not compile as written and `"." + src` does (OOS allows
    /// `Instances.Instance[].InstanceId` for `.Instances.Instance[].InstanceId`), the latter is used; so
    /// a leading word that names a jq built-in (`length`, `keys`, `map(…)`) keeps its jq meaning.
    /// Errors: `InvalidTemplate.JqSyntax` with jaq's message for the program as written;
    /// `Expression.TooComplex` for a program longer or more deeply nested than allowed (see [`crate::limits`]).
    pub fn compile(src: &str) -> Result<Program, ExprError> {
        let program = |source: String, filter| {
            let plain = shape::is_plain_path(&source);
            Program { source, filter, plain }
        };
        match compile::compile(src) {
            Ok(filter) => Ok(program(src.to_owned(), filter)),
            Err(compile::CompileError::TooComplex) => Err(compile::too_complex(src)),
            Err(compile::CompileError::Syntax(message)) => {
                let dotted = format!(".{}", src.trim_start());
                let first_is_word = src.trim_start().starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_');
                match first_is_word.then(|| compile::compile(&dotted)) {
                    Some(Ok(filter)) => Ok(program(dotted, filter)),
                    _ => Err(ExprError::new(codes::JQ_SYNTAX, format!("jq program {src:?}: {message}"))),
                }
            }
        }
    }

    /// The program text actually compiled (with the implied leading dot, if any).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the program is a plain path (see [`Program::run`]).
    pub fn is_plain_path(&self) -> bool {
        self.plain
    }

    /// Runs the program on `input` and collects its outputs. A plain path runs here; any other
    /// program runs in the installed [`isolation`] when there is one, else here under the same
    /// budgets. Runtime errors (e.g. iterating over a number, `error("x")`) are `Expression.JqRuntime`;
    /// exceeded budgets have their own codes ([`crate::limits::Exceeded`]).
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, ExprError> {
        if !self.plain
            && let Some(isolation) = isolation::installed()
        {
            let job = Job::Jq { program: self.source.clone(), input: input.clone() };
            return match isolation.evaluate(&job)? {
                Value::Array(outputs) => Ok(outputs),
                other => Ok(vec![other]),
            };
        }
        self.run_here(convert::to_val(input))
    }

    /// Runs the program in this process, within the budgets.
    pub(crate) fn run_here(&self, input: Val) -> Result<Vec<Value>, ExprError> {
        meter::run(&self.filter, input, MAX_OUTPUTS).map_err(|failure| match failure {
            Ok(message) => ExprError::new(codes::JQ_RUNTIME, format!("jq program {} failed: {message}", shorten(&self.source))),
            Err(exceeded) => exceeded.error(&self.source),
        })
    }

    /// Runs the program on `input` in this process (what an isolated evaluator does with a job).
    pub(crate) fn run_here_json(&self, input: &Value) -> Result<Vec<Value>, ExprError> {
        self.run_here(convert::to_val(input))
    }

    /// Runs the program and types its outputs as [`select`] does.
    pub fn select(&self, input: &Value, ty: ValueType) -> Result<Value, ExprError> {
        type_outputs(self.run(input)?, ty)
    }

    /// Like [`Program::select`] on an input converted once (a program that is not a plain path
    /// still goes to the installed isolation, from the JSON).
    pub fn select_input(&self, input: &Input, ty: ValueType) -> Result<Value, ExprError> {
        let outputs = if self.plain || isolation::installed().is_none() { self.run_here(input.val.clone())? } else { self.run(&input.json)? };
        type_outputs(outputs, ty)
    }
}

/// A JSON value converted once into jaq's representation, for running several programs on the same
/// task result (conversion dominates the cost of simple selectors on large responses).
#[derive(Clone)]
pub struct Input {
    json: Value,
    val: Val,
}

impl Input {
    /// Converts `value` (object key order is kept).
    pub fn new(value: &Value) -> Self {
        Self { json: value.clone(), val: convert::to_val(value) }
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Input").field(&self.json).finish()
    }
}

/// Runs `program` (compiled once, then cached) on `input`, typing the output stream for a declared type:
/// - `List`: all outputs as an array, except that one output which is itself an array is that array
///   (`Instances.Instance[].Id` and `[.Instances.Instance[].Id]` both give the list); no output → `[]`.
/// - `String` / `Number` / `Boolean`: the first output coerced to the type; no output → `null`.
/// - `Json`: the first output as is; no output → `null`.
///
/// The compiled program comes from the process-wide cache of [`crate::Evaluator::shared`].
pub fn select(program: &str, input: &Value, ty: ValueType) -> Result<Value, ExprError> {
    crate::Evaluator::shared().select(program, input, ty)
}

/// Applies the output typing rules of [`select`] to a collected output stream.
pub fn type_outputs(mut outputs: Vec<Value>, ty: ValueType) -> Result<Value, ExprError> {
    if ty == ValueType::List {
        return Ok(match outputs.len() {
            1 if outputs[0].is_array() => outputs.swap_remove(0),
            _ => Value::Array(outputs),
        });
    }
    match outputs.into_iter().next() {
        None => Ok(Value::Null),
        Some(first) => coerce(&first, ty),
    }
}

/// A cache of compiled programs keyed by source text, shared by an [`crate::Evaluator`].
#[derive(Debug, Default)]
pub struct Cache {
    programs: RwLock<HashMap<String, Arc<Program>>>,
}

/// Programs kept at most; the cache is cleared when full (templates hold a bounded set of selectors,
/// but spliced `{{ }}` values can make programs unbounded).
const CACHE_CAPACITY: usize = 4096;

impl Cache {
    /// The compiled program for `src`, compiling it on first use.
    pub fn get(&self, src: &str) -> Result<Arc<Program>, ExprError> {
        if let Some(program) = self
            .programs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(src)
        {
            return Ok(Arc::clone(program));
        }
        let program = Arc::new(Program::compile(src)?);
        let mut programs = self.programs.write().unwrap_or_else(|p| p.into_inner());
        if programs.len() >= CACHE_CAPACITY {
            programs.clear();
        }
        programs.insert(src.to_owned(), Arc::clone(&program));
        Ok(program)
    }
}
