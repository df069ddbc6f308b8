//! The engine's storage: step commits, fencing, claims, timers as rows, the inbox, the crash-loop
//! guard's marks and the template library.

use oos_store::{Claimed, ExecutionRecord, LogRecord, NewInboxEvent, StepWrite, Store, StoreError};

use crate::fixtures::{execution, task};

on_both!(
    commit_round_trips_many_tasks_and_updates_them,
    commit_by_another_owner_is_fenced_and_writes_nothing,
    claim_takes_due_or_inboxed_executions_with_free_or_expired_leases,
    leased_names_the_unfinished_executions_no_other_worker_took,
    an_inbox_event_is_consumed_only_by_the_lease_holder,
    an_event_left_for_a_finished_execution_makes_no_work,
    timers_as_rows_wake_a_released_execution_when_due,
    a_released_execution_is_claimable_and_announced,
    a_created_execution_is_unleased_and_announced,
    inbox_of_held_executions_in_one_query,
    crash_marks_count_only_unfinished_work,
    library_versions_increment_per_name,
);

async fn commit_round_trips_many_tasks_and_updates_them(store: &impl Store) {
    let tasks: Vec<_> = (0..150).map(|i| task(&format!("t{i}"), "exec-1", i, "Running")).collect();
    let logs = vec![LogRecord { execution_id: "exec-1".into(), task_execution_id: Some("t3".into()), ts_ms: 5, log_type: "Info".into(), message: "hello".into() }];
    let write = StepWrite { executions: vec![execution("exec-1", "Running", true)], tasks, logs, lease_expires_ms: 10, ..Default::default() };
    store.commit("w1", &write).await.unwrap();
    let mut done = write.clone();
    done.logs.clear();
    done.tasks.iter_mut().for_each(|t| t.status = "Success".into());
    done.tasks.push(done.tasks[0].clone());
    done.executions[0].status = "Success".into();
    done.executions[0].outputs = Some(r#"{"a":1}"#.into());
    store.commit("w1", &done).await.unwrap();
    let read = store.tasks("exec-1").await.unwrap();
    assert_eq!(read.len(), 150);
    assert!(read.iter().all(|t| t.status == "Success"));
    assert_eq!(read[149].seq, 149);
    assert_eq!(read[7], done.tasks[7]);
    let stored = store.execution("exec-1").await.unwrap().unwrap();
    assert_eq!(stored, done.executions[0]);
    let logs = store.logs("exec-1", Some("t3")).await.unwrap();
    assert_eq!(logs, write.logs);
    assert!(store.logs("exec-1", Some("t4")).await.unwrap().is_empty());
}

async fn commit_by_another_owner_is_fenced_and_writes_nothing(store: &impl Store) {
    let write = StepWrite { executions: vec![execution("exec-1", "Running", true)], ..Default::default() };
    store.commit("w1", &write).await.unwrap();
    let stolen = StepWrite {
        executions: vec![execution("exec-1", "Failed", false)],
        tasks: vec![task("t0", "exec-1", 0, "Failed")],
        inbox: vec![NewInboxEvent { execution_id: "exec-2".into(), payload: "{}".into(), created_ms: 1 }],
        ..Default::default()
    };
    let error = store.commit("w2", &stolen).await.unwrap_err();
    assert!(matches!(error, StoreError::LeaseLost(ref id) if id == "exec-1"), "{error}");
    assert_eq!(store.execution("exec-1").await.unwrap().unwrap().status, "Running");
    assert!(store.tasks("exec-1").await.unwrap().is_empty(), "nothing of the fenced commit is written");
    assert!(store.pending(&["exec-2".into()]).await.unwrap().is_empty());
}

async fn claim_takes_due_or_inboxed_executions_with_free_or_expired_leases(store: &impl Store) {
    let write = StepWrite {
        executions: vec![execution("exec-run", "Running", true), execution("exec-wait", "Waiting", false), execution("exec-done", "Success", false)],
        lease_expires_ms: 100,
        ..Default::default()
    };
    store.commit("w1", &write).await.unwrap();
    assert!(store.claim("w2", 50, 1000, 10).await.unwrap().is_empty(), "leases still valid");
    assert_eq!(store.claim("w2", 101, 1000, 10).await.unwrap(), vec![taken("exec-run", "w1")], "w1's lease expired: a takeover");
    assert!(store.claim("w3", 102, 1000, 10).await.unwrap().is_empty(), "w2's lease is valid now");
    store.push(NewInboxEvent { execution_id: "exec-wait".into(), payload: "{}".into(), created_ms: 2 }).await.unwrap();
    assert_eq!(store.claim("w2", 102, 1000, 10).await.unwrap(), vec![taken("exec-wait", "w1")], "its own held execution is not claimed again");
    let pending = store.pending(&["exec-wait".into(), "exec-run".into()]).await.unwrap();
    assert_eq!(pending.len(), 1);
    let consume = StepWrite { consumed_inbox: vec![pending[0].id], ..Default::default() };
    store.commit("w2", &consume).await.unwrap();
    assert!(store.pending(&["exec-wait".into()]).await.unwrap().is_empty());
    assert_eq!(store.claim("w3", 2_000, 1000, 10).await.unwrap(), vec![taken("exec-run", "w2")], "w2's lease lapsed: taken over again");
    assert_eq!(store.claim("w3", 3_001, 1000, 10).await.unwrap(), vec![free("exec-run")], "a worker's own lapsed lease is no takeover");
}

/// A claim of `id` that took over `previous`'s expired lease.
fn taken(id: &str, previous: &str) -> Claimed {
    Claimed { id: id.into(), taken_from: Some(previous.into()) }
}

/// A claim of `id` whose lease was free or the claimer's own.
fn free(id: &str) -> Claimed {
    Claimed { id: id.into(), taken_from: None }
}

async fn leased_names_the_unfinished_executions_no_other_worker_took(store: &impl Store) {
    let done = ExecutionRecord { end_ms: Some(50), ..execution("exec-done", "Success", false) };
    let executions = vec![execution("exec-a", "Running", true), execution("exec-b", "Running", true), done];
    store.commit("w1", &StepWrite { executions, lease_expires_ms: 100, ..Default::default() }).await.unwrap();
    let mut leased = store.leased("w1").await.unwrap();
    leased.sort();
    assert_eq!(leased, ["exec-a", "exec-b"], "finished executions are not leased work");
    // Both leases lapse unrenewed: still w1's until another worker takes them.
    assert_eq!(store.leased("w1").await.unwrap().len(), 2);
    assert_eq!(store.claim("w2", 101, 1000, 10).await.unwrap().len(), 2);
    store.release("w2", &["exec-b".to_string()]).await.unwrap();
    assert!(store.leased("w1").await.unwrap().is_empty(), "taken over: no longer w1's");
    assert_eq!(store.leased("w2").await.unwrap(), ["exec-a"]);
}

async fn an_inbox_event_is_consumed_only_by_the_lease_holder(store: &impl Store) {
    store.commit("w1", &StepWrite { executions: vec![execution("exec-w", "Waiting", false)], lease_expires_ms: 100, ..Default::default() }).await.unwrap();
    store.push(NewInboxEvent { execution_id: "exec-w".into(), payload: "{}".into(), created_ms: 1 }).await.unwrap();
    let event = store.pending(&["exec-w".into()]).await.unwrap()[0].id;
    // w1's lease lapses and w2 takes the execution over; w1, late, consumes the event in a turn that
    // left the execution unchanged (no execution row in its write).
    assert_eq!(store.claim("w2", 101, 1000, 10).await.unwrap(), [taken("exec-w", "w1")]);
    let late = store.commit("w1", &StepWrite { consumed_inbox: vec![event], lease_expires_ms: 200, ..Default::default() }).await;
    assert!(matches!(late, Err(StoreError::LeaseLost(_))), "{late:?}");
    assert_eq!(store.pending(&["exec-w".into()]).await.unwrap().len(), 1, "the event waits for w2");
    store.commit("w2", &StepWrite { consumed_inbox: vec![event], lease_expires_ms: 200, ..Default::default() }).await.unwrap();
    assert!(store.pending(&["exec-w".into()]).await.unwrap().is_empty());
}

async fn an_event_left_for_a_finished_execution_makes_no_work(store: &impl Store) {
    let done = ExecutionRecord { end_ms: Some(50), ..execution("exec-done", "Cancelled", false) };
    store.commit("w1", &StepWrite { executions: vec![done], lease_expires_ms: 100, ..Default::default() }).await.unwrap();
    // A child's ChildFinished arrives after its parent was cancelled.
    store.push(NewInboxEvent { execution_id: "exec-done".into(), payload: "{}".into(), created_ms: 60 }).await.unwrap();
    assert!(store.claim("w2", 101, 1000, 10).await.unwrap().is_empty(), "not claimed once its lease lapsed");
    assert!(store.claim("w3", 5000, 1000, 10).await.unwrap().is_empty(), "nor ever after");
}

async fn timers_as_rows_wake_a_released_execution_when_due(store: &impl Store) {
    let mut sleeping = execution("exec-sleep", "Running", true);
    sleeping.wake_ms = Some(5_000);
    store.commit("w1", &StepWrite { executions: vec![sleeping], lease_expires_ms: 100, ..Default::default() }).await.unwrap();
    store.release("w1", &["exec-sleep".into()]).await.unwrap();
    assert!(store.claim("w2", 4_999, 1000, 10).await.unwrap().is_empty(), "not due yet");
    assert_eq!(store.claim("w2", 5_000, 1000, 10).await.unwrap(), vec![free("exec-sleep")], "a released lease: no takeover");
    assert!(store.claim("w3", 5_001, 1000, 10).await.unwrap().is_empty(), "one worker fires it");
}

async fn a_released_execution_is_claimable_and_announced(store: &impl Store) {
    let mut wakeups = store.wakeups();
    store.commit("w1", &StepWrite { executions: vec![execution("exec-1", "Running", true)], lease_expires_ms: i64::MAX, ..Default::default() }).await.unwrap();
    assert!(store.claim("w2", 10, 1000, 10).await.unwrap().is_empty());
    store.release("w2", &["exec-1".into()]).await.unwrap();
    assert!(store.claim("w2", 10, 1000, 10).await.unwrap().is_empty(), "only the holder can release a lease");
    store.release("w1", &["exec-1".into()]).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), wakeups.changed()).await.expect("a release wakes the workers").unwrap();
    assert_eq!(store.claim("w2", 10, 1000, 10).await.unwrap(), vec![free("exec-1")]);
}

async fn a_created_execution_is_unleased_and_announced(store: &impl Store) {
    let mut wakeups = store.wakeups();
    let start = StepWrite { executions: vec![execution("exec-new", "Started", true)], tasks: vec![task("t0", "exec-new", 0, "Running")], ..Default::default() };
    assert_eq!(store.create(&start, None).await.unwrap(), None);
    tokio::time::timeout(std::time::Duration::from_secs(5), wakeups.changed()).await.expect("a creation wakes the workers").unwrap();
    assert_eq!(store.tasks("exec-new").await.unwrap().len(), 1);
    assert_eq!(store.claim("any-worker", 10, 1000, 10).await.unwrap(), vec![free("exec-new")], "no lease: any worker takes it");
    let again = store.create(&start, None).await.unwrap_err();
    assert!(matches!(again, StoreError::LeaseLost(ref id) if id == "exec-new"), "an id is created once: {again}");
}

async fn inbox_of_held_executions_in_one_query(store: &impl Store) {
    let executions = (0..3).map(|i| execution(&format!("exec-{i}"), "Waiting", false)).collect();
    store.commit("w1", &StepWrite { executions, lease_expires_ms: i64::MAX, ..Default::default() }).await.unwrap();
    store.commit("w2", &StepWrite { executions: vec![execution("exec-other", "Waiting", false)], lease_expires_ms: i64::MAX, ..Default::default() }).await.unwrap();
    for id in ["exec-2", "exec-other", "exec-0", "exec-2"] {
        store.push(NewInboxEvent { execution_id: id.into(), payload: format!(r#""{id}""#), created_ms: 3 }).await.unwrap();
    }
    let held: Vec<String> = store.held_inbox("w1").await.unwrap().into_iter().map(|event| event.execution_id).collect();
    assert_eq!(held, ["exec-2", "exec-0", "exec-2"], "oldest first, only w1's executions");
    let many: Vec<String> = (0..1200).map(|i| format!("exec-{i}")).collect();
    assert_eq!(store.pending(&many).await.unwrap().len(), 3, "any number of ids");
}

async fn crash_marks_count_only_unfinished_work(store: &impl Store) {
    store.commit("w1", &StepWrite { executions: vec![execution("exec-1", "Running", true)], at_risk: vec!["exec-1".into()], ..Default::default() }).await.unwrap();
    assert_eq!(store.recover("exec-1").await.unwrap(), 1, "at risk when its worker died");
    assert_eq!(store.recover("exec-1").await.unwrap(), 1, "not at risk again: no new crash");
    store.mark_at_risk("w2", &["exec-1".into()]).await.unwrap();
    assert_eq!(store.recover("exec-1").await.unwrap(), 1, "only the lease holder marks");
    store.mark_at_risk("w1", &["exec-1".into()]).await.unwrap();
    assert_eq!(store.recover("exec-1").await.unwrap(), 2);
    store.commit("w1", &StepWrite { settled: vec!["exec-1".into()], ..Default::default() }).await.unwrap();
    assert_eq!(store.recover("exec-1").await.unwrap(), 0, "settled work resets the count");
    assert_eq!(store.recover("exec-missing").await.unwrap(), 0);
}

async fn library_versions_increment_per_name(store: &impl Store) {
    assert_eq!(store.put_library_template("A", "v1", 1).await.unwrap(), 1);
    assert_eq!(store.put_library_template("A", "v2", 2).await.unwrap(), 2);
    assert_eq!(store.put_library_template("B", "b", 3).await.unwrap(), 1);
    assert_eq!(store.library_template("A", None).await.unwrap(), Some((2, "v2".into())));
    assert_eq!(store.library_template("A", Some(1)).await.unwrap(), Some((1, "v1".into())));
    assert_eq!(store.library_template("C", None).await.unwrap(), None);
}
