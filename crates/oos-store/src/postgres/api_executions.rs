//! The API server's per-execution metadata on PostgreSQL (`api_executions`: caller, tags, ClientToken).

use sqlx::{Postgres, Transaction};

use crate::Result;
use crate::model::ExecutionMeta;

/// Inserts `meta`; whether it was written (false: its ClientToken belongs to another execution).
pub(crate) async fn insert_execution_meta(tx: &mut Transaction<'static, Postgres>, meta: &ExecutionMeta) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO api_executions (execution_id, executed_by, tags, resource_group_id, template_id, client_token, ram_role, loop_mode) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(&meta.execution_id)
    .bind(&meta.executed_by)
    .bind(&meta.tags)
    .bind(&meta.resource_group_id)
    .bind(&meta.template_id)
    .bind(&meta.client_token)
    .bind(&meta.ram_role)
    .bind(&meta.loop_mode)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
