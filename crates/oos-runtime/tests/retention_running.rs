//! Retention beside a real worker, on each backend: a pass prunes 9,000 old executions (trees of a
//! root and two children) of another store handle while the worker runs new fan-out executions;
//! every new execution finishes with the outputs of an undisturbed run, and nothing old is left.

mod bench_api;

use std::sync::Arc;

use bench_api::{Bed, Bench, Place, fan_out_outputs, fan_out_template, on_both, outputs, request, worker};
use oos_clock::{Clock, SystemClock};
use oos_engine::ExecutionStatus;
use oos_runtime::RuntimeConfig;
use oos_store::postgres::PgSettings;
use oos_store::sqlite::Durability;
use oos_store::{ExecutionFilter, ExecutionRecord, PgStore, RetentionPolicy, RetentionStore, SqliteStore, StepWrite};
use serde_json::json;

on_both!(a_pass_prunes_old_trees_while_a_worker_runs_executions);

/// Old trees: 3,000 roots with two children each, finished long ago.
const ROOTS: usize = 3_000;
const RUNS: usize = 8;
const ITEMS: u64 = 20;

fn finished(id: String, parent: Option<String>) -> ExecutionRecord {
    ExecutionRecord {
        id,
        template_name: "old".into(),
        template_version: None,
        template_content: "{}".into(),
        parameters: "{}".into(),
        mode: "Automatic".into(),
        status: "Success".into(),
        status_message: String::new(),
        outputs: None,
        parent_execution_id: parent,
        parent_task_execution_id: None,
        description: String::new(),
        engine_state: "{}".into(),
        runnable: false,
        wake_ms: None,
        created_ms: 1,
        updated_ms: 1,
        start_ms: Some(1),
        end_ms: Some(2),
    }
}

/// Another handle on the bed's store, as another server's would be, for its retention.
async fn retention_handle(bed: &Bed) -> Box<dyn RetentionStore> {
    match bed.place() {
        Place::Sqlite(dir) => Box::new(SqliteStore::open(&dir, Durability::Normal).await.unwrap()),
        Place::Postgres(url) => Box::new(PgStore::open(&url, &PgSettings::default()).await.unwrap()),
    }
}

async fn a_pass_prunes_old_trees_while_a_worker_runs_executions(bed: Bed) {
    let (mut worker, store) = worker(&bed, Arc::new(Bench::default()), RuntimeConfig::default()).await;
    for chunk in (0..ROOTS).collect::<Vec<_>>().chunks(500) {
        let executions = chunk
            .iter()
            .flat_map(|root| {
                let id = format!("old-{root:05}");
                [finished(id.clone(), None), finished(format!("{id}-a"), Some(id.clone())), finished(format!("{id}-b"), Some(id))]
            })
            .collect();
        store.create(&StepWrite { executions, ..StepWrite::default() }, None).await.unwrap();
    }
    let template = fan_out_template(1);
    let mut ids = Vec::new();
    for _ in 0..RUNS {
        ids.push(worker.start(request(&template, json!({"count": ITEMS}))).await.unwrap());
    }
    let retention = retention_handle(&bed).await;
    let policy = RetentionPolicy { executions_ms: Some(3_600_000), batch: 50, ..RetentionPolicy::default() };
    let (report, statuses) = tokio::join!(retention.retain(&policy, SystemClock.now_ms()), async {
        let mut statuses = Vec::new();
        for id in &ids {
            statuses.push(worker.settle(id).await.unwrap());
        }
        statuses
    });
    assert_eq!(report.unwrap().expect("no other pass runs").executions as usize, 3 * ROOTS);
    assert!(statuses.iter().all(|status| *status == ExecutionStatus::Success), "{statuses:?}");
    for id in &ids {
        assert_eq!(outputs(store.as_ref(), id).await, fan_out_outputs(ITEMS), "{id}");
    }
    let left = store.executions(&ExecutionFilter { include_children: true, ..ExecutionFilter::default() }).await.unwrap();
    assert_eq!(left.len(), RUNS, "only the new executions are left: {:?}", left.iter().map(|e| &e.id).collect::<Vec<_>>());
}
