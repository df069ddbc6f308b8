//! What only the embedded SQLite store does: the data directory's worker lock (the behaviour common
//! to every backend is in `tests/behaviour`).

use super::*;
use crate::*;

fn execution(id: &str, status: &str, runnable: bool) -> ExecutionRecord {
    ExecutionRecord {
        id: id.into(),
        template_name: "t".into(),
        template_version: None,
        template_content: "{}".into(),
        parameters: "{}".into(),
        mode: "Automatic".into(),
        status: status.into(),
        status_message: String::new(),
        outputs: None,
        parent_execution_id: None,
        parent_task_execution_id: None,
        description: String::new(),
        engine_state: "{}".into(),
        runnable,
        wake_ms: None,
        created_ms: 1,
        updated_ms: 1,
        start_ms: Some(1),
        end_ms: None,
    }
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn worker_lock_is_exclusive_and_frees_stale_leases() {
    let (dir, store) = open().await;
    let write = StepWrite { executions: vec![execution("exec-1", "Running", true)], lease_expires_ms: i64::MAX, ..Default::default() };
    store.commit("dead-worker", &write).await.unwrap();
    let lock = store.try_worker_lock().unwrap();
    let second = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    assert!(matches!(second.try_worker_lock(), Err(StoreError::Busy(_))));
    store.release_stale_leases(&lock).await.unwrap();
    let taken = Claimed { id: "exec-1".into(), taken_from: Some("dead-worker".into()) };
    assert_eq!(store.claim("w2", 0, 10, 10).await.unwrap(), vec![taken], "a takeover of the dead process's execution");
}

