//! Matchers: what an expected value in a spec means. A plain value must be equal (as JSON, `2` equals
//! `2.0`); a mapping whose keys are all matcher names (`contains`, `matches`, `length`, `min`, `max`,
//! `one_of`, `absent`, `equals`) checks each of them. Pure.

use std::fmt;

use regex::Regex;
use serde_json::Value;

/// The matcher names a mapping may use.
pub const NAMES: [&str; 8] = [
    "equals", "contains", "matches", "length", "min", "max", "one_of", "absent",
];

/// Longest regular expression accepted (its compiled size is bounded by the regex crate as well).
const MAX_PATTERN: usize = 4096;

/// An expected value: every check must hold.
#[derive(Debug, Clone)]
pub struct Matcher {
    checks: Vec<Check>,
    /// The spec's own text of it, for messages.
    shown: Value,
}

#[derive(Debug, Clone)]
enum Check {
    Equals(Value),
    Contains(Value),
    Matches(Regex),
    Length(Box<Matcher>),
    Min(f64),
    Max(f64),
    OneOf(Vec<Value>),
    Absent(bool),
}

impl Matcher {
    /// Reads a spec value as a matcher; the error says what is wrong with it.
    pub fn parse(value: &Value) -> Result<Matcher, String> {
        let shown = value.clone();
        let Some(map) = value
            .as_object()
            .filter(|map| !map.is_empty() && map.keys().all(|key| NAMES.contains(&key.as_str())))
        else {
            return Ok(Matcher {
                checks: vec![Check::Equals(value.clone())],
                shown,
            });
        };
        let mut checks = Vec::with_capacity(map.len());
        for (name, argument) in map {
            let number = || {
                argument
                    .as_f64()
                    .ok_or_else(|| format!("`{name}` takes a number, not {argument}"))
            };
            checks.push(match name.as_str() {
                "equals" => Check::Equals(argument.clone()),
                "contains" => Check::Contains(argument.clone()),
                "matches" => {
                    let pattern = argument.as_str().ok_or_else(|| format!("`matches` takes a regular expression (a string), not {argument}"))?;
                    if pattern.len() > MAX_PATTERN {
                        return Err(format!("`matches`: the regular expression is longer than {MAX_PATTERN} characters"));
                    }
                    Check::Matches(Regex::new(pattern).map_err(|error| format!("`matches`: invalid regular expression: {error}"))?)
                }
                "length" => Check::Length(Box::new(Matcher::parse(argument).map_err(|error| format!("`length`: {error}"))?)),
                "min" => Check::Min(number()?),
                "max" => Check::Max(number()?),
                "one_of" => Check::OneOf(argument.as_array().cloned().ok_or_else(|| format!("`one_of` takes a list, not {argument}"))?),
                "absent" => Check::Absent(argument.as_bool().ok_or_else(|| format!("`absent` takes true or false, not {argument}"))?),
                _ => unreachable!("keys are checked against NAMES above"),
            });
        }
        Ok(Matcher { checks, shown })
    }

    /// A matcher that wants exactly `value`.
    pub fn equal(value: Value) -> Matcher {
        Matcher {
            checks: vec![Check::Equals(value.clone())],
            shown: value,
        }
    }

    /// Checks `actual` (None: not there). The error says which check failed.
    pub fn check(&self, actual: Option<&Value>) -> Result<(), String> {
        for check in &self.checks {
            check.check(actual)?;
        }
        Ok(())
    }

    /// Whether `actual` matches.
    pub fn holds(&self, actual: Option<&Value>) -> bool {
        self.check(actual).is_ok()
    }

    /// The value this matcher wants when it is a plain value (for a line diff of long texts).
    pub fn plain(&self) -> Option<&Value> {
        match self.checks.as_slice() {
            [Check::Equals(value)] if value == &self.shown => Some(value),
            _ => None,
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.shown)
    }
}

impl Check {
    fn check(&self, actual: Option<&Value>) -> Result<(), String> {
        if let Check::Absent(absent) = self {
            return match (absent, actual) {
                (true, Some(_)) => Err("is there, and should not be".into()),
                (false, None) => Err("is missing".into()),
                _ => Ok(()),
            };
        }
        let Some(actual) = actual else {
            return Err("is missing".into());
        };
        let fails = |what: String| Err(what);
        match self {
            Check::Equals(expected) if json_eq(expected, actual) => Ok(()),
            Check::Equals(expected) => fails(format!("is not {expected}")),
            Check::Contains(part) if contains(actual, part) => Ok(()),
            Check::Contains(part) => fails(format!("does not contain {part}")),
            Check::Matches(regex) if actual.as_str().is_some_and(|text| regex.is_match(text)) => {
                Ok(())
            }
            Check::Matches(regex) => fails(format!("does not match /{}/", regex.as_str())),
            Check::Length(length) => {
                let n = match actual {
                    Value::String(text) => text.chars().count(),
                    Value::Array(items) => items.len(),
                    Value::Object(map) => map.len(),
                    _ => return fails("has no length (not a string, list or object)".into()),
                };
                length
                    .check(Some(&Value::from(n)))
                    .map_err(|why| format!("has length {n}, which {why}"))
            }
            Check::Min(min) if actual.as_f64().is_some_and(|n| n >= *min) => Ok(()),
            Check::Min(min) => fails(format!("is not a number ≥ {min}")),
            Check::Max(max) if actual.as_f64().is_some_and(|n| n <= *max) => Ok(()),
            Check::Max(max) => fails(format!("is not a number ≤ {max}")),
            Check::OneOf(values) if values.iter().any(|value| json_eq(value, actual)) => Ok(()),
            Check::OneOf(values) => fails(format!("is none of {}", Value::Array(values.clone()))),
            Check::Absent(_) => Ok(()),
        }
    }
}

/// JSON equality where numbers compare by value (`2` equals `2.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

/// A string holding a substring, a list holding an equal element, an object holding every key of
/// `part` with equal values.
fn contains(actual: &Value, part: &Value) -> bool {
    match (actual, part) {
        (Value::String(text), Value::String(part)) => text.contains(part.as_str()),
        (Value::Array(items), part) => items.iter().any(|item| json_eq(item, part)),
        (Value::Object(map), Value::Object(part)) => part
            .iter()
            .all(|(key, value)| map.get(key).is_some_and(|actual| json_eq(actual, value))),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
