//! Whether a store can serve, for a load balancer's readiness check: the database answers one cheap
//! query, the list of applied migrations, and that list is exactly the migrations this binary carries.
//! Also what a server's `/metrics` shows of its store: the work waiting for a worker and the pool's use.

use sqlx::migrate::Migrator;

use crate::Result;

/// The migrations table sqlx keeps in both databases.
pub(crate) const APPLIED: &str = "SELECT version, checksum FROM _sqlx_migrations WHERE success";

/// How the migrations applied to the database compare with this binary's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrations {
    /// This binary's migrations the database lacks (the binary is newer and has not migrated it).
    pub missing: Vec<i64>,
    /// Applied migrations this binary does not carry, or carries with other content (a newer or
    /// another binary migrated the database).
    pub foreign: Vec<i64>,
}

impl Migrations {
    /// The applied set equals the binary's.
    pub fn current(&self) -> bool {
        self.missing.is_empty() && self.foreign.is_empty()
    }

    /// `applied` (version, checksum) against `migrator`'s up migrations.
    pub(crate) fn compare(migrator: &Migrator, applied: &[(i64, Vec<u8>)]) -> Self {
        let known: Vec<_> = migrator.iter().filter(|migration| !migration.migration_type.is_down_migration()).collect();
        let missing = known.iter().filter(|migration| !applied.iter().any(|(version, _)| *version == migration.version)).map(|migration| migration.version).collect();
        let foreign = applied
            .iter()
            .filter(|(version, checksum)| !known.iter().any(|migration| migration.version == *version && migration.checksum.as_ref() == checksum.as_slice()))
            .map(|(version, _)| *version)
            .collect();
        Self { missing, foreign }
    }
}

/// Executions due and runnable whose lease is free or expired (what a claim would take), as of
/// `$1` (ms): how many, and since when the oldest is due (its wake time, else its creation).
/// `runnable` is the backend's predicate of its partial index on runnable executions.
pub(crate) fn waiting_sql(runnable: &str) -> String {
    format!(
        "SELECT COUNT(*), MIN(COALESCE(wake_ms, created_ms)) FROM executions \
         WHERE {runnable} AND (wake_ms IS NULL OR wake_ms <= $1) AND (lease_owner IS NULL OR lease_expires_ms < $1)"
    )
}

/// The work waiting for a worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Executions a claim would take now.
    pub executions: i64,
    /// Since when (ms) the oldest of them is due; `None` when there is none.
    pub oldest_due_ms: Option<i64>,
}

/// The connection pool's use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open (idle or in use).
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl PoolUse {
    pub(crate) fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self { open: pool.size(), idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX), max: pool.options().get_max_connections() }
    }
}

/// The readiness probe of a store, and its gauges.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync {
    /// Reads the applied migrations (one query: it fails when the database does not answer) and
    /// compares them with this binary's. Callers bound it with a timeout.
    async fn migrations(&self) -> Result<Migrations>;
    /// The work waiting for a worker at `now_ms` (one query over the runnable executions' index).
    /// Callers bound it with a timeout and how often they ask.
    async fn waiting(&self, now_ms: i64) -> Result<Waiting>;
    /// The connection pool's use (no query).
    fn pool_use(&self) -> PoolUse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_applied_set_must_equal_the_binarys() {
        let migrator = &crate::sqlite::MIGRATOR;
        let all: Vec<(i64, Vec<u8>)> = migrator.iter().map(|migration| (migration.version, migration.checksum.to_vec())).collect();
        assert!(Migrations::compare(migrator, &all).current());
        let last = all.last().expect("migrations").0;
        let fewer = Migrations::compare(migrator, &all[..all.len() - 1]);
        assert_eq!(fewer, Migrations { missing: vec![last], foreign: vec![] });
        let mut changed = all.clone();
        changed[0].1 = vec![0];
        changed.push((last + 1, vec![1]));
        let other = Migrations::compare(migrator, &changed);
        assert_eq!(other, Migrations { missing: vec![], foreign: vec![all[0].0, last + 1] });
        assert!(!other.current());
    }
}
