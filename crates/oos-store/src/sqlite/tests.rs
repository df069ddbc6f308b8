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
        wake_ms: None,
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


fn meta(execution_id: &str, executed_by: &str, tags: &str, client_token: Option<&str>) -> ExecutionMeta {
    ExecutionMeta { execution_id: execution_id.into(), executed_by: executed_by.into(), tags: tags.into(), client_token: client_token.map(Into::into), ..ExecutionMeta::default() }
}

/// Five executions (one a child of `e1`), `e2` with three top-level tasks and one loop iteration.
async fn listed_fixture(store: &SqliteStore) {
    let specs = [("e1", "Success", "deploy-web"), ("e2", "Running", "deploy-db"), ("e3", "Failed", "backup"), ("e4", "Success", "deploy-web"), ("e5", "Success", "child")];
    let executions = specs
        .iter()
        .enumerate()
        .map(|(at, (id, status, template))| {
            let mut record = execution(id, status, false);
            record.template_name = (*template).into();
            record.created_ms = at as i64 + 1;
            record.parent_execution_id = (*id == "e5").then(|| "e1".into());
            record
        })
        .collect();
    let mut iteration = task("t2-loop-1", "e2", 4, "Running");
    iteration.parent_task_execution_id = Some("t2-3".into());
    let tasks = vec![task("t2-1", "e2", 1, "Success"), task("t2-2", "e2", 2, "Success"), task("t2-3", "e2", 3, "Running"), iteration];
    store.commit("w", &StepWrite { executions, tasks, ..Default::default() }).await.unwrap();
    for (id, who, tags) in [("e1", "alice", r#"{"team":"web"}"#), ("e2", "bob", r#"{"team":"db"}"#), ("e3", "alice", "{}")] {
        assert_eq!(store.put_execution_meta(&meta(id, who, tags, None)).await.unwrap(), None);
    }
}

fn ids(listed: &[ListedExecution]) -> Vec<&str> {
    listed.iter().map(|listed| listed.id.as_str()).collect()
}

#[tokio::test]
async fn list_executions_pages_filters_and_sums_up_tasks_in_one_query() {
    let (_dir, store) = open().await;
    listed_fixture(&store).await;
    let query = |edit: &dyn Fn(&mut ExecutionQuery)| {
        let mut query = ExecutionQuery { limit: 50, ..ExecutionQuery::default() };
        edit(&mut query);
        query
    };
    let (all, total) = store.list_executions(&query(&|_| {})).await.unwrap();
    assert_eq!((ids(&all), total), (vec!["e4", "e3", "e2", "e1"], 4), "top level, newest first");
    let (page, total) = store.list_executions(&query(&|q| (q.limit, q.offset, q.ascending) = (2, 1, true))).await.unwrap();
    assert_eq!((ids(&page), total), (vec!["e2", "e3"], 4));
    let cases: [(&dyn Fn(&mut ExecutionQuery), Vec<&str>); 7] = [
        (&|q| q.status = Some("Success".into()), vec!["e4", "e1"]),
        (&|q| q.template_name = Some("deploy".into()), vec!["e4", "e2", "e1"]),
        (&|q| q.executed_by = Some("alice".into()), vec!["e3", "e1"]),
        (&|q| q.tags = vec![("team".into(), "db".into())], vec!["e2"]),
        (&|q| q.parent_execution_id = Some("e1".into()), vec!["e5"]),
        (&|q| q.include_children = true, vec!["e5", "e4", "e3", "e2", "e1"]),
        (&|q| (q.start_after_ms, q.start_before_ms) = (Some(2), Some(3)), vec!["e3", "e2"]),
    ];
    for (at, (edit, expected)) in cases.iter().enumerate() {
        let (listed, total) = store.list_executions(&query(*edit)).await.unwrap();
        assert_eq!((ids(&listed), total), (expected.clone(), expected.len() as i64), "case {at}");
    }
    let retagged = TagChange { set: [("team".to_string(), serde_json::json!("db"))].into_iter().collect(), remove: vec![], remove_all: true };
    assert!(store.retag(TaggedKind::Execution, &["e1".into(), "e3".into()], &retagged).await.unwrap().is_empty());
    let (db, total) = store.list_executions(&query(&|q| q.tags = vec![("team".into(), "db".into())])).await.unwrap();
    assert_eq!((ids(&db), total), (vec!["e3", "e2", "e1"], 3), "the Tags filter follows TagResources");
    let (web, _) = store.list_executions(&query(&|q| q.tags = vec![("team".into(), "web".into())])).await.unwrap();
    assert!(web.is_empty(), "a replaced tag no longer matches");
    let e2 = store.listed_execution("e2").await.unwrap().unwrap();
    assert_eq!(e2.task_counts, [("Running".to_string(), 1), ("Success".to_string(), 2)].into_iter().collect());
    assert_eq!(e2.current_tasks, vec![CurrentTask { task_name: "task3".into(), task_action: "ACS::Sleep".into(), task_execution_id: "t2-3".into() }]);
    assert_eq!((e2.meta.executed_by.as_str(), e2.meta.tags.as_str()), ("bob", r#"{"team":"db"}"#));
    let e4 = store.listed_execution("e4").await.unwrap().unwrap();
    assert_eq!((e4.meta.executed_by.as_str(), e4.meta.tags.as_str(), e4.task_counts.len()), ("", "{}", 0), "started outside the API");
    assert_eq!(store.listed_execution("e5").await.unwrap().map(|e5| e5.parent_execution_id), Some(Some("e1".into())), "any parent");
}

#[tokio::test]
async fn a_client_token_belongs_to_its_first_execution() {
    let (_dir, store) = open().await;
    assert_eq!(store.put_execution_meta(&meta("e1", "alice", "{}", Some("token"))).await.unwrap(), None);
    assert_eq!(store.put_execution_meta(&meta("e2", "bob", "{}", Some("token"))).await.unwrap(), Some("e1".into()));
    assert_eq!(store.execution_by_client_token("token").await.unwrap(), Some("e1".into()));
    assert_eq!(store.execution_meta("e2").await.unwrap(), None, "the second execution's metadata is not written");
}
