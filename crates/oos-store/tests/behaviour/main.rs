//! One behaviour suite for every store backend: each test is a generic function over the store
//! traits, run once on an embedded SQLite store and once on a scratch PostgreSQL database.

use oos_store::postgres::{PgSettings, ScratchDatabase};
use oos_store::sqlite::Durability;
use oos_store::{PgStore, SqliteStore};

/// A SQLite store in a temporary directory.
pub async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    (dir, store)
}

/// A PostgreSQL store on a database of its own.
pub async fn postgres() -> (ScratchDatabase, PgStore) {
    let database = ScratchDatabase::create().await.unwrap();
    let store = PgStore::open(&database.url(), &PgSettings::default()).await.unwrap();
    (database, store)
}

/// Runs the generic test `$test` against each backend, as `$test::sqlite` and `$test::postgres`.
#[macro_export]
macro_rules! on_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let (_dir, store) = $crate::sqlite().await;
                super::$test(&store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let (_database, store) = $crate::postgres().await;
                super::$test(&store).await;
                oos_store::Close::close(&store).await;
            }
        }
    )*};
}

mod assistant;
mod audit_chain;
mod audited_writes;
mod changes;
mod console;
mod engine;
mod executions_api;
mod fixtures;
mod iam;
mod parameters;
mod retention;
mod retention_scale;
mod sandbox_inbox;
mod tags;
mod templates;
mod triggers;

/// Both backends are whole server stores: a server holds either as an `Arc<dyn ServerStore>`.
#[test]
fn both_backends_are_server_stores() {
    fn server_store(store: impl oos_store::ServerStore + 'static) -> Box<dyn oos_store::ServerStore> {
        Box::new(store)
    }
    let _: fn(PgStore) -> Box<dyn oos_store::ServerStore> = server_store;
    let _: fn(SqliteStore) -> Box<dyn oos_store::ServerStore> = server_store;
}
