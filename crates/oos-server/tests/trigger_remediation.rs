//! The remediation proofs of event- and alarm-triggered executions, on the system clock: public
//! corpus templates, unmodified, act on an emulated fleet when its instances stop (events from the
//! emulator's signed HTTP sink), when a real Prometheus Alertmanager notifies a high CPU, and when
//! the emulator's own CloudMonitor-style alarm rule fires; each episode acts once. Then the abuse
//! cases of the unauthenticated-reachable intake, and TriggerExecution / PauseTrigger /
//! ResumeTrigger through the API.

mod api_client;
mod remediation;

use api_client::{Backend, call, oos, ram};
use oos_emulator::{AlarmRule, ComparisonOperator, MetricValue, ResourceFilter};
use oos_server::OOS_VERSION;
use oos_testkit::alertmanager::Alertmanager;
use remediation::{Fleet, eventually, now_secs};
use serde_json::{Value, json};

const SEED: &str = r#"
instances:
  - {count: 2, ids: [i-dev1, i-dev2], region: cn-hangzhou, status: Running, tags: {Env: Dev}}
  - {ids: [i-prod1], region: cn-hangzhou, status: Running, tags: {Env: Prod}}
  - {ids: [i-spare], region: cn-hangzhou, status: Stopped, tags: {Env: Dev}}
"#;

const AUTO_START: &str = "ACS-ECS-AutoStartECSWhenStoppedByTags";
const REBOOT_AT_HIGH_CPU: &str = "ACS-ECS-RebootInstanceAtHighCpuByTags";

/// A run's outputs (ListExecutions answers them as JSON text).
fn outputs(run: &Value) -> Value {
    serde_json::from_str(run["Outputs"].as_str().unwrap_or("{}")).unwrap()
}

fn dev_tags() -> Value {
    json!([{"Key": "Env", "Value": "Dev"}])
}

async fn auto_start(fleet: &Fleet) -> String {
    fleet.start_trigger(AUTO_START, "AutoStartECSWhenStoppedByTags", json!({"tags": dev_tags(), "OOSAssumeRole": ""})).await
}

async fn reboot_at_high_cpu(fleet: &Fleet) -> String {
    fleet.start_trigger(REBOOT_AT_HIGH_CPU, "RebootInstanceAtHighCpuByTags", json!({"threshold": 80, "tags": dev_tags(), "OOSAssumeRole": ""})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_dev_instance_is_started_again_on_sqlite() {
    stopped_dev_instances_are_started_again(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_dev_instance_is_started_again_on_postgres() {
    stopped_dev_instances_are_started_again(Backend::Postgres).await;
}

async fn stopped_dev_instances_are_started_again(backend: Backend) {
    let fleet = Fleet::start(backend, SEED).await;
    let id = auto_start(&fleet).await;

    let stopped_at = jiff::Timestamp::from_second(now_secs()).unwrap();
    fleet.ecs("StopInstance", "i-dev1").await;
    let runs = fleet.runs_once(&id, 1).await;
    fleet.wait_instance("i-dev1", "Running").await;
    let states: Vec<Value> = fleet.emulator.emulator().events().iter().filter(|event| event.body["resourceId"] == "i-dev1").map(|event| event.body["content"]["state"].clone()).collect();
    assert_eq!(states[..2], [json!("Stopping"), json!("Stopped")], "the stop raised both states: {states:?}");
    assert_eq!(runs.len(), 1, "only Stopped fires: {runs:#?}");
    assert_eq!(runs[0]["Status"], "Success", "{runs:#?}");
    assert_eq!(outputs(&runs[0])["instanceId"], "i-dev1", "{runs:#?}");
    assert_eq!(fleet.acted("StartInstance", "i-dev1"), 1);
    // The trigger records its run's end in a turn of its own, after the run's.
    eventually("the trigger to record its run's end", || async { fleet.execution(&id).await["LastTriggerStatus"] != "Running" }).await;
    let trigger = fleet.execution(&id).await;
    assert_eq!((&trigger["Category"], &trigger["Status"], &trigger["LastTriggerStatus"]), (&json!("EventTrigger"), &json!("Waiting"), &json!("Success")), "{trigger}");
    let fired = trigger["LastTriggerTime"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert!((stopped_at..=jiff::Timestamp::now()).contains(&fired), "{trigger}");

    // A Prod instance stopping fires nothing: the Dev one stopped after it (the sink posts in
    // order) is the only second run, and the Prod one stays Stopped.
    fleet.ecs("StopInstance", "i-prod1").await;
    fleet.ecs("StopInstance", "i-dev2").await;
    let runs = fleet.runs_once(&id, 2).await;
    fleet.wait_instance("i-dev2", "Running").await;
    let started: Vec<String> = runs.iter().filter_map(|run| outputs(run)["instanceId"].as_str().map(str::to_owned)).collect();
    assert_eq!((runs.len(), started.contains(&"i-dev2".to_owned())), (2, true), "{runs:#?}");
    assert_eq!(fleet.status("i-prod1"), "Stopped");
    assert_eq!(fleet.acted("StartInstance", "i-prod1"), 0);
    assert_eq!(fleet.execution(&id).await["TriggerCount"], 2);
}

fn high_cpu(starts_at: &str, ends_at: Option<&str>) -> Value {
    let mut alert = json!({
        "labels": {"alertname": "HighCpu", "instance_id": "i-dev1", "metric_name": "cpu_total", "namespace": "acs_ecs_dashboard", "tag_Env": "Dev"},
        "annotations": {"value": "97", "threshold": "80"},
        "startsAt": starts_at,
    });
    if let Some(ends_at) = ends_at {
        alert["endsAt"] = json!(ends_at);
    }
    json!([alert])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_reboots_a_hot_instance_once_per_episode_on_sqlite() {
    a_real_alertmanager_reboots_a_hot_instance_once_per_episode(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_reboots_a_hot_instance_once_per_episode_on_postgres() {
    a_real_alertmanager_reboots_a_hot_instance_once_per_episode(Backend::Postgres).await;
}

async fn a_real_alertmanager_reboots_a_hot_instance_once_per_episode(backend: Backend) {
    let fleet = Fleet::start(backend, SEED).await;
    let id = reboot_at_high_cpu(&fleet).await;
    let (key, secret) = fleet.root_key.clone();
    let webhook = format!("{}/alertmanager/v1", fleet.url);
    let alertmanager = tokio::task::spawn_blocking(move || Alertmanager::start_with(&webhook, Some((&key, &secret)))).await.unwrap().unwrap();

    let first = jiff::Timestamp::now().to_string();
    alertmanager.post_alerts(&high_cpu(&first, None)).unwrap();
    let runs = fleet.runs_once(&id, 1).await;
    assert_eq!(runs[0]["Status"], "Success", "{runs:#?}");
    assert_eq!(fleet.acted("RebootInstance", "i-dev1"), 1);
    // Alertmanager notifies the unchanged alert again (repeat_interval): the same episode's key.
    fleet.wait_log(&id, "ignored: it fired already").await;
    assert_eq!(fleet.runs(&id).await.len(), 1);
    assert_eq!(fleet.acted("RebootInstance", "i-dev1"), 1, "a repeated notification reboots nothing");

    // Resolved, then firing again: a new episode (a new startsAt) reboots again.
    alertmanager.post_alerts(&high_cpu(&first, Some(&jiff::Timestamp::now().to_string()))).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    alertmanager.post_alerts(&high_cpu(&jiff::Timestamp::now().to_string(), None)).unwrap();
    let runs = fleet.runs_once(&id, 2).await;
    assert!(runs.iter().all(|run| run["Status"] == "Success"), "{runs:#?}");
    assert_eq!(fleet.acted("RebootInstance", "i-dev1"), 2);
    assert_eq!((fleet.acted("RebootInstance", "i-dev2"), fleet.status("i-dev1")), (0, "Running".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_alarm_rule_reboots_a_hot_instance_once_per_alarm_on_sqlite() {
    an_emulator_alarm_rule_reboots_a_hot_instance_once_per_alarm(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_alarm_rule_reboots_a_hot_instance_once_per_alarm_on_postgres() {
    an_emulator_alarm_rule_reboots_a_hot_instance_once_per_alarm(Backend::Postgres).await;
}

async fn an_emulator_alarm_rule_reboots_a_hot_instance_once_per_alarm(backend: Backend) {
    let fleet = Fleet::start(backend, SEED).await;
    let id = reboot_at_high_cpu(&fleet).await;
    let emulator = fleet.emulator.emulator();
    let rule = AlarmRule {
        rule_name: "cpu-high".into(),
        namespace: "acs_ecs_dashboard".into(),
        metric_name: "cpu_total".into(),
        comparison_operator: ComparisonOperator::GreaterThanThreshold,
        threshold: 80.0,
        times: 1,
        resources: vec![ResourceFilter { instance_id: Some("i-dev1".into()), device: None }],
    };
    emulator.put_alarm_rule(rule).unwrap();
    let cpu = |value| MetricValue::new("acs_ecs_dashboard", "cpu_total", "i-dev1", value);
    emulator.set_metric(cpu(95.0)).unwrap();
    let runs = fleet.runs_once(&id, 1).await;
    assert_eq!((runs[0]["Status"].as_str(), fleet.acted("RebootInstance", "i-dev1")), (Some("Success"), 1), "{runs:#?}");
    // Still in ALARM: nothing is raised, nothing more happens.
    emulator.set_metric(cpu(97.0)).unwrap();
    let alarms = || emulator.events().iter().filter(|event| event.body["status"] == "firing").count();
    assert_eq!(alarms(), 1);
    // Back to OK, then above again: a new alarm, a second reboot; the 97 added none in between.
    emulator.set_metric(cpu(10.0)).unwrap();
    emulator.set_metric(cpu(96.0)).unwrap();
    let runs = fleet.runs_once(&id, 2).await;
    assert_eq!((runs.len(), alarms(), fleet.acted("RebootInstance", "i-dev1")), (2, 2, 2), "{runs:#?}");
}

fn stopped_event(id: &str, instance_id: &str) -> Value {
    json!({"id": id, "product": "ECS", "name": "Instance:StateChange", "level": "INFO", "regionId": "cn-hangzhou",
        "resourceId": instance_id, "tags": {"Env": "Dev"}, "content": {"resourceId": instance_id, "state": "Stopped"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intake_refuses_abuse_and_fires_nothing() {
    let fleet = Fleet::start(Backend::Sqlite, SEED).await;
    let id = auto_start(&fleet).await;
    let body = |event_id: &str| stopped_event(event_id, "i-spare").to_string().into_bytes();
    let code = |answer: &Value| answer["Code"].as_str().unwrap_or_default().to_owned();
    let (root_id, root_secret) = fleet.root();

    let (status, answer) = fleet.post_signed("/events/v1", (root_id, "not-the-secret"), now_secs(), &body("bad-signature")).await;
    assert_eq!((status, code(&answer)), (401, "InvalidSignature.Webhook".into()), "{answer}");
    let (status, answer) = fleet.post_signed("/events/v1", fleet.root(), now_secs() - 301, &body("stale")).await;
    assert_eq!((status, code(&answer)), (401, "InvalidSignature.Webhook".into()), "{answer}");
    let (status, answer) = fleet.post_signed("/alarms/v1", ("LTAInoSuchKey", root_secret), now_secs(), br#"{"namespace":"acs_ecs_dashboard","metricName":"cpu_total"}"#).await;
    assert_eq!(code(&answer), "InvalidAccessKeyId.NotFound", "{status} {answer}");
    assert!((400..500).contains(&status), "{status}");
    let notification = json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "HighCpu", "instance_id": "i-dev1"}, "startsAt": "2026-12-05T14:00:00Z"}]});
    let (status, answer) = fleet.post_alertmanager(root_id, "wrong", &notification).await;
    assert_eq!((status, code(&answer)), (401, "InvalidSignature.Webhook".into()), "{answer}");
    // Over the front door's limit: a 413, or the connection closed before the rest of the body was
    // read (the client then fails writing it): refused either way.
    if let Some((status, answer)) = fleet.post_signed_oversized("/events/v1", fleet.root(), now_secs(), &vec![b' '; 3 * 1024 * 1024]).await {
        assert_eq!((status, code(&answer)), (413, "RequestEntityTooLarge".into()), "{answer}");
    }
    // Within the front door's limit, but over the intake's: each matching trigger would keep a copy.
    let (status, answer) = fleet.post_signed("/events/v1", fleet.root(), now_secs(), &vec![b' '; 300 * 1024]).await;
    assert_eq!((status, code(&answer)), (413, "InvalidEvent.TooLarge".into()), "{answer}");
    let (status, answer) = fleet.post_signed("/events/v1", fleet.root(), now_secs(), b"state=Stopped").await;
    assert_eq!((status, code(&answer)), (400, "InvalidEvent.Format".into()), "{answer}");

    // A RAM user's valid signature, without oos:TriggerExecution: counted, not fired.
    let user = api_client::user_credentials(&fleet.root, &fleet.url, "monitor").await;
    let user_key = (user.access_key_id.as_str(), user.access_key_secret.as_str());
    let (status, answer) = fleet.post_signed("/events/v1", user_key, now_secs(), &body("not-allowed")).await;
    assert_eq!((status, &answer["Unauthorized"], &answer["FiredExecutionIds"]), (200, &json!(1), &json!([])), "{answer}");
    assert_eq!(fleet.execution(&id).await["TriggerCount"], 0);
    assert_eq!(fleet.status("i-spare"), "Stopped");

    // Allowed, the same user's event fires: the only run, for that event.
    let policy = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:TriggerExecution", "Resource": "*"}]});
    ram(&fleet.root, "CreatePolicy", &[("PolicyName", "trigger"), ("PolicyDocument", &policy.to_string())]).await;
    ram(&fleet.root, "AttachPolicyToUser", &[("UserName", "monitor"), ("PolicyName", "trigger"), ("PolicyType", "Custom")]).await;
    let (status, answer) = fleet.post_signed("/events/v1", user_key, now_secs(), &body("allowed")).await;
    assert_eq!((status, &answer["Unauthorized"], &answer["FiredExecutionIds"]), (200, &json!(0), &json!([id])), "{answer}");
    let runs = fleet.runs_once(&id, 1).await;
    assert_eq!((runs.len(), runs[0]["Status"].as_str()), (1, Some("Success")), "{runs:#?}");
    fleet.wait_instance("i-spare", "Running").await;
    let trigger = fleet.execution(&id).await;
    assert_eq!(trigger["TriggerCount"], 1, "{trigger}");
    let outputs: Value = serde_json::from_str(trigger["LastTriggerOutputs"].as_str().unwrap_or("{}")).unwrap();
    assert_eq!(outputs["instanceId"], "i-spare", "{trigger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_execution_pause_and_resume_through_the_api() {
    let fleet = Fleet::start(Backend::Sqlite, SEED).await;
    let events = auto_start(&fleet).await;
    let alarms = reboot_at_high_cpu(&fleet).await;

    // Type=Event: the Content is the event; the run starts i-spare.
    let content = stopped_event("manual-1", "i-spare").to_string();
    oos(&fleet.root, "TriggerExecution", &[("ExecutionId", &events), ("Type", "Event"), ("Content", &content)]).await;
    let runs = fleet.runs_once(&events, 1).await;
    assert_eq!((runs[0]["Status"].as_str(), outputs(&runs[0])["instanceId"].as_str()), (Some("Success"), Some("i-spare")), "{runs:#?}");
    fleet.wait_instance("i-spare", "Running").await;
    let wrong = call(&fleet.root, OOS_VERSION, "TriggerExecution", &[("ExecutionId", &events), ("Type", "Alarm")]).await.unwrap_err();
    assert!(format!("{wrong:?}").contains("InvalidParameter"), "{wrong:?}");

    // Type=Alarm with only the instance: the namespace and metric are the trigger's own.
    let content = json!({"id": "manual-alarm-1", "instanceId": "i-dev2", "value": 99}).to_string();
    oos(&fleet.root, "TriggerExecution", &[("ExecutionId", &alarms), ("Type", "Alarm"), ("Content", &content)]).await;
    let runs = fleet.runs_once(&alarms, 1).await;
    assert_eq!(runs[0]["Status"], "Success", "{runs:#?}");
    assert_eq!(fleet.acted("RebootInstance", "i-dev2"), 1);

    // Paused, the trigger ignores an event; resumed, the same event fires.
    oos(&fleet.root, "PauseTrigger", &[("ExecutionId", &events)]).await;
    fleet.wait_trigger_status(&events, "Paused").await;
    fleet.ecs("StopInstance", "i-spare").await;
    let body = stopped_event("while-paused", "i-spare").to_string().into_bytes();
    let (status, answer) = fleet.post_signed("/events/v1", fleet.root(), now_secs(), &body).await;
    assert_eq!((status, &answer["FiredExecutionIds"]), (200, &json!([])), "{answer}");
    assert_eq!((fleet.runs(&events).await.len(), fleet.status("i-spare")), (1, "Stopped".to_owned()));
    oos(&fleet.root, "ResumeTrigger", &[("ExecutionId", &events)]).await;
    fleet.wait_trigger_status(&events, "Active").await;
    let (status, answer) = fleet.post_signed("/events/v1", fleet.root(), now_secs(), &body).await;
    assert_eq!((status, &answer["FiredExecutionIds"]), (200, &json!([events])), "{answer}");
    let runs = fleet.runs_once(&events, 2).await;
    assert_eq!(runs.len(), 2, "{runs:#?}");
    fleet.wait_instance("i-spare", "Running").await;
    eventually("two starts of i-spare", || async { fleet.acted("StartInstance", "i-spare") == 2 }).await;
}
