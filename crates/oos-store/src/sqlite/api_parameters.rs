//! The parameter store (`parameters`, `parameter_versions`): common and secret parameters, versioned.
//! Values are stored as given; the server seals secret values before they reach this module. Every
//! write is one transaction, committed with the request's audit entry.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::ParameterStore;
use crate::model::{NewParameter, ParameterQuery, ParameterRow, ParameterSort, ParameterUpdate, ParameterVersionRow};

const COLUMNS: &str = "p.name, p.id, p.type, v.version, p.latest_version, v.value, p.description, p.constraints, p.key_id, \
    p.tags, p.resource_group_id, p.created_by, p.created_ms, p.updated_by, p.updated_ms";

fn parameter_from_row(row: &SqliteRow) -> Result<ParameterRow> {
    Ok(ParameterRow {
        name: row.try_get("name")?,
        id: row.try_get("id")?,
        kind: row.try_get("type")?,
        version: row.try_get("version")?,
        latest_version: row.try_get("latest_version")?,
        value: row.try_get("value")?,
        description: row.try_get("description")?,
        constraints: row.try_get("constraints")?,
        key_id: row.try_get("key_id")?,
        tags: row.try_get("tags")?,
        resource_group_id: row.try_get("resource_group_id")?,
        created_by: row.try_get("created_by")?,
        created_ms: row.try_get("created_ms")?,
        updated_by: row.try_get("updated_by")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}

#[async_trait::async_trait]
impl ParameterStore for SqliteStore {
    /// Creates parameter `new.name` at version 1; `None` when the name is taken.
    async fn create_parameter(&self, new: &NewParameter) -> Result<Option<ParameterRow>> {
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT 1 FROM parameters WHERE secret = ?1 AND name = ?2").bind(new.secret).bind(&new.name).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO parameters (secret, name, id, type, latest_version, description, constraints, key_id, tags, \
             resource_group_id, created_by, created_ms, updated_by, updated_ms) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11)",
        )
        .bind(new.secret)
        .bind(&new.name)
        .bind(&new.id)
        .bind(&new.kind)
        .bind(&new.description)
        .bind(&new.constraints)
        .bind(&new.key_id)
        .bind(new.tags.as_deref().unwrap_or("{}"))
        .bind(new.resource_group_id.as_deref().unwrap_or(""))
        .bind(&new.actor)
        .bind(new.now_ms)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, new.secret, &new.name, 1, &new.value, &new.actor, new.now_ms).await?;
        commit_audited(tx).await?;
        self.parameter(new.secret, &new.name, None).await
    }

    /// Changes an existing parameter (a new version when a value is given); `None` when it does not exist.
    async fn update_parameter(&self, update: &ParameterUpdate) -> Result<Option<ParameterRow>> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT latest_version FROM parameters WHERE secret = ?1 AND name = ?2")
            .bind(update.secret)
            .bind(&update.name)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let mut version: i64 = row.try_get("latest_version")?;
        if let Some(value) = &update.value {
            version += 1;
            insert_version(&mut tx, update.secret, &update.name, version, value, &update.actor, update.now_ms).await?;
        }
        sqlx::query(
            "UPDATE parameters SET latest_version = ?3, description = COALESCE(?4, description), tags = COALESCE(?5, tags), \
             resource_group_id = COALESCE(?6, resource_group_id), updated_by = ?7, updated_ms = ?8 WHERE secret = ?1 AND name = ?2",
        )
        .bind(update.secret)
        .bind(&update.name)
        .bind(version)
        .bind(&update.description)
        .bind(&update.tags)
        .bind(&update.resource_group_id)
        .bind(&update.actor)
        .bind(update.now_ms)
        .execute(&mut *tx)
        .await?;
        commit_audited(tx).await?;
        self.parameter(update.secret, &update.name, None).await
    }

    /// Parameter `name` at `version` (default: the latest), with its value.
    async fn parameter(&self, secret: bool, name: &str, version: Option<i64>) -> Result<Option<ParameterRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM parameters p JOIN parameter_versions v ON v.secret = p.secret AND v.name = p.name \
             AND v.version = COALESCE(?3, p.latest_version) WHERE p.secret = ?1 AND p.name = ?2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(secret).bind(name).bind(version).fetch_optional(&self.pool).await?;
        row.map(|row| parameter_from_row(&row)).transpose()
    }

    /// Every version of `name`, newest first.
    async fn parameter_versions(&self, secret: bool, name: &str) -> Result<Vec<ParameterVersionRow>> {
        let rows = sqlx::query("SELECT version, value, updated_by, updated_ms FROM parameter_versions WHERE secret = ?1 AND name = ?2 ORDER BY version DESC")
            .bind(secret)
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ParameterVersionRow {
                    version: row.try_get("version")?,
                    value: row.try_get("value")?,
                    updated_by: row.try_get("updated_by")?,
                    updated_ms: row.try_get("updated_ms")?,
                })
            })
            .collect()
    }

    /// The latest versions of the parameters matching `query`, one page, and how many match in all.
    async fn list_parameters(&self, query: &ParameterQuery) -> Result<(Vec<ParameterRow>, i64)> {
        let value = if query.with_values { "v.value" } else { "'' AS value" };
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {}, COUNT(*) OVER () AS total FROM parameters p JOIN parameter_versions v ON v.secret = p.secret \
             AND v.name = p.name AND v.version = p.latest_version WHERE p.secret = ",
            COLUMNS.replace("v.value", value)
        ));
        sql.push_bind(query.secret);
        if let Some(name) = &query.name_contains {
            sql.push(" AND instr(p.name, ").push_bind(name.clone()).push(") > 0");
        }
        if let Some(path) = &query.path {
            let path = path.trim_matches('/');
            if !path.is_empty() {
                let prefix = format!("{path}/");
                sql.push(" AND substr(ltrim(p.name, '/'), 1, ").push_bind(prefix.len() as i64).push(") = ").push_bind(prefix.clone());
            }
            if !query.recursive {
                let skip = if path.is_empty() { 1 } else { path.len() as i64 + 2 };
                sql.push(" AND instr(substr(ltrim(p.name, '/'), ").push_bind(skip).push("), '/') = 0");
            }
        }
        if let Some(kind) = &query.kind {
            sql.push(" AND p.type = ").push_bind(kind.clone());
        }
        if let Some(group) = &query.resource_group_id {
            sql.push(" AND p.resource_group_id = ").push_bind(group.clone());
        }
        for (key, value) in &query.tags {
            sql.push(" AND json_extract(p.tags, ").push_bind(format!("$.\"{}\"", key.replace('"', ""))).push(") = ").push_bind(value.clone());
        }
        let column = match query.sort {
            ParameterSort::CreatedDate => "p.created_ms",
            ParameterSort::Name => "p.name",
        };
        let direction = if query.ascending { "ASC" } else { "DESC" };
        sql.push(format!(" ORDER BY {column} {direction}, p.name {direction} LIMIT "));
        sql.push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = sql.build().fetch_all(&self.pool).await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => self.count_parameters(query).await?,
        };
        Ok((rows.iter().map(parameter_from_row).collect::<Result<_>>()?, total))
    }

    /// Deletes parameter `name` with every version; false when it did not exist.
    async fn delete_parameter(&self, secret: bool, name: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM parameters WHERE secret = ?1 AND name = ?2").bind(secret).bind(name).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM parameter_versions WHERE secret = ?1 AND name = ?2").bind(secret).bind(name).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(deleted > 0)
    }
}

impl SqliteStore {
    /// The match count when the page is empty (past the end): the same query from offset 0.
    pub(crate) async fn count_parameters(&self, query: &ParameterQuery) -> Result<i64> {
        if query.offset == 0 {
            return Ok(0);
        }
        let first = ParameterQuery { offset: 0, limit: 1, with_values: false, ..query.clone() };
        Ok(Box::pin(self.list_parameters(&first)).await?.1)
    }
}

async fn insert_version(tx: &mut sqlx::Transaction<'_, Sqlite>, secret: bool, name: &str, version: i64, value: &str, actor: &str, now_ms: i64) -> Result<()> {
    sqlx::query("INSERT INTO parameter_versions (secret, name, version, value, updated_by, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(secret)
        .bind(name)
        .bind(version)
        .bind(value)
        .bind(actor)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
