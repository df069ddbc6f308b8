//! Parameter-store actions: CreateParameter, GetParameter, GetParameters, GetParametersByPath,
//! UpdateParameter, DeleteParameter, ListParameters, ListParameterVersions and their `*SecretParameter*`
//! twins (values sealed with the server's master key; shown decrypted only `WithDecryption=true`); and
//! the engine's view of the store ([`StoreParameters`]) for `{{ oos:Name }}`.

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_engine::CreateError;
use oos_runtime::{ParameterSource, Reader, StoreReference};
use oos_store::{NewParameter, ParameterQuery, ParameterRow, ParameterSort, ParameterUpdate, ServerStore};
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::common::{Page, ascending, date, json_object, tag_filter, tags_param};
use crate::auth::Caller;
use crate::error::{self, PARAMETER_EXISTS, PARAMETER_NOT_FOUND, PARAMETER_VERSION_NOT_FOUND, SECRET_PARAMETER_EXISTS, SECRET_PARAMETER_NOT_FOUND, SECRET_PARAMETER_VERSION_NOT_FOUND};
use crate::api::{Api, Fields};

const RESERVED_PREFIXES: [&str; 5] = ["ALIYUN", "ACS", "ALIBABA", "ALICLOUD", "OOS"];
const MAX_VALUE_CHARS: usize = 4096;
/// Most names one GetParameters request may ask for.
const MAX_NAMES: usize = 100;

/// Common parameters or secret parameters: the two stores behind the same actions.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    secret: bool,
    not_found: ErrorCode,
    version_not_found: ErrorCode,
    exists: ErrorCode,
}

pub const COMMON: Kind = Kind { secret: false, not_found: PARAMETER_NOT_FOUND, version_not_found: PARAMETER_VERSION_NOT_FOUND, exists: PARAMETER_EXISTS };
pub const SECRET: Kind =
    Kind { secret: true, not_found: SECRET_PARAMETER_NOT_FOUND, version_not_found: SECRET_PARAMETER_VERSION_NOT_FOUND, exists: SECRET_PARAMETER_EXISTS };

impl Kind {
    fn not_found(self, name: &str) -> AcsError {
        AcsError::new(self.not_found, format!("The parameter {name} does not exist."))
    }

    /// What the master key binds a secret value to.
    fn seal_context(name: &str) -> String {
        format!("secretparameter/{name}")
    }

    /// The value to store: a secret sealed, a common value as is.
    fn stored_value(self, api: &Api, name: &str, value: &str) -> String {
        if self.secret { api.iam.seal_secret(value, &Self::seal_context(name)) } else { value.to_string() }
    }

    /// The value to answer: a secret opened only when `WithDecryption=true` (else its sealed text).
    fn shown_value(self, api: &Api, name: &str, stored: &str, decrypt: bool) -> Result<String, AcsError> {
        if !self.secret || !decrypt {
            return Ok(stored.to_string());
        }
        Ok(api.iam.open_secret(stored, &Self::seal_context(name)).map_err(error::iam)?.expose().to_string())
    }

    fn decrypt(self, rpc: &RpcRequest) -> Result<bool, AcsError> {
        Ok(self.secret && rpc.bool("WithDecryption")?.unwrap_or(false))
    }

    fn type_param(self, rpc: &RpcRequest) -> Result<String, AcsError> {
        match (self.secret, rpc.get("Type")) {
            (true, None | Some("Secret")) => Ok("Secret".into()),
            (false, Some(kind @ ("String" | "StringList"))) => Ok(kind.to_string()),
            (false, None) => Err(AcsError::missing_parameter("Type")),
            (_, Some(other)) => Err(AcsError::invalid_parameter("Type", format!("{other:?} is not a type of these parameters (String, StringList; Secret)"))),
        }
    }
}

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

    /// Checks a value of type `kind` (a StringList item by item); a Secret's value is never quoted.
    fn check(&self, kind: &str, value: &str) -> Result<(), AcsError> {
        let invalid = |reason: String| AcsError::invalid_parameter("Value", reason);
        let quoted = |item: &str| if kind == "Secret" { "the value".to_string() } else { format!("{item:?}") };
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            return Err(invalid(format!("the value must have 1-{MAX_VALUE_CHARS} characters")));
        }
        let items: Vec<&str> = if kind == "StringList" { value.split(',').collect() } else { vec![value] };
        let pattern = self.allowed_pattern.as_deref().map(|p| (p, full_match(p).ok()));
        for item in items {
            if let Some(allowed) = &self.allowed_values
                && !allowed.iter().any(|candidate| candidate == item)
            {
                return Err(invalid(format!("{} is not one of the AllowedValues {allowed:?}", quoted(item))));
            }
            if let Some((text, Some(regex))) = &pattern
                && !regex.is_match(item)
            {
                return Err(invalid(format!("{} does not match AllowedPattern {text:?}", quoted(item))));
            }
            let length = item.chars().count();
            if self.min_length.is_some_and(|min| length < min) || self.max_length.is_some_and(|max| length > max) {
                return Err(invalid(format!("{} has {length} characters, outside MinLength/MaxLength", quoted(item))));
            }
        }
        Ok(())
    }
}

fn full_match(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

/// The `Parameter` object of the answers (without `Value`; secret ones with `KeyId`, `DKMSInstanceId`).
fn parameter_json(row: &ParameterRow) -> Value {
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
    if row.kind == "Secret" {
        parameter["KeyId"] = Value::String(row.key_id.clone());
        parameter["DKMSInstanceId"] = Value::String(String::new());
    }
    parameter
}

/// [`parameter_json`] with the `Value` (a secret's decrypted only when `decrypt`).
fn with_value(api: &Api, kind: Kind, row: &ParameterRow, decrypt: bool) -> Result<Value, AcsError> {
    let mut parameter = parameter_json(row);
    parameter["Value"] = Value::String(kind.shown_value(api, &row.name, &row.value, decrypt)?);
    Ok(parameter)
}

fn single(key: &str, parameter: Value) -> Fields {
    let mut fields = Map::new();
    fields.insert(key.into(), parameter);
    fields
}

pub async fn create(api: &Api, caller: &Caller, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let name = name_param(rpc)?;
    let kind = store.type_param(rpc)?;
    let (constraints, constraints_text) = Constraints::from_request(rpc)?;
    let value = rpc.require("Value")?;
    constraints.check(&kind, value)?;
    let new = NewParameter {
        secret: store.secret,
        name: name.to_string(),
        id: format!("p-{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
        kind,
        value: store.stored_value(api, name, value),
        description: rpc.get("Description").unwrap_or_default().to_string(),
        constraints: constraints_text,
        key_id: if store.secret { rpc.get("KeyId").unwrap_or("openoos-master-key").to_string() } else { String::new() },
        tags: tags_param(rpc)?,
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        actor: caller.arn.clone(),
        now_ms: api.clock.now_ms(),
    };
    let row = api.store.create_parameter(&new).await.map_err(error::store)?;
    let row = row.ok_or_else(|| AcsError::new(store.exists, format!("The parameter {name} already exists.")))?;
    Ok(single("Parameter", parameter_json(&row)))
}

pub async fn get(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    let version = rpc.int("ParameterVersion")?;
    let Some(row) = api.store.parameter(store.secret, name, version).await.map_err(error::store)? else {
        return Err(match version {
            Some(number) if api.store.parameter(store.secret, name, None).await.map_err(error::store)?.is_some() => {
                AcsError::new(store.version_not_found, format!("The parameter {name} has no version {number}."))
            }
            _ => store.not_found(name),
        });
    };
    Ok(single("Parameter", with_value(api, store, &row, store.decrypt(rpc)?)?))
}

pub async fn get_many(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let names: Vec<String> = rpc.json("Names")?.ok_or_else(|| AcsError::missing_parameter("Names"))?;
    if names.len() > MAX_NAMES {
        return Err(AcsError::invalid_parameter("Names", format!("at most {MAX_NAMES} names per request")));
    }
    let decrypt = store.decrypt(rpc)?;
    let (mut found, mut invalid) = (Vec::new(), Vec::new());
    for name in names {
        match api.store.parameter(store.secret, &name, None).await.map_err(error::store)? {
            Some(row) => found.push(with_value(api, store, &row, decrypt)?),
            None => invalid.push(Value::String(name)),
        }
    }
    let mut fields = Map::new();
    fields.insert("Parameters".into(), Value::Array(found));
    fields.insert("InvalidParameters".into(), Value::Array(invalid));
    Ok(fields)
}

pub async fn by_path(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let path = rpc.require("Path")?;
    if path.trim_matches('/').split('/').any(|segment| segment.chars().any(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))) {
        return Err(AcsError::invalid_parameter("Path", format!("{path:?} is not a parameter path")));
    }
    let decrypt = store.decrypt(rpc)?;
    let query = ParameterQuery {
        secret: store.secret,
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
    let listed = rows
        .iter()
        .map(|row| {
            let mut parameter = with_value(api, store, row, decrypt)?;
            parameter.as_object_mut().map(|object| object.remove("ResourceGroupId"));
            Ok(parameter)
        })
        .collect::<Result<Vec<Value>, AcsError>>()?;
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

pub async fn update(api: &Api, caller: &Caller, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    let current = api.store.parameter(store.secret, name, None).await.map_err(error::store)?.ok_or_else(|| store.not_found(name))?;
    let value = rpc.get("Value");
    if let Some(value) = value {
        Constraints::stored(&current.constraints).check(&current.kind, value)?;
    }
    let update = ParameterUpdate {
        secret: store.secret,
        name: name.to_string(),
        value: value.map(|value| store.stored_value(api, name, value)),
        description: rpc.get("Description").map(str::to_string),
        tags: tags_param(rpc)?,
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        actor: caller.arn.clone(),
        now_ms: api.clock.now_ms(),
    };
    let row = api.store.update_parameter(&update).await.map_err(error::store)?.ok_or_else(|| store.not_found(name))?;
    let mut parameter = parameter_json(&row);
    // UpdateParameter's model has Tags as a JSON string.
    parameter["Tags"] = Value::String(row.tags.clone());
    Ok(single("Parameter", parameter))
}

pub async fn delete(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let name = rpc.require("Name")?;
    if !api.store.delete_parameter(store.secret, name).await.map_err(error::store)? {
        return Err(store.not_found(name));
    }
    Ok(Map::new())
}

pub async fn list(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let sort = match rpc.get("SortField") {
        None | Some("CreatedDate") => ParameterSort::CreatedDate,
        Some("Name") => ParameterSort::Name,
        Some(other) => return Err(AcsError::invalid_parameter("SortField", format!("{other:?} is neither Name nor CreatedDate"))),
    };
    let query = ParameterQuery {
        secret: store.secret,
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
            let mut parameter = parameter_json(row);
            parameter.as_object_mut().map(|object| object.remove("Constraints"));
            // ListParameters' model has ParameterVersion as a string.
            parameter["ParameterVersion"] = Value::String(row.version.to_string());
            parameter
        })
        .collect();
    Ok(paged(page, "Parameters", listed, total))
}

pub async fn versions(api: &Api, rpc: &RpcRequest, store: Kind) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let name = rpc.require("Name")?;
    let decrypt = store.decrypt(rpc)?;
    let row = api.store.parameter(store.secret, name, None).await.map_err(error::store)?.ok_or_else(|| store.not_found(name))?;
    let all = api.store.parameter_versions(store.secret, name).await.map_err(error::store)?;
    let listed = all
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|version| {
            Ok(json!({
                "ParameterVersion": version.version,
                "UpdatedBy": version.updated_by,
                "UpdatedDate": date(version.updated_ms),
                "Value": store.shown_value(api, name, &version.value, decrypt)?,
            }))
        })
        .collect::<Result<Vec<Value>, AcsError>>()?;
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

/// The engine's view of the parameter store: a referenced value, after IAM has allowed the execution's
/// starter (and the role it acts as) `oos:GetParameter` / `oos:GetSecretParameter` on it. The check
/// comes first, so a reader that may not read a parameter cannot tell whether it exists.
pub struct StoreParameters {
    pub store: std::sync::Arc<dyn ServerStore>,
    pub iam: std::sync::Arc<oos_iam::Iam<crate::RecordIdentityStore>>,
    /// The region of the parameters' ARNs.
    pub region: String,
    /// The time policies are evaluated at.
    pub clock: std::sync::Arc<dyn oos_clock::Clock>,
}

impl StoreParameters {
    async fn allow(&self, principal: &oos_iam::Principal, reference: &StoreReference) -> Result<(), CreateError> {
        let scope = oos_iam::ArnScope::new(self.region.clone(), self.iam.account().to_string());
        let (action, resource) = if reference.secret {
            ("oos:GetSecretParameter", scope.secret_parameter(&reference.name))
        } else {
            ("oos:GetParameter", scope.parameter(&reference.name))
        };
        let context = oos_iam::Context::new().with(oos_iam::evaluate::keys::CURRENT_TIME, self.clock.timestamp().to_string());
        let request = oos_iam::AuthzRequest { action: action.to_string(), resources: vec![resource.clone()], context };
        match self.iam.require(principal, &request).await {
            Ok(_) => Ok(()),
            Err(oos_iam::IamError::Forbidden { principal, .. }) => Err(CreateError {
                code: "Forbidden.RAM",
                message: format!("{principal} may not read parameter {} ({action} on {resource})", reference.key()),
            }),
            Err(other) => Err(CreateError { code: "ParameterStore.ReadFailed", message: other.to_string() }),
        }
    }
}

#[async_trait::async_trait]
impl ParameterSource for StoreParameters {
    async fn authorize(&self, reference: &StoreReference, reader: &Reader) -> Result<(), CreateError> {
        let account = self.iam.account();
        let starter = reader.executed_by.as_deref().map(|arn| {
            oos_iam::Principal::from_arn(arn, account)
                .ok_or_else(|| CreateError { code: "Forbidden.RAM", message: format!("{arn} is not a principal of this account") })
        });
        for principal in starter.into_iter().chain(reader.ram_role.clone().map(|role| Ok(oos_iam::Principal::Role(role)))) {
            self.allow(&principal?, reference).await?;
        }
        Ok(())
    }

    async fn read(&self, reference: &StoreReference, reader: &Reader) -> Result<Option<Value>, CreateError> {
        self.authorize(reference, reader).await?;
        let failed = |e: oos_store::StoreError| CreateError { code: "ParameterStore.ReadFailed", message: e.to_string() };
        let Some(row) = self.store.parameter(reference.secret, &reference.name, reference.version).await.map_err(failed)? else { return Ok(None) };
        if !reference.secret {
            return Ok(Some(Value::String(row.value)));
        }
        let opened = self.iam.open_secret(&row.value, &Kind::seal_context(&reference.name)).map_err(|e| CreateError { code: "ParameterStore.ReadFailed", message: e.to_string() })?;
        Ok(Some(Value::String(opened.expose().to_string())))
    }
}
