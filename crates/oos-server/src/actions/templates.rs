//! Template actions: CreateTemplate, UpdateTemplate, GetTemplate, ListTemplates,
//! ListTemplateVersions, DeleteTemplate, ValidateTemplateContent.

use oos_acs::{AcsError, RpcRequest};
use oos_store::{ExecutionFilter, NewTemplateVersion, TemplateQuery, TemplateRow, TemplateSort};
use oos_template::{ValidateOptions, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::common::{Page, ascending, date, date_param, json_object, tag_filter, tags_param};
use crate::auth::Caller;
use crate::error::{self, PUBLIC_TEMPLATE, TEMPLATE_EXISTS, TEMPLATE_NOT_FOUND, TEMPLATE_VERSION_NOT_FOUND};
use crate::api::{Api, Fields};

const RESERVED_PREFIXES: [&str; 4] = ["ALIYUN", "ACS", "ALIBABA", "ALICLOUD"];

/// `TemplateName`: 1–200 of `[A-Za-z0-9_-]`, not starting with a reserved prefix.
fn template_name(rpc: &RpcRequest) -> Result<&str, AcsError> {
    let name = rpc.require("TemplateName")?;
    let valid_chars = name.len() <= 200 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let reserved = RESERVED_PREFIXES.iter().any(|prefix| name.to_ascii_uppercase().starts_with(prefix));
    if !valid_chars || reserved {
        return Err(AcsError::invalid_parameter(
            "TemplateName",
            "use 1-200 letters, digits, '-' or '_', not starting with ALIYUN, ACS, ALIBABA or ALICLOUD",
        ));
    }
    Ok(name)
}

/// `TemplateVersion` (`v3`) as a number.
pub(crate) fn version_param(rpc: &RpcRequest) -> Result<Option<i64>, AcsError> {
    rpc.get("TemplateVersion")
        .map(|text| text.strip_prefix('v').and_then(|n| n.parse::<i64>().ok()).ok_or_else(|| AcsError::invalid_parameter("TemplateVersion", format!("{text:?} is not like v1"))))
        .transpose()
}

/// A name in the library's namespace (`OpenOOS-…`) takes only the library's own content of that
/// name (what `oos library install` sends): library templates are public and not the users' to change.
fn check_library_write(name: &str, content: Option<&str>) -> Result<(), AcsError> {
    if !oos_library::is_library_name(name) {
        return Ok(());
    }
    match (oos_library::find(name), content) {
        (Some(template), Some(content)) if template.content == content => Ok(()),
        _ => Err(AcsError::new(
            PUBLIC_TEMPLATE,
            format!("{name} is in the namespace of OpenOOS's public library (OpenOOS-*): it can only be installed as shipped, with `oos library install`, not changed or deleted"),
        )),
    }
}

/// `ShareType` of a stored template: the library's are `Public`, the account's own `Private`.
fn share_type(name: &str) -> &'static str {
    if oos_library::is_library_name(name) { "Public" } else { "Private" }
}

/// Validates `Content` and describes the new version.
fn new_version(rpc: &RpcRequest, caller: &Caller, name: &str, now_ms: i64) -> Result<NewTemplateVersion, AcsError> {
    let content = rpc.require("Content")?;
    check_library_write(name, Some(content))?;
    let validation = checked(content)?;
    let template = validation.template.as_ref().ok_or_else(|| error::internal("validated template without model"))?;
    Ok(NewTemplateVersion {
        name: name.to_string(),
        template_id: format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..18]),
        content: content.to_string(),
        format: template.format.as_str().to_string(),
        hash: hex::encode(Sha256::digest(content.as_bytes())),
        description: template.description.as_ref().and_then(|d| d.english()).unwrap_or_default().to_string(),
        version_name: rpc.get("VersionName").unwrap_or_default().to_string(),
        tags: tags_param(rpc)?,
        resource_group_id: rpc.get("ResourceGroupId").map(str::to_string),
        actor: caller.arn.clone(),
        now_ms,
    })
}

/// Template text validated; the first error (with its place) is the API error.
fn checked(content: &str) -> Result<Validation, AcsError> {
    let validation = oos_template::validate(content, &ValidateOptions::default());
    if let Some(error) = oos_template::TemplateError::from_diagnostics(validation.diagnostics.clone()) {
        return Err(error::invalid_template(&error));
    }
    Ok(validation)
}

/// The `Template` object of template answers (a superset of the per-action models).
fn template_json(row: &TemplateRow) -> Value {
    json!({
        "CreatedBy": row.created_by,
        "CreatedDate": date(row.created_ms),
        "Description": row.description,
        "HasTrigger": false,
        "Hash": row.hash,
        "ResourceGroupId": row.resource_group_id,
        "ShareType": share_type(&row.name),
        "Tags": json_object(Some(&row.tags)),
        "TemplateFormat": row.format,
        "TemplateId": row.template_id,
        "TemplateName": row.name,
        "TemplateType": "Automation",
        "TemplateVersion": format!("v{}", row.version),
        "UpdatedBy": row.updated_by,
        "UpdatedDate": date(row.updated_ms),
        "VersionName": row.version_name,
        "TotalExecutionCount": row.execution_count,
        "Popularity": 0,
        "IsFavorite": row.is_favorite,
    })
}

fn single(template: &TemplateRow) -> Fields {
    let mut fields = Map::new();
    fields.insert("Template".into(), template_json(template));
    fields
}

pub async fn create(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = template_name(rpc)?;
    let new = new_version(rpc, caller, name, api.clock.now_ms())?;
    let row = api.store.create_template(&new).await.map_err(error::store)?;
    let row = row.ok_or_else(|| AcsError::new(TEMPLATE_EXISTS, format!("The template {name} already exists.")))?;
    let mut fields = single(&row);
    fields.insert("TemplateType".into(), Value::from("Automation"));
    Ok(fields)
}

pub async fn update(api: &Api, caller: &Caller, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = template_name(rpc)?;
    let new = new_version(rpc, caller, name, api.clock.now_ms())?;
    let row = api.store.update_template(&new).await.map_err(error::store)?;
    Ok(single(&row.ok_or_else(|| not_found(name))?))
}

pub(crate) fn not_found(name: &str) -> AcsError {
    AcsError::new(TEMPLATE_NOT_FOUND, format!("The template {name} does not exist."))
}

/// Template `name` at the requested version, or the matching not-found error.
pub(crate) async fn fetch(api: &Api, name: &str, version: Option<i64>) -> Result<TemplateRow, AcsError> {
    if let Some(row) = api.store.template(name, version).await.map_err(error::store)? {
        return Ok(row);
    }
    match version {
        Some(number) if api.store.template(name, None).await.map_err(error::store)?.is_some() => {
            Err(AcsError::new(TEMPLATE_VERSION_NOT_FOUND, format!("The template {name} has no version v{number}.")))
        }
        _ => Err(not_found(name)),
    }
}

pub(crate) async fn fetch_requested(api: &Api, rpc: &RpcRequest) -> Result<TemplateRow, AcsError> {
    fetch(api, rpc.require("TemplateName")?, version_param(rpc)?).await
}

pub async fn get(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let row = fetch_requested(api, rpc).await?;
    let mut fields = Map::new();
    fields.insert("Content".into(), Value::String(row.content.clone()));
    fields.extend(single(&row));
    Ok(fields)
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let sort = match rpc.get("SortField") {
        None | Some("CreatedDate") => TemplateSort::CreatedDate,
        Some("UpdatedDate") => TemplateSort::UpdatedDate,
        Some("TemplateName") => TemplateSort::TemplateName,
        Some("TotalExecutionCount" | "Popularity") => TemplateSort::TotalExecutionCount,
        Some(other) => return Err(AcsError::invalid_parameter("SortField", format!("{other:?} is not a sort field of templates"))),
    };
    // This server holds the account's own (Private) templates and the installed library (Public),
    // all of type Automation, without triggers.
    let name_prefix = match rpc.get("ShareType") {
        Some("Private") => Some((oos_library::PREFIX.to_string(), false)),
        Some("Public") => Some((oos_library::PREFIX.to_string(), true)),
        _ => None,
    };
    let nothing_matches = rpc.get("ShareType").is_some_and(|share| share != "Private" && share != "Public")
        || rpc.get("TemplateType").is_some_and(|kind| kind != "Automation")
        || rpc.bool("HasTrigger")? == Some(true)
        || rpc.bool("IsExample")? == Some(true);
    let query = TemplateQuery {
        name_contains: rpc.get("TemplateName").map(str::to_string),
        name_prefix,
        created_by: rpc.get("CreatedBy").map(str::to_string),
        format: rpc.get("TemplateFormat").map(str::to_string),
        created_after_ms: date_param(rpc, "CreatedDateAfter")?,
        created_before_ms: date_param(rpc, "CreatedDateBefore")?,
        tags: tag_filter(rpc)?,
        favorite: rpc.bool("IsFavorite")?,
        sort,
        ascending: ascending(rpc)?,
        offset: page.offset,
        limit: page.limit + 1,
    };
    let mut rows = if nothing_matches { Vec::new() } else { api.store.list_templates(&query).await.map_err(error::store)? };
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let mut fields = Map::new();
    fields.insert("Templates".into(), Value::Array(rows.iter().map(template_json).collect()));
    page.finish(&mut fields, rows.len(), more);
    Ok(fields)
}

pub async fn versions(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let name = rpc.require("TemplateName")?;
    let all = api.store.template_versions(name).await.map_err(error::store)?;
    if all.is_empty() {
        return Err(not_found(name));
    }
    let rows: Vec<Value> = all
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|row| {
            json!({
                "Description": row.description,
                "TemplateFormat": row.format,
                "TemplateVersion": format!("v{}", row.version),
                "UpdatedBy": row.updated_by,
                "UpdatedDate": date(row.updated_ms),
                "VersionName": row.version_name,
            })
        })
        .collect();
    let more = (page.offset + rows.len() as i64) < all.len() as i64;
    let count = rows.len();
    let mut fields = Map::new();
    fields.insert("TemplateVersions".into(), Value::Array(rows));
    page.finish(&mut fields, count, more);
    Ok(fields)
}

pub async fn delete(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    delete_one(api, rpc.require("TemplateName")?, rpc.bool("AutoDeleteExecutions")? == Some(true)).await?;
    Ok(Map::new())
}

/// Deletes template `name` (and, when asked, its executions).
pub(crate) async fn delete_one(api: &Api, name: &str, with_executions: bool) -> Result<(), AcsError> {
    check_library_write(name, None)?;
    if with_executions {
        let filter = ExecutionFilter { template_name: Some(name.to_string()), include_children: true, ..ExecutionFilter::default() };
        let ids: Vec<String> = api.store.executions(&filter).await.map_err(error::store)?.into_iter().map(|record| record.id).collect();
        api.store.delete_executions(&ids).await.map_err(error::store)?;
    }
    if !api.store.delete_template(name).await.map_err(error::store)? {
        return Err(not_found(name));
    }
    Ok(())
}

pub fn validate_content(rpc: &RpcRequest) -> Result<Fields, AcsError> {
    if rpc.get("TemplateURL").is_some() && rpc.get("Content").is_none() {
        return Err(AcsError::invalid_parameter("TemplateURL", "templates by URL are not supported; send Content"));
    }
    let validation = checked(rpc.require("Content")?)?;
    let tasks: Vec<Value> = validation
        .template
        .iter()
        .flat_map(|template| &template.tasks)
        .map(|task| {
            let outputs: Map<String, Value> = task.outputs.keys().map(|name| (name.clone(), json!({}))).collect();
            json!({
                "Name": task.name,
                "Type": task.action.canonical,
                "Description": task.description.as_ref().map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string)).unwrap_or_default(),
                "Properties": task.properties.to_string(),
                "Outputs": Value::Object(outputs).to_string(),
            })
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("Tasks".into(), Value::Array(tasks));
    fields.insert("Parameters".into(), Value::String(validation.parameters.to_string()));
    fields.insert("Outputs".into(), Value::String(validation.outputs.to_string()));
    let ram_role = validation.ram_role.as_ref().map(|role| role.as_str().map_or_else(|| role.to_string(), str::to_string)).unwrap_or_default();
    fields.insert("RamRole".into(), Value::String(ram_role));
    Ok(fields)
}
