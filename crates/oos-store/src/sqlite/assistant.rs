//! The Cloud Assistant's storage in SQLite (statements in [`crate::sql::assistant`] and
//! [`crate::sql::invocations`], decisions in [`crate::sql::assistant_rules`]). Every write is one
//! `BEGIN IMMEDIATE` transaction, so what it reads before writing (an activation's uses, a target's
//! status) cannot change under it; a write that changed something commits with the request's audit
//! entry.

use sqlx::{AssertSqlSafe, FromRow, Sqlite};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::AssistantStore;
use crate::model::{
    ActivationRow, CommandQuery, CommandRow, Delivery, InvocationQuery, InvocationRow, InvocationTarget, ManagedInstanceQuery, ManagedInstanceRow,
    RegisterOutcome, TargetChange,
};
use crate::sql::assistant as sql;
use crate::sql::assistant_rules as rules;
use crate::sql::invocations::{self, TARGETS_PER_INSERT};

#[async_trait::async_trait]
impl AssistantStore for SqliteStore {
    async fn create_activation(&self, activation: &ActivationRow) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if sql::insert_activation::<Sqlite>(activation).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn activations(&self, ids: &[String]) -> Result<Vec<ActivationRow>> {
        Ok(sql::activations::<Sqlite>(ids).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn delete_activation(&self, activation_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if sqlx::query(sql::DELETE_ACTIVATION).bind(activation_id).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn register_instance(&self, code_hash: &str, now_ms: i64, instance: &ManagedInstanceRow) -> Result<RegisterOutcome> {
        let mut tx = self.begin_write().await?;
        let activation = sqlx::query_as(AssertSqlSafe(sql::registration::<Sqlite>()))
            .bind(&instance.activation_id)
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = rules::registration(activation, now_ms);
        if outcome == RegisterOutcome::Registered {
            sqlx::query(sql::COUNT_USE).bind(&instance.activation_id).execute(&mut *tx).await?;
            sql::insert_instance::<Sqlite>(instance).execute(&mut *tx).await?;
            commit_audited(tx).await?;
        }
        Ok(outcome)
    }

    async fn managed_instance(&self, instance_id: &str) -> Result<Option<ManagedInstanceRow>> {
        Ok(sqlx::query_as(AssertSqlSafe(sql::instance())).bind(instance_id).fetch_optional(&self.pool).await?)
    }

    async fn managed_instances(&self, query: &ManagedInstanceQuery) -> Result<Vec<ManagedInstanceRow>> {
        Ok(sql::managed_instances::<Sqlite>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn deregister_instance(&self, instance_id: &str, now_ms: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(activation_id) = sqlx::query_scalar::<_, String>(sql::DEREGISTER).bind(instance_id).fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        sqlx::query(sql::COUNT_DEREGISTERED).bind(&activation_id).execute(&mut *tx).await?;
        invocations::fail_targets_of_instance::<Sqlite>(instance_id, now_ms).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn instance_seen(&self, instance_id: &str, now_ms: i64, connected: bool, inventory: Option<&str>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(sql::SEEN).bind(instance_id).bind(now_ms).bind(connected).bind(inventory).execute(&mut *tx).await?.rows_affected() > 0;
        commit_audited(tx).await?;
        Ok(found)
    }

    async fn record_inventory(&self, instance_id: &str, collected: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let current: Option<String> =
            sqlx::query_scalar(AssertSqlSafe(sql::collected::<Sqlite>())).bind(instance_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(()) };
        sqlx::query(sql::SET_COLLECTED).bind(instance_id).bind(rules::merged_inventory(&current, collected)).execute(&mut *tx).await?;
        commit_audited(tx).await
    }

    async fn create_command(&self, command: &CommandRow) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if sql::insert_command::<Sqlite>(command).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn commands(&self, query: &CommandQuery) -> Result<Vec<CommandRow>> {
        Ok(sql::commands::<Sqlite>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn delete_command(&self, command_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        if sqlx::query(sql::DELETE_COMMAND).bind(command_id).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn create_invocation(&self, invocation: &InvocationRow, targets: &[InvocationTarget]) -> Result<Option<String>> {
        let mut tx = self.begin_write().await?;
        if invocations::insert_invocation::<Sqlite>(invocation).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(sqlx::query_scalar(invocations::BY_CLIENT_TOKEN).bind(invocation.client_token.as_deref()).fetch_optional(&mut *tx).await?);
        }
        for chunk in targets.chunks(TARGETS_PER_INSERT) {
            invocations::insert_targets::<Sqlite>(chunk).build().execute(&mut *tx).await?;
        }
        commit_audited(tx).await?;
        Ok(None)
    }

    /// The count, the page and its targets, read in one transaction (one snapshot of the database).
    async fn invocations(&self, query: &InvocationQuery) -> Result<(Vec<(InvocationRow, Vec<InvocationTarget>)>, i64)> {
        let mut tx = self.pool.begin().await?;
        let total = invocations::count_invocations::<Sqlite>(query).build_query_scalar().fetch_one(&mut *tx).await?;
        let page: Vec<InvocationRow> = invocations::invocation_page::<Sqlite>(query).build_query_as().fetch_all(&mut *tx).await?;
        let targets = if page.is_empty() { Vec::new() } else { invocations::page_targets::<Sqlite>(query).build_query_as().fetch_all(&mut *tx).await? };
        tx.commit().await?;
        Ok((invocations::with_targets(page, targets), total))
    }

    async fn deliveries(&self, instance_ids: &[String]) -> Result<Vec<Delivery>> {
        let rows = invocations::deliveries::<Sqlite>(instance_ids).build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok(Delivery { invocation: InvocationRow::from_row(row)?, target: InvocationTarget::from_row(row)? }))
            .collect()
    }

    async fn update_target(&self, invoke_id: &str, instance_id: &str, change: &TargetChange) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let current: Option<InvocationTarget> =
            sqlx::query_as(AssertSqlSafe(invocations::target::<Sqlite>())).bind(invoke_id).bind(instance_id).fetch_optional(&mut *tx).await?;
        let Some(next) = current.and_then(|current| rules::changed(&current, change)) else { return Ok(false) };
        invocations::update_target::<Sqlite>(&next).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(true)
    }

    async fn expire_targets(&self, now_ms: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let expired = invocations::expire::<Sqlite>(now_ms).execute(&mut *tx).await?.rows_affected();
        if expired > 0 {
            commit_audited(tx).await?;
        }
        Ok(expired)
    }
}
