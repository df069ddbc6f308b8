//! The fault test on PostgreSQL: three `oos worker` processes (and the API server's own worker) run
//! 20 executions of 1,000-item loops — a mutating cloud call per item (CreateSnapshot, with a
//! ClientToken), a Sleep, and a WaitFor per item polling the snapshot — against an emulator in this
//! process, while workers are SIGKILLed and restarted at random moments and every database
//! connection is cut once (`pg_terminate_backend`).
//!
//! What must hold afterwards: every execution ends Success with the outputs of an undisturbed run
//! (each item's snapshot name, in item order); every item's CreateSnapshot reached the cloud exactly
//! once, and no call was ever made under two different ClientTokens (the emulator's journal); the
//! audit trail is one intact chain.

mod cluster;

use std::collections::HashMap;
use std::time::Duration;

use cluster::{Cluster, call_retrying as call, terminate_connections};
use oos_acs::Credentials;
use oos_emulator::Emulator;
use oos_testkit::OosProcess;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const EXECUTIONS: usize = 20;
const ITEMS: usize = 1000;
const WORKERS: usize = 3;
const BOUND: Duration = Duration::from_secs(600);

const TEMPLATE: &str = r"
FormatVersion: OOS-2019-06-01
Parameters:
  run: {Type: String}
  diskId: {Type: String}
  items: {Type: List}
Tasks:
- Name: snapshot
  Action: ACS::ExecuteAPI
  Loop:
    Items: '{{ items }}'
    RateControl: {Mode: Concurrency, Concurrency: 100, MaxErrors: 0}
    Outputs:
      ids: {AggregateType: Fn::ListJoin, AggregateField: id}
  Properties:
    Service: ECS
    API: CreateSnapshot
    Parameters: {DiskId: '{{ diskId }}', SnapshotName: '{{ run }}-{{ ACS::TaskLoopItem }}'}
  Outputs: {id: {Type: String, ValueSelector: SnapshotId}}
- Name: pause
  Action: ACS::Sleep
  Properties: {Duration: PT2S}
- Name: settled
  Action: ACS::WaitFor
  Retries: 30
  DelayType: Constant
  Delay: 1
  Loop:
    Items: '{{ snapshot.ids }}'
    RateControl: {Mode: Concurrency, Concurrency: 100, MaxErrors: 0}
    Outputs:
      names: {AggregateType: Fn::ListJoin, AggregateField: name}
  Properties:
    Service: ECS
    API: DescribeSnapshots
    Parameters: {SnapshotIds: ['{{ ACS::TaskLoopItem }}']}
    PropertySelector: 'Snapshots.Snapshot[].Status'
    DesiredValues: [accomplished]
  Outputs: {name: {Type: String, ValueSelector: 'Snapshots.Snapshot[0].SnapshotName'}}
Outputs:
  names: {Type: List, Value: '{{ settled.names }}'}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_and_cut_connections_lose_nothing_and_repeat_no_call() {
    let emulator = Emulator::builder().journal(true).transition_delay(Duration::from_millis(500)).build().expect("the emulator builds");
    let disk = emulator.with_cloud(|cloud| cloud.disks.keys().next().cloned()).expect("a seeded disk");
    let handle = emulator.spawn("127.0.0.1:0".parse().unwrap()).await.expect("the emulator listens");
    let cluster = Cluster::with_cloud(handle.url()).await;
    let quick = ["--lease-ttl", "4", "--max-crashes", "1000"];
    let server = cluster.server("api", &quick);
    let root = cluster.root("api");
    let mut workers: Vec<OosProcess> = (0..WORKERS).map(|n| cluster.worker(&format!("w{n}"), &quick)).collect();

    call(&server, &root, "CreateTemplate", &[("TemplateName", "snapshots"), ("Content", TEMPLATE)]).await;
    let items = serde_json::to_string(&(0..ITEMS).collect::<Vec<_>>()).unwrap();
    let mut ids = HashMap::new();
    for run in 0..EXECUTIONS {
        let tag = format!("r{run:02}");
        let parameters = json!({"run": tag, "diskId": disk, "items": serde_json::from_str::<Value>(&items).unwrap()}).to_string();
        let started = call(&server, &root, "StartExecution", &[("TemplateName", "snapshots"), ("Parameters", &parameters)]).await;
        ids.insert(started["Execution"]["ExecutionId"].as_str().expect("an id").to_string(), tag);
    }

    let seed: u64 = rand::random();
    println!("fault schedule seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let deadline = tokio::time::Instant::now() + BOUND;
    let (mut kills, mut cut) = (0, false);
    loop {
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..3000))).await;
        let finished = finished(&server, &root, ids.keys()).await;
        if finished == EXECUTIONS {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{finished} of {EXECUTIONS} finished after {BOUND:?}; {kills} kills");
        if !cut && kills >= 3 {
            let terminated = terminate_connections(&cluster).await;
            assert!(terminated > 0, "the processes had connections to cut");
            cut = true;
            continue;
        }
        let victim = rng.random_range(0..WORKERS);
        let name = format!("w{victim}-{kills}");
        let killed = std::mem::replace(&mut workers[victim], cluster.worker(&name, &quick));
        killed.kill();
        kills += 1;
    }
    assert!(kills >= 3 && cut, "the faults happened: {kills} kills, connections cut: {cut}");

    for (id, tag) in &ids {
        let listed = call(&server, &root, "ListExecutions", &[("ExecutionId", id)]).await;
        let execution = &listed["Executions"][0];
        assert_eq!(execution["Status"], "Success", "{execution}");
        let outputs: Value = serde_json::from_str(execution["Outputs"].as_str().expect("outputs")).unwrap();
        let expected: Vec<String> = (0..ITEMS).map(|item| format!("{tag}-{item}")).collect();
        assert_eq!(outputs["names"], json!(expected), "execution {id} has the outputs of an undisturbed run");
    }

    let mut tokens_of: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for mutation in emulator.mutations().into_iter().filter(|mutation| mutation.action == "CreateSnapshot") {
        tokens_of.entry(mutation.parameters).or_default().push(mutation.client_token);
    }
    assert_eq!(tokens_of.len(), EXECUTIONS * ITEMS, "every item's snapshot was created");
    let repeated: Vec<_> = tokens_of.iter().filter(|(_, tokens)| tokens.len() != 1 || tokens[0].is_none()).take(5).collect();
    assert!(repeated.is_empty(), "calls that reached the cloud twice or without a ClientToken: {repeated:?}");

    let verified = call(&server, &root, "VerifyAuditTrail", &[]).await;
    assert_eq!(verified["Valid"], true, "{verified}");
    println!("{kills} worker kills, connections cut once; {} cloud calls acted", emulator.mutations().len());
}

/// How many of `ids` have finished (Success or otherwise).
async fn finished(server: &OosProcess, root: &Credentials, ids: impl Iterator<Item = &String>) -> usize {
    let mut done = 0;
    for id in ids {
        let listed = call(server, root, "ListExecutions", &[("ExecutionId", id)]).await;
        if matches!(listed["Executions"][0]["Status"].as_str(), Some("Success" | "Failed" | "Cancelled")) {
            done += 1;
        }
    }
    done
}
