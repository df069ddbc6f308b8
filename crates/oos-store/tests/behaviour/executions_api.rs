//! The API's view of executions: ListExecutions (filters, orders, paging, totals, task summaries),
//! execution metadata and ClientToken, and DeleteExecutions with everything hanging off an execution.

use oos_store::{
    CurrentTask, ExecutionMeta, ExecutionQuery, ExecutionSort, ListedExecution, LogRecord, NewInboxEvent, ServerStore, StepWrite, TaggedKind,
};

use crate::fixtures::{Case, concurrently, execution, meta, set_tags, task};

on_both!(
    list_executions_pages_filters_and_sums_up_tasks_in_one_query,
    list_executions_orders_by_end_date_and_status_like_sqlite,
    list_executions_counts_past_the_last_page,
    execution_meta_round_trips_every_field,
    a_client_token_belongs_to_its_first_execution,
    concurrent_starts_with_one_client_token_let_the_first_win,
    delete_executions_takes_descendants_tasks_logs_inbox_and_tags,
);

/// Five executions (one a child of `e1`), `e2` with three top-level tasks and one loop iteration.
async fn listed_fixture(store: &impl ServerStore) {
    let specs = [
        ("e1", "Success", "deploy-web"),
        ("e2", "Running", "deploy-db"),
        ("e3", "Failed", "backup"),
        ("e4", "Success", "deploy-web"),
        ("e5", "Success", "child"),
    ];
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

fn query(edit: &dyn Fn(&mut ExecutionQuery)) -> ExecutionQuery {
    let mut query = ExecutionQuery { limit: 50, ..ExecutionQuery::default() };
    edit(&mut query);
    query
}

async fn list_executions_pages_filters_and_sums_up_tasks_in_one_query(store: &impl ServerStore) {
    listed_fixture(store).await;
    let (all, total) = store.list_executions(&query(&|_| {})).await.unwrap();
    assert_eq!((ids(&all), total), (vec!["e4", "e3", "e2", "e1"], 4), "top level, newest first");
    let (page, total) = store.list_executions(&query(&|q| (q.limit, q.offset, q.ascending) = (2, 1, true))).await.unwrap();
    assert_eq!((ids(&page), total), (vec!["e2", "e3"], 4));
    let cases: [Case<ExecutionQuery>; 10] = [
        (&|q| q.status = Some("Success".into()), vec!["e4", "e1"]),
        (&|q| q.template_name = Some("deploy".into()), vec!["e4", "e2", "e1"]),
        (&|q| q.executed_by = Some("alice".into()), vec!["e3", "e1"]),
        (&|q| q.tags = vec![("team".into(), "db".into())], vec!["e2"]),
        (&|q| q.parent_execution_id = Some("e1".into()), vec!["e5"]),
        (&|q| q.include_children = true, vec!["e5", "e4", "e3", "e2", "e1"]),
        (&|q| (q.start_after_ms, q.start_before_ms) = (Some(2), Some(3)), vec!["e3", "e2"]),
        (&|q| q.execution_id = Some("e5".into()), vec!["e5"]),
        (&|q| q.mode = Some("Debug".into()), vec![]),
        (&|q| (q.status, q.template_name) = (Some("Success".into()), Some("web".into())), vec!["e4", "e1"]),
    ];
    for (at, (edit, expected)) in cases.iter().enumerate() {
        let (listed, total) = store.list_executions(&query(*edit)).await.unwrap();
        assert_eq!((ids(&listed), total), (expected.clone(), expected.len() as i64), "case {at}");
    }
    let retagged = oos_store::TagChange { remove_all: true, ..set_tags(&[("team", "db")]) };
    assert!(store.retag(TaggedKind::Execution, &["e1".into(), "e3".into()], &retagged).await.unwrap().is_empty());
    let (db, total) = store.list_executions(&query(&|q| q.tags = vec![("team".into(), "db".into())])).await.unwrap();
    assert_eq!((ids(&db), total), (vec!["e3", "e2", "e1"], 3), "the Tags filter follows TagResources");
    let (web, _) = store.list_executions(&query(&|q| q.tags = vec![("team".into(), "web".into())])).await.unwrap();
    assert!(web.is_empty(), "a replaced tag no longer matches");
    let e2 = store.listed_execution("e2").await.unwrap().unwrap();
    assert_eq!(e2.task_counts, [("Running".to_string(), 1), ("Success".to_string(), 2)].into_iter().collect());
    assert_eq!(e2.current_tasks, vec![CurrentTask { task_name: "task3".into(), task_action: "ACS::Sleep".into(), task_execution_id: "t2-3".into() }]);
    assert_eq!((e2.meta.executed_by.as_str(), e2.meta.tags.as_str()), ("bob", r#"{"team":"db"}"#));
    assert_eq!((e2.template_name.as_str(), e2.status.as_str(), e2.created_ms, e2.parameters.as_str()), ("deploy-db", "Running", 2, "{}"));
    let e4 = store.listed_execution("e4").await.unwrap().unwrap();
    assert_eq!(e4.meta, ExecutionMeta { execution_id: "e4".into(), tags: "{}".into(), ..ExecutionMeta::default() }, "started outside the API");
    assert!(e4.task_counts.is_empty() && e4.current_tasks.is_empty());
    assert_eq!(store.listed_execution("e5").await.unwrap().map(|e5| e5.parent_execution_id), Some(Some("e1".into())), "any parent");
    assert_eq!(store.listed_execution("missing").await.unwrap(), None);
}

async fn list_executions_orders_by_end_date_and_status_like_sqlite(store: &impl ServerStore) {
    let specs = [("a", "Success", Some(30)), ("b", "Running", None), ("c", "Failed", Some(10)), ("d", "Success", Some(10)), ("e", "Waiting", None)];
    let executions = specs
        .iter()
        .map(|(id, status, end)| {
            let mut record = execution(id, status, false);
            record.end_ms = *end;
            record.description = format!("run {id} of the nightly job");
            record
        })
        .collect();
    store.commit("w", &StepWrite { executions, ..Default::default() }).await.unwrap();
    let by = |sort, ascending| query(&move |q| (q.sort, q.ascending) = (sort, ascending));
    let cases = [
        (by(ExecutionSort::EndDate, true), vec!["b", "e", "c", "d", "a"], "unfinished first, then by end date, ties by id"),
        (by(ExecutionSort::EndDate, false), vec!["a", "d", "c", "e", "b"], "unfinished last"),
        (by(ExecutionSort::Status, true), vec!["c", "b", "a", "d", "e"], "by status, ties by id"),
        (by(ExecutionSort::Status, false), vec!["e", "d", "a", "b", "c"], "by status descending"),
        (by(ExecutionSort::StartDate, true), vec!["a", "b", "c", "d", "e"], "equal start dates: by id"),
        (query(&|q| (q.end_after_ms, q.end_before_ms) = (Some(10), Some(20))), vec!["d", "c"], "end range excludes the unfinished"),
        (query(&|q| q.description = Some("run d".into())), vec!["d"], "description substring"),
    ];
    for (query, expected, why) in cases {
        let (listed, total) = store.list_executions(&query).await.unwrap();
        assert_eq!((ids(&listed), total), (expected.clone(), expected.len() as i64), "{why}");
    }
    let second_page = query(&|q| (q.sort, q.ascending, q.offset, q.limit) = (ExecutionSort::EndDate, true, 1, 2));
    assert_eq!(ids(&store.list_executions(&second_page).await.unwrap().0), vec!["e", "c"], "a page of the same order");
}

async fn list_executions_counts_past_the_last_page(store: &impl ServerStore) {
    let executions = (0..7).map(|i| execution(&format!("x{i}"), "Success", false)).collect();
    store.commit("w", &StepWrite { executions, ..Default::default() }).await.unwrap();
    let (page, total) = store.list_executions(&query(&|q| (q.offset, q.limit) = (5, 5))).await.unwrap();
    assert_eq!((ids(&page), total), (vec!["x1", "x0"], 7));
    let (page, total) = store.list_executions(&query(&|q| (q.offset, q.limit) = (10, 5))).await.unwrap();
    assert_eq!((page.len(), total), (0, 7), "the total counts every match, whatever the page");
}

async fn execution_meta_round_trips_every_field(store: &impl ServerStore) {
    let full = ExecutionMeta {
        execution_id: "exec-1".into(),
        executed_by: "acs:ram::1:user/alice".into(),
        tags: r#"{"env":"prod","team":"web"}"#.into(),
        resource_group_id: "rg-1".into(),
        template_id: "t-1".into(),
        client_token: Some("token-1".into()),
        ram_role: "acs:ram::1:role/OOSServiceRole".into(),
        loop_mode: "Manual".into(),
        safety_check: "Skip".into(),
    };
    assert_eq!(store.put_execution_meta(&full).await.unwrap(), None);
    assert_eq!(store.execution_meta("exec-1").await.unwrap(), Some(full.clone()));
    assert_eq!(store.execution_meta("exec-2").await.unwrap(), None);
    let plain = meta("exec-2", "bob", "{}", None);
    assert_eq!(store.put_execution_meta(&plain).await.unwrap(), None, "no token, no conflict");
    assert_eq!(store.execution_meta("exec-2").await.unwrap(), Some(plain));
    assert_eq!(store.execution_by_client_token("token-2").await.unwrap(), None);
}

async fn a_client_token_belongs_to_its_first_execution(store: &impl ServerStore) {
    assert_eq!(store.put_execution_meta(&meta("e1", "alice", "{}", Some("token"))).await.unwrap(), None);
    assert_eq!(store.put_execution_meta(&meta("e2", "bob", "{}", Some("token"))).await.unwrap(), Some("e1".into()));
    assert_eq!(store.execution_by_client_token("token").await.unwrap(), Some("e1".into()));
    assert_eq!(store.execution_meta("e2").await.unwrap(), None, "the second execution's metadata is not written");
    let start = StepWrite { executions: vec![execution("e3", "Running", true)], ..Default::default() };
    let repeated = store.create(&start, Some(&meta("e3", "carol", "{}", Some("token")))).await.unwrap();
    assert_eq!(repeated, Some("e1".into()), "a start with a used token is told its execution");
    assert_eq!(store.execution("e3").await.unwrap(), None, "and creates nothing");
    assert_eq!(store.execution_meta("e3").await.unwrap(), None);
    assert_eq!(store.execution_by_client_token("token").await.unwrap(), Some("e1".into()));
}

async fn concurrent_starts_with_one_client_token_let_the_first_win(store: &impl ServerStore) {
    let metas: Vec<ExecutionMeta> = (0..8).map(|i| meta(&format!("e{i}"), "alice", "{}", Some("same-token"))).collect();
    let answers = concurrently(metas.iter().map(|meta| store.put_execution_meta(meta)).collect()).await;
    let answers: Vec<Option<String>> = answers.into_iter().map(Result::unwrap).collect();
    let winners: Vec<usize> = (0..8).filter(|i| answers[*i].is_none()).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = format!("e{}", winners[0]);
    assert!(answers.iter().flatten().all(|id| *id == winner), "the others are told the winner: {answers:?}");
    assert_eq!(store.execution_by_client_token("same-token").await.unwrap(), Some(winner));
}

async fn delete_executions_takes_descendants_tasks_logs_inbox_and_tags(store: &impl ServerStore) {
    let mut child = execution("child", "Success", false);
    child.parent_execution_id = Some("parent".into());
    let mut grandchild = execution("grandchild", "Success", false);
    grandchild.parent_execution_id = Some("child".into());
    let ids = ["parent", "child", "grandchild", "other"];
    let executions = vec![execution("parent", "Success", false), child, grandchild, execution("other", "Success", false)];
    let tasks = ids.iter().map(|id| task(&format!("{id}-t"), id, 1, "Success")).collect();
    let logs = ids
        .iter()
        .map(|id| LogRecord { execution_id: id.to_string(), task_execution_id: None, ts_ms: 1, log_type: "Info".into(), message: "hi".into() })
        .collect();
    let inbox = ids.iter().map(|id| NewInboxEvent { execution_id: id.to_string(), payload: "{}".into(), created_ms: 1 }).collect();
    store.commit("w", &StepWrite { executions, tasks, logs, inbox, ..Default::default() }).await.unwrap();
    for id in ids {
        store.put_execution_meta(&meta(id, "alice", r#"{"doomed":"yes"}"#, Some(format!("token-{id}").as_str()))).await.unwrap();
    }

    let deleted = store.delete_executions(&["missing".into(), "child".into(), "other".into(), "parent".into(), "child".into()]).await.unwrap();
    assert_eq!(deleted, vec!["child", "other", "parent"], "the requested ids that existed, in request order, once");
    for id in ids {
        assert_eq!(store.execution(id).await.unwrap(), None, "{id}");
        assert!(store.tasks(id).await.unwrap().is_empty(), "{id}");
        assert!(store.logs(id, None).await.unwrap().is_empty(), "{id}");
        assert_eq!(store.execution_meta(id).await.unwrap(), None, "{id}");
        assert_eq!(store.execution_by_client_token(&format!("token-{id}")).await.unwrap(), None, "{id}");
    }
    assert!(store.pending(&ids.map(String::from)).await.unwrap().is_empty());
    // The same ids again, started outside the API: no tag rows of the deleted ones are left to match.
    let executions = ids.iter().map(|id| execution(id, "Success", false)).collect();
    store.commit("w", &StepWrite { executions, ..Default::default() }).await.unwrap();
    let tagged = query(&|q| (q.tags, q.include_children) = (vec![("doomed".into(), "yes".into())], true));
    assert_eq!(store.list_executions(&tagged).await.unwrap().1, 0);
    assert_eq!(store.delete_executions(&["nothing".into()]).await.unwrap(), Vec::<String>::new());
}
