//! The sandbox inbox on SQLite (statements in [`crate::sql::sandbox_inbox`]).

use sqlx::Sqlite;

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::SandboxInboxStore;
use crate::model::{SandboxLetter, SandboxLetterQuery};
use crate::sql::sandbox_inbox;

#[async_trait::async_trait]
impl SandboxInboxStore for SqliteStore {
    async fn capture_letter(&self, letter: &SandboxLetter, keep: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sandbox_inbox::insert::<Sqlite>(letter)
            .execute(&mut *tx)
            .await?;
        sandbox_inbox::keep_newest::<Sqlite>(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sandbox_letters(&self, query: &SandboxLetterQuery) -> Result<Vec<SandboxLetter>> {
        Ok(sandbox_inbox::list::<Sqlite>(query)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?)
    }

    async fn sandbox_letter(&self, id: &str) -> Result<Option<SandboxLetter>> {
        Ok(sandbox_inbox::one::<Sqlite>(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn clear_sandbox_inbox(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let cleared = sqlx::query(sandbox_inbox::CLEAR)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        commit_audited(tx).await?;
        Ok(cleared)
    }
}
