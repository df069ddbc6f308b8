//! Budgets of template-content evaluation: how long a jq program may be, how deeply it may nest,
//! how many steps and how much time it may take, how deep it may recurse and how large its outputs
//! may be. A program that exceeds one fails with the code of that budget, never with a crashed or
//! spinning process.

use std::time::Duration;

use crate::error::{ExprError, codes};

/// Longest jq program accepted (the longest selector of the public template corpus has 383).
pub const MAX_PROGRAM_CHARS: usize = 4096;
/// Deepest nesting of brackets, braces, parentheses, string interpolations and `if`s in a jq program.
pub const MAX_PROGRAM_NESTING: usize = 64;
/// Most evaluation steps of one jq run.
pub const MAX_STEPS: u64 = 1_000_000;
/// Longest time of one jq run.
pub const MAX_TIME: Duration = Duration::from_secs(2);
/// Stack kept free below a running jq program; recursion that would eat into it is stopped.
pub const STACK_RED_ZONE: usize = 512 * 1024;
/// Stack given to jq compilation and to evaluation of programs that are not plain paths (reserved,
/// not committed, until used): deep enough for the deepest value [`MAX_STEPS`] can build.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;
/// Largest result of one evaluation, counted as JSON text bytes.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;
/// Deepest nesting of a result value (as serde_json accepts when reading JSON).
pub const MAX_OUTPUT_DEPTH: usize = 128;
/// Most backtracking steps of one regex search in jq (`test`, `match`, `sub`, …: fancy-regex's
/// backtracking engine, which look-around and backreferences need); a search that needs more fails
/// with a jq runtime error (`"a…ab" | test("(a+)+$")`).
pub const REGEX_BACKTRACK_LIMIT: usize = 1_000_000;
/// Largest compiled automaton of a jq regex, in bytes (each part fancy-regex hands to regex-automata).
pub const REGEX_SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// Largest lazy-DFA cache of a jq regex, in bytes (each part fancy-regex hands to regex-automata).
pub const REGEX_DFA_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Most instructions of a jq regex's backtracking program (a longer pattern fails to compile).
pub const REGEX_PROGRAM_LIMIT: usize = 100_000;

/// Which budget an evaluation exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// The program is longer or nests deeper than allowed.
    Complexity,
    /// More evaluation steps than [`MAX_STEPS`].
    Steps,
    /// Recursion deeper than the stack allows.
    Recursion,
    /// Longer than [`MAX_TIME`].
    Time,
    /// A result larger or deeper than allowed.
    Output,
    /// The isolated evaluator ran out of memory (or died for another reason).
    Memory,
}

impl Exceeded {
    /// The stable code of this budget.
    pub fn code(self) -> &'static str {
        match self {
            Self::Complexity => codes::TOO_COMPLEX,
            Self::Steps => codes::STEP_LIMIT,
            Self::Recursion => codes::RECURSION_LIMIT,
            Self::Time => codes::TIME_LIMIT,
            Self::Output => codes::OUTPUT_TOO_LARGE,
            Self::Memory => codes::MEMORY_LIMIT,
        }
    }

    /// The code the isolated evaluator sends back for this budget, read back.
    pub fn from_code(code: &str) -> Option<Self> {
        ALL_BUDGETS.into_iter().find(|kind| kind.code() == code)
    }

    /// The error for `what` (a program or expression as the user wrote it, shortened).
    pub fn error(self, what: &str) -> ExprError {
        let limit = match self {
            Self::Complexity => format!("programs are limited to {MAX_PROGRAM_CHARS} characters and {MAX_PROGRAM_NESTING} levels of nesting"),
            Self::Steps => format!("it took more than {MAX_STEPS} evaluation steps"),
            Self::Recursion => "it recursed deeper than the evaluation stack allows".to_owned(),
            Self::Time => format!("it ran longer than {} ms", MAX_TIME.as_millis()),
            Self::Output => format!("its result is larger than {MAX_OUTPUT_BYTES} bytes or nests deeper than {MAX_OUTPUT_DEPTH} levels"),
            Self::Memory => "it needed more memory than an evaluation may use".to_owned(),
        };
        ExprError::new(self.code(), format!("{} was stopped: {limit}", shorten(what)))
    }
}

/// Whether an error message carries the code of an exceeded budget (task failures are text by the
/// time the engine counts them).
pub fn mentions_exceeded(message: &str) -> bool {
    ALL_BUDGETS.iter().any(|kind| message.contains(kind.code()))
}

const ALL_BUDGETS: [Exceeded; 6] = [Exceeded::Complexity, Exceeded::Steps, Exceeded::Recursion, Exceeded::Time, Exceeded::Output, Exceeded::Memory];

/// At most the first 200 characters of `text`, quoted.
pub(crate) fn shorten(text: &str) -> String {
    let mut shown: String = text.chars().take(200).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

thread_local! {
    /// Bytes of values produced so far by the evaluation running on this thread (None: none runs).
    static PRODUCED: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// One evaluation of a value tree: within it, what references and functions produce counts
/// against [`MAX_OUTPUT_BYTES`] (a template that references a 2 MB parameter 7,000 times, or joins a
/// long list with a long delimiter, fails instead of building gigabytes). Nested scopes share the
/// outermost one's count.
pub(crate) struct Scope {
    outermost: bool,
}

impl Scope {
    pub(crate) fn enter() -> Scope {
        let outermost = PRODUCED.with(|produced| produced.get().is_none());
        if outermost {
            PRODUCED.with(|produced| produced.set(Some(0)));
        }
        Scope { outermost }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.outermost {
            PRODUCED.with(|produced| produced.set(None));
        }
    }
}

/// Counts `bytes` more produced in the current [`Scope`]; fails when the total passes
/// [`MAX_OUTPUT_BYTES`] (`what` names the expression or function).
pub(crate) fn produce(bytes: usize, what: impl FnOnce() -> String) -> Result<(), ExprError> {
    if bytes > MAX_OUTPUT_BYTES {
        return Err(Exceeded::Output.error(&what()));
    }
    PRODUCED.with(|produced| match produced.get() {
        Some(total) if total.saturating_add(bytes) > MAX_OUTPUT_BYTES => Err(Exceeded::Output.error(&what())),
        Some(total) => {
            produced.set(Some(total + bytes));
            Ok(())
        }
        None => Ok(()),
    })
}

/// The size of `value` as JSON text, counted up to a little past [`MAX_OUTPUT_BYTES`] (so measuring a
/// huge value costs no more than that).
pub(crate) fn json_size(value: &serde_json::Value) -> usize {
    let mut budget = MAX_OUTPUT_BYTES + 1;
    let _ = measure(value, 0, &mut budget);
    MAX_OUTPUT_BYTES + 1 - budget
}

/// Checks that a value is no larger than [`MAX_OUTPUT_BYTES`] as JSON text and no deeper than
/// [`MAX_OUTPUT_DEPTH`], walking at most as much of it as those bounds allow.
pub fn check_output(value: &serde_json::Value) -> Result<(), Exceeded> {
    measure(value, 0, &mut MAX_OUTPUT_BYTES.clone())
}

/// Takes `value`'s JSON size from `budget`; fails when the budget runs out or the value nests too deep.
fn measure(value: &serde_json::Value, depth: usize, budget: &mut usize) -> Result<(), Exceeded> {
    use serde_json::Value;
    if depth > MAX_OUTPUT_DEPTH {
        return Err(Exceeded::Output);
    }
    let own = match value {
        Value::String(text) => text.len() + 2,
        Value::Array(items) => {
            for item in items {
                measure(item, depth + 1, budget)?;
            }
            items.len() + 2
        }
        Value::Object(map) => {
            for (key, item) in map {
                *budget = budget.checked_sub(key.len() + 3).ok_or(Exceeded::Output)?;
                measure(item, depth + 1, budget)?;
            }
            map.len() + 2
        }
        _ => 8,
    };
    *budget = budget.checked_sub(own).ok_or(Exceeded::Output)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn outputs_within_bounds_pass_and_others_fail() {
        check_output(&json!({"a": [1, "two", {"b": null}]})).unwrap();
        assert_eq!(check_output(&json!("x".repeat(MAX_OUTPUT_BYTES))), Err(Exceeded::Output));
        let mut deep = json!(1);
        for _ in 0..=MAX_OUTPUT_DEPTH {
            deep = json!([deep]);
        }
        assert_eq!(check_output(&deep), Err(Exceeded::Output));
    }

    #[test]
    fn every_budget_has_its_own_code() {
        let kinds = [Exceeded::Complexity, Exceeded::Steps, Exceeded::Recursion, Exceeded::Time, Exceeded::Output, Exceeded::Memory];
        let codes: std::collections::HashSet<&str> = kinds.iter().map(|kind| kind.code()).collect();
        assert_eq!(codes.len(), kinds.len());
        for kind in kinds {
            assert_eq!(Exceeded::from_code(kind.code()), Some(kind));
            assert!(kind.error("last(range(1e12))").message.contains("range"));
        }
    }
}
