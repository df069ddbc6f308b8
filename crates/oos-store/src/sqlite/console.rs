//! Console sessions and sign-in failures on SQLite (statements in [`crate::sql::console`]).

use sqlx::{Sqlite, Row};

use super::SqliteStore;
use super::audit::commit_audited;
use crate::Result;
use crate::api::ConsoleStore;
use crate::model::{ConsoleSession, LockoutRule};
use crate::sql::console;

#[async_trait::async_trait]
impl ConsoleStore for SqliteStore {
    async fn create_console_session(&self, session: &ConsoleSession, now_ms: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(console::DELETE_ENDED).bind(now_ms).execute(&mut *tx).await?;
        console::insert::<Sqlite>(session).execute(&mut *tx).await?;
        commit_audited(tx).await?;
        Ok(())
    }

    async fn touch_console_session(&self, token_hash: &str, now_ms: i64, idle_expires_ms: i64) -> Result<Option<ConsoleSession>> {
        let mut tx = self.begin_write().await?;
        let session = sqlx::query_as(sqlx::AssertSqlSafe(console::touch()))
            .bind(token_hash.to_owned())
            .bind(now_ms)
            .bind(idle_expires_ms)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn delete_console_session(&self, token_hash: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(console::DELETE).bind(token_hash.to_owned()).execute(&mut *tx).await?.rows_affected() > 0;
        commit_audited(tx).await?;
        Ok(deleted)
    }

    async fn revoke_console_sessions(&self, user_name: &str, keep: Option<&str>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let query = sqlx::query(console::REVOKE_USERS).bind(user_name.to_owned()).bind(keep.unwrap_or_default().to_owned());
        let revoked = query.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(revoked)
    }

    async fn sign_in_locked_until(&self, user_name: &str) -> Result<i64> {
        let locked: Option<i64> = sqlx::query_scalar(console::LOCKED_UNTIL).bind(user_name.to_owned()).fetch_optional(&self.pool).await?;
        Ok(locked.unwrap_or(0))
    }

    async fn record_sign_in_failure(&self, user_name: &str, now_ms: i64, rule: &LockoutRule) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let locked_until: i64 = console::record_failure::<Sqlite>(user_name, now_ms, rule).fetch_one(&mut *tx).await?.try_get(0)?;
        tx.commit().await?;
        Ok(locked_until)
    }

    async fn clear_sign_in_failures(&self, user_name: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(console::CLEAR_FAILURES).bind(user_name.to_owned()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
