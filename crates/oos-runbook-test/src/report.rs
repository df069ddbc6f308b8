//! What a run of specs prints (one line per case, ✓ or ✗ with its real time, and for a failure each
//! mismatched field with a diff of expected and actual) and the JUnit XML it writes for CI. Pure.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::spec::SpecError;
use crate::verdict::Mismatch;

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub elapsed: Duration,
    /// Empty when it passed.
    pub mismatches: Vec<Mismatch>,
    /// The case could not run (set-up, start); it failed.
    pub error: Option<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.mismatches.is_empty()
    }
}

/// One spec file's results, or why it could not be read.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub path: PathBuf,
    pub outcome: Result<Vec<CaseResult>, SpecError>,
}

/// Totals over every file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    /// Spec files that could not be read.
    pub invalid: usize,
}

pub fn totals(files: &[FileResult]) -> Totals {
    let mut totals = Totals::default();
    for file in files {
        match &file.outcome {
            Ok(cases) => {
                let passed = cases.iter().filter(|case| case.passed()).count();
                totals.passed += passed;
                totals.failed += cases.len() - passed;
            }
            Err(_) => totals.invalid += 1,
        }
    }
    totals
}

/// The text of one file's results.
pub fn text(file: &FileResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", file.path.display());
    match &file.outcome {
        Err(error) => {
            let _ = writeln!(out, "  ✗ {error}");
        }
        Ok(cases) => {
            for case in cases {
                let mark = if case.passed() { '✓' } else { '✗' };
                let _ = writeln!(out, "  {mark} {} ({})", case.name, millis(case.elapsed));
                if let Some(error) = &case.error {
                    let _ = writeln!(out, "      {error}");
                }
                for mismatch in &case.mismatches {
                    out.push_str(&indent(&mismatch_text(mismatch), "      "));
                }
            }
        }
    }
    out
}

/// The closing line: how many passed and failed.
pub fn summary(totals: Totals) -> String {
    let mut line = format!("{} passed, {} failed", totals.passed, totals.failed);
    if totals.invalid > 0 {
        let _ = write!(line, ", {} spec file(s) invalid", totals.invalid);
    }
    line
}

fn millis(elapsed: Duration) -> String {
    format!("{} ms", elapsed.as_millis())
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|line| format!("{by}{line}\n")).collect()
}

/// A mismatch: its field, then `- expected` / `+ actual` lines (a line diff of long values).
pub fn mismatch_text(mismatch: &Mismatch) -> String {
    let mut out = format!("{}:", mismatch.field);
    if !mismatch.why.is_empty() {
        let _ = write!(out, " {}", mismatch.why);
    }
    out.push('\n');
    let expected = shown(Some(&mismatch.expected));
    let actual = shown(mismatch.actual.as_ref());
    if expected.contains('\n') || actual.contains('\n') {
        for change in TextDiff::from_lines(&expected, &actual).iter_all_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let _ = writeln!(out, "  {sign} {}", change.value().trim_end_matches('\n'));
        }
    } else {
        let _ = writeln!(out, "  - expected: {expected}");
        let _ = writeln!(out, "  + actual:   {actual}");
    }
    out
}

/// A value as shown in a diff: strings as they are when multi-line, JSON otherwise (pretty for
/// objects and lists), `(missing)` for nothing.
fn shown(value: Option<&Value>) -> String {
    match value {
        None => "(missing)".to_owned(),
        Some(Value::String(text)) if text.contains('\n') => text.clone(),
        Some(value @ (Value::Object(_) | Value::Array(_))) if value.to_string().len() > 60 => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        Some(value) => value.to_string(),
    }
}

/// The JUnit XML report: one `<testsuite>` per spec file, one `<testcase>` per case, a
/// `<failure>` with the mismatches, an `<error>` for a spec that could not be read.
pub fn junit(files: &[FileResult]) -> String {
    let totals = totals(files);
    let total_time: Duration = files
        .iter()
        .filter_map(|file| file.outcome.as_ref().ok())
        .flatten()
        .map(|case| case.elapsed)
        .sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"oos test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        totals.passed + totals.failed + totals.invalid,
        totals.failed,
        totals.invalid,
        total_time.as_secs_f64()
    );
    for file in files {
        let suite = escape(&file.path.display().to_string());
        match &file.outcome {
            Err(error) => {
                let _ = writeln!(
                    xml,
                    "  <testsuite name=\"{suite}\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"0.000\">"
                );
                let _ = writeln!(
                    xml,
                    "    <testcase name=\"(spec file)\" classname=\"{suite}\" time=\"0.000\">"
                );
                let _ = writeln!(
                    xml,
                    "      <error message=\"{}\" type=\"{}\">{}</error>",
                    escape(&error.message),
                    escape(error.code),
                    escape(&error.to_string())
                );
                let _ = writeln!(xml, "    </testcase>");
            }
            Ok(cases) => {
                let failures = cases.iter().filter(|case| !case.passed()).count();
                let time: Duration = cases.iter().map(|case| case.elapsed).sum();
                let _ = writeln!(
                    xml,
                    "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">",
                    cases.len(),
                    time.as_secs_f64()
                );
                for case in cases {
                    let _ = write!(
                        xml,
                        "    <testcase name=\"{}\" classname=\"{suite}\" time=\"{:.3}\"",
                        escape(&case.name),
                        case.elapsed.as_secs_f64()
                    );
                    if case.passed() {
                        xml.push_str("/>\n");
                        continue;
                    }
                    xml.push_str(">\n");
                    let mut body = case
                        .error
                        .clone()
                        .map(|error| format!("{error}\n"))
                        .unwrap_or_default();
                    body.extend(case.mismatches.iter().map(mismatch_text));
                    let first = case
                        .error
                        .clone()
                        .or_else(|| {
                            case.mismatches
                                .first()
                                .map(|mismatch| format!("{} is not as expected", mismatch.field))
                        })
                        .unwrap_or_default();
                    let _ = writeln!(
                        xml,
                        "      <failure message=\"{}\" type=\"Mismatch\">{}</failure>",
                        escape(&first),
                        escape(&body)
                    );
                    xml.push_str("    </testcase>\n");
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Text for XML attributes and content; characters XML 1.0 cannot hold become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
