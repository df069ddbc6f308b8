//! The parameter store's rows, writes and queries (common and secret parameters, versioned).

/// One version of a parameter (the value empty in list results).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParameterRow {
    pub name: String,
    pub id: String,
    /// `String`, `StringList` or `Secret`.
    pub kind: String,
    pub version: i64,
    pub latest_version: i64,
    pub value: String,
    pub description: String,
    /// JSON object text, or empty.
    pub constraints: String,
    pub key_id: String,
    /// JSON object of the parameter's tags.
    pub tags: String,
    pub resource_group_id: String,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_by: String,
    pub updated_ms: i64,
}

/// A parameter to create (version 1).
#[derive(Debug, Clone, Default)]
pub struct NewParameter {
    pub secret: bool,
    pub name: String,
    pub id: String,
    pub kind: String,
    pub value: String,
    pub description: String,
    pub constraints: String,
    pub key_id: String,
    /// JSON object text.
    pub tags: Option<String>,
    pub resource_group_id: Option<String>,
    pub actor: String,
    pub now_ms: i64,
}

/// A change of an existing parameter: a new value adds a version; the rest replace metadata when given.
#[derive(Debug, Clone, Default)]
pub struct ParameterUpdate {
    pub secret: bool,
    pub name: String,
    pub value: Option<String>,
    pub description: Option<String>,
    pub tags: Option<String>,
    pub resource_group_id: Option<String>,
    pub actor: String,
    pub now_ms: i64,
}

/// How `list_parameters` orders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParameterSort {
    #[default]
    CreatedDate,
    Name,
}

/// Filters and paging of `list_parameters`; every given field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct ParameterQuery {
    pub secret: bool,
    /// Substring of the name.
    pub name_contains: Option<String>,
    /// Parameters under this path (leading and trailing `/` ignored); all of them when `recursive`,
    /// otherwise only the direct children.
    pub path: Option<String>,
    pub recursive: bool,
    pub kind: Option<String>,
    pub resource_group_id: Option<String>,
    pub tags: Vec<(String, String)>,
    pub sort: ParameterSort,
    pub ascending: bool,
    /// Also read the latest value of each row.
    pub with_values: bool,
    pub offset: i64,
    pub limit: i64,
}

/// One version in a parameter's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParameterVersionRow {
    pub version: i64,
    pub value: String,
    pub updated_by: String,
    pub updated_ms: i64,
}

