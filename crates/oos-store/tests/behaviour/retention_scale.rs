//! The retention acceptance case (issue 16): a store of 100,000 executions (trees among them, a few
//! still running) pruned to 10,000 by policy while a worker keeps running new executions, then the
//! exported audit segments and the remaining chain verify, and a tampered segment does not.
//! `retention_scale_small` runs the same case at a tenth of the size.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use oos_store::retention::segments;
use oos_store::{
    AuditStore, Claimed, ExecutionFilter, ExecutionRecord, ExecutionStore, LeaseStore, LogRecord, LogStore, RetentionPolicy, RetentionStore, StepStore,
    StepWrite, TaskStore,
};

use super::retention::{ended, record};
use crate::fixtures::task;

/// Executions per group: a root with two children and seven single executions.
const GROUP: usize = 10;
/// Groups whose tree has a running child, and groups whose first single execution is running.
const BLOCKED_TREES: [usize; 2] = [100, 200];
const RUNNING: std::ops::Range<usize> = 300..314;
/// Executions the worker runs during the pass (at least).
const LIVE: usize = 40;

fn group(g: usize) -> (Vec<ExecutionRecord>, Vec<oos_store::audit::NewAudit>) {
    let end = Some(g as i64 + 1);
    let root = format!("g{g:06}-t");
    let mut executions = vec![ended(&root, "Success", end, None), ended(&format!("{root}-1"), "Failed", end, Some(&root))];
    let waiting = |mut execution: ExecutionRecord| {
        execution.runnable = false;
        execution
    };
    executions.push(if BLOCKED_TREES.contains(&g) {
        waiting(ended(&format!("{root}-2"), "Running", None, Some(&root)))
    } else {
        ended(&format!("{root}-2"), "Success", end, Some(&root))
    });
    for single in 0..GROUP - 3 {
        let id = format!("g{g:06}-s{single}");
        executions.push(if single == 0 && RUNNING.contains(&g) { waiting(ended(&id, "Running", None, None)) } else { ended(&id, "Success", end, None) });
    }
    (executions, vec![record(g as i64 + 1), record(g as i64 + 1)])
}

/// Runs LIVE executions (and more while the pass lasts) as a worker does: created, claimed, a turn
/// with a task, a log line and an audit record, finished, released. Returns how many ran.
async fn worker<S: StepStore + LeaseStore>(store: &S, now: i64, pass_done: &AtomicBool) -> usize {
    let mut ran = 0;
    while ran < LIVE || !pass_done.load(Ordering::SeqCst) {
        let id = format!("live-{ran:05}");
        let mut live = ended(&id, "Running", None, None);
        live.created_ms = now;
        store.create(&StepWrite { executions: vec![live.clone()], ..StepWrite::default() }, None).await.unwrap();
        let claimed = store.claim("worker", now, 60_000, 100).await.unwrap();
        assert_eq!(claimed, vec![Claimed { id: id.clone(), taken_from: None }], "only the new execution is runnable");
        let mut done = task(&format!("{id}-task"), &id, 1, "Success");
        done.outputs = Some("{\"ok\":true}".into());
        let finished = ExecutionRecord { status: "Success".into(), runnable: false, end_ms: Some(now), ..live };
        let log = LogRecord { execution_id: id.clone(), task_execution_id: None, ts_ms: now, log_type: "Info".into(), message: "ran".into() };
        let write = StepWrite { executions: vec![finished], tasks: vec![done], logs: vec![log], audit: vec![record(now)], lease_expires_ms: now + 60_000, ..StepWrite::default() };
        store.commit("worker", &write).await.unwrap();
        store.release("worker", &[id]).await.unwrap();
        ran += 1;
    }
    ran
}

/// `groups` groups (10 executions each) pruned to 1,000 groups' worth.
async fn prune_to_a_tenth<S: StepStore + LeaseStore + ExecutionStore + TaskStore + LogStore + AuditStore + RetentionStore>(store: &S, groups: usize) {
    let now = 2 * groups as i64 + 1_000;
    let started = Instant::now();
    for chunk in (0..groups).collect::<Vec<_>>().chunks(100) {
        let (executions, audit): (Vec<_>, Vec<_>) = chunk.iter().map(|g| group(*g)).unzip();
        let write = StepWrite { executions: executions.concat(), audit: audit.concat(), ..StepWrite::default() };
        store.create(&write, None).await.unwrap();
    }
    assert!(store.verify_audit().await.unwrap().broken.is_none());
    eprintln!("inserted {} executions in {:?}", groups * GROUP, started.elapsed());

    // The last groups / 10 - 2 groups ended after the cut and are kept whole; so are the blocked trees
    // (3 executions each) and the running single executions in old groups: a tenth of the store.
    let first_kept = groups - groups / 10 + 2;
    let cut = first_kept as i64 + 1;
    let dir = tempfile::tempdir().unwrap();
    let policy = RetentionPolicy {
        executions_ms: Some(now - cut),
        audit_ms: Some(now - cut),
        audit_dir: Some(dir.path().to_owned()),
        batch: 500,
        segment_records: 5_000,
        ..RetentionPolicy::default()
    };
    let pass_done = AtomicBool::new(false);
    let started = Instant::now();
    let (report, ran) = tokio::join!(
        async {
            let report = store.retain(&policy, now).await.unwrap().expect("no other pass runs");
            pass_done.store(true, Ordering::SeqCst);
            report
        },
        worker(store, now, &pass_done)
    );
    let elapsed = started.elapsed();
    eprintln!(
        "pruned {} executions and {} audit records ({} segments) in {elapsed:?}: {:.0} executions/s; the worker ran {ran} executions meanwhile",
        report.executions,
        report.audit_records,
        report.segments.len(),
        report.executions as f64 / elapsed.as_secs_f64(),
    );
    let kept = GROUP * (groups / 10 - 2) + 3 * BLOCKED_TREES.len() + RUNNING.len();
    assert_eq!(kept, groups, "a tenth of the store is kept");
    assert_eq!(report.executions as usize, groups * GROUP - kept);
    let all = store.executions(&ExecutionFilter { include_children: true, ..ExecutionFilter::default() }).await.unwrap();
    assert_eq!(all.len(), kept + ran);
    for blocked in ["g000100-t", "g000100-t-2", "g000200-t-1", "g000300-s0", "g000313-s0"] {
        assert!(all.iter().any(|execution| execution.id == blocked), "{blocked} kept");
    }
    for index in 0..ran {
        let id = format!("live-{index:05}");
        let live = store.execution(&id).await.unwrap().expect("a live execution is kept");
        assert_eq!(live.status, "Success");
        assert_eq!(store.tasks(&id).await.unwrap().len(), 1);
        assert_eq!(store.logs(&id, None).await.unwrap().len(), 1);
    }

    let exported = 2 * first_kept;
    assert_eq!(report.audit_records as usize, exported);
    let outcome = segments::verify(store, dir.path()).await.unwrap();
    assert_eq!(outcome.fault, None);
    assert_eq!((outcome.exported_records as usize, outcome.chain.first_seq as usize), (exported, exported + 1));
    assert_eq!(outcome.chain.records as usize, 2 * groups - exported + ran);
    let file = &report.segments[report.segments.len() / 2];
    let text = std::fs::read_to_string(file).unwrap();
    std::fs::write(file, text.replacen("\\\"Action\\\":\\\"Call", "\\\"Action\\\":\\\"Edit", 1)).unwrap();
    assert_eq!(segments::verify(store, dir.path()).await.unwrap().fault.map(|fault| fault.code), Some("AuditSegment.Modified"));
}

async fn retention_scale(store: &(impl StepStore + LeaseStore + ExecutionStore + TaskStore + LogStore + AuditStore + RetentionStore)) {
    prune_to_a_tenth(store, 10_000).await;
}

async fn retention_scale_small(store: &(impl StepStore + LeaseStore + ExecutionStore + TaskStore + LogStore + AuditStore + RetentionStore)) {
    prune_to_a_tenth(store, 1_000).await;
}

crate::on_both!(retention_scale, retention_scale_small);
