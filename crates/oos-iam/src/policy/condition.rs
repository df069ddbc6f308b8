//! Condition operators (`StringEquals`, `IpAddress`, `DateLessThan`, ...): typed policy values parsed up
//! front, and evaluation against the request context's values for one key.

use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;

use super::glob;

/// Ordering test of the numeric and date operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// What an operator compares and how; negation is kept apart in [`Operator::negated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorFamily {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    IpAddress,
}

/// A condition operator: a family plus whether it is the `Not` form
/// (a negated operator is exactly the negation of its positive form, key by key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub family: OperatorFamily,
    pub negated: bool,
}

use Comparison::*;
use OperatorFamily as F;

/// Every operator RAM documents, by name.
pub const OPERATORS: &[(&str, OperatorFamily, bool)] = &[
    ("StringEquals", F::StringEquals, false),
    ("StringNotEquals", F::StringEquals, true),
    ("StringEqualsIgnoreCase", F::StringEqualsIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", F::StringEqualsIgnoreCase, true),
    ("StringLike", F::StringLike, false),
    ("StringNotLike", F::StringLike, true),
    ("NumericEquals", F::Numeric(Equals), false),
    ("NumericNotEquals", F::Numeric(Equals), true),
    ("NumericLessThan", F::Numeric(LessThan), false),
    ("NumericLessThanEquals", F::Numeric(LessThanEquals), false),
    ("NumericGreaterThan", F::Numeric(GreaterThan), false),
    (
        "NumericGreaterThanEquals",
        F::Numeric(GreaterThanEquals),
        false,
    ),
    ("DateEquals", F::Date(Equals), false),
    ("DateNotEquals", F::Date(Equals), true),
    ("DateLessThan", F::Date(LessThan), false),
    ("DateLessThanEquals", F::Date(LessThanEquals), false),
    ("DateGreaterThan", F::Date(GreaterThan), false),
    ("DateGreaterThanEquals", F::Date(GreaterThanEquals), false),
    ("Bool", F::Bool, false),
    ("IpAddress", F::IpAddress, false),
    ("NotIpAddress", F::IpAddress, true),
];

impl Operator {
    /// Looks an operator up by name, ignoring case.
    pub fn from_name(name: &str) -> Option<Operator> {
        OPERATORS
            .iter()
            .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, family, negated)| Operator { family, negated })
    }

    /// The operator's canonical name.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, family, negated)| *family == self.family && *negated == self.negated)
            .map(|(name, _, _)| *name)
            .unwrap_or("?")
    }
}

/// The policy-side values of one condition, already converted to the operator's type.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionValues {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
    Dates(Vec<Timestamp>),
    Bools(Vec<bool>),
    Networks(Vec<IpNet>),
}

/// One `Operator: {Key: values}` test.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    /// The context key, lower-cased (keys are case-insensitive).
    pub key: String,
    pub values: ConditionValues,
}

/// Converts one raw policy value (already rendered as a string) for `family`; `Err` says what was expected.
pub fn convert_values(
    family: OperatorFamily,
    raw: &[String],
) -> Result<ConditionValues, (usize, &'static str)> {
    fn each<T>(
        raw: &[String],
        expected: &'static str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, (usize, &'static str)> {
        raw.iter()
            .enumerate()
            .map(|(i, v)| f(v).ok_or((i, expected)))
            .collect()
    }
    Ok(match family {
        F::StringEquals | F::StringEqualsIgnoreCase | F::StringLike => {
            ConditionValues::Strings(raw.to_vec())
        }
        F::Numeric(_) => ConditionValues::Numbers(each(raw, "a number", parse_number)?),
        F::Date(_) => ConditionValues::Dates(each(
            raw,
            "an ISO-8601 date/time or epoch seconds",
            parse_date,
        )?),
        F::Bool => ConditionValues::Bools(each(raw, "true or false", parse_bool)?),
        F::IpAddress => ConditionValues::Networks(each(
            raw,
            "an IPv4/IPv6 address or CIDR block",
            parse_network,
        )?),
    })
}

impl Condition {
    /// Evaluates against the context's values for this key (`None`: the key is absent).
    /// The positive form holds when any context value matches any policy value; an absent key or a
    /// context value that cannot be read as the operator's type never matches. Negated forms invert it.
    pub fn holds(&self, context_values: Option<&[String]>) -> bool {
        let positive = context_values
            .unwrap_or_default()
            .iter()
            .any(|actual| self.matches_one(actual));
        positive != self.operator.negated
    }

    fn matches_one(&self, actual: &str) -> bool {
        match (&self.values, self.operator.family) {
            (ConditionValues::Strings(wanted), F::StringEquals) => {
                wanted.iter().any(|w| w == actual)
            }
            (ConditionValues::Strings(wanted), F::StringEqualsIgnoreCase) => wanted
                .iter()
                .any(|w| w.to_lowercase() == actual.to_lowercase()),
            (ConditionValues::Strings(wanted), F::StringLike) => {
                wanted.iter().any(|w| glob::matches(w, actual))
            }
            (ConditionValues::Numbers(wanted), F::Numeric(cmp)) => parse_number(actual)
                .is_some_and(|a| wanted.iter().any(|w| compare(cmp, a.partial_cmp(w)))),
            (ConditionValues::Dates(wanted), F::Date(cmp)) => parse_date(actual)
                .is_some_and(|a| wanted.iter().any(|w| compare(cmp, Some(a.cmp(w))))),
            (ConditionValues::Bools(wanted), F::Bool) => {
                parse_bool(actual).is_some_and(|a| wanted.contains(&a))
            }
            (ConditionValues::Networks(wanted), F::IpAddress) => actual
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| wanted.iter().any(|net| net.contains(&ip))),
            _ => false,
        }
    }
}

fn compare(cmp: Comparison, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (cmp, ordering),
        (Equals, Some(Equal))
            | (LessThan, Some(Less))
            | (LessThanEquals, Some(Less | Equal))
            | (GreaterThan, Some(Greater))
            | (GreaterThanEquals, Some(Greater | Equal))
    )
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Accepts RFC 3339 / ISO-8601 with an offset (`2026-01-01T08:00:00+08:00`, `...Z`), a local date-time or a
/// bare date (both read as UTC), or integer epoch seconds.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Timestamp::from_second(seconds).ok();
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
}

/// A CIDR block, or a bare address meaning a single host (`/32` or `/128`).
fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}
