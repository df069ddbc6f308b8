//! Trigger executions' rows: triggers upserted and firings inserted by step commits, read back with
//! filters and paging; a firing committed twice fails its whole commit; ListExecutions' category.

use oos_store::{ExecutionQuery, FiringRecord, ServerStore, StepWrite, StoreError, TriggerQuery, TriggerRecord};

use crate::fixtures::{Case, execution, task};

on_both!(
    a_trigger_is_upserted_with_every_column_and_read_back,
    triggers_narrow_by_kind_status_and_ids_and_page_in_id_order,
    firings_read_newest_first,
    a_firing_committed_twice_fails_its_whole_commit,
    list_executions_narrows_by_category_and_counts_alike,
    deleting_an_execution_takes_its_trigger_and_firings,
);

fn trigger(execution_id: &str, kind: &str, status: &str) -> TriggerRecord {
    TriggerRecord {
        execution_id: execution_id.into(),
        kind: kind.into(),
        status: status.into(),
        properties: "{}".into(),
        updated_ms: 1,
        ..TriggerRecord::default()
    }
}

fn firing(execution_id: &str, fire_key: &str, fired_ms: i64) -> FiringRecord {
    FiringRecord {
        execution_id: execution_id.into(),
        fire_key: fire_key.into(),
        source: "Timer".into(),
        child_execution_id: format!("{execution_id}-child-{fire_key}"),
        fired_ms,
    }
}

fn all(edit: &dyn Fn(&mut TriggerQuery)) -> TriggerQuery {
    let mut query = TriggerQuery { limit: 100, ..TriggerQuery::default() };
    edit(&mut query);
    query
}

fn ids(triggers: &[TriggerRecord]) -> Vec<&str> {
    triggers.iter().map(|t| t.execution_id.as_str()).collect()
}

async fn a_trigger_is_upserted_with_every_column_and_read_back(store: &impl ServerStore) {
    let pending = trigger("tr-1", "TimerTrigger", "Pending");
    let write = StepWrite { executions: vec![execution("tr-1", "Running", true)], triggers: vec![pending.clone()], ..Default::default() };
    store.commit("w", &write).await.unwrap();
    assert_eq!(store.triggers(&all(&|_| {})).await.unwrap(), vec![pending]);

    let fired = TriggerRecord {
        execution_id: "tr-1".into(),
        kind: "EventTrigger".into(),
        status: "Active".into(),
        properties: r#"{"Rule":"x"}"#.into(),
        next_ms: Some(60_000),
        fired: 3,
        last_ms: Some(50_000),
        last_status: Some("Success".into()),
        last_outputs: Some(r#"{"out":1}"#.into()),
        last_child_execution_id: Some("child-3".into()),
        last_success_ms: Some(49_000),
        updated_ms: 50_001,
    };
    let write = StepWrite { executions: vec![execution("tr-1", "Running", true)], triggers: vec![fired.clone()], ..Default::default() };
    store.commit("w", &write).await.unwrap();
    assert_eq!(store.triggers(&all(&|_| {})).await.unwrap(), vec![fired.clone()], "every column updated");

    let paused = TriggerRecord { status: "Paused".into(), next_ms: None, last_outputs: None, ..fired };
    store.commit("w", &StepWrite { triggers: vec![paused.clone()], ..Default::default() }).await.unwrap();
    assert_eq!(store.triggers(&all(&|_| {})).await.unwrap(), vec![paused], "a commit of a trigger alone is written, NULLs too");
}

async fn triggers_narrow_by_kind_status_and_ids_and_page_in_id_order(store: &impl ServerStore) {
    let rows = [
        ("tr-d", "TimerTrigger", "Active"),
        ("tr-a", "TimerTrigger", "Paused"),
        ("tr-c", "EventTrigger", "Active"),
        ("tr-b", "AlarmTrigger", "Active"),
        ("tr-e", "TimerTrigger", "Active"),
        ("tr-B", "TimerTrigger", "Active"),
    ];
    let write = StepWrite {
        executions: rows.iter().map(|(id, _, _)| execution(id, "Running", false)).collect(),
        triggers: rows.iter().map(|(id, kind, status)| trigger(id, kind, status)).collect(),
        ..Default::default()
    };
    store.commit("w", &write).await.unwrap();

    let many: Vec<String> = (0..1_200).map(|n| format!("absent-{n}")).chain(["tr-e".into(), "tr-a".into()]).collect();
    let among_many = |q: &mut TriggerQuery| q.execution_ids = many.clone();
    let cases: Vec<Case<TriggerQuery>> = vec![
        (&|_| {}, vec!["tr-B", "tr-a", "tr-b", "tr-c", "tr-d", "tr-e"]),
        (&|q| q.kind = Some("TimerTrigger".into()), vec!["tr-B", "tr-a", "tr-d", "tr-e"]),
        (&|q| q.status = Some("Active".into()), vec!["tr-B", "tr-b", "tr-c", "tr-d", "tr-e"]),
        (&|q| (q.kind, q.status) = (Some("TimerTrigger".into()), Some("Active".into())), vec!["tr-B", "tr-d", "tr-e"]),
        (&|q| q.kind = Some("Unknown".into()), vec![]),
        (&|q| q.execution_ids = vec!["tr-c".into(), "tr-a".into(), "missing".into()], vec!["tr-a", "tr-c"]),
        (&|q| (q.execution_ids, q.status) = (vec!["tr-c".into(), "tr-a".into()], Some("Paused".into())), vec!["tr-a"]),
        (&among_many, vec!["tr-a", "tr-e"]),
        (&|q| q.after = Some("tr-b".into()), vec!["tr-c", "tr-d", "tr-e"]),
        (&|q| (q.after, q.kind) = (Some("tr-a".into()), Some("TimerTrigger".into())), vec!["tr-d", "tr-e"]),
        (&|q| q.limit = 2, vec!["tr-B", "tr-a"]),
    ];
    for (edit, expected) in cases {
        let query = all(edit);
        assert_eq!(ids(&store.triggers(&query).await.unwrap()), expected, "{query:?}");
    }

    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store.triggers(&TriggerQuery { status: Some("Active".into()), after: after.clone(), limit: 2, ..TriggerQuery::default() }).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|t| t.execution_id.clone());
        pages.push(ids(&page).join(","));
    }
    assert_eq!(pages, ["tr-B,tr-b", "tr-c,tr-d", "tr-e"]);
}

async fn firings_read_newest_first(store: &impl ServerStore) {
    let write = StepWrite {
        executions: vec![execution("tr-1", "Running", false), execution("tr-2", "Running", false)],
        triggers: vec![trigger("tr-1", "TimerTrigger", "Active"), trigger("tr-2", "EventTrigger", "Active")],
        firings: vec![firing("tr-1", "100", 100), firing("tr-1", "300", 300), firing("tr-2", "ev-1", 150)],
        ..Default::default()
    };
    store.commit("w", &write).await.unwrap();
    let later = StepWrite { firings: vec![firing("tr-1", "200", 200), firing("tr-1", "300b", 300)], ..Default::default() };
    store.commit("w", &later).await.unwrap();

    let keys = |firings: Vec<FiringRecord>| firings.into_iter().map(|f| f.fire_key).collect::<Vec<_>>();
    assert_eq!(keys(store.firings("tr-1", 10).await.unwrap()), ["300b", "300", "200", "100"], "fired_ms, then key, descending");
    assert_eq!(keys(store.firings("tr-1", 2).await.unwrap()), ["300b", "300"]);
    assert_eq!(store.firings("tr-2", 10).await.unwrap(), vec![firing("tr-2", "ev-1", 150)], "every column read back");
    assert!(store.firings("tr-3", 10).await.unwrap().is_empty());
}

async fn a_firing_committed_twice_fails_its_whole_commit(store: &impl ServerStore) {
    let first = StepWrite {
        executions: vec![execution("tr-1", "Running", true)],
        triggers: vec![trigger("tr-1", "TimerTrigger", "Active")],
        firings: vec![firing("tr-1", "60000", 60_000)],
        ..Default::default()
    };
    store.commit("w1", &first).await.unwrap();

    let mut fired_again = trigger("tr-1", "TimerTrigger", "Active");
    fired_again.fired = 2;
    let second = StepWrite {
        executions: vec![execution("tr-1", "Waiting", false)],
        tasks: vec![task("tr-1-t", "tr-1", 0, "Running")],
        triggers: vec![fired_again],
        firings: vec![firing("tr-1", "120000", 120_000), firing("tr-1", "60000", 60_001)],
        ..Default::default()
    };
    let error = store.commit("w1", &second).await.unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error}");

    assert_eq!(store.execution("tr-1").await.unwrap().unwrap().status, "Running", "nothing of the failed commit is written");
    assert!(store.tasks("tr-1").await.unwrap().is_empty());
    assert_eq!(store.triggers(&all(&|_| {})).await.unwrap(), first.triggers);
    assert_eq!(store.firings("tr-1", 10).await.unwrap(), first.firings, "neither the new firing nor the repeated one");
}

async fn list_executions_narrows_by_category_and_counts_alike(store: &impl ServerStore) {
    let specs = [("x-timer", Some("TimerTrigger")), ("x-plain1", None), ("x-event", Some("EventTrigger")), ("x-timer2", Some("TimerTrigger")), ("x-plain2", None)];
    let executions = specs
        .iter()
        .enumerate()
        .map(|(at, (id, _))| {
            let mut record = execution(id, "Running", false);
            record.created_ms = at as i64 + 1;
            record
        })
        .collect();
    let triggers = specs.iter().filter_map(|(id, kind)| kind.map(|kind| trigger(id, kind, "Active"))).collect();
    store.commit("w", &StepWrite { executions, triggers, ..Default::default() }).await.unwrap();

    let cases = [
        (None, vec!["x-plain2", "x-timer2", "x-event", "x-plain1", "x-timer"]),
        (Some("TimerTrigger"), vec!["x-timer2", "x-timer"]),
        (Some("EventTrigger"), vec!["x-event"]),
        (Some("AlarmTrigger"), vec![]),
        (Some("Other"), vec!["x-plain2", "x-plain1"]),
    ];
    for (category, expected) in cases {
        let query = ExecutionQuery { category: category.map(Into::into), limit: 50, ..ExecutionQuery::default() };
        let (page, total) = store.list_executions(&query).await.unwrap();
        assert_eq!(page.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), expected, "{category:?}");
        assert_eq!(total, expected.len() as i64, "{category:?}");
        let first = ExecutionQuery { limit: 1, ..query };
        let (page, total) = store.list_executions(&first).await.unwrap();
        assert_eq!((page.len(), total), (expected.len().min(1), expected.len() as i64), "TotalCount past the page: {category:?}");
    }
}

async fn deleting_an_execution_takes_its_trigger_and_firings(store: &impl ServerStore) {
    let write = StepWrite {
        executions: vec![execution("tr-1", "Running", false), execution("tr-2", "Running", false)],
        triggers: vec![trigger("tr-1", "TimerTrigger", "Active"), trigger("tr-2", "TimerTrigger", "Active")],
        firings: vec![firing("tr-1", "1", 1), firing("tr-2", "1", 1)],
        ..Default::default()
    };
    store.commit("w", &write).await.unwrap();
    assert_eq!(store.delete_executions(&["tr-1".into()]).await.unwrap(), ["tr-1"]);
    assert_eq!(ids(&store.triggers(&all(&|_| {})).await.unwrap()), ["tr-2"]);
    assert!(store.firings("tr-1", 10).await.unwrap().is_empty());
    assert_eq!(store.firings("tr-2", 10).await.unwrap().len(), 1);
    // The same execution id again: its key is free, its old firing no longer collides.
    let again = StepWrite { executions: vec![execution("tr-1", "Running", false)], firings: vec![firing("tr-1", "1", 2)], ..Default::default() };
    store.commit("w", &again).await.unwrap();
    assert_eq!(store.firings("tr-1", 10).await.unwrap(), again.firings);
}
