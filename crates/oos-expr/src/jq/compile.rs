//! Compiling a jq program within bounds: its length and nesting are checked before jaq's (recursive)
//! parser sees it, parsing runs on a grown stack, and the filters that could read the environment,
//! the clock or the process, or that generate without counting steps, are left out or replaced (and
//! jaq's regex natives by our bounded ones on fancy-regex, which know look-around and backreferences).

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Bind, Compiler, Native};

use super::meter::{Filter, Metered};
use super::{natives, regex};
use crate::limits::{Exceeded, MAX_PROGRAM_CHARS, MAX_PROGRAM_NESTING, STACK_RED_ZONE, STACK_SIZE};

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

/// Why a program does not compile.
pub(super) enum CompileError {
    /// Longer or more deeply nested than allowed.
    TooComplex,
    /// jaq's message.
    Syntax(String),
}

/// Compiles `code` with jq's core, standard and JSON definitions minus [`DENIED_FILTERS`], with
/// `range/3` counting its outputs as steps.
pub(super) fn compile(code: &str) -> Result<Filter, CompileError> {
    if code.chars().count() > MAX_PROGRAM_CHARS || nesting(code) > MAX_PROGRAM_NESTING {
        return Err(CompileError::TooComplex);
    }
    stacker::maybe_grow(STACK_RED_ZONE + STACK_SIZE / 2, STACK_SIZE, || compile_checked(code)).map_err(CompileError::Syntax)
}

fn compile_checked(code: &str) -> Result<Filter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .filter(|def| !DENIED_FILTERS.contains(&def.name));
    let replaced = || -> [jaq_core::native::Fun<Metered>; 5] {
        [
            ("range", jaq_core::native::v(3), Native::new(|cv| natives::range(cv))),
            ("fromjson", jaq_core::native::v(0), Native::new(|cv| natives::fromjson(cv))),
            ("matches", jaq_core::native::v(2), Native::new(|cv| regex::matches(cv))),
            ("split_matches", jaq_core::native::v(2), Native::new(|cv| regex::split_matches(cv))),
            ("split_", jaq_core::native::v(2), Native::new(|cv| regex::split(cv))),
        ]
    };
    let is_replaced = |name: &str, args: &[Bind]| replaced().iter().any(|(own, own_args, _)| *own == name && own_args.len() == args.len());
    let funs = jaq_core::funs::<Metered>()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, args, _)| !DENIED_FILTERS.contains(name) && !is_replaced(name, args))
        .chain(replaced());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader.load(&arena, File { code, path: () }).map_err(|errors| {
        errors.into_iter().map(|(_, error)| describe_load_error(&error)).collect::<Vec<_>>().join("; ")
    })?;
    Compiler::<_, Metered>::default().with_funs(funs).compile(modules).map_err(|errors| {
        errors
            .into_iter()
            .flat_map(|(_, undefined)| undefined)
            .map(|(name, kind)| format!("undefined {} {name:?}", kind.as_str()))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// How deeply `code` nests brackets, braces, parentheses, string interpolations and `if … end`
/// blocks (string literals are skipped, so a `(` inside a string does not count).
pub(super) fn nesting(code: &str) -> usize {
    #[derive(PartialEq)]
    enum Open {
        Bracket,
        If,
        Str,
        Interpolation,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut deepest = 0;
    let mut chars = code.char_indices().peekable();
    while let Some((at, ch)) = chars.next() {
        if stack.last() == Some(&Open::Str) {
            match ch {
                '\\' => {
                    if chars.next_if(|(_, next)| *next == '(').is_some() {
                        stack.push(Open::Interpolation);
                    } else {
                        chars.next();
                    }
                }
                '"' => {
                    stack.pop();
                }
                _ => {}
            }
        } else {
            match ch {
                '"' => stack.push(Open::Str),
                '(' | '[' | '{' => stack.push(Open::Bracket),
                ')' if stack.last() == Some(&Open::Interpolation) => {
                    stack.pop();
                }
                ')' | ']' | '}' => {
                    if stack.last() == Some(&Open::Bracket) {
                        stack.pop();
                    }
                }
                '#' => {
                    while chars.next_if(|(_, next)| *next != '\n').is_some() {}
                }
                _ if ch.is_ascii_alphabetic() && !preceded_by_word(code, at) => {
                    let word: String = std::iter::once(ch).chain(std::iter::from_fn(|| chars.next_if(|(_, next)| next.is_ascii_alphanumeric() || *next == '_').map(|(_, next)| next))).collect();
                    match word.as_str() {
                        "if" => stack.push(Open::If),
                        "end" if stack.last() == Some(&Open::If) => {
                            stack.pop();
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        deepest = deepest.max(stack.len());
    }
    deepest
}

fn preceded_by_word(code: &str, at: usize) -> bool {
    code[..at].chars().next_back().is_some_and(|before| before.is_ascii_alphanumeric() || before == '_' || before == '$' || before == '.' || before == '@')
}

/// An error of `Program::compile` for `code` as written.
pub(super) fn too_complex(code: &str) -> crate::ExprError {
    Exceeded::Complexity.error(code)
}

fn describe_load_error(error: &jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error;
    match error {
        Error::Io(errors) => errors.iter().map(|(path, msg)| format!("{path}: {msg}")).collect::<Vec<_>>().join("; "),
        Error::Lex(errors) => errors.iter().map(|(expect, at)| format!("expected {expect:?} at {:?}", snippet(at))).collect::<Vec<_>>().join("; "),
        Error::Parse(errors) => errors.iter().map(|(expect, at)| format!("expected {expect:?} at {:?}", snippet(at))).collect::<Vec<_>>().join("; "),
    }
}

/// The first few characters at an error position.
fn snippet(at: &str) -> String {
    if at.is_empty() { "end of program".to_owned() } else { at.chars().take(20).collect() }
}

#[cfg(test)]
mod tests {
    use super::nesting;

    #[test]
    fn nesting_counts_blocks_but_not_string_contents() {
        assert_eq!(nesting(".a.b"), 0);
        assert_eq!(nesting("[.[] | {a: (.b)}]"), 3);
        assert_eq!(nesting(r#""((((((""#), 1);
        assert_eq!(nesting(r#""\(.a | "\(.b)")""#), 4);
        assert_eq!(nesting("if . then if . then 1 else 2 end else 3 end"), 2);
        assert_eq!(nesting(".endif | .ifx"), 0);
        assert_eq!(nesting(&"[".repeat(2000)), 2000);
        assert_eq!(nesting("# (((\n."), 0);
    }
}
