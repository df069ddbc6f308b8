//! State configurations: CreateStateConfiguration, UpdateStateConfiguration,
//! ListStateConfigurations, DeleteStateConfigurations. A configuration applies a state template
//! (`OOS-2019-06-01-State`) with its parameters to the managed instances its `Targets` select:
//! the enabled inventory types of its policy are resolved here, and the Cloud Assistant writes the
//! configuration with the invocation asking each instance's agent to collect them. It is applied
//! when created and again when updated; with `ConfigureMode` `ApplyAndMonitor` or
//! `ApplyAndAutoCorrect` and `ScheduleType: rate`, also every `ScheduleExpression` (`30 minutes`…).

use oos_acs::{AcsError, ErrorCode, RpcRequest};
use oos_store::{StateConfigurationQuery, StateConfigurationRow};
use serde_json::{Map, Value, json};

use super::common::{Page, date, json_object, tag_filter, tags_param};
use super::templates::{fetch, version_param};
use crate::api::{Api, Fields};
use crate::error;

/// No state configuration with this id.
pub const STATE_CONFIGURATION_NOT_FOUND: ErrorCode = ErrorCode::new("EntityNotExists.StateConfiguration", 404);

/// The one configure mode served: apply when created or updated.
const APPLY_ONCE: &str = "ApplyOnce";

pub async fn create(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let template = fetch(api, rpc.require("TemplateName")?, version_param(rpc)?).await?;
    let now = api.clock.now_ms();
    let mut row = StateConfigurationRow {
        state_configuration_id: format!("sc-{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
        region_id: api.region_of(rpc).to_string(),
        template_name: template.name.clone(),
        template_version: format!("v{}", template.version),
        template_id: template.template_id.clone(),
        description: rpc.get("Description").unwrap_or_default().to_string(),
        parameters: parameters_param(rpc)?.unwrap_or_else(|| "{}".into()),
        targets: rpc.require("Targets")?.to_string(),
        configure_mode: rpc.get("ConfigureMode").unwrap_or(APPLY_ONCE).to_string(),
        schedule_type: rpc.get("ScheduleType").unwrap_or_default().to_string(),
        schedule_expression: rpc.get("ScheduleExpression").unwrap_or_default().to_string(),
        resource_group_id: rpc.get("ResourceGroupId").unwrap_or_default().to_string(),
        tags: tags_param(rpc)?.unwrap_or_else(|| "{}".into()),
        inventory_types: String::new(),
        next_apply_ms: None,
        client_token: rpc.get("ClientToken").map(str::to_string),
        created_ms: now,
        updated_ms: now,
    };
    row.next_apply_ms = next_application(&row, now)?;
    let types = resolve(&template.content, &mut row)?;
    let id = match api.assistant.create_state_configuration(&row, &types).await? {
        Some(earlier) => earlier,
        None => row.state_configuration_id.clone(),
    };
    let stored = one(api, &id).await?;
    let mut answer = shape(&stored);
    answer.insert("Parameters".into(), json_object(Some(&stored.parameters)));
    let mut fields = Map::new();
    fields.insert("StateConfiguration".into(), Value::Object(answer));
    Ok(fields)
}

pub async fn update(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let mut row = one(api, rpc.require("StateConfigurationId")?).await?;
    if let Some(parameters) = parameters_param(rpc)? {
        row.parameters = parameters;
    }
    if let Some(tags) = tags_param(rpc)? {
        row.tags = tags;
    }
    let fields = [
        (&mut row.description, "Description"),
        (&mut row.targets, "Targets"),
        (&mut row.resource_group_id, "ResourceGroupId"),
        (&mut row.configure_mode, "ConfigureMode"),
        (&mut row.schedule_type, "ScheduleType"),
        (&mut row.schedule_expression, "ScheduleExpression"),
    ];
    for (field, name) in fields {
        if let Some(value) = rpc.get(name) {
            *field = value.to_string();
        }
    }
    row.updated_ms = api.clock.now_ms();
    row.next_apply_ms = next_application(&row, row.updated_ms)?;
    let version = row.template_version.strip_prefix('v').and_then(|n| n.parse().ok());
    let template = fetch(api, &row.template_name, version).await?;
    let types = resolve(&template.content, &mut row)?;
    if !api.assistant.update_state_configuration(&row, &types).await? {
        return Err(not_found(&row.state_configuration_id));
    }
    let mut fields = Map::new();
    fields.insert("StateConfiguration".into(), json!([shape(&row)]));
    Ok(fields)
}

pub async fn list(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let page = Page::from_request(rpc)?;
    let query = StateConfigurationQuery {
        ids: ids_param(rpc)?,
        template_name: rpc.get("TemplateName").map(str::to_string),
        template_version: rpc.get("TemplateVersion").map(str::to_string),
        tags: tag_filter(rpc)?,
        offset: page.offset,
        limit: page.limit + 1,
    };
    let mut rows = api.store.state_configurations(&query).await.map_err(error::store)?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let mut fields = Map::new();
    fields.insert("StateConfigurations".into(), Value::Array(rows.iter().map(|row| Value::Object(shape(row))).collect()));
    page.finish(&mut fields, rows.len(), more);
    Ok(fields)
}

pub async fn delete(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let ids = ids_param(rpc)?;
    if ids.is_empty() {
        return Err(AcsError::missing_parameter("StateConfigurationIds"));
    }
    api.store.delete_state_configurations(&ids).await.map_err(error::store)?;
    Ok(Map::new())
}

/// Parses the configuration's template as a state template and resolves the inventory types its
/// parameters enable (recorded in `row`).
fn resolve(content: &str, row: &mut StateConfigurationRow) -> Result<Vec<String>, AcsError> {
    let template = oos_template::parse_state(content).map_err(|e| error::invalid_template(&e))?;
    let parameters: Map<String, Value> = serde_json::from_str(&row.parameters).unwrap_or_default();
    let types = oos_template::state::inventory_types(&template, &parameters).map_err(|e| AcsError::with_code(e.code, 400, e.to_string()))?;
    oos_assistant::inventory::targets_query(&row.targets)?;
    row.inventory_types = json!(types).to_string();
    Ok(types)
}

/// The configuration `id`, or `EntityNotExists.StateConfiguration`.
async fn one(api: &Api, id: &str) -> Result<StateConfigurationRow, AcsError> {
    let query = StateConfigurationQuery { ids: vec![id.to_string()], limit: 1, ..StateConfigurationQuery::default() };
    let rows = api.store.state_configurations(&query).await.map_err(error::store)?;
    rows.into_iter().next().ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> AcsError {
    AcsError::new(STATE_CONFIGURATION_NOT_FOUND, format!("The state configuration {id} does not exist."))
}

/// `Parameters`: a JSON object, as text.
fn parameters_param(rpc: &RpcRequest) -> Result<Option<String>, AcsError> {
    Ok(rpc.json::<Map<String, Value>>("Parameters")?.map(|parameters| Value::Object(parameters).to_string()))
}

/// `StateConfigurationIds`: a JSON list (or one id).
fn ids_param(rpc: &RpcRequest) -> Result<Vec<String>, AcsError> {
    match rpc.get("StateConfigurationIds") {
        None => Ok(Vec::new()),
        Some(text) if text.trim_start().starts_with('[') => Ok(rpc.json::<Vec<String>>("StateConfigurationIds")?.unwrap_or_default()),
        Some(id) => Ok(vec![id.to_string()]),
    }
}

/// When a configuration written at `now` is applied again: never for `ApplyOnce` (which takes no
/// schedule); one `rate` interval later for `ApplyAndMonitor` and `ApplyAndAutoCorrect` (which need one).
fn next_application(row: &StateConfigurationRow, now: i64) -> Result<Option<i64>, AcsError> {
    let scheduled = !row.schedule_type.is_empty();
    match row.configure_mode.as_str() {
        APPLY_ONCE if scheduled => Err(AcsError::invalid_parameter("ScheduleType", "ApplyOnce applies when written; a schedule needs ApplyAndMonitor or ApplyAndAutoCorrect")),
        APPLY_ONCE => Ok(None),
        "ApplyAndMonitor" | "ApplyAndAutoCorrect" => {
            if row.schedule_type != "rate" {
                return Err(AcsError::invalid_parameter("ScheduleType", format!("{:?}: {} needs ScheduleType rate", row.schedule_type, row.configure_mode)));
            }
            let interval = oos_assistant::inventory::rate_interval_ms(&row.schedule_expression).map_err(|message| AcsError::invalid_parameter("ScheduleExpression", message))?;
            Ok(Some(now + interval))
        }
        other => Err(AcsError::invalid_parameter("ConfigureMode", format!("{other:?} is not ApplyOnce, ApplyAndMonitor or ApplyAndAutoCorrect"))),
    }
}

/// The fields every answer shows of a configuration (`Parameters` as its JSON text).
fn shape(row: &StateConfigurationRow) -> Map<String, Value> {
    let value = json!({
        "StateConfigurationId": row.state_configuration_id,
        "TemplateId": row.template_id,
        "TemplateName": row.template_name,
        "TemplateVersion": row.template_version,
        "Description": row.description,
        "Parameters": row.parameters,
        "Targets": row.targets,
        "ConfigureMode": row.configure_mode,
        "ScheduleType": row.schedule_type,
        "ScheduleExpression": row.schedule_expression,
        "ResourceGroupId": row.resource_group_id,
        "Tags": json_object(Some(&row.tags)),
        "CreateTime": date(row.created_ms),
        "UpdateTime": date(row.updated_ms),
    });
    value.as_object().cloned().unwrap_or_default()
}
