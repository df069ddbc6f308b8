//! Where `{{ oos:Name }}` values come from: a [`ParameterSource`] the worker reads once per new
//! execution (top-level or child), so the deterministic core only ever sees the stored snapshot.

use std::collections::BTreeMap;

use oos_template::Template;
use serde_json::Value;

use crate::create::{CreateError, store_parameter_names};

/// The parameter store as the engine needs it: the latest value of a common parameter.
#[async_trait::async_trait]
pub trait ParameterSource: Send + Sync {
    /// The value of parameter `name` (`None`: no such parameter).
    async fn value(&self, name: &str) -> Result<Option<Value>, String>;
}

/// The values of every common parameter `template` references; a missing one (or a template that
/// references any while the worker has no source) is `EntityNotExists.Parameter` naming it.
pub async fn snapshot(source: Option<&dyn ParameterSource>, template: &Template) -> Result<BTreeMap<String, Value>, CreateError> {
    let mut values = BTreeMap::new();
    for name in store_parameter_names(template) {
        let found = match source {
            Some(source) => source.value(&name).await.map_err(|message| CreateError { code: "ParameterStore.ReadFailed", message })?,
            None => None,
        };
        let value = found.ok_or_else(|| CreateError {
            code: "EntityNotExists.Parameter",
            message: format!("the template references {{{{ oos:{name} }}}} but the parameter store has no parameter {name:?}"),
        })?;
        values.insert(name, value);
    }
    Ok(values)
}
