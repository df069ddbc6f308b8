//! SQL of the API's storage shared by every backend: statements that read the same on SQLite and
//! PostgreSQL, query builders generic over the database, and the few places the dialects differ
//! ([`Dialect`]). Each backend runs these in its own transactions and with its own locking.

pub(crate) mod assistant;
pub(crate) mod assistant_rules;
pub(crate) mod console;
pub(crate) mod executions;
pub(crate) mod iam;
pub(crate) mod invocations;
pub(crate) mod parameters;
pub(crate) mod retention;
pub(crate) mod sandbox_inbox;
pub(crate) mod states;
pub(crate) mod tags;
pub(crate) mod templates;
pub(crate) mod triggers;

use sqlx::{Postgres, QueryBuilder, Sqlite};

/// A statement with its arguments bound, ready to run on a connection of `DB`.
pub(crate) type Statement<DB> = sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>;

/// What differs between the backends' SQL, so that one query builder serves both. The results are
/// those of SQLite: text orders bytewise, NULL is the smallest value, JSON tags compare as JSON.
pub(crate) trait Dialect: sqlx::Database {
    /// The function `(haystack, needle)` giving the 1-based position of a substring, 0 when absent.
    const FIND: &'static str;
    /// The tags (a JSON object in column `r.tags`) as rows `j` with columns `key` and `value`.
    const EACH_TAG: &'static str;
    /// The value of tag row `j` as text.
    const TAG_VALUE: &'static str;
    /// ListExecutions' summary of an execution `e`'s top-level tasks: the JSON columns `task_counts`
    /// (an object of counts per status) and `current_tasks` (an array of the running or waiting
    /// ones, in creation order).
    const TASK_SUMMARY: &'static str;
    /// Appended to a `SELECT` of rows the transaction is about to change: PostgreSQL locks them
    /// (`FOR UPDATE`); SQLite's write transactions hold the database's single writer lock already.
    const FOR_UPDATE: &'static str;

    /// Pushes the condition "`column` is one of `ids`" with the ids bound as one value, so that one
    /// statement serves any number of them.
    fn push_in_ids(sql: &mut QueryBuilder<Self>, column: &str, ids: &[String]);

    /// `expression` (text) compared and ordered bytewise.
    fn bytewise(expression: &str) -> String;

    /// The NULLS clause that orders NULL below every value in the given direction.
    fn nulls_smallest(ascending: bool) -> &'static str;

    /// Pushes the condition "the JSON object in `column` holds the string `value` at `key`".
    fn push_json_string_at(sql: &mut QueryBuilder<Self>, column: &str, key: &str, value: &str);
}

impl Dialect for Sqlite {
    const FIND: &'static str = "instr";
    const EACH_TAG: &'static str = "json_each(r.tags) j";
    const TAG_VALUE: &'static str = "CAST(j.value AS TEXT)";
    const TASK_SUMMARY: &'static str = "(SELECT json_group_object(status, n) FROM (SELECT t.status, COUNT(*) AS n FROM task_executions t \
        WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL GROUP BY t.status)) AS task_counts, \
        (SELECT json_group_array(json_object('TaskName', t.task_name, 'TaskAction', t.task_action, 'TaskExecutionId', t.id)) \
        FROM task_executions t WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL AND t.status IN ('Running', 'Waiting')) \
        AS current_tasks";
    const FOR_UPDATE: &'static str = "";

    /// The ids as a JSON array, unnested by `json_each`.
    fn push_in_ids(sql: &mut QueryBuilder<Self>, column: &str, ids: &[String]) {
        let ids = serde_json::Value::from(ids.to_vec()).to_string();
        sql.push(format!("{column} IN (SELECT value FROM json_each(")).push_bind(ids).push("))");
    }

    /// SQLite's default collation (BINARY) is bytewise already.
    fn bytewise(expression: &str) -> String {
        expression.to_owned()
    }

    /// SQLite orders NULL first ascending and last descending already.
    fn nulls_smallest(_ascending: bool) -> &'static str {
        ""
    }

    /// `json_extract` yields the SQL text of a JSON string, and a number (never equal to text) otherwise.
    fn push_json_string_at(sql: &mut QueryBuilder<Self>, column: &str, key: &str, value: &str) {
        sql.push(format!("json_extract({column}, ")).push_bind(format!("$.\"{key}\"")).push(") = ").push_bind(value.to_owned());
    }
}

impl Dialect for Postgres {
    const FIND: &'static str = "strpos";
    const EACH_TAG: &'static str = "jsonb_each_text(r.tags::jsonb) j";
    const TAG_VALUE: &'static str = "j.value COLLATE \"C\"";
    const TASK_SUMMARY: &'static str = "COALESCE((SELECT json_object_agg(s.status, s.n) FROM (SELECT t.status, COUNT(*) AS n \
        FROM task_executions t WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL GROUP BY t.status) s), '{}') \
        AS task_counts, \
        COALESCE((SELECT json_agg(json_build_object('TaskName', t.task_name, 'TaskAction', t.task_action, 'TaskExecutionId', t.id) \
        ORDER BY t.seq) FROM task_executions t WHERE t.execution_id = e.id AND t.parent_task_execution_id IS NULL \
        AND t.status IN ('Running', 'Waiting')), '[]') AS current_tasks";
    const FOR_UPDATE: &'static str = " FOR UPDATE";

    /// The ids as a `TEXT[]`.
    fn push_in_ids(sql: &mut QueryBuilder<Self>, column: &str, ids: &[String]) {
        sql.push(format!("{column} = ANY(")).push_bind(ids.to_vec()).push(")");
    }

    /// The database's collation may follow a locale; `"C"` compares bytes, as SQLite does.
    fn bytewise(expression: &str) -> String {
        format!("{expression} COLLATE \"C\"")
    }

    /// PostgreSQL orders NULL as the largest value unless told otherwise.
    fn nulls_smallest(ascending: bool) -> &'static str {
        if ascending { " NULLS FIRST" } else { " NULLS LAST" }
    }

    /// Compares JSON values, so a number or boolean never equals a string (as in SQLite).
    fn push_json_string_at(sql: &mut QueryBuilder<Self>, column: &str, key: &str, value: &str) {
        sql.push(format!("({column}::jsonb -> ")).push_bind(key.to_owned()).push(") = to_jsonb(").push_bind(value.to_owned()).push("::TEXT)");
    }
}

/// An ORDER BY term: `column` in `direction`, text bytewise, NULL smallest.
pub(crate) fn order_term<DB: Dialect>(column: &str, key: SortKey, ascending: bool) -> String {
    let direction = if ascending { "ASC" } else { "DESC" };
    match key {
        SortKey::Number => format!("{column} {direction}"),
        SortKey::NullableNumber => format!("{column} {direction}{}", DB::nulls_smallest(ascending)),
        SortKey::Text => format!("{} {direction}", DB::bytewise(column)),
    }
}

/// What kind of value a sort column holds (it decides collation and NULL placement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Number,
    NullableNumber,
    Text,
}

/// Pushes ` AND` the condition that the JSON tags in `column` hold tag `key` with `value`. Double
/// quotes are dropped from the key, as SQLite's JSON path `$."key"` must.
pub(crate) fn push_has_tag<DB: Dialect>(sql: &mut QueryBuilder<DB>, column: &str, key: &str, value: &str) {
    sql.push(" AND ");
    DB::push_json_string_at(sql, column, &key.replace('"', ""), value);
}
