//! Resource tags: the kinds of tagged resources, a tag change, a listed tag.

use serde_json::{Map, Value};

/// A kind of resource that carries tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedKind {
    Template,
    Execution,
    Parameter,
    SecretParameter,
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

/// One tag of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTag {
    pub resource_id: String,
    pub key: String,
    pub value: String,
}

