//! ListExecutions over the engine's `executions` table and the API's `api_executions`: one query for
//! the page (rows with their metadata, task counters and current tasks) and one for `TotalCount`
//! (both in [`crate::sql::executions`]), served by the indexes of migrations 0012, 0015 and 0017, so
//! a page costs the same at 100k executions as at 10.

use sqlx::Sqlite;

use super::SqliteStore;
use crate::Result;
use crate::model::{ExecutionQuery, ListedExecution};
use crate::sql::executions;

impl SqliteStore {
    /// One page of executions matching `query`, and the number of matches in all pages.
    pub(super) async fn list_page(&self, query: &ExecutionQuery) -> Result<(Vec<ListedExecution>, i64)> {
        let total = executions::count::<Sqlite>(query).build_query_scalar().fetch_one(&self.pool).await?;
        let page = executions::page::<Sqlite>(query).build_query_as().fetch_all(&self.pool).await?;
        Ok((page, total))
    }

    /// One execution as ListExecutions shows it, whatever its parent.
    pub(super) async fn listed_one(&self, execution_id: &str) -> Result<Option<ListedExecution>> {
        let query = ExecutionQuery { execution_id: Some(execution_id.to_string()), limit: 1, ..ExecutionQuery::default() };
        Ok(self.list_page(&query).await?.0.pop())
    }
}
