//! Parameter-store actions (common parameters): CreateParameter, GetParameter, GetParameters,
//! GetParametersByPath, UpdateParameter, DeleteParameter, ListParameters, ListParameterVersions; and
//! the engine's view of the store ([`StoreParameters`]) for `{{ oos:Name }}`.

use oos_acs::{AcsError, RpcRequest};
use oos_engine::runtime::ParameterSource;
use oos_store::{NewParameter, ParameterQuery, ParameterRow, ParameterSort, ParameterUpdate, SqliteStore};
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Page, ascending, date, json_object, tag_filter, tags_param};
use crate::auth::Caller;
use crate::error::{self, PARAMETER_EXISTS, PARAMETER_NOT_FOUND, PARAMETER_VERSION_NOT_FOUND};
use crate::pipeline::{Api, Fields};

const RESERVED_PREFIXES: [&str; 5] = ["ALIYUN", "ACS", "ALIBABA", "ALICLOUD", "OOS"];
const MAX_VALUE_CHARS: usize = 4096;
/// Most names one GetParameters request may ask for.
const MAX_NAMES: usize = 100;

/// A parameter name: 1–200 of `[A-Za-z0-9_.-]` in `/`-separated segments (a leading `/` allowed),
/// not starting with a reserved prefix.
fn checked_name<'r>(field: &str, name: &'r str) -> Result<&'r str, AcsError> {
    let relative = name.strip_prefix('/').unwrap_or(name);
    let segments_ok = relative.split('/').all(|segment| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)));
    let reserved = RESERVED_PREFIXES.iter().any(|prefix| relative.to_ascii_uppercase().starts_with(prefix));
    if name.len() > 200 || !segments_ok || reserved {
        return Err(AcsError::invalid_parameter(
            field,
            format!("{name:?} is not a parameter name: use 1-200 letters, digits, '_', '.', '-' in '/'-separated segments, not starting with ALIYUN, ACS, ALIBABA, ALICLOUD or OOS"),
        ));
    }
    Ok(name)
}

fn name_param(rpc: &RpcRequest) -> Result<&str, AcsError> {
    checked_name("Name", rpc.require("Name")?)
}

/// `Constraints` of a parameter: rules every value (every item of a StringList) must keep.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Constraints {
    allowed_values: Option<Vec<String>>,
    allowed_pattern: Option<String>,
    min_length: Option<usize>,
    max_length: Option<usize>,
}

impl Constraints {
    /// The `Constraints` parameter, checked (a JSON object of AllowedValues, AllowedPattern, MinLength, MaxLength).
    fn from_request(rpc: &RpcRequest) -> Result<(Self, String), AcsError> {
        let Some(text) = rpc.get("Constraints") else { return Ok((Self::default(), String::new())) };
        let constraints: Self = serde_json::from_str(text)
            .map_err(|e| AcsError::invalid_parameter("Constraints", format!("expected an object of AllowedValues, AllowedPattern, MinLength, MaxLength: {e}")))?;
        if let Some(pattern) = &constraints.allowed_pattern {
            full_match(pattern).map_err(|e| AcsError::invalid_parameter("Constraints", format!("AllowedPattern {pattern:?} is not a valid regex: {e}")))?;
        }
        if let (Some(min), Some(max)) = (constraints.min_length, constraints.max_length)
            && min > max
        {
            return Err(AcsError::invalid_parameter("Constraints", format!("MinLength {min} is above MaxLength {max}")));
        }
        Ok((constraints, text.to_string()))
    }

    /// The stored `Constraints` text (empty: none).
    fn stored(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// Checks a value of type `kind` (a StringList item by item).
    fn check(&self, kind: &str, value: &str) -> Result<(), AcsError> {
        let invalid = |reason: String| AcsError::invalid_parameter("Value", reason);
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            return Err(invalid(format!("the value must have 1-{MAX_VALUE_CHARS} characters")));
        }
        let items: Vec<&str> = if kind == "StringList" { value.split(',').collect() } else { vec![value] };
        let pattern = self.allowed_pattern.as_deref().map(|p| (p, full_match(p).ok()));
        for item in items {
            if let Some(allowed) = &self.allowed_values
                && !allowed.iter().any(|candidate| candidate == item)
            {
                return Err(invalid(format!("{item:?} is not one of the AllowedValues {allowed:?}")));
            }
            if let Some((text, Some(regex))) = &pattern
                && !regex.is_match(item)
            {
                return Err(invalid(format!("{item:?} does not match AllowedPattern {text:?}")));
            }
            let length = item.chars().count();
            if self.min_length.is_some_and(|min| length < min) || self.max_length.is_some_and(|max| length > max) {
                return Err(invalid(format!("{item:?} has {length} characters, outside MinLength/MaxLength")));
            }
        }
        Ok(())
    }
}

fn full_match(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

fn kind_param(rpc: &RpcRequest) -> Result<String, AcsError> {
    match rpc.require("Type")? {
        kind @ ("String" | "StringList") => Ok(kind.to_string()),
        other => Err(AcsError::invalid_parameter("Type", format!("{other:?} is neither String nor StringList"))),
    }
}

fn not_found(name: &str) -> AcsError {
    AcsError::new(PARAMETER_NOT_FOUND, format!("The parameter {name} does not exist."))
}

/// The `Parameter` object of the single-parameter answers (`with_value`: GetParameter's `Value`).
fn parameter_json(row: &ParameterRow, with_value: bool) -> Value {
    let mut parameter = json!({
        "Constraints": row.constraints,
        "CreatedBy": row.created_by,
        "CreatedDate": date(row.created_ms),
        "Description": row.description,
        "Id": row.id,
        "Name": row.name,
        "ParameterVersion": row.version,
        "ResourceGroupId": row.resource_group_id,
        "ShareType": "Private",
        "Tags": json_object(Some(&row.tags)),
        "Type": row.kind,
        "UpdatedBy": row.updated_by,
        "UpdatedDate": date(row.updated_ms),
    });
    if with_value {
        parameter["Value"] = Value::String(row.value.clone());
    }
    parameter
}

fn single(key: &str, parameter: Value) -> Fields {
    let mut fields = Map::new();
    fields.insert(key.into(), parameter);
    fields
}

pub async fn create(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = name_param(rpc)?;
    let kind = kind_param(rpc)?;
    let (constraints, constraints_text) = Constraints::from_request(rpc)?;
    let value = rpc.require("Value")?;
    constraints.check(&kind, value)?;
    let new = NewParameter {
        secret: false,
        name: name.to_string(),
        id: format!("p-{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
        kind,
        value: value.to_string(),
        description: rpc.get("Description").unwrap_or_default().to_string(),
        constraints: constraints_text,
        key_id: String::new(),
        tags: tags_param(rpc)?,
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        actor: caller.arn.clone(),
        now_ms: jiff::Timestamp::now().as_millisecond(),
    };
    let row = api.store.create_parameter(&new).await.map_err(error::store)?;
    let row = row.ok_or_else(|| AcsError::new(PARAMETER_EXISTS, format!("The parameter {name} already exists.")))?;
    Ok(single("Parameter", parameter_json(&row, false)))
}

pub async fn get(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    let version = rpc.int("ParameterVersion")?;
    let Some(row) = api.store.parameter(false, name, version).await.map_err(error::store)? else {
        return Err(match version {
            Some(number) if api.store.parameter(false, name, None).await.map_err(error::store)?.is_some() => {
                AcsError::new(PARAMETER_VERSION_NOT_FOUND, format!("The parameter {name} has no version {number}."))
            }
            _ => not_found(name),
        });
    };
    Ok(single("Parameter", parameter_json(&row, true)))
}

pub async fn get_many(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let names: Vec<String> = rpc.json("Names")?.ok_or_else(|| AcsError::missing_parameter("Names"))?;
    if names.len() > MAX_NAMES {
        return Err(AcsError::invalid_parameter("Names", format!("at most {MAX_NAMES} names per request")));
    }
    let (mut found, mut invalid) = (Vec::new(), Vec::new());
    for name in names {
        match api.store.parameter(false, &name, None).await.map_err(error::store)? {
            Some(row) => found.push(parameter_json(&row, true)),
            None => invalid.push(Value::String(name)),
        }
    }
    let mut fields = Map::new();
    fields.insert("Parameters".into(), Value::Array(found));
    fields.insert("InvalidParameters".into(), Value::Array(invalid));
    Ok(fields)
}

pub async fn by_path(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let path = rpc.require("Path")?;
    if path.trim_matches('/').split('/').any(|segment| segment.chars().any(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))) {
        return Err(AcsError::invalid_parameter("Path", format!("{path:?} is not a parameter path")));
    }
    let query = ParameterQuery {
        path: Some(path.to_string()),
        recursive: rpc.bool("Recursive")?.unwrap_or(false),
        sort: ParameterSort::Name,
        ascending: true,
        with_values: true,
        offset: page.offset,
        limit: page.limit,
        ..ParameterQuery::default()
    };
    let (rows, total) = api.store.list_parameters(&query).await.map_err(error::store)?;
    let listed: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut parameter = parameter_json(row, true);
            parameter.as_object_mut().map(|object| object.remove("ResourceGroupId"));
            parameter
        })
        .collect();
    Ok(paged(page, "Parameters", listed, total))
}

/// A list answer with `TotalCount`, `MaxResults` and `NextToken` (when more follow).
fn paged(page: Page, key: &str, items: Vec<Value>, total: i64) -> Fields {
    let count = items.len();
    let mut fields = Map::new();
    fields.insert(key.into(), Value::Array(items));
    fields.insert("TotalCount".into(), Value::from(total));
    page.finish(&mut fields, count, page.offset + (count as i64) < total);
    fields
}

pub async fn update(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    let current = api.store.parameter(false, name, None).await.map_err(error::store)?.ok_or_else(|| not_found(name))?;
    let value = rpc.get("Value");
    if let Some(value) = value {
        Constraints::stored(&current.constraints).check(&current.kind, value)?;
    }
    let update = ParameterUpdate {
        secret: false,
        name: name.to_string(),
        value: value.map(str::to_string),
        description: rpc.get("Description").map(str::to_string),
        tags: tags_param(rpc)?,
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        actor: caller.arn.clone(),
        now_ms: jiff::Timestamp::now().as_millisecond(),
    };
    let row = api.store.update_parameter(&update).await.map_err(error::store)?.ok_or_else(|| not_found(name))?;
    let mut parameter = parameter_json(&row, false);
    // UpdateParameter's model has Tags as a JSON string.
    parameter["Tags"] = Value::String(row.tags.clone());
    Ok(single("Parameter", parameter))
}

pub async fn delete(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    if !api.store.delete_parameter(false, name).await.map_err(error::store)? {
        return Err(not_found(name));
    }
    Ok(Map::new())
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let sort = match rpc.get("SortField") {
        None | Some("CreatedDate") => ParameterSort::CreatedDate,
        Some("Name") => ParameterSort::Name,
        Some(other) => return Err(AcsError::invalid_parameter("SortField", format!("{other:?} is neither Name nor CreatedDate"))),
    };
    let query = ParameterQuery {
        name_contains: rpc.get("Name").map(str::to_string),
        path: rpc.get("Path").map(str::to_string),
        recursive: rpc.bool("Recursive")?.unwrap_or(false),
        kind: rpc.get("Type").map(str::to_string),
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        tags: tag_filter(rpc)?,
        sort,
        ascending: ascending(rpc)?,
        offset: page.offset,
        limit: page.limit,
        ..ParameterQuery::default()
    };
    // This server holds only the account's own (Private) parameters.
    let (rows, total) = if rpc.get("ShareType").is_some_and(|share| share != "Private") {
        (Vec::new(), 0)
    } else {
        api.store.list_parameters(&query).await.map_err(error::store)?
    };
    let listed = rows
        .iter()
        .map(|row| {
            let mut parameter = parameter_json(row, false);
            parameter.as_object_mut().map(|object| object.remove("Constraints"));
            // ListParameters' model has ParameterVersion as a string.
            parameter["ParameterVersion"] = Value::String(row.version.to_string());
            parameter
        })
        .collect();
    Ok(paged(page, "Parameters", listed, total))
}

pub async fn versions(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let name = rpc.require("Name")?;
    let row = api.store.parameter(false, name, None).await.map_err(error::store)?.ok_or_else(|| not_found(name))?;
    let all = api.store.parameter_versions(false, name).await.map_err(error::store)?;
    let listed = all
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|version| {
            json!({
                "ParameterVersion": version.version,
                "UpdatedBy": version.updated_by,
                "UpdatedDate": date(version.updated_ms),
                "Value": version.value,
            })
        })
        .collect();
    let mut fields = paged(page, "ParameterVersions", listed, all.len() as i64);
    for (key, value) in [
        ("CreatedBy", json!(row.created_by)),
        ("CreatedDate", json!(date(row.created_ms))),
        ("Description", json!(row.description)),
        ("Id", json!(row.id)),
        ("Name", json!(row.name)),
        ("Type", json!(row.kind)),
    ] {
        fields.insert(key.into(), value);
    }
    Ok(fields)
}

/// The engine's view of the store: the latest value of a common parameter, as text.
pub struct StoreParameters(pub SqliteStore);

#[async_trait::async_trait]
impl ParameterSource for StoreParameters {
    async fn value(&self, name: &str) -> Result<Option<Value>, String> {
        let row = self.0.parameter(false, name, None).await.map_err(|e| e.to_string())?;
        Ok(row.map(|row| Value::String(row.value)))
    }
}
