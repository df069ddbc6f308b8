//! Loop rate control (`Loop.RateControl`, legacy `Concurrency`/`MaxErrors`), typed after evaluation.

use serde_json::{Map, Value};

/// A count or a percentage of the loop items (`10` or `"10%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Count(u64),
    Percent(f64),
}

impl Amount {
    /// Reads `10`, `"10"` or `"10%"`.
    pub fn parse(value: &Value) -> Option<Self> {
        match value {
            Value::Number(number) => number.as_u64().map(Amount::Count),
            Value::String(text) => {
                let text = text.trim();
                match text.strip_suffix('%') {
                    Some(percent) => percent.trim().parse().ok().filter(|p: &f64| (0.0..=100.0).contains(p)).map(Amount::Percent),
                    None => text.parse().ok().map(Amount::Count),
                }
            }
            _ => None,
        }
    }

    /// The absolute number for `total` items (percentages round up, at least 1 when positive).
    pub fn resolve(self, total: u64) -> u64 {
        match self {
            Amount::Count(count) => count,
            Amount::Percent(percent) => {
                // Exact enough: item counts are far below 2^52.
                #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let resolved = (total as f64 * percent / 100.0).ceil() as u64;
                resolved
            }
        }
    }
}

/// When a Batch-mode loop pauses between batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchPause {
    Automatic,
    FirstBatchPause,
    EveryBatchPause,
}

/// How loop iterations are scheduled.
#[derive(Debug, Clone, PartialEq)]
pub enum RateMode {
    /// At most `concurrency` iterations at once.
    Concurrency { concurrency: Amount },
    /// Items split into batches (sizes as counts or percentages), each with its own concurrency.
    Batch { batches: Vec<Amount>, concurrency_in_batches: Vec<u64>, pause: BatchPause },
}

/// A typed rate control.
#[derive(Debug, Clone, PartialEq)]
pub struct RateControl {
    pub mode: RateMode,
    /// Failed iterations tolerated before the loop task fails (default 0).
    pub max_errors: Amount,
}

impl Default for RateControl {
    /// Concurrency 1, MaxErrors 0 (the documented defaults).
    fn default() -> Self {
        Self { mode: RateMode::Concurrency { concurrency: Amount::Count(1) }, max_errors: Amount::Count(0) }
    }
}

fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value)
}

impl RateControl {
    /// Reads an evaluated rate control object. `legacy_concurrency`/`legacy_max_errors` are the flat
    /// `Loop.Concurrency`/`Loop.MaxErrors` keys, used when the object does not set them.
    pub fn from_value(
        value: Option<&Value>,
        legacy_concurrency: Option<&Value>,
        legacy_max_errors: Option<&Value>,
    ) -> Result<Self, String> {
        let empty = Map::new();
        let map = match value {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(map)) => map,
            Some(other) => return Err(format!("RateControl must be an object, not {other}")),
        };
        let amount = |key: &str, value: Option<&Value>| -> Result<Option<Amount>, String> {
            value
                .map(|value| Amount::parse(value).ok_or_else(|| format!("{key} must be a number or a percentage like \"10%\", not {value}")))
                .transpose()
        };
        let max_errors = amount("MaxErrors", field(map, "MaxErrors").or(legacy_max_errors))?.unwrap_or(Amount::Count(0));
        let mode_name = field(map, "Mode").and_then(Value::as_str).unwrap_or("Concurrency");
        let mode = if mode_name.eq_ignore_ascii_case("Batch") {
            let batches = match field(map, "Batch") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| amount("Batch", Some(item)).map(|a| a.unwrap_or(Amount::Count(1))))
                    .collect::<Result<Vec<_>, _>>()?,
                Some(single) => vec![amount("Batch", Some(single))?.unwrap_or(Amount::Count(1))],
                None => return Err("Batch mode needs `Batch` (batch sizes)".to_owned()),
            };
            let concurrency_in_batches = match field(map, "ConcurrencyInBatches") {
                None => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| match Amount::parse(item) {
                        Some(Amount::Count(count)) => Ok(count),
                        _ => Err(format!("ConcurrencyInBatches entries must be numbers, not {item}")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => return Err(format!("ConcurrencyInBatches must be a list, not {other}")),
            };
            let pause = match field(map, "BatchPauseOption").and_then(Value::as_str) {
                None => BatchPause::Automatic,
                Some(text) if text.eq_ignore_ascii_case("Automatic") => BatchPause::Automatic,
                Some(text) if text.eq_ignore_ascii_case("FirstBatchPause") => BatchPause::FirstBatchPause,
                Some(text) if text.eq_ignore_ascii_case("EveryBatchPause") => BatchPause::EveryBatchPause,
                Some(text) => return Err(format!("unknown BatchPauseOption `{text}`")),
            };
            RateMode::Batch { batches, concurrency_in_batches, pause }
        } else if mode_name.eq_ignore_ascii_case("Concurrency") {
            let concurrency = amount("Concurrency", field(map, "Concurrency").or(legacy_concurrency))?.unwrap_or(Amount::Count(1));
            RateMode::Concurrency { concurrency }
        } else {
            return Err(format!("unknown rate control Mode `{mode_name}`; expected Concurrency or Batch"));
        };
        Ok(Self { mode, max_errors })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_concurrency_batch_and_legacy_forms() {
        let concurrency = RateControl::from_value(Some(&json!({"Mode": "Concurrency", "Concurrency": "20%", "MaxErrors": 2})), None, None).unwrap();
        assert_eq!(concurrency.mode, RateMode::Concurrency { concurrency: Amount::Percent(20.0) });
        assert_eq!(concurrency.max_errors, Amount::Count(2));
        let legacy = RateControl::from_value(None, Some(&json!(10)), Some(&json!("100%"))).unwrap();
        assert_eq!(legacy.mode, RateMode::Concurrency { concurrency: Amount::Count(10) });
        assert_eq!(legacy.max_errors.resolve(7), 7);
        let batch = RateControl::from_value(Some(&json!({"Mode": "Batch", "Batch": [1, "50%"], "ConcurrencyInBatches": [1, 5], "BatchPauseOption": "FirstBatchPause"})), None, None).unwrap();
        assert_eq!(batch.mode, RateMode::Batch { batches: vec![Amount::Count(1), Amount::Percent(50.0)], concurrency_in_batches: vec![1, 5], pause: BatchPause::FirstBatchPause });
        assert!(RateControl::from_value(Some(&json!({"Mode": "Parallel"})), None, None).is_err());
        assert!(RateControl::from_value(Some(&json!({"Concurrency": "abc"})), None, None).is_err());
    }
}
