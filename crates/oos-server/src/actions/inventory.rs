//! Inventory: GetInventorySchema (the types a managed instance can report, with their attributes)
//! and ListInventoryEntries (what an instance's agent last collected of one type, filtered and
//! paged).

use oos_acs::{AcsError, RpcRequest};
use oos_assistant::commands::INSTANCE_NOT_FOUND;
use oos_template::state::{INVENTORY_SCHEMA_VERSION, INVENTORY_TYPES, inventory_type};
use serde_json::{Map, Value, json};

use super::common::{Page, date};
use crate::api::{Api, Fields};
use crate::error;

/// Most `Filter.N` a request may carry, and values per filter.
const MAX_FILTERS: usize = 5;
const MAX_FILTER_VALUES: usize = 20;

pub fn schema(rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let wanted = rpc.get("TypeName");
    let types: Vec<_> = INVENTORY_TYPES.iter().filter(|kind| wanted.is_none_or(|name| name == kind.name)).collect();
    let shown: Vec<Value> = types
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|kind| {
            let attributes: Vec<Value> = kind.attributes.iter().map(|(name, data_type)| json!({"Name": name, "DataType": data_type})).collect();
            json!({"TypeName": kind.name, "Version": INVENTORY_SCHEMA_VERSION, "Attributes": attributes})
        })
        .collect();
    let more = types.len() > page.offset as usize + shown.len();
    let mut fields = Map::new();
    fields.insert("Schemas".into(), Value::Array(shown.clone()));
    page.finish(&mut fields, shown.len(), more);
    fields.insert("MaxResults".into(), Value::from(page.limit.to_string()));
    Ok(fields)
}

pub async fn entries(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let instance_id = rpc.require("InstanceId")?;
    let type_name = rpc.require("TypeName")?;
    if inventory_type(type_name).is_none() {
        return Err(AcsError::invalid_parameter("TypeName", format!("{type_name:?} is not an inventory type (GetInventorySchema lists them)")));
    }
    let filters = filters(rpc)?;
    let instance = api.store.managed_instance(instance_id).await.map_err(error::store)?;
    let Some(instance) = instance else {
        return Err(AcsError::new(INSTANCE_NOT_FOUND, format!("The managed instance {instance_id} does not exist.")));
    };
    let (capture_ms, items) = oos_assistant::inventory::entries(&instance.collected, type_name).unwrap_or_default();
    let matching: Vec<Value> = items.into_iter().filter(|item| filters.iter().all(|filter| filter.matches(item))).collect();
    let shown: Vec<Value> = matching.iter().skip(page.offset as usize).take(page.limit as usize).cloned().collect();
    let more = matching.len() > page.offset as usize + shown.len();
    let mut fields = Map::new();
    fields.insert("InstanceId".into(), Value::from(instance_id));
    fields.insert("TypeName".into(), Value::from(type_name));
    fields.insert("SchemaVersion".into(), Value::from(INVENTORY_SCHEMA_VERSION));
    fields.insert("CaptureTime".into(), Value::from(if capture_ms > 0 { date(capture_ms) } else { String::new() }));
    fields.insert("Entries".into(), Value::Array(shown.clone()));
    page.finish(&mut fields, shown.len(), more);
    Ok(fields)
}

/// One `Filter.N`: an attribute compared with any of its values.
struct Filter {
    name: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Clone, Copy)]
enum Operator {
    Equal,
    NotEqual,
    BeginWith,
    LessThan,
    GreaterThan,
}

impl Filter {
    /// Whether `item`'s attribute matches one of the values (for NotEqual: none of them).
    fn matches(&self, item: &Value) -> bool {
        let Some(attribute) = item.get(&self.name) else { return false };
        let text = attribute.as_str().map_or_else(|| attribute.to_string(), str::to_string);
        let compare = |value: &String| match self.operator {
            Operator::Equal | Operator::NotEqual => &text == value,
            Operator::BeginWith => text.starts_with(value.as_str()),
            Operator::LessThan => ordered(attribute, &text, value).is_some_and(std::cmp::Ordering::is_lt),
            Operator::GreaterThan => ordered(attribute, &text, value).is_some_and(std::cmp::Ordering::is_gt),
        };
        match self.operator {
            Operator::NotEqual => !self.values.iter().any(compare),
            _ => self.values.iter().any(compare),
        }
    }
}

/// Numbers compare as numbers, anything else as text.
fn ordered(attribute: &Value, text: &str, value: &str) -> Option<std::cmp::Ordering> {
    match (attribute.as_f64(), value.parse::<f64>()) {
        (Some(number), Ok(bound)) => number.partial_cmp(&bound),
        _ => Some(text.cmp(value)),
    }
}

/// `Filter.N.Name`, `Filter.N.Operator` (default Equal) and `Filter.N.Value.M`.
fn filters(rpc: &RpcRequest) -> Result<Vec<Filter>, AcsError> {
    let records = rpc.repeated_records("Filter");
    if records.len() > MAX_FILTERS {
        return Err(AcsError::invalid_parameter("Filter", format!("at most {MAX_FILTERS} filters")));
    }
    records
        .into_iter()
        .map(|record| {
            let field = |wanted: &str| record.iter().find(|(name, _)| name == wanted).map(|(_, value)| value.clone());
            let name = field("Name").ok_or_else(|| AcsError::missing_parameter("Filter.N.Name"))?;
            let operator = match field("Operator").as_deref() {
                None | Some("Equal") => Operator::Equal,
                Some("NotEqual") => Operator::NotEqual,
                Some("BeginWith") => Operator::BeginWith,
                Some("LessThan") => Operator::LessThan,
                Some("GreaterThan") => Operator::GreaterThan,
                Some(other) => return Err(AcsError::invalid_parameter("Filter.N.Operator", format!("{other:?} is not Equal, NotEqual, BeginWith, LessThan or GreaterThan"))),
            };
            let mut values: Vec<(u32, String)> =
                record.iter().filter_map(|(name, value)| Some((name.strip_prefix("Value.")?.parse().ok()?, value.clone()))).collect();
            values.sort_by_key(|(index, _)| *index);
            if values.is_empty() || values.len() > MAX_FILTER_VALUES {
                return Err(AcsError::invalid_parameter("Filter.N.Value", format!("1 to {MAX_FILTER_VALUES} values per filter")));
            }
            Ok(Filter { name, operator, values: values.into_iter().map(|(_, value)| value).collect() })
        })
        .collect()
}
