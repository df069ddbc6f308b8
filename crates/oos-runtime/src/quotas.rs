//! Quotas on what executions may start: unfinished executions per account and per template, and
//! how deeply executions may nest (a template that starts itself stops at the limit).

use std::collections::HashMap;

use oos_store::Store;

use oos_engine::CreateError;

/// The limits, with their documented defaults (docs/engine.md, "Quotas").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// Unfinished executions of the whole account (children included).
    pub running_per_account: i64,
    /// Unfinished executions of one template (children included).
    pub running_per_template: i64,
    /// Levels of child executions below a started one.
    pub max_depth: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self { running_per_account: 1000, running_per_template: 200, max_depth: 5 }
    }
}

/// The code of a start refused for the number of unfinished executions.
pub const RUNNING_EXECUTIONS: &str = "QuotaExceeded.RunningExecutions";
/// The code of a child refused for its depth.
pub const NESTING_DEPTH: &str = "QuotaExceeded.NestingDepth";

/// The code of a quota check that could not read the store.
pub(crate) const READ_FAILED: &str = "Store.ReadFailed";

impl Quotas {
    /// Refuses a new execution of `template_name` at `depth` when a quota is reached; `uncommitted`
    /// counts the executions created in the current turn and not yet in the store.
    pub(crate) async fn admit(&self, store: &dyn Store, template_name: &str, depth: u32, uncommitted: &mut Uncommitted) -> Result<(), CreateError> {
        if depth > self.max_depth {
            return Err(CreateError {
                code: NESTING_DEPTH,
                message: format!("template {template_name} would run {depth} levels deep; child executions may nest {} levels", self.max_depth),
            });
        }
        let account = uncommitted.open(store, None).await? + uncommitted.total;
        if account >= self.running_per_account {
            return Err(CreateError {
                code: RUNNING_EXECUTIONS,
                message: format!("the account has {account} unfinished executions, its limit is {}", self.running_per_account),
            });
        }
        let template = uncommitted.open(store, Some(template_name)).await? + uncommitted.by_template.get(template_name).copied().unwrap_or(0);
        if template >= self.running_per_template {
            return Err(CreateError {
                code: RUNNING_EXECUTIONS,
                message: format!("template {template_name} has {template} unfinished executions, its limit is {}", self.running_per_template),
            });
        }
        Ok(())
    }
}

/// What one turn (or one start) counts against the quotas: the unfinished executions the store holds,
/// read once per account and per template, and those it creates, not yet committed. A turn that
/// starts many children (a burst of firings) reads the counts once, not twice per child.
#[derive(Debug, Default)]
pub(crate) struct Uncommitted {
    total: i64,
    by_template: HashMap<String, i64>,
    stored: HashMap<Option<String>, i64>,
}

impl Uncommitted {
    /// The store's unfinished executions (of `template_name`, or all), read the first time only.
    async fn open(&mut self, store: &dyn Store, template_name: Option<&str>) -> Result<i64, CreateError> {
        let key = template_name.map(str::to_owned);
        if let Some(count) = self.stored.get(&key) {
            return Ok(*count);
        }
        let count = store.count_open(template_name).await.map_err(|e| CreateError { code: READ_FAILED, message: e.to_string() })?;
        self.stored.insert(key, count);
        Ok(count)
    }

    pub(crate) fn add(&mut self, template_name: &str) {
        self.total += 1;
        *self.by_template.entry(template_name.to_owned()).or_insert(0) += 1;
    }
}
