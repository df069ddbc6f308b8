//! The schedule of an `ACS::TimerTrigger`: its rendered properties checked once (`TimerSpec`), and
//! its next tick after any instant, in the trigger's IANA time zone (cron, rate, at, EndDate).
//!
//! Wall-clock rule for `cron`, `at` and a local `EndDate`: a local time names the first instant at
//! which the zone's clock shows it or a later time. So a time skipped by a spring-forward gap
//! fires once, right after the gap; a time repeated by a fall-back fires once, at its first
//! occurrence; and a daily 08:00 stays 08:00 local across a change (its UTC instant moves).

use std::sync::OnceLock;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::TriggerError;

const INVALID_TYPE: &str = "InvalidTrigger.Type";
const INVALID_EXPRESSION: &str = "InvalidTrigger.Expression";
const INVALID_TIME_ZONE: &str = "InvalidTrigger.TimeZone";
const INVALID_END_DATE: &str = "InvalidTrigger.EndDate";

/// How a TimerTrigger's `Expression` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimerKind {
    /// Quartz-style cron: `sec min hour day-of-month month day-of-week [year]`.
    Cron,
    /// A fixed period counted from the trigger's start: `30 minutes`, `1 hour`, `2 days`.
    Rate,
    /// One tick at an ISO 8601 date-time.
    At,
}

/// A TimerTrigger's rendered properties, checked once when the trigger starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimerSpec {
    pub kind: TimerKind,
    /// The `Expression`, trimmed.
    pub expression: String,
    /// The IANA time zone the expression (and a local `EndDate`) is read in.
    pub time_zone: String,
    /// No tick after this instant (unix ms), from `EndDate`.
    pub end_ms: Option<i64>,
    /// When the trigger started (unix ms); a `rate` ticks at `anchor_ms + k·period`, k ≥ 1.
    pub anchor_ms: i64,
}

impl TimerSpec {
    /// From the task's rendered Properties (`Type`, `Expression`, `EndDate`, `TimeZone`); `TimeZone`
    /// absent or empty → `default_time_zone`; `now_ms` is the anchor of a `rate`.
    pub fn from_properties(properties: &Value, default_time_zone: &str, now_ms: i64) -> Result<TimerSpec, TriggerError> {
        let kind = match text_property(properties, "Type") {
            Some(kind) if kind.eq_ignore_ascii_case("cron") => TimerKind::Cron,
            Some(kind) if kind.eq_ignore_ascii_case("rate") => TimerKind::Rate,
            Some(kind) if kind.eq_ignore_ascii_case("at") => TimerKind::At,
            _ => return Err(property_error(INVALID_TYPE, properties, "Type", "must be cron, rate or at")),
        };
        let time_zone = match text_property(properties, "TimeZone") {
            Some(name) if !name.trim().is_empty() => name.trim(),
            _ => default_time_zone,
        };
        let zone = zone(time_zone)
            .ok_or_else(|| TriggerError::new(INVALID_TIME_ZONE, format!("TimeZone {time_zone:?} is not an IANA time zone")))?;
        let expression = text_property(properties, "Expression").map(str::trim).unwrap_or_default();
        let expression_problem = match kind {
            TimerKind::Cron => cron_problem(expression),
            TimerKind::Rate => rate_problem(expression),
            TimerKind::At => instant_ms(expression, &zone)
                .is_none()
                .then(|| format!("invalid date-time {expression:?}; expected ISO 8601, e.g. `2026-12-01T08:00:00Z`")),
        };
        if let Some(problem) = expression_problem {
            return Err(TriggerError::new(INVALID_EXPRESSION, format!("Expression: {problem}")));
        }
        let end_ms = match properties.get("EndDate") {
            None | Some(Value::Null) => None,
            Some(Value::String(end)) if end.trim().is_empty() => None,
            Some(Value::String(end)) => Some(instant_ms(end.trim(), &zone).ok_or_else(|| {
                property_error(INVALID_END_DATE, properties, "EndDate", "is not an ISO 8601 date-time (e.g. `2099-12-01T00:00:00Z`)")
            })?),
            Some(_) => return Err(property_error(INVALID_END_DATE, properties, "EndDate", "must be a date-time text")),
        };
        Ok(TimerSpec { kind, expression: expression.to_string(), time_zone: time_zone.to_string(), end_ms, anchor_ms: now_ms })
    }

    /// The first tick strictly after `after_ms` (unix ms), None when none is left (past EndDate, a spent `at`).
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let tick = match self.kind {
            TimerKind::Cron => next_cron_tick(&parse_cron(&self.expression).ok()?, &zone(&self.time_zone)?, after_ms)?,
            TimerKind::Rate => next_rate_tick(rate_period_ms(&self.expression).ok()?, self.anchor_ms, after_ms)?,
            TimerKind::At => instant_ms(&self.expression, &zone(&self.time_zone)?).filter(|&at| at > after_ms)?,
        };
        self.end_ms.is_none_or(|end| tick <= end).then_some(tick)
    }
}

/// Why a cron expression is invalid (for template validation), if it is.
pub fn cron_problem(expression: &str) -> Option<String> {
    parse_cron(expression).err().map(|error| format!("invalid cron expression {expression:?}: {error}"))
}

/// Why a rate expression (`30 minutes`, `1 hour`, `2 days`) is invalid (for template validation), if it is.
pub fn rate_problem(expression: &str) -> Option<String> {
    rate_period_ms(expression).err()
}

fn text_property<'a>(properties: &'a Value, name: &str) -> Option<&'a str> {
    properties.get(name).and_then(Value::as_str)
}

fn property_error(code: &'static str, properties: &Value, name: &str, problem: &str) -> TriggerError {
    let shown = properties.get(name).map_or_else(|| "absent".to_string(), Value::to_string);
    TriggerError::new(code, format!("{name} {problem}, not {shown}"))
}

/// The bundled IANA database, so that results never depend on the machine's zoneinfo files.
fn zone(name: &str) -> Option<TimeZone> {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled).get(name).ok()
}

const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_OF_MONTH: usize = 3;
const MONTH: usize = 4;
const DAY_OF_WEEK: usize = 5;
const YEAR: usize = 6;
/// The years of a cron without a year field (or with `*`): a bounded range, which croner parses
/// in a few µs where `*` (its years 1–5000) takes several times that.
const ANY_YEAR: &str = "1970-2199";

/// Quartz cron: `sec min hour day-of-month month day-of-week [year]`, `?`, 1 = SUN … 7 = SAT.
/// croner parses it; the Quartz rules it does not enforce are checked first: month and weekday
/// names only in their own field, `L` alone as a weekday meaning SAT, and a day given by
/// day-of-month or by day-of-week, not both. Years run 1970–2199.
fn parse_cron(expression: &str) -> Result<Cron, String> {
    let mut fields: Vec<String> = expression.split_whitespace().map(str::to_ascii_uppercase).collect();
    for (index, field) in fields.iter().enumerate() {
        let misplaced = |names: &[&str], own: usize| index != own && names.iter().any(|name| field.contains(name));
        if misplaced(&WEEKDAY_NAMES, DAY_OF_WEEK) || misplaced(&MONTH_NAMES, MONTH) {
            return Err(format!("field {} ({field}) holds a name that belongs to another field", index + 1));
        }
    }
    let restricts = |index: usize| fields.get(index).is_some_and(|field| field != "*" && field != "?");
    if restricts(DAY_OF_MONTH) && restricts(DAY_OF_WEEK) {
        return Err("day-of-month and day-of-week are both given; make one of them `?`".to_string());
    }
    if let Some(weekday) = fields.get_mut(DAY_OF_WEEK).filter(|field| *field == "L") {
        *weekday = "7".to_string();
    }
    if fields.len() == YEAR {
        fields.push(ANY_YEAR.to_string());
    } else if let Some(year) = fields.get_mut(YEAR).filter(|year| *year == "*") {
        *year = ANY_YEAR.to_string();
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .alternative_weekdays(true)
        .sloppy_ranges(true)
        .build()
        .parse(&fields.join(" "))
        .map_err(|error| error.to_string())
}

fn next_cron_tick(cron: &Cron, zone: &TimeZone, after_ms: i64) -> Option<i64> {
    let after = Timestamp::from_second(after_ms.div_euclid(1000)).ok()?;
    let next: DateTime = cron.find_next_occurrence(&latest_wall_clock(zone, after)?, false).ok()?;
    Some(first_instant_showing(zone, next)?.as_millisecond())
}

/// The latest wall-clock time the zone's clock has shown at or before `instant`: its own, except
/// in the repeat after a fall-back, where the clock already showed up to the end of the repeated
/// range before the change.
fn latest_wall_clock(zone: &TimeZone, instant: Timestamp) -> Option<DateTime> {
    let wall_clock = zone.to_datetime(instant);
    match zone.to_ambiguous_timestamp(wall_clock).offset() {
        AmbiguousOffset::Fold { after, .. } if zone.to_offset(instant) == after => {
            let change = zone.preceding(instant.checked_add(SignedDuration::from_nanos(1)).ok()?).next()?;
            Some(zone.to_datetime(change.timestamp().checked_sub(SignedDuration::from_secs(1)).ok()?))
        }
        _ => Some(wall_clock),
    }
}

/// The first instant at which the zone's clock shows `wall_clock` or a later time.
fn first_instant_showing(zone: &TimeZone, wall_clock: DateTime) -> Option<Timestamp> {
    match zone.to_ambiguous_timestamp(wall_clock).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(wall_clock).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(wall_clock).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            let before_gap = after.to_timestamp(wall_clock).ok()?;
            Some(zone.following(before_gap).next()?.timestamp())
        }
    }
}

fn rate_period_ms(expression: &str) -> Result<i64, String> {
    let invalid = || format!("invalid rate expression {expression:?}; expected e.g. `30 minutes`, `1 hour`, `2 days`");
    let mut words = expression.split_whitespace();
    let (Some(count), Some(unit), None) = (words.next(), words.next(), words.next()) else { return Err(invalid()) };
    let unit_ms: i64 = match unit.to_ascii_lowercase().as_str() {
        "minute" | "minutes" => 60_000,
        "hour" | "hours" => 3_600_000,
        "day" | "days" => 86_400_000,
        _ => return Err(invalid()),
    };
    count.parse::<i64>().ok().filter(|&count| count > 0).and_then(|count| count.checked_mul(unit_ms)).ok_or_else(invalid)
}

fn next_rate_tick(period_ms: i64, anchor_ms: i64, after_ms: i64) -> Option<i64> {
    let periods_done = after_ms.checked_sub(anchor_ms)?.div_euclid(period_ms).max(0);
    periods_done.checked_add(1)?.checked_mul(period_ms)?.checked_add(anchor_ms)
}

/// An ISO 8601 date-time as unix ms: absolute with `Z` or an offset, else local time in `zone`.
fn instant_ms(text: &str, zone: &TimeZone) -> Option<i64> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Some(instant.as_millisecond());
    }
    Some(first_instant_showing(zone, text.parse::<DateTime>().ok()?)?.as_millisecond())
}

/// Whether `name` is an IANA time zone this build knows (for settings such as a server's default).
pub fn check_time_zone(name: &str) -> Result<(), TriggerError> {
    zone(name).map(|_| ()).ok_or_else(|| TriggerError::new(INVALID_TIME_ZONE, format!("{name:?} is not an IANA time zone")))
}
