//! ListExecutions on PostgreSQL: the page and its total count (both in [`crate::sql::executions`]),
//! served by the partial indexes of the ListExecutions section of migration 0001.

use sqlx::Postgres;

use super::PgStore;
use crate::Result;
use crate::model::{ExecutionQuery, ListedExecution};
use crate::sql::executions;

impl PgStore {
    /// One page of executions matching `query`, and the number of matches in all pages.
    pub(super) async fn list_page(&self, query: &ExecutionQuery) -> Result<(Vec<ListedExecution>, i64)> {
        let total = executions::count::<Postgres>(query).build_query_scalar().fetch_one(&self.pool).await?;
        let page = executions::page::<Postgres>(query).build_query_as().fetch_all(&self.pool).await?;
        Ok((page, total))
    }

    /// One execution as ListExecutions shows it, whatever its parent.
    pub(super) async fn listed_one(&self, execution_id: &str) -> Result<Option<ListedExecution>> {
        let query = ExecutionQuery { execution_id: Some(execution_id.to_string()), limit: 1, ..ExecutionQuery::default() };
        Ok(self.list_page(&query).await?.0.pop())
    }
}
