//! The sandbox inbox on PostgreSQL (statements in [`crate::sql::sandbox_inbox`]).

use sqlx::Postgres;

use super::PgStore;
use crate::Result;
use crate::api::SandboxInboxStore;
use crate::model::{SandboxLetter, SandboxLetterQuery};
use crate::sql::sandbox_inbox;

#[async_trait::async_trait]
impl SandboxInboxStore for PgStore {
    async fn capture_letter(&self, letter: &SandboxLetter, keep: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sandbox_inbox::insert::<Postgres>(letter)
            .execute(&mut *tx)
            .await?;
        sandbox_inbox::keep_newest::<Postgres>(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sandbox_letters(&self, query: &SandboxLetterQuery) -> Result<Vec<SandboxLetter>> {
        Ok(sandbox_inbox::list::<Postgres>(query)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?)
    }

    async fn sandbox_letter(&self, id: &str) -> Result<Option<SandboxLetter>> {
        Ok(sandbox_inbox::one::<Postgres>(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn clear_sandbox_inbox(&self) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let cleared = sqlx::query(sandbox_inbox::CLEAR)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        self.commit_audited(tx).await?;
        Ok(cleared)
    }
}
