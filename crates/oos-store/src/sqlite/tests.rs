//! Behaviour of the SQLite store: round trips, fencing, claims, inbox, library versions.

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
        created_ms: 1,
        updated_ms: 1,
        start_ms: Some(1),
        end_ms: None,
    }
}

fn task(id: &str, execution_id: &str, seq: i64, status: &str) -> TaskRecord {
    TaskRecord {
        id: id.into(),
        execution_id: execution_id.into(),
        seq,
        task_name: format!("task{seq}"),
        task_action: "ACS::Sleep".into(),
        status: status.into(),
        status_message: String::new(),
        properties: Some("{}".into()),
        outputs: None,
        loop_item: None,
        loop_batch_number: None,
        parent_task_execution_id: None,
        child_execution_id: None,
        engine_state: "{}".into(),
        created_ms: 1,
        updated_ms: 1,
        start_ms: None,
        end_ms: None,
    }
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn commit_round_trips_many_tasks_and_updates_them() {
    let (_dir, store) = open().await;
    let tasks: Vec<_> = (0..150).map(|i| task(&format!("t{i}"), "exec-1", i, "Running")).collect();
    let write = StepWrite {
        executions: vec![execution("exec-1", "Running", true)],
        tasks,
        lease_expires_ms: 10,
        ..Default::default()
    };
    store.commit("w1", &write).await.unwrap();
    let mut done = write.clone();
    done.tasks.iter_mut().for_each(|t| t.status = "Success".into());
    done.executions[0].status = "Success".into();
    store.commit("w1", &done).await.unwrap();
    let read = store.tasks("exec-1").await.unwrap();
    assert_eq!(read.len(), 150);
    assert!(read.iter().all(|t| t.status == "Success"));
    assert_eq!(read[149].seq, 149);
    assert_eq!(store.execution("exec-1").await.unwrap().unwrap().status, "Success");
}

#[tokio::test]
async fn commit_by_another_owner_is_fenced_and_writes_nothing() {
    let (_dir, store) = open().await;
    let write = StepWrite { executions: vec![execution("exec-1", "Running", true)], ..Default::default() };
    store.commit("w1", &write).await.unwrap();
    let stolen = StepWrite {
        executions: vec![execution("exec-1", "Failed", false)],
        tasks: vec![task("t0", "exec-1", 0, "Failed")],
        ..Default::default()
    };
    let error = store.commit("w2", &stolen).await.unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost(id) if id == "exec-1"));
    assert_eq!(store.execution("exec-1").await.unwrap().unwrap().status, "Running");
    assert!(store.tasks("exec-1").await.unwrap().is_empty());
}

#[tokio::test]
async fn claim_takes_runnable_or_inboxed_executions_with_free_or_expired_leases() {
    let (_dir, store) = open().await;
    let write = StepWrite {
        executions: vec![
            execution("exec-run", "Running", true),
            execution("exec-wait", "Waiting", false),
            execution("exec-done", "Success", false),
        ],
        lease_expires_ms: 100,
        ..Default::default()
    };
    store.commit("w1", &write).await.unwrap();
    assert!(store.claim("w2", 50, 1000, 10).await.unwrap().is_empty(), "leases still valid");
    assert_eq!(store.claim("w2", 101, 1000, 10).await.unwrap(), vec!["exec-run".to_string()]);
    store
        .push(NewInboxEvent { execution_id: "exec-wait".into(), payload: "{}".into(), created_ms: 2 })
        .await
        .unwrap();
    let claimed = store.claim("w2", 102, 1000, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed.contains(&"exec-wait".to_string()));
    let pending = store.pending(&["exec-wait".into()]).await.unwrap();
    assert_eq!(pending.len(), 1);
    let consume = StepWrite { consumed_inbox: vec![pending[0].id], ..Default::default() };
    store.commit("w2", &consume).await.unwrap();
    assert!(store.pending(&["exec-wait".into()]).await.unwrap().is_empty());
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
    assert_eq!(store.claim("w2", 0, 10, 10).await.unwrap(), vec!["exec-1".to_string()]);
}

#[tokio::test]
async fn library_versions_increment_per_name() {
    let (_dir, store) = open().await;
    assert_eq!(LibraryStore::put_template(&store, "A", "v1", 1).await.unwrap(), 1);
    assert_eq!(LibraryStore::put_template(&store, "A", "v2", 2).await.unwrap(), 2);
    assert_eq!(LibraryStore::put_template(&store, "B", "b", 3).await.unwrap(), 1);
    assert_eq!(LibraryStore::template(&store, "A", None).await.unwrap(), Some((2, "v2".into())));
    assert_eq!(LibraryStore::template(&store, "A", Some(1)).await.unwrap(), Some((1, "v1".into())));
    assert_eq!(LibraryStore::template(&store, "C", None).await.unwrap(), None);
}
