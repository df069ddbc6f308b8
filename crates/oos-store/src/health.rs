//! Whether a store can serve, for a load balancer's readiness check: the database answers one cheap
//! query, the list of applied migrations, and that list is exactly the migrations this binary carries.

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

/// The readiness probe of a store.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync {
    /// Reads the applied migrations (one query: it fails when the database does not answer) and
    /// compares them with this binary's. Callers bound it with a timeout.
    async fn migrations(&self) -> Result<Migrations>;
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
