//! Resource tags: the kinds of tagged resources, a tag change, a listed tag.

use serde_json::{Map, Value};

/// A kind of resource that carries tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedKind {
    Template,
    Execution,
    Parameter,
    SecretParameter,
    /// A host registered with `oos agent` (`mi-…`).
    ManagedInstance,
    /// A saved Cloud Assistant command.
    Command,
    Activation,
}

/// What a tag write does to each resource's tags.
#[derive(Debug, Clone, Default)]
pub struct TagChange {
    /// Tags added or overwritten.
    pub set: Map<String, Value>,
    /// Keys removed.
    pub remove: Vec<String>,
    /// Remove every tag first.
    pub remove_all: bool,
}

impl TagChange {
    /// The tags (a JSON object's text) after the change; unreadable tags count as none.
    pub fn applied_to(&self, tags: &str) -> String {
        let mut tags: Map<String, Value> = if self.remove_all { Map::new() } else { serde_json::from_str(tags).unwrap_or_default() };
        for removed in &self.remove {
            tags.remove(removed);
        }
        tags.extend(self.set.clone());
        Value::Object(tags).to_string()
    }
}

/// One tag of one resource.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResourceTag {
    pub resource_id: String,
    pub key: String,
    pub value: String,
}

