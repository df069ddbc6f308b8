//! Conversion between `serde_json::Value` and jaq's `Val`.

use jaq_json::{Map, Num, Rc, Val};
use serde_json::Value;

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

/// A JSON value from a jaq value. Byte strings become (lossy) text, non-string object keys their
/// JSON text, NaN and infinities `null`.
pub(super) fn from_val(val: &Val) -> Value {
    match val {
        Val::Null => Value::Null,
        Val::Bool(flag) => Value::Bool(*flag),
        Val::Num(num) => from_num(num),
        Val::TStr(bytes) | Val::BStr(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
        Val::Arr(items) => Value::Array(items.iter().map(from_val).collect()),
        Val::Obj(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let key = match key {
                        Val::TStr(bytes) | Val::BStr(bytes) => {
                            String::from_utf8_lossy(bytes).into_owned()
                        }
                        other => other.to_string(),
                    };
                    (key, from_val(item))
                })
                .collect(),
        ),
    }
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
