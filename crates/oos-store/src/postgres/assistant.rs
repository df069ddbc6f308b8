//! The Cloud Assistant's storage on PostgreSQL (statements in [`crate::sql::assistant`] and
//! [`crate::sql::invocations`], decisions in [`crate::sql::assistant_rules`]). A write that decides
//! on a row it read (an activation's uses, a target's status, an instance's inventory) reads it
//! `FOR UPDATE`, so concurrent writers of one row queue and each decides on the row the one before
//! left: registrations never exceed an activation's limit, and no report is lost. A write that
//! changed something commits with the request's audit entry.

use sqlx::{AssertSqlSafe, FromRow, Postgres};

use super::PgStore;
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
impl AssistantStore for PgStore {
    async fn create_activation(&self, activation: &ActivationRow) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sql::insert_activation::<Postgres>(activation).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn activations(&self, ids: &[String]) -> Result<Vec<ActivationRow>> {
        Ok(sql::activations::<Postgres>(ids).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn delete_activation(&self, activation_id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sqlx::query(sql::DELETE_ACTIVATION).bind(activation_id).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn register_instance(&self, code_hash: &str, now_ms: i64, instance: &ManagedInstanceRow) -> Result<RegisterOutcome> {
        let mut tx = self.pool.begin().await?;
        let activation = sqlx::query_as(AssertSqlSafe(sql::registration::<Postgres>()))
            .bind(&instance.activation_id)
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = rules::registration(activation, now_ms);
        if outcome == RegisterOutcome::Registered {
            sqlx::query(sql::COUNT_USE).bind(&instance.activation_id).execute(&mut *tx).await?;
            sql::insert_instance::<Postgres>(instance).execute(&mut *tx).await?;
            self.commit_audited(tx).await?;
        }
        Ok(outcome)
    }

    async fn managed_instance(&self, instance_id: &str) -> Result<Option<ManagedInstanceRow>> {
        Ok(sqlx::query_as(AssertSqlSafe(sql::instance())).bind(instance_id).fetch_optional(&self.pool).await?)
    }

    async fn managed_instances(&self, query: &ManagedInstanceQuery) -> Result<Vec<ManagedInstanceRow>> {
        Ok(sql::managed_instances::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn deregister_instance(&self, instance_id: &str, now_ms: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(activation_id) = sqlx::query_scalar::<_, String>(sql::DEREGISTER).bind(instance_id).fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        sqlx::query(sql::COUNT_DEREGISTERED).bind(&activation_id).execute(&mut *tx).await?;
        invocations::fail_targets_of_instance::<Postgres>(instance_id, now_ms).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn instance_seen(&self, instance_id: &str, now_ms: i64, connected: bool, inventory: Option<&str>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query(sql::SEEN).bind(instance_id).bind(now_ms).bind(connected).bind(inventory).execute(&mut *tx).await?.rows_affected() > 0;
        self.commit_audited(tx).await?;
        Ok(found)
    }

    async fn record_inventory(&self, instance_id: &str, collected: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let current: Option<String> =
            sqlx::query_scalar(AssertSqlSafe(sql::collected::<Postgres>())).bind(instance_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(()) };
        sqlx::query(sql::SET_COLLECTED).bind(instance_id).bind(rules::merged_inventory(&current, collected)).execute(&mut *tx).await?;
        self.commit_audited(tx).await
    }

    async fn create_command(&self, command: &CommandRow) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sql::insert_command::<Postgres>(command).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn commands(&self, query: &CommandQuery) -> Result<Vec<CommandRow>> {
        Ok(sql::commands::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?)
    }

    async fn delete_command(&self, command_id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if sqlx::query(sql::DELETE_COMMAND).bind(command_id).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn create_invocation(&self, invocation: &InvocationRow, targets: &[InvocationTarget]) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        if invocations::insert_invocation::<Postgres>(invocation).execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(sqlx::query_scalar(invocations::BY_CLIENT_TOKEN).bind(invocation.client_token.as_deref()).fetch_optional(&mut *tx).await?);
        }
        for chunk in targets.chunks(TARGETS_PER_INSERT) {
            invocations::insert_targets::<Postgres>(chunk).build().execute(&mut *tx).await?;
        }
        self.commit_audited(tx).await?;
        Ok(None)
    }

    /// The count, the page and its targets, read in one transaction (one snapshot of the database).
    async fn invocations(&self, query: &InvocationQuery) -> Result<(Vec<(InvocationRow, Vec<InvocationTarget>)>, i64)> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let total = invocations::count_invocations::<Postgres>(query).build_query_scalar().fetch_one(&mut *tx).await?;
        let page: Vec<InvocationRow> = invocations::invocation_page::<Postgres>(query).build_query_as().fetch_all(&mut *tx).await?;
        let targets = if page.is_empty() { Vec::new() } else { invocations::page_targets::<Postgres>(query).build_query_as().fetch_all(&mut *tx).await? };
        tx.commit().await?;
        Ok((invocations::with_targets(page, targets), total))
    }

    async fn deliveries(&self, instance_ids: &[String]) -> Result<Vec<Delivery>> {
        let rows = invocations::deliveries::<Postgres>(instance_ids).build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok(Delivery { invocation: InvocationRow::from_row(row)?, target: InvocationTarget::from_row(row)? }))
            .collect()
    }

    async fn update_target(&self, invoke_id: &str, instance_id: &str, change: &TargetChange) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let current: Option<InvocationTarget> =
            sqlx::query_as(AssertSqlSafe(invocations::target::<Postgres>())).bind(invoke_id).bind(instance_id).fetch_optional(&mut *tx).await?;
        let Some(next) = current.and_then(|current| rules::changed(&current, change)) else { return Ok(false) };
        invocations::update_target::<Postgres>(&next).execute(&mut *tx).await?;
        self.commit_audited(tx).await?;
        Ok(true)
    }

    async fn expire_targets(&self, now_ms: i64) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let expired = invocations::expire::<Postgres>(now_ms).execute(&mut *tx).await?.rows_affected();
        if expired > 0 {
            self.commit_audited(tx).await?;
        }
        Ok(expired)
    }
}
