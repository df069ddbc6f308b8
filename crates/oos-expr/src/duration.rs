//! Durations of `ACS::Sleep`: ISO-8601 (`PT10S`, `P1DT2H`) and short forms (`10s`, `4m`, `2H`, `1d`).

use std::time::Duration;

use crate::error::{ExprError, codes};

/// Parses an ISO-8601 duration (`PT10S`, `PT1M`, `P1DT2H`, `PT0.5S`) or a short form `<n><unit>` with
/// unit `s`, `m`, `h` or `d` (`10s`, `4m`, `1M`, `2H`, `1d`); letters are case-insensitive, so `1M` is
/// one minute. A bare number is seconds. Years and months (`P1Y`, `P1M`) are rejected as ambiguous.
pub fn parse_duration(text: &str) -> Result<Duration, ExprError> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let seconds = match upper.strip_prefix('P') {
        Some(iso) => parse_iso(iso),
        None => parse_short(&upper),
    };
    seconds
        .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs < 1.0e12)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            ExprError::new(
                codes::INVALID_DURATION,
                format!(
                    "invalid duration {text:?}; expected e.g. PT10S, PT1M, P1DT2H, 10s, 4m, 2h, 1d"
                ),
            )
        })
}

/// Seconds in one unit letter of the short or ISO forms.
fn unit_seconds(unit: char) -> Option<f64> {
    match unit {
        'S' => Some(1.0),
        'M' => Some(60.0),
        'H' => Some(3600.0),
        'D' => Some(86_400.0),
        'W' => Some(604_800.0),
        _ => None,
    }
}

fn parse_short(text: &str) -> Option<f64> {
    if let Ok(secs) = text.parse::<f64>() {
        return Some(secs);
    }
    let unit = text.chars().last()?;
    let number: f64 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    Some(number * unit_seconds(unit)?)
}

/// Sums `<number><unit>` groups of an ISO duration body (after `P`); `M` means minutes only after `T`.
fn parse_iso(body: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut in_time = false;
    let mut number = String::new();
    let mut groups = 0;
    for ch in body.chars() {
        match ch {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if ch == ',' { '.' } else { ch }),
            'D' | 'W' if !in_time => {
                total += number.parse::<f64>().ok()? * unit_seconds(ch)?;
                number.clear();
                groups += 1;
            }
            'H' | 'M' | 'S' if in_time => {
                total += number.parse::<f64>().ok()? * unit_seconds(ch)?;
                number.clear();
                groups += 1;
            }
            _ => return None,
        }
    }
    (number.is_empty() && groups > 0).then_some(total)
}
