//! The template catalogue's rows, writes and queries.

/// One version of a catalogued template (content empty in list results).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemplateRow {
    pub name: String,
    pub template_id: String,
    pub version: i64,
    pub latest_version: i64,
    pub version_name: String,
    /// `YAML` or `JSON`.
    pub format: String,
    /// Lower-case hex SHA-256 of the content.
    pub hash: String,
    pub description: String,
    pub content: String,
    /// JSON object of the template's tags.
    pub tags: String,
    pub resource_group_id: String,
    pub created_by: String,
    pub created_ms: i64,
    pub updated_by: String,
    pub updated_ms: i64,
    /// Executions started from this template (all versions).
    pub execution_count: i64,
    /// Marked with UpdateTemplateAttributes(IsFavorite).
    pub is_favorite: bool,
}

/// A new template, or a new version of an existing one.
#[derive(Debug, Clone, Default)]
pub struct NewTemplateVersion {
    pub name: String,
    /// Used only when the template is created.
    pub template_id: String,
    pub content: String,
    pub format: String,
    pub hash: String,
    pub description: String,
    pub version_name: String,
    /// Replaces the tags when given (JSON object).
    pub tags: Option<String>,
    /// Replaces the resource group when given.
    pub resource_group_id: Option<String>,
    pub actor: String,
    pub now_ms: i64,
}

/// How `list_templates` orders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemplateSort {
    #[default]
    CreatedDate,
    UpdatedDate,
    TemplateName,
    TotalExecutionCount,
}

/// Filters and paging of `list_templates`; every given field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct TemplateQuery {
    /// Substring of the name.
    pub name_contains: Option<String>,
    /// Only names that start (`true`) or do not start (`false`) with this prefix, ASCII case ignored.
    pub name_prefix: Option<(String, bool)>,
    pub created_by: Option<String>,
    pub format: Option<String>,
    pub created_after_ms: Option<i64>,
    pub created_before_ms: Option<i64>,
    /// Tags that must all be present with these values.
    pub tags: Vec<(String, String)>,
    /// Only favourites (true) or only the others (false).
    pub favorite: Option<bool>,
    pub sort: TemplateSort,
    pub ascending: bool,
    pub offset: i64,
    pub limit: i64,
}

