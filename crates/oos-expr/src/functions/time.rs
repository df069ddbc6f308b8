//! Time functions on UTC timestamps: AddHour, FormatUTCTime, DurationBetween.

use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::args::{number_arg, positional, text_arg, text_pair};
use crate::error::{ExprError, codes};

/// The format of timestamps that functions return (and of `ACS::CurrentUTCTime`).
pub const UTC_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// `Fn::AddHour: [utcTime, hours]` → `utcTime + hours` (hours may be negative or fractional) in
/// [`UTC_FORMAT`].
pub(super) fn add_hour(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[utcTime, hours]";
    let [time, hours] = positional("AddHour", EXPECTED, argument)?;
    let time = parse_timestamp("AddHour", &text_arg("AddHour", EXPECTED, &time)?)?;
    let hours = number_arg("AddHour", &hours)?;
    let shifted = SignedDuration::try_from_secs_f64(hours * 3600.0)
        .ok()
        .and_then(|offset| time.checked_add(offset).ok())
        .ok_or_else(|| {
            ExprError::new(
                codes::INVALID_TIME,
                format!("Fn::AddHour: {hours} hours is out of range"),
            )
        })?;
    format_utc("AddHour", shifted, UTC_FORMAT)
}

/// `Fn::FormatUTCTime: [utcTime, strftimeFormat]` (e.g. `%Y-%m-%dT%H:%MZ`).
pub(super) fn format_utc_time(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[utcTime, format]";
    let [time, format] = positional("FormatUTCTime", EXPECTED, argument)?;
    let time = parse_timestamp(
        "FormatUTCTime",
        &text_arg("FormatUTCTime", EXPECTED, &time)?,
    )?;
    format_utc(
        "FormatUTCTime",
        time,
        &text_arg("FormatUTCTime", EXPECTED, &format)?,
    )
}

/// `Fn::DurationBetween: [from, to]` → ISO-8601 seconds duration (`PT3600S`) usable as `ACS::Sleep`
/// `Duration`. Times of day (`HH:MM[:SS]` with `Z`, an offset such as `+08:00` / `+0800`, or none:
/// the console's `HH:mm:ssZ`) measure forward to the next occurrence of `to` (across
/// midnight when `to` is earlier); full timestamps give `to - from`, `PT0S` when `to` is not later.
pub(super) fn duration_between(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[from, to]";
    let (from, to) = text_pair("DurationBetween", EXPECTED, argument)?;
    let seconds = match (parse_time_of_day(&from), parse_time_of_day(&to)) {
        (Some(from), Some(to)) => (to - from).rem_euclid(86_400),
        _ => {
            let (from, to) = (
                parse_timestamp("DurationBetween", &from)?,
                parse_timestamp("DurationBetween", &to)?,
            );
            to.as_second().saturating_sub(from.as_second()).max(0)
        }
    };
    Ok(Value::String(format!("PT{seconds}S")))
}

/// Seconds since midnight UTC of `HH:MM[:SS]` followed by `Z`, an offset (`+08:00`, `-0530`) or nothing (UTC).
fn parse_time_of_day(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    let (bare, offset) = match trimmed.rfind(['+', '-']) {
        Some(at) if at >= 4 => (&trimmed[..at], offset_seconds(&trimmed[at..])?),
        _ => (trimmed.strip_suffix(['Z', 'z']).unwrap_or(trimmed), 0),
    };
    if !bare
        .chars()
        .all(|ch| ch.is_ascii_digit() || ch == ':' || ch == '.')
    {
        return None;
    }
    let time: Time = bare.parse().ok()?;
    Some(i64::from(time.hour()) * 3600 + i64::from(time.minute()) * 60 + i64::from(time.second()) - offset)
}

/// Seconds east of UTC of `+HH:MM`, `+HHMM` or `+HH` (or `-…`).
fn offset_seconds(text: &str) -> Option<i64> {
    let (sign, digits) = match text.split_at(1) {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|ch| *ch != ':').collect();
    if !digits.chars().all(|ch| ch.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A UTC timestamp from RFC 3339 text (`2024-05-01T08:00:00Z`, `2024-05-01T08:00Z`, with offset) or an
/// offset-less date-time / date taken as UTC.
pub(crate) fn parse_timestamp(name: &str, text: &str) -> Result<Timestamp, ExprError> {
    let trimmed = text.trim();
    trimmed
        .parse::<Timestamp>()
        .ok()
        .or_else(|| {
            trimmed
                .parse::<DateTime>()
                .ok()
                .and_then(|civil| civil.to_zoned(TimeZone::UTC).ok())
                .map(|zoned| zoned.timestamp())
        })
        .ok_or_else(|| {
            ExprError::new(
                codes::INVALID_TIME,
                format!("Fn::{name}: {text:?} is not a UTC time such as 2024-05-01T08:00:00Z"),
            )
        })
}

fn format_utc(name: &str, time: Timestamp, format: &str) -> Result<Value, ExprError> {
    jiff::fmt::strtime::format(format, &time.to_zoned(TimeZone::UTC))
        .map(Value::String)
        .map_err(|error| {
            ExprError::new(
                codes::INVALID_FUNCTION,
                format!("Fn::{name}: format {format:?}: {error}"),
            )
        })
}
