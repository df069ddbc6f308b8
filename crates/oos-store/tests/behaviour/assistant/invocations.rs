//! Invocations and their targets: idempotency by ClientToken, the listing (order, paging, filters,
//! totals), the hub's deliveries, every change of a target (and a late report changing nothing),
//! the output limit, and expiry.

use oos_store::{Delivery, InvocationQuery, InvocationTarget, ServerStore, TargetChange};

use super::{invocation, target, targets};

on_both!(
    a_client_token_makes_an_invocation_idempotent,
    invocations_list_newest_first_paged_and_filtered,
    deliveries_are_the_pending_and_stopping_targets_of_the_instances,
    targets_change_until_final,
    output_stops_at_the_limit_on_a_character_boundary,
    expiry_tells_a_command_never_taken_from_one_run_too_long,
);

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

async fn create(store: &impl ServerStore, id: &str, created_ms: i64, creator: &str, instances: &[&str]) {
    assert_eq!(store.create_invocation(&invocation(id, created_ms, creator, None), &targets(id, instances, 1_000)).await.unwrap(), None);
}

fn finished(status: &str, exit_code: Option<i64>, start_ms: Option<i64>, finish_ms: i64) -> TargetChange {
    TargetChange::Finished {
        status: status.into(),
        exit_code,
        output: format!("{status} output"),
        dropped: 2,
        error_code: String::new(),
        error_info: String::new(),
        start_ms,
        finish_ms,
    }
}

async fn a_client_token_makes_an_invocation_idempotent(store: &impl ServerStore) {
    let traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
    let first = oos_store::InvocationRow { traceparent, ..invocation("t-1", 1, "alice", Some("token-1")) };
    assert_eq!(store.create_invocation(&first, &targets("t-1", &["mi-1"], 100)).await.unwrap(), None);
    let again = invocation("t-2", 2, "alice", Some("token-1"));
    assert_eq!(store.create_invocation(&again, &targets("t-2", &["mi-1", "mi-2"], 100)).await.unwrap(), Some("t-1".into()));
    for (id, created_ms) in [("t-3", 3), ("t-4", 4)] {
        assert_eq!(store.create_invocation(&invocation(id, created_ms, "alice", None), &targets(id, &["mi-1"], 100)).await.unwrap(), None, "no token: no conflict");
    }
    let (page, total) = store.invocations(&InvocationQuery::default()).await.unwrap();
    assert_eq!(total, 3, "the second create wrote nothing");
    let listed: Vec<(&str, usize)> = page.iter().map(|(row, targets)| (row.invoke_id.as_str(), targets.len())).collect();
    assert_eq!(listed, [("t-4", 1), ("t-3", 1), ("t-1", 1)]);
    assert_eq!(page[2].0, first);
    assert_eq!(page[2].1, targets("t-1", &["mi-1"], 100));
}

async fn invocations_list_newest_first_paged_and_filtered(store: &impl ServerStore) {
    create(store, "t-1", 10, "alice", &["mi-b", "mi-a"]).await;
    create(store, "t-2", 20, "bob", &["mi-a"]).await;
    create(store, "t-4", 30, "alice", &["mi-c", "mi-b"]).await;
    create(store, "t-3", 30, "alice", &["mi-b"]).await;
    let with_command = oos_store::InvocationRow { command_id: Some("c-1".into()), ..invocation("t-5", 40, "bob", None) };
    assert_eq!(store.create_invocation(&with_command, &targets("t-5", &["mi-a"], 1_000)).await.unwrap(), None);

    let listed = |query: InvocationQuery| async move {
        let (page, total) = store.invocations(&query).await.unwrap();
        let rows: Vec<(String, Vec<String>)> =
            page.into_iter().map(|(row, targets)| (row.invoke_id, targets.into_iter().map(|t| t.instance_id).collect())).collect();
        (rows, total)
    };
    let row = |id: &str, instances: &[&str]| (id.to_string(), strings(instances));
    let (all, total) = listed(InvocationQuery::default()).await;
    assert_eq!(total, 5);
    let expected = vec![row("t-5", &["mi-a"]), row("t-3", &["mi-b"]), row("t-4", &["mi-b", "mi-c"]), row("t-2", &["mi-a"]), row("t-1", &["mi-a", "mi-b"])];
    assert_eq!(all, expected, "newest first, then by id; targets by instance");

    assert_eq!(listed(InvocationQuery { offset: 1, limit: 2, ..Default::default() }).await, (expected[1..3].to_vec(), 5));
    assert_eq!(listed(InvocationQuery { offset: 4, limit: 2, ..Default::default() }).await, (expected[4..].to_vec(), 5));
    assert_eq!(listed(InvocationQuery { offset: 9, limit: 2, ..Default::default() }).await, (vec![], 5), "past the end");
    assert_eq!(listed(InvocationQuery { offset: 3, limit: 0, ..Default::default() }).await, (expected[3..].to_vec(), 5), "no limit");

    let on_b = InvocationQuery { instance_id: Some("mi-b".into()), ..Default::default() };
    assert_eq!(listed(on_b.clone()).await, (vec![row("t-3", &["mi-b"]), row("t-4", &["mi-b"]), row("t-1", &["mi-b"])], 3), "only mi-b's targets");
    assert_eq!(listed(InvocationQuery { limit: 1, offset: 1, ..on_b }).await, (vec![row("t-4", &["mi-b"])], 3));
    let by_alice_on_a = InvocationQuery { creator: Some("alice".into()), instance_id: Some("mi-a".into()), ..Default::default() };
    assert_eq!(listed(by_alice_on_a).await, (vec![row("t-1", &["mi-a"])], 1));
    assert_eq!(listed(InvocationQuery { command_id: Some("c-1".into()), ..Default::default() }).await, (vec![row("t-5", &["mi-a"])], 1));
    assert_eq!(listed(InvocationQuery { invoke_id: Some("t-4".into()), ..Default::default() }).await, (vec![row("t-4", &["mi-b", "mi-c"])], 1));
    assert_eq!(listed(InvocationQuery { invoke_id: Some("t-9".into()), ..Default::default() }).await, (vec![], 0));
    assert_eq!(listed(InvocationQuery { kind: Some("File".into()), ..Default::default() }).await, (vec![], 0), "the kind filters the count too");
    assert_eq!(listed(InvocationQuery { kind: Some("Command".into()), ..Default::default() }).await.1, 5);
}

async fn deliveries_are_the_pending_and_stopping_targets_of_the_instances(store: &impl ServerStore) {
    create(store, "t-new", 30, "alice", &["mi-1", "mi-2"]).await;
    create(store, "t-old", 10, "alice", &["mi-1", "mi-3"]).await;
    create(store, "t-mid", 20, "alice", &["mi-1", "mi-2"]).await;
    // t-old on mi-1 runs and is asked to stop; t-mid on mi-1 runs; t-mid on mi-2 is done.
    assert!(store.update_target("t-old", "mi-1", &TargetChange::Accepted { start_ms: 11 }).await.unwrap());
    assert!(store.update_target("t-old", "mi-1", &TargetChange::StopRequested { now_ms: 12 }).await.unwrap());
    assert!(store.update_target("t-mid", "mi-1", &TargetChange::Accepted { start_ms: 21 }).await.unwrap());
    assert!(store.update_target("t-mid", "mi-2", &finished("Success", Some(0), Some(21), 22)).await.unwrap());

    let delivered = store.deliveries(&strings(&["mi-1", "mi-2"])).await.unwrap();
    let keys: Vec<(&str, &str, &str)> =
        delivered.iter().map(|d| (d.target.invoke_id.as_str(), d.target.instance_id.as_str(), d.target.status.as_str())).collect();
    assert_eq!(keys, [("t-old", "mi-1", "Stopping"), ("t-new", "mi-1", "Pending"), ("t-new", "mi-2", "Pending")], "oldest first");
    let expected = Delivery { invocation: invocation("t-new", 30, "alice", None), target: InvocationTarget::pending("t-new", "mi-2", 1_000) };
    assert_eq!(delivered[2], expected);
    assert!(store.deliveries(&[]).await.unwrap().is_empty());
    assert_eq!(store.deliveries(&strings(&["mi-3"])).await.unwrap().len(), 1);
}

async fn targets_change_until_final(store: &impl ServerStore) {
    create(store, "t-1", 1, "alice", &["mi-1", "mi-2", "mi-3"]).await;
    let change = |instance: &'static str, change: TargetChange| async move { store.update_target("t-1", instance, &change).await.unwrap() };

    // mi-1: accepted, output, stop asked, then reported stopped; a late report changes nothing.
    assert!(change("mi-1", TargetChange::Accepted { start_ms: 5 }).await);
    assert!(!change("mi-1", TargetChange::Accepted { start_ms: 6 }).await, "running already");
    assert!(change("mi-1", TargetChange::Output { data: "hello ".into(), limit: 100 }).await);
    assert!(change("mi-1", TargetChange::Output { data: "world".into(), limit: 100 }).await);
    let running = target(store, "t-1", "mi-1").await;
    assert_eq!((running.status.as_str(), running.start_ms, running.output.as_str()), ("Running", Some(5), "hello world"));
    assert!(change("mi-1", TargetChange::StopRequested { now_ms: 7 }).await);
    assert!(!change("mi-1", TargetChange::StopRequested { now_ms: 8 }).await, "stopping already");
    assert!(!change("mi-1", TargetChange::Accepted { start_ms: 9 }).await);
    assert_eq!(target(store, "t-1", "mi-1").await.status, "Stopping");
    assert!(change("mi-1", finished("Stopped", None, None, 10)).await);
    let stopped = target(store, "t-1", "mi-1").await;
    let expected = InvocationTarget {
        status: "Stopped".into(),
        output: "Stopped output".into(),
        dropped: 2,
        start_ms: Some(5),
        finish_ms: Some(10),
        ..InvocationTarget::pending("t-1", "mi-1", 1_000)
    };
    assert_eq!(stopped, expected, "a finish without a start keeps the known one");
    for late in [
        TargetChange::Output { data: "late".into(), limit: 100 },
        TargetChange::Accepted { start_ms: 11 },
        TargetChange::StopRequested { now_ms: 11 },
        finished("Success", Some(0), Some(5), 12),
    ] {
        assert!(!change("mi-1", late.clone()).await, "{late:?} after the end");
    }
    assert_eq!(target(store, "t-1", "mi-1").await, expected);

    // mi-2: stopped before the agent took it.
    assert!(change("mi-2", TargetChange::StopRequested { now_ms: 20 }).await);
    let never_run = target(store, "t-1", "mi-2").await;
    assert_eq!((never_run.status.as_str(), never_run.error_code.as_str(), never_run.finish_ms, never_run.start_ms), ("Stopped", "InvocationStopped", Some(20), None));
    assert!(!change("mi-2", TargetChange::Accepted { start_ms: 21 }).await);

    // mi-3: finished with every field as reported; the same report again changes nothing.
    let failed = TargetChange::Finished {
        status: "Failed".into(),
        exit_code: Some(3),
        output: "boom".into(),
        dropped: 0,
        error_code: "ExitCodeNonzero".into(),
        error_info: "exit 3".into(),
        start_ms: Some(30),
        finish_ms: 31,
    };
    assert!(change("mi-3", failed.clone()).await);
    let ended = target(store, "t-1", "mi-3").await;
    assert_eq!(
        (ended.status.as_str(), ended.exit_code, ended.output.as_str(), ended.error_code.as_str(), ended.error_info.as_str(), ended.start_ms, ended.finish_ms),
        ("Failed", Some(3), "boom", "ExitCodeNonzero", "exit 3", Some(30), Some(31))
    );
    assert!(!change("mi-3", failed).await);
    assert!(!store.update_target("t-1", "mi-9", &TargetChange::Accepted { start_ms: 1 }).await.unwrap(), "no such target");
}

async fn output_stops_at_the_limit_on_a_character_boundary(store: &impl ServerStore) {
    create(store, "t-1", 1, "alice", &["mi-1"]).await;
    let output = |data: &str| TargetChange::Output { data: data.into(), limit: 8 };
    assert!(store.update_target("t-1", "mi-1", &output("abcdef")).await.unwrap());
    // "€" is three bytes and one is left after "g": it is left out whole, and what follows with it.
    assert!(store.update_target("t-1", "mi-1", &output("g€h")).await.unwrap());
    let cut = target(store, "t-1", "mi-1").await;
    assert_eq!((cut.output.as_str(), cut.dropped), ("abcdefg", 4));
    assert!(store.update_target("t-1", "mi-1", &output("ñ")).await.unwrap(), "the count of what is left out changes");
    let full = target(store, "t-1", "mi-1").await;
    assert_eq!((full.output.as_str(), full.dropped), ("abcdefg", 6));
}

async fn expiry_tells_a_command_never_taken_from_one_run_too_long(store: &impl ServerStore) {
    let due = |id: &str, deadline_ms: i64| targets(id, &["mi-1"], deadline_ms);
    for (id, deadline_ms) in [("t-pending", 40), ("t-running", 40), ("t-stopping", 40), ("t-later", 50), ("t-done", 40)] {
        assert_eq!(store.create_invocation(&invocation(id, 1, "alice", None), &due(id, deadline_ms)).await.unwrap(), None);
    }
    for id in ["t-running", "t-stopping", "t-done"] {
        assert!(store.update_target(id, "mi-1", &TargetChange::Accepted { start_ms: 2 }).await.unwrap());
    }
    assert!(store.update_target("t-stopping", "mi-1", &TargetChange::StopRequested { now_ms: 3 }).await.unwrap());
    assert!(store.update_target("t-done", "mi-1", &finished("Success", Some(0), None, 4)).await.unwrap());

    assert_eq!(store.expire_targets(40).await.unwrap(), 0, "a deadline of now is not past");
    assert_eq!(store.expire_targets(50).await.unwrap(), 3);
    for (id, code) in [("t-pending", "ClientNotResponse"), ("t-running", "ExecutionTimeout"), ("t-stopping", "ExecutionTimeout")] {
        let expired = target(store, id, "mi-1").await;
        assert_eq!((expired.status.as_str(), expired.error_code.as_str(), expired.finish_ms), ("Failed", code, Some(50)), "{id}");
    }
    assert_eq!(target(store, "t-pending", "mi-1").await.error_info, "the agent did not take the command before its timeout");
    assert_eq!(target(store, "t-later", "mi-1").await.status, "Pending");
    assert_eq!(target(store, "t-done", "mi-1").await.status, "Success");
    assert_eq!(store.expire_targets(50).await.unwrap(), 0, "expired once");
    assert_eq!(store.expire_targets(51).await.unwrap(), 1, "t-later's turn");
}
