//! Template actions beyond the single-template life cycle: DeleteTemplates (a batch),
//! UpdateTemplateAttributes (favourites; this single-account server shares with no one) and
//! GetTemplateParameterConstraints (what each parameter of a template declares it accepts).

use oos_acs::{AcsError, RpcRequest};
use serde_json::{Map, Value, json};

use super::templates::{delete_one, fetch, fetch_requested, not_found};
use crate::error;
use crate::api::{Api, Fields};

/// Most templates one DeleteTemplates request may name.
const MAX_BATCH: usize = 100;

/// Deletes every named template, or none: all of them must exist.
pub async fn delete_many(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let names: Vec<String> = rpc.json("TemplateNames")?.ok_or_else(|| AcsError::missing_parameter("TemplateNames"))?;
    if names.is_empty() || names.len() > MAX_BATCH {
        return Err(AcsError::invalid_parameter("TemplateNames", format!("name 1 to {MAX_BATCH} templates")));
    }
    for name in &names {
        if api.store.template(name, None).await.map_err(error::store)?.is_none() {
            return Err(not_found(name));
        }
    }
    let with_executions = rpc.bool("AutoDeleteExecutions")? == Some(true);
    for name in &names {
        delete_one(api, name, with_executions).await?;
    }
    Ok(Map::new())
}

pub async fn update_attributes(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    let name = rpc.require("TemplateName")?;
    for sharing in ["SharePermissionAction", "AccountIds", "ShareTemplateVersion"] {
        if rpc.get(sharing).is_some() {
            return Err(AcsError::invalid_parameter(sharing, "this server holds one account; templates are not shared with other accounts"));
        }
    }
    let template = fetch(api, name, None).await?;
    if let Some(favorite) = rpc.bool("IsFavorite")?
        && !api.store.set_template_favorite(&template.name, favorite).await.map_err(error::store)?
    {
        return Err(not_found(name));
    }
    Ok(Map::new())
}

/// Per parameter: its `Type`, the `AllowedValues` it declares (empty: any) and its
/// `AssociationProperty` when it has one (values this server cannot compute from a cloud).
pub async fn parameter_constraints(api: &Api, rpc: &RpcRequest) -> Result<Fields, AcsError> {
    if rpc.get("TemplateURL").is_some() && rpc.get("TemplateContent").is_none() {
        return Err(AcsError::invalid_parameter("TemplateURL", "templates by URL are not supported; send TemplateContent or TemplateName"));
    }
    rpc.json::<Map<String, Value>>("Parameters")?;
    let content = match rpc.get("TemplateContent") {
        Some(content) => content.to_string(),
        None => fetch_requested(api, rpc).await?.content,
    };
    let template = oos_template::parse(&content).map_err(|e| error::invalid_template(&e))?;
    let constraints: Map<String, Value> = template
        .parameters
        .iter()
        .map(|(name, parameter)| {
            let mut constraint = json!({
                "Type": parameter.ty.to_string(),
                "AllowedValues": parameter.allowed_values.clone().unwrap_or_default(),
            });
            if let Some(association) = &parameter.association_property {
                constraint["AssociationProperty"] = association.clone();
            }
            (name.clone(), constraint)
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("ParameterConstraints".into(), Value::Object(constraints));
    Ok(fields)
}
