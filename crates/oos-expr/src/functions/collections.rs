//! List and map functions: Select, First, Last, Min, Max, Sum, ListJoin, MergeList, MergeMap,
//! MergeMapToList, ConvertMapToList, MapJoin, Intersection, Union, Difference, RangeSelect,
//! CalculateBatch.

use serde_json::{Map, Value};

use super::args::{
    as_list, int_arg, list_arg, map_arg, number_arg, positional, shape_error, text_arg,
};
use super::logic::tolerant_equal;
use crate::error::{ExprError, codes};
use crate::value_type::number_from_f64;

/// `Fn::Select: [index, list]` (negative index counts from the end) or `[key, map]`.
pub(super) fn select(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[index, list] or [key, map]";
    let [selector, container] = positional("Select", EXPECTED, argument)?;
    let container = match as_list(container) {
        Ok(items) => {
            let index = int_arg("Select", &selector)?;
            let position = if index < 0 {
                i64::try_from(items.len()).unwrap_or(i64::MAX) + index
            } else {
                index
            };
            return usize::try_from(position)
                .ok()
                .and_then(|position| items.into_iter().nth(position))
                .ok_or_else(|| {
                    ExprError::new(
                        codes::INDEX_OUT_OF_RANGE,
                        format!("Fn::Select: index {index} is out of range"),
                    )
                });
        }
        Err(other) => other,
    };
    let mut map = map_arg("Select", EXPECTED, container)?;
    let key = text_arg("Select", EXPECTED, &selector)?;
    map.remove(&key).ok_or_else(|| {
        let known: Vec<&String> = map.keys().collect();
        ExprError::new(
            codes::INDEX_OUT_OF_RANGE,
            format!("Fn::Select: key {key:?} is not one of {known:?}"),
        )
    })
}

/// `Fn::First: list` / `Fn::Last: list`; `null` for an empty list.
pub(super) fn first_last(name: &str, argument: Value) -> Result<Value, ExprError> {
    let items = list_arg(name, "a list", argument)?;
    let item = if name == "First" {
        items.into_iter().next()
    } else {
        items.into_iter().last()
    };
    Ok(item.unwrap_or(Value::Null))
}

/// `Fn::Min: list` / `Fn::Max: list` of numbers (or numeric text); `null` for an empty list.
pub(super) fn min_max(name: &str, argument: Value) -> Result<Value, ExprError> {
    let mut best: Option<(f64, Value)> = None;
    for item in list_arg(name, "a list of numbers", argument)? {
        let number = number_arg(name, &item)?;
        let better = best.as_ref().is_none_or(|(current, _)| {
            if name == "Min" {
                number < *current
            } else {
                number > *current
            }
        });
        if better {
            best = Some((number, item));
        }
    }
    Ok(best.map_or(Value::Null, |(_, item)| item))
}

/// `Fn::Sum: list` of numbers (or numeric text); `0` for an empty list.
pub(super) fn sum(argument: Value) -> Result<Value, ExprError> {
    let mut total = 0.0;
    for item in list_arg("Sum", "a list of numbers", argument)? {
        total += number_arg("Sum", &item)?;
    }
    number_from_f64(total)
        .ok_or_else(|| ExprError::new(codes::TYPE_MISMATCH, "Fn::Sum: the sum is not finite"))
}

/// `Fn::ListJoin: [v1, v2, …]`: one list of the values, a value that is a list contributing its elements.
/// `Fn::MergeList: [list1, list2, …]`: the lists concatenated (non-list elements kept as elements).
pub(super) fn concat(name: &str, argument: Value) -> Result<Value, ExprError> {
    let mut joined = Vec::new();
    for item in list_arg(name, "a list", argument)? {
        match item {
            Value::Array(inner) => joined.extend(inner),
            other => joined.push(other),
        }
    }
    Ok(Value::Array(joined))
}

/// `Fn::MergeMap: [map1, map2, …]`: later keys win.
pub(super) fn merge_map(argument: Value) -> Result<Value, ExprError> {
    let mut merged = Map::new();
    for item in list_arg("MergeMap", "a list of maps", argument)? {
        merged.extend(map_arg("MergeMap", "a list of maps", item)?);
    }
    Ok(Value::Object(merged))
}

/// `Fn::MergeMapToList: [{k1: [a0, a1]}, {k2: [b0, b1]}]` → `[{k1: a0, k2: b0}, {k1: a1, k2: b1}]`;
/// the result is as long as the longest list, shorter lists leaving their key out.
pub(super) fn merge_map_to_list(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "a list of {key: list} maps";
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    for item in list_arg("MergeMapToList", EXPECTED, argument)? {
        for (key, values) in map_arg("MergeMapToList", EXPECTED, item)? {
            for (index, value) in list_arg("MergeMapToList", EXPECTED, values)?
                .into_iter()
                .enumerate()
            {
                if rows.len() <= index {
                    rows.resize_with(index + 1, Map::new);
                }
                rows[index].insert(key.clone(), value);
            }
        }
    }
    Ok(Value::Array(rows.into_iter().map(Value::Object).collect()))
}

/// `Fn::ConvertMapToList: map` (or `[map]`) → `[{Key: k, Value: v}, …]`.
pub(super) fn convert_map_to_list(argument: Value) -> Result<Value, ExprError> {
    let map = match argument {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    };
    let entries = map_arg("ConvertMapToList", "a map", map)?
        .into_iter()
        .map(|(key, value)| serde_json::json!({ "Key": key, "Value": value }))
        .collect();
    Ok(Value::Array(entries))
}

/// `Fn::MapJoin: [keys, values]` → map (lists of equal length).
pub(super) fn map_join(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[keys, values] lists of equal length";
    let [keys, values] = positional("MapJoin", EXPECTED, argument)?;
    let keys = list_arg("MapJoin", EXPECTED, keys)?;
    let values = list_arg("MapJoin", EXPECTED, values)?;
    if keys.len() != values.len() {
        return Err(shape_error(
            "MapJoin",
            EXPECTED,
            &serde_json::json!([keys.len(), values.len()]),
        ));
    }
    let mut map = Map::new();
    for (key, value) in keys.iter().zip(values) {
        map.insert(text_arg("MapJoin", EXPECTED, key)?, value);
    }
    Ok(Value::Object(map))
}

/// `Fn::Intersection` / `Fn::Union` / `Fn::Difference: [list1, list2, …]`, in first-list order,
/// without duplicates (elements compared with `Fn::Equals`' tolerant equality).
pub(super) fn set_operation(name: &str, argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "a list of lists";
    let lists = list_arg(name, EXPECTED, argument)?
        .into_iter()
        .map(|list| list_arg(name, EXPECTED, list))
        .collect::<Result<Vec<_>, _>>()?;
    let Some((first, others)) = lists.split_first() else {
        return Ok(Value::Array(Vec::new()));
    };
    let contains =
        |list: &[Value], item: &Value| list.iter().any(|other| tolerant_equal(other, item));
    let candidates: Box<dyn Iterator<Item = &Value>> = match name {
        "Union" => Box::new(lists.iter().flatten()),
        "Intersection" => Box::new(
            first
                .iter()
                .filter(|item| others.iter().all(|list| contains(list, item))),
        ),
        _ => Box::new(
            first
                .iter()
                .filter(|item| !others.iter().any(|list| contains(list, item))),
        ),
    };
    let mut result: Vec<Value> = Vec::new();
    for item in candidates {
        if !contains(&result, item) {
            result.push(item.clone());
        }
    }
    Ok(Value::Array(result))
}

/// `Fn::RangeSelect: [start, end, list]`: the slice `list[start:end]` with Python semantics (negative
/// positions count from the end, `end` exclusive, out-of-range positions clamped).
pub(super) fn range_select(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[start, end, list]";
    let [start, end, list] = positional("RangeSelect", EXPECTED, argument)?;
    let items = list_arg("RangeSelect", EXPECTED, list)?;
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let clamp = |position: i64| {
        let absolute = if position < 0 {
            len + position
        } else {
            position
        };
        usize::try_from(absolute.clamp(0, len)).unwrap_or(0)
    };
    let (start, end) = (
        clamp(int_arg("RangeSelect", &start)?),
        clamp(int_arg("RangeSelect", &end)?),
    );
    Ok(Value::Array(if start < end {
        items[start..end].to_vec()
    } else {
        Vec::new()
    }))
}

/// `Fn::CalculateBatch: [batchCount, items]`: the concurrency that runs `items` in `batchCount` waves,
/// `ceil(len / batchCount)`, at least 1.
pub(super) fn calculate_batch(argument: Value) -> Result<Value, ExprError> {
    const EXPECTED: &str = "[batchCount, items]";
    let [count, items] = positional("CalculateBatch", EXPECTED, argument)?;
    let count = int_arg("CalculateBatch", &count)?;
    if count < 1 {
        return Err(ExprError::new(
            codes::TYPE_MISMATCH,
            format!("Fn::CalculateBatch: batch count {count} is not positive"),
        ));
    }
    let len = i64::try_from(list_arg("CalculateBatch", EXPECTED, items)?.len()).unwrap_or(i64::MAX);
    Ok(Value::from(((len + count - 1) / count).max(1)))
}
