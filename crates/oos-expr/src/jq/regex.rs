//! jq's regex natives on fancy-regex instead of jaq's regex-bites, so that patterns with look-around
//! and backreferences (`test("^(?!acs).*")`, as Alibaba's templates write them for Oniguruma) work.
//! `matches`, `split_matches` and `split_` keep jaq's names and output shapes (jaq's `test`, `match`,
//! `capture`, `scan`, `split`, `sub` and `gsub` are defined on them), with jq's answer for a group
//! that took no part in the match (`offset` -1, `length` 0, `string` null) where jaq left it out.
//! Compiling and every search count as a step, each is bounded by the backtracking and size limits of
//! [`crate::limits`]: a pattern that exceeds one is a jq runtime error.

use std::borrow::Cow;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;

use fancy_regex::{Captures, Regex, RegexBuilder};
use jaq_core::box_iter::box_once;
use jaq_core::{Cv, Error, Exn, ValT as _, ValXs};
use jaq_json::Val;
use jaq_std::ValT as _;

use super::meter::{Meter, Metered};
use crate::limits::{REGEX_BACKTRACK_LIMIT, REGEX_DFA_SIZE_LIMIT, REGEX_PROGRAM_LIMIT, REGEX_SIZE_LIMIT, shorten};

/// `matches($re; $flags)`: an array with, for each match, the array of its match objects (the whole
/// match, then each group).
pub(super) fn matches<'a>(cv: Cv<'a, Metered>) -> ValXs<'a, Val> {
    native(cv, Parts { between: false, matches: true })
}

/// `split_matches($re; $flags)`: the text before each match, that match's objects, …, the text after.
pub(super) fn split_matches<'a>(cv: Cv<'a, Metered>) -> ValXs<'a, Val> {
    native(cv, Parts { between: true, matches: true })
}

/// `split_($re; $flags)`: the texts between matches.
pub(super) fn split<'a>(cv: Cv<'a, Metered>) -> ValXs<'a, Val> {
    native(cv, Parts { between: true, matches: false })
}

/// What a native outputs: the texts between matches, the matches, or both in turn.
#[derive(Clone, Copy)]
struct Parts {
    between: bool,
    matches: bool,
}

fn native<'a>(mut cv: Cv<'a, Metered>, parts: Parts) -> ValXs<'a, Val> {
    let flags = cv.0.pop_var();
    let pattern = cv.0.pop_var();
    let meter: &Meter<'_> = cv.0.data();
    box_once(apply(&cv.1, &pattern, &flags, parts, meter).map_err(Exn::from))
}

/// jaq's regex flags (`p` is `m` and `s`; `l` swaps greedy and lazy repetition).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    global: bool,
    ignore_empty: bool,
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
    swap_greed: bool,
    extended: bool,
}

impl Flags {
    fn parse(text: &str) -> Result<Self, char> {
        let mut flags = Self::default();
        for flag in text.chars() {
            match flag {
                'g' => flags.global = true,
                'n' => flags.ignore_empty = true,
                'i' => flags.case_insensitive = true,
                'm' => flags.multi_line = true,
                's' => flags.dot_all = true,
                'p' => (flags.multi_line, flags.dot_all) = (true, true),
                'l' => flags.swap_greed = true,
                'x' => flags.extended = true,
                other => return Err(other),
            }
        }
        Ok(flags)
    }

    /// `pattern` compiled with these flags, in fancy-regex's Oniguruma mode, within the limits.
    fn compile(self, pattern: &str) -> Result<Regex, fancy_regex::Error> {
        let pattern = if self.swap_greed { Cow::Owned(format!("(?U){pattern}")) } else { Cow::Borrowed(pattern) };
        RegexBuilder::new(&pattern)
            .oniguruma_mode(true)
            .case_insensitive(self.case_insensitive)
            .multi_line(self.multi_line)
            .dot_matches_new_line(self.dot_all)
            .ignore_whitespace(self.extended)
            .backtrack_limit(REGEX_BACKTRACK_LIMIT)
            .delegate_size_limit(REGEX_SIZE_LIMIT)
            .delegate_dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
            .delegate_dfa_skip_cache_capacity_check(false)
            .max_prog_size(REGEX_PROGRAM_LIMIT)
            .build()
    }
}

/// Most regexes one run keeps compiled (a program that tests every element of a list against one
/// pattern compiles it once, not once per element).
const COMPILED_KEPT: usize = 8;

/// The regexes compiled during one run, newest last (dropped with the run's [`Meter`]).
#[derive(Default)]
pub(super) struct Compiled(RefCell<Vec<(String, Flags, Regex)>>);

impl Compiled {
    /// `pattern` compiled with `flags`, kept from earlier in the run or compiled now.
    fn get(&self, pattern: &str, flags: Flags) -> Result<Regex, Error<Val>> {
        let kept = self.0.borrow().iter().find(|(text, with, _)| text == pattern && *with == flags).map(|(_, _, regex)| regex.clone());
        if let Some(regex) = kept {
            return Ok(regex);
        }
        let regex = guarded(pattern, || flags.compile(pattern))?.map_err(|error| Error::str(format_args!("invalid regex: {error}")))?;
        let mut kept = self.0.borrow_mut();
        if kept.len() == COMPILED_KEPT {
            kept.remove(0);
        }
        kept.push((pattern.to_owned(), flags, regex.clone()));
        Ok(regex)
    }
}

fn apply(subject: &Val, pattern: &Val, flags: &Val, parts: Parts, meter: &Meter<'_>) -> Result<Val, Error<Val>> {
    let flags = Flags::parse(text_of(flags)?).map_err(|flag| Error::str(format_args!("invalid regex flag: {flag}")))?;
    let pattern = text_of(pattern)?;
    meter.tick_timed();
    let regex = meter.regexes.get(pattern, flags)?;
    // Invalid UTF-8 (which jaq's strings may hold) is searched as U+FFFD, in a copy.
    let lossy;
    let (subject, text) = match String::from_utf8_lossy(subject.try_as_utf8_bytes()?) {
        Cow::Borrowed(text) => (subject, text),
        Cow::Owned(text) => {
            lossy = Val::from(text);
            (&lossy, text_of(&lossy)?)
        }
    };
    let slice = |part: &str| subject.as_sub_str(part.as_bytes());
    let mut out = Vec::new();
    let mut cursor = CharCursor { text, byte: 0, chars: 0 };
    let mut after_last = 0;
    let mut found = regex.captures_iter(text);
    loop {
        meter.tick_timed();
        let Some(captures) = guarded(pattern, || found.next())? else { break };
        let captures = captures.map_err(|error| search_error(&error, pattern))?;
        let Some(whole) = captures.get(0) else { break };
        if flags.ignore_empty && whole.as_str().is_empty() {
            continue;
        }
        if parts.between {
            out.push(slice(&text[after_last..whole.start()]));
            after_last = whole.end();
        }
        if parts.matches {
            out.push(match_objects(&regex, &captures, &slice, &mut cursor)?);
        }
        if !flags.global {
            break;
        }
    }
    if parts.between {
        out.push(slice(&text[after_last..]));
    }
    Ok(out.into_iter().collect())
}

/// The text of a string that is valid UTF-8.
fn text_of(value: &Val) -> Result<&str, Error<Val>> {
    std::str::from_utf8(value.try_as_utf8_bytes()?).map_err(|error| Error::str(format_args!("{error}")))
}

/// The whole match and each group as `{offset, length, string, name?}` (offsets and lengths in
/// characters; `name` only for a named group). A group that took no part is jq's `offset` -1,
/// `length` 0, `string` null.
fn match_objects(regex: &Regex, captures: &Captures<'_, str>, slice: &impl Fn(&str) -> Val, cursor: &mut CharCursor<'_>) -> Result<Val, Error<Val>> {
    regex
        .capture_names()
        .zip(captures.iter())
        .map(|(name, group)| {
            let (offset, length, string) = match group {
                Some(group) => (cursor.chars_at(group.start()) as isize, group.as_str().chars().count() as isize, slice(group.as_str())),
                None => (-1, 0, Val::Null),
            };
            let fields = [("offset", Val::from(offset)), ("length", Val::from(length)), ("string", string)];
            let name = name.map(|name| ("name", Val::from(name.to_owned())));
            Val::from_map(fields.into_iter().chain(name).map(|(key, value)| (Val::from(key.to_owned()), value)))
        })
        .collect()
}

/// Character offsets of byte offsets, counted from the last one asked (groups of a match may lie
/// before it, with look-behind, or after it, with look-ahead, so the cursor moves both ways).
struct CharCursor<'t> {
    text: &'t str,
    byte: usize,
    chars: usize,
}

impl CharCursor<'_> {
    fn chars_at(&mut self, byte: usize) -> usize {
        if byte >= self.byte {
            self.chars += self.text[self.byte..byte].chars().count();
        } else {
            self.chars -= self.text[byte..self.byte].chars().count();
        }
        self.byte = byte;
        self.chars
    }
}

fn search_error(error: &fancy_regex::Error, pattern: &str) -> Error<Val> {
    match error {
        fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => Error::str(format_args!(
            "regex {} needed more than {REGEX_BACKTRACK_LIMIT} backtracking steps",
            shorten(pattern)
        )),
        other => Error::str(format_args!("regex {} failed: {other}", shorten(pattern))),
    }
}

/// Runs a step of fancy-regex on `pattern`; a panic in it (a bug, reached by some untrusted pattern)
/// becomes an error of that pattern instead of ending the process.
fn guarded<T>(pattern: &str, step: impl FnOnce() -> T) -> Result<T, Error<Val>> {
    std::panic::catch_unwind(AssertUnwindSafe(step)).map_err(|_| Error::str(format_args!("the regex engine failed on {}", shorten(pattern))))
}
