//! Conversion between `serde_json::Value` and jaq's `Val`.

use jaq_json::{Map, Num, Rc, Val};
use serde_json::Value;

use crate::limits::MAX_OUTPUT_DEPTH;
use crate::value_type::number_from_f64;

/// A jaq value from a JSON value (object key order is kept).
pub(super) fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(flag) => Val::Bool(*flag),
        Value::Number(number) => match number.as_i64().and_then(|int| isize::try_from(int).ok()) {
            Some(int) => Val::Num(Num::Int(int)),
            None => Val::Num(Num::from_dec_str(&number.to_string())),
        },
        Value::String(text) => Val::utf8_str(text.clone()),
        Value::Array(items) => Val::Arr(Rc::new(items.iter().map(to_val).collect())),
        Value::Object(map) => {
            let mut entries = Map::default();
            for (key, item) in map {
                entries.insert(Val::utf8_str(key.clone()), to_val(item));
            }
            Val::obj(entries)
        }
    }
}

/// A JSON value from a jaq value, or `None` when it is larger (as JSON text) than `budget` bytes,
/// which shrinks by what was converted, or nests deeper than [`MAX_OUTPUT_DEPTH`]; so a value built
/// of shared parts (`[., .]` applied 60 times) is refused after `budget` bytes, not walked for ever.
/// Byte strings become (lossy) text, non-string object keys their JSON text, NaN and infinities `null`.
pub(super) fn from_val(val: &Val, budget: &mut usize) -> Option<Value> {
    bounded(val, 0, budget)
}

fn bounded(val: &Val, depth: usize, budget: &mut usize) -> Option<Value> {
    if depth > MAX_OUTPUT_DEPTH {
        return None;
    }
    let spend = |budget: &mut usize, bytes: usize| budget.checked_sub(bytes).map(|left| *budget = left);
    Some(match val {
        Val::Null => {
            spend(budget, 4)?;
            Value::Null
        }
        Val::Bool(flag) => {
            spend(budget, 5)?;
            Value::Bool(*flag)
        }
        Val::Num(num) => {
            spend(budget, 8)?;
            from_num(num)
        }
        Val::TStr(bytes) | Val::BStr(bytes) => {
            spend(budget, bytes.len() + 2)?;
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
        Val::Arr(items) => {
            spend(budget, items.len() + 2)?;
            let mut converted = Vec::with_capacity(items.len());
            for item in items.iter() {
                converted.push(bounded(item, depth + 1, budget)?);
            }
            Value::Array(converted)
        }
        Val::Obj(map) => {
            spend(budget, map.len() + 2)?;
            let mut converted = serde_json::Map::with_capacity(map.len());
            for (key, item) in map.iter() {
                let key = match key {
                    Val::TStr(bytes) | Val::BStr(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                    other => bounded(other, depth + 1, budget)?.to_string(),
                };
                spend(budget, key.len() + 3)?;
                converted.insert(key, bounded(item, depth + 1, budget)?);
            }
            Value::Object(converted)
        }
    })
}

fn from_num(num: &Num) -> Value {
    match num {
        Num::Int(int) => Value::from(*int as i64),
        Num::Float(float) => number_from_f64(*float).unwrap_or(Value::Null),
        Num::BigInt(_) | Num::Dec(_) => {
            let text = num.to_string();
            text.parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .ok()
                .or_else(|| text.parse::<f64>().ok().and_then(number_from_f64))
                .unwrap_or(Value::Null)
        }
    }
}
