//! The trigger templates of the sandbox coverage run (a first task `ACS::TimerTrigger`,
//! `ACS::EventTrigger` or `ACS::AlarmTrigger`, docs/triggers.md): each is armed on a real
//! `oos server --sandbox`, fired once by hand (TriggerExecution) with a tick, an event about a
//! seeded instance or an alarm on it, and judged by the run that firing started.

use std::time::{Duration, Instant};

use oos_testkit::wire::{OOS, RAM};
use serde_json::{Value, json};

use crate::attack::Target;
use crate::sandbox_support::{RunOutcome, SandboxDir};

/// `Timer`, `Event` or `Alarm` when the template's first task is that trigger (TriggerExecution's `Type`).
pub fn trigger_kind(template: &Value) -> Option<&'static str> {
    let action = template["Tasks"][0]["Action"].as_str()?;
    ["Timer", "Event", "Alarm"].into_iter().find(|kind| action.eq_ignore_ascii_case(&format!("ACS::{kind}Trigger")))
}

/// What the firing carries: nothing for a tick; for an event, the trigger's own (first) event name
/// and level about `instance`, with the content fields the public templates select
/// (`.content.resourceId`, `.content.instanceId`, a `Stopped` state, a `delete` action); for an
/// alarm, a firing alarm on `instance` (its namespace and metric are the trigger's).
fn content(kind: &str, template: &Value, region: &str, instance: &str) -> Value {
    let properties = &template["Tasks"][0]["Properties"];
    let first = |key: &str, default: &'static str| {
        properties[key][0].as_str().or(properties[key].as_str()).filter(|text| !text.contains("{{")).unwrap_or(default).to_owned()
    };
    match kind {
        "Event" => json!({
            "id": "coverage-event",
            "product": "ECS",
            "name": first("Name", "Instance:StateChange"),
            "level": first("Level", "INFO"),
            "regionId": region,
            "resourceId": instance,
            "content": {"resourceId": instance, "instanceId": instance, "resourceType": "ALIYUN::ECS::Instance", "state": "Stopped", "action": "delete"},
        }),
        "Alarm" => json!({"id": "coverage-alarm", "status": "firing", "instanceId": instance, "value": 99}),
        _ => json!({}),
    }
}

/// How far a trigger template got.
enum Reached {
    /// StartExecution or TriggerExecution refused it: the error.
    Refused(String),
    /// This execution (the firing's run, or the trigger execution when it never armed) ended or
    /// waits for someone (`timed_out`: it was still running at the limit).
    Execution { id: String, success: bool, timed_out: bool },
}

/// Arms `text` (the template) with `parameters` on a fresh `oos server --sandbox` over `sandbox`'s
/// fleet and state (`options`: more server options, e.g. `--library`), fires it once with
/// [`content`] about `instance`, waits at most `limit` for each step, and hands the outcome (the
/// firing's run, read from the server's store once the server is stopped) to `judge`.
#[allow(clippy::too_many_arguments, reason = "the run's inputs, named")]
pub fn fire_once<R>(text: &str, template: &Value, kind: &str, parameters: &Value, sandbox: &SandboxDir, options: &[&str], instance: &str, limit: Duration, judge: impl FnOnce(&RunOutcome) -> R) -> R {
    let fleet = sandbox.path().join("fleet.yaml");
    let state = sandbox.path().join("cloud.json");
    let mut args = vec!["--sandbox", "--fleet", fleet.to_str().expect("UTF-8"), "--sandbox-state", state.to_str().expect("UTF-8")];
    args.extend_from_slice(options);
    let mut target = Target::start(&args);
    let region = options.windows(2).find(|pair| pair[0] == "--region").map_or("cn-hangzhou", |pair| pair[1]);
    let content = content(kind, template, region, instance);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let reached = runtime.block_on(arm_and_fire(&target, text, kind, parameters, &content, limit));
    target.kill();
    let outcome = match reached {
        Reached::Refused(message) => RunOutcome::refused(&message),
        Reached::Execution { id, success, timed_out } => RunOutcome::recorded(target.dir.path(), &id, success, timed_out),
    };
    judge(&outcome)
}

async fn arm_and_fire(target: &Target, text: &str, kind: &str, parameters: &Value, content: &Value, limit: Duration) -> Reached {
    let root = target.root.clone();
    let start = [("TemplateContent", text), ("Parameters", &parameters.to_string())];
    let (mut status, mut started) = target.call(&root, OOS, "StartExecution", &start).await;
    if let Some(role) = missing_role(&started) {
        // The execution's role (`OOSAssumeRole`, e.g. OOSServiceRole): created as its user would.
        create_role(target, &role).await;
        (status, started) = target.call(&root, OOS, "StartExecution", &start).await;
    }
    if status != 200 {
        return Reached::Refused(refusal(&started));
    }
    let id = started["Execution"]["ExecutionId"].as_str().unwrap_or_default().to_owned();
    let deadline = Instant::now() + limit;
    loop {
        let execution = target.oos("ListExecutions", &[("ExecutionId", &id)]).await["Executions"][0].clone();
        if execution["TriggerStatus"] == "Active" {
            break;
        }
        let finished = ["Success", "Failed", "Cancelled"].contains(&execution["Status"].as_str().unwrap_or_default());
        if finished || Instant::now() >= deadline {
            return Reached::Execution { success: execution["Status"] == "Success", timed_out: !finished, id };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, fired) = target.call(&root, OOS, "TriggerExecution", &[("ExecutionId", &id), ("Type", kind), ("Content", &content.to_string())]).await;
    if status != 200 {
        return Reached::Refused(refusal(&fired));
    }
    let deadline = Instant::now() + limit;
    loop {
        let runs = target.oos("ListExecutions", &[("ParentExecutionId", &id)]).await;
        let run = runs["Executions"][0].clone();
        let status = run["Status"].as_str().unwrap_or_default();
        let settled = ["Success", "Failed", "Cancelled", "Waiting"].contains(&status);
        if settled || Instant::now() >= deadline {
            let run_id = run["ExecutionId"].as_str().map_or_else(|| id.clone(), str::to_owned);
            return Reached::Execution { success: status == "Success", timed_out: !settled, id: run_id };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The role an answer `EntityNotExist.Role: Role "X" does not exist` names.
fn missing_role(body: &Value) -> Option<String> {
    if body["Code"] != "EntityNotExist.Role" {
        return None;
    }
    body["Message"].as_str()?.split('"').nth(1).map(str::to_owned)
}

/// A RAM role `name` that OOS may assume, allowed everything (the sandbox's cloud is the emulator).
async fn create_role(target: &Target, name: &str) {
    let root = target.root.clone();
    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["oos.aliyuncs.com"]}}]});
    target.ok(&root, RAM, "CreateRole", &[("RoleName", name), ("AssumeRolePolicyDocument", &trust.to_string())]).await;
    let policy = format!("{name}Policy");
    let document = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    target.ok(&root, RAM, "CreatePolicy", &[("PolicyName", &policy), ("PolicyDocument", &document.to_string())]).await;
    target.ok(&root, RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", &policy), ("RoleName", name)]).await;
}

/// `Code: Message` of an error answer.
fn refusal(body: &Value) -> String {
    format!("{}: {}", body["Code"].as_str().unwrap_or("?"), body["Message"].as_str().unwrap_or_default())
}
