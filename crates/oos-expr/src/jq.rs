//! jq selectors (`ValueSelector`, `PropertySelector`, `Fn::Jq`) on jaq, with OOS's optional leading
//! dot, deterministic built-ins only, output typing, and a thread-safe cache of compiled programs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;
use serde_json::Value;

use crate::error::{ExprError, codes};
use crate::value_type::{ValueType, coerce};

mod convert;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Filters (native or defined) left out so that programs are deterministic, pure and cannot abort
/// the process; a program using one fails to compile.
const DENIED_FILTERS: &[&str] = &[
    "now",
    "env",
    "halt",
    "halt_error",
    "input",
    "inputs",
    "input_filename",
    "debug",
    "debug_empty",
    "stderr",
    "stderr_empty",
];

/// Outputs beyond this many are an error (guards against runaway generators such as `range(1e12)`).
pub const MAX_OUTPUTS: usize = 100_000;

/// A compiled jq program; `Send + Sync`, so one compilation can be shared across threads.
pub struct Program {
    source: String,
    filter: Filter,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Program {
    /// Compiles `src`. When `src` does not compile as written and `"." + src` does (OOS allows
    /// `Instances.Instance[].InstanceId` for `.Instances.Instance[].InstanceId`), the latter is used; so
    /// a leading word that names a jq built-in (`length`, `keys`, `map(…)`) keeps its jq meaning.
    /// Errors: `InvalidTemplate.JqSyntax` with jaq's message for the program as written.
    pub fn compile(src: &str) -> Result<Program, ExprError> {
        match compile_filter(src) {
            Ok(filter) => Ok(Program {
                source: src.to_owned(),
                filter,
            }),
            Err(message) => {
                let dotted = format!(".{}", src.trim_start());
                let first_is_word = src
                    .trim_start()
                    .starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_');
                match first_is_word.then(|| compile_filter(&dotted)) {
                    Some(Ok(filter)) => Ok(Program {
                        source: dotted,
                        filter,
                    }),
                    _ => Err(ExprError::new(
                        codes::JQ_SYNTAX,
                        format!("jq program {src:?}: {message}"),
                    )),
                }
            }
        }
    }

    /// The program text actually compiled (with the implied leading dot, if any).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the program on `input` and collects its outputs. Runtime errors (e.g. iterating over a
    /// number, `error("x")`) are `Expression.JqRuntime`.
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, ExprError> {
        self.run_input(&Input::new(input))
    }

    /// Like [`Program::run`] on an input converted once (see [`Input`]).
    pub fn run_input(&self, input: &Input) -> Result<Vec<Value>, ExprError> {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = Vec::new();
        for output in self.filter.id.run((ctx, input.0.clone())) {
            let val = jaq_core::unwrap_valr(output).map_err(|error| {
                ExprError::new(
                    codes::JQ_RUNTIME,
                    format!("jq program {:?} failed: {error}", self.source),
                )
            })?;
            if outputs.len() == MAX_OUTPUTS {
                return Err(ExprError::new(
                    codes::JQ_RUNTIME,
                    format!(
                        "jq program {:?} produced more than {MAX_OUTPUTS} values",
                        self.source
                    ),
                ));
            }
            outputs.push(convert::from_val(&val));
        }
        Ok(outputs)
    }

    /// Runs the program and types its outputs as [`select`] does.
    pub fn select(&self, input: &Value, ty: ValueType) -> Result<Value, ExprError> {
        type_outputs(self.run(input)?, ty)
    }

    /// Like [`Program::select`] on an input converted once.
    pub fn select_input(&self, input: &Input, ty: ValueType) -> Result<Value, ExprError> {
        type_outputs(self.run_input(input)?, ty)
    }
}

/// A JSON value converted once into jq's representation, for running several programs on the same
/// task result (conversion dominates the cost of simple selectors on large responses).
#[derive(Clone)]
pub struct Input(Val);

impl Input {
    /// Converts `value` (object key order is kept).
    pub fn new(value: &Value) -> Self {
        Self(convert::to_val(value))
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Input").field(&self.0.to_string()).finish()
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

/// Compiles `code` with jq's core, standard and JSON definitions minus [`DENIED_FILTERS`].
fn compile_filter(code: &str) -> Result<Filter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .filter(|def| !DENIED_FILTERS.contains(&def.name));
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, _, _)| !DENIED_FILTERS.contains(name));
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|(_, error)| describe_load_error(&error))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| {
            errors
                .into_iter()
                .flat_map(|(_, undefined)| undefined)
                .map(|(name, kind)| format!("undefined {} {name:?}", kind.as_str()))
                .collect::<Vec<_>>()
                .join("; ")
        })
}

fn describe_load_error(error: &jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error;
    match error {
        Error::Io(errors) => errors
            .iter()
            .map(|(path, msg)| format!("{path}: {msg}"))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Lex(errors) => errors
            .iter()
            .map(|(expect, at)| format!("expected {expect:?} at {:?}", snippet(at)))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Parse(errors) => errors
            .iter()
            .map(|(expect, at)| format!("expected {expect:?} at {:?}", snippet(at)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The first few characters at an error position.
fn snippet(at: &str) -> String {
    if at.is_empty() {
        "end of program".to_owned()
    } else {
        at.chars().take(20).collect()
    }
}
