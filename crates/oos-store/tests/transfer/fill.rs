//! An embedded store with a bit of everything, written through the store traits: executions with
//! children, tasks, loop iterations, logs, triggers with their firings, inbox events (some consumed), crash marks and leases; sandbox inbox letters;
//! API metadata with tags and ClientTokens; templates with versions, tags and a favourite; library
//! templates; common and secret parameters with versions and tags; IAM records; the Cloud
//! Assistant's activations, managed instances, commands and invocations with targets in every state;
//! and an audit trail long enough to take several copy batches.

use oos_store::audit::{AuditKind, NewAudit};
use oos_store::{
    ActivationRow, Application, AssistantStore, AuditStore, StateConfigurationRow, StateConfigurationStore, CommandRow, InvocationRow, InvocationTarget, ManagedInstanceRow, RegisterOutcome, TargetChange, CrashGuard, ExecutionApiStore, ExecutionMeta, ExecutionRecord, IamRecordStore, InboxStore, LibraryStore, LogRecord,
    NewInboxEvent, NewParameter, NewTemplateVersion, ParameterStore, ParameterUpdate, SqliteStore, StepStore, StepWrite, TagChange,
    TagStore, TaggedKind, ConsoleSession, ConsoleStore, LockoutRule, TaskRecord, SandboxInboxStore, SandboxLetter, TemplateStore, TriggerRecord, FiringRecord,
};
use serde_json::{Map, Value, json};

/// Executions written (ids `e00`…).
pub const EXECUTIONS: usize = 24;
/// Audit records appended (besides none from the writes: they run outside a request scope).
pub const AUDIT_RECORDS: usize = 2_600;
/// The worker that holds every execution's lease in the source.
pub const WORKER: &str = "worker-1";

pub fn id(n: usize) -> String {
    format!("e{n:02}")
}

fn execution(n: usize) -> ExecutionRecord {
    let status = ["Success", "Running", "Failed", "Waiting"][n % 4];
    let finished = matches!(status, "Success" | "Failed");
    ExecutionRecord {
        id: id(n),
        template_name: ["deploy", "backup", "rotate"][n % 3].into(),
        template_version: n.is_multiple_of(2).then(|| "v1".into()),
        template_content: format!("FormatVersion: OOS-2019-06-01\nDescription: run {n}\n"),
        parameters: json!({"n": n, "empty": ""}).to_string(),
        mode: if n.is_multiple_of(5) { "Debug" } else { "Automatic" }.into(),
        status: status.into(),
        status_message: if n.is_multiple_of(3) { String::new() } else { format!("message {n} — ünïcode") },
        outputs: finished.then(|| json!({"out": n}).to_string()),
        parent_execution_id: (n >= 20).then(|| id(n - 20)),
        parent_task_execution_id: (n >= 20).then(|| format!("{}-t0", id(n - 20))),
        description: format!("execution {n}"),
        engine_state: json!({"state": n}).to_string(),
        runnable: !finished,
        wake_ms: (status == "Waiting").then_some(5_000 + n as i64),
        created_ms: 1_000 + n as i64 * 10,
        updated_ms: 2_000 + n as i64,
        start_ms: Some(1_000 + n as i64 * 10),
        end_ms: finished.then_some(3_000 + (n as i64 * 7) % 50),
    }
}

fn task(n: usize, k: usize) -> TaskRecord {
    TaskRecord {
        id: format!("{}-t{k}", id(n)),
        execution_id: id(n),
        seq: k as i64,
        task_name: format!("task{}", k.min(1)),
        task_action: if k == 0 { "ACS::Sleep" } else { "ACS::ExecuteAPI" }.into(),
        status: if k == 2 { "Running" } else { "Success" }.into(),
        status_message: String::new(),
        properties: Some(json!({"k": k}).to_string()),
        outputs: (k != 2).then(|| "{}".into()),
        loop_item: (k == 2).then(|| json!(format!("i-{n}")).to_string()),
        loop_batch_number: (k == 2).then_some(1),
        parent_task_execution_id: (k == 2).then(|| format!("{}-t1", id(n))),
        child_execution_id: None,
        engine_state: "{}".into(),
        created_ms: 10 + k as i64,
        updated_ms: 20 + k as i64,
        start_ms: Some(10),
        end_ms: (k != 2).then_some(30),
    }
}

fn log(n: usize, k: usize) -> LogRecord {
    LogRecord {
        execution_id: id(n),
        task_execution_id: (k > 0).then(|| format!("{}-t{}", id(n), k % 3)),
        ts_ms: 100 + k as i64,
        log_type: if k == 0 { "ExecutionStarted" } else { "TaskLog" }.into(),
        message: if k == 3 { String::new() } else { format!("line {k} of {n}") },
    }
}

/// Executions `e00`…`e05` are triggers, one kind after another; each fired twice but `e05`.
const TRIGGERS: usize = 6;

fn trigger(n: usize) -> TriggerRecord {
    let fired = n != TRIGGERS - 1;
    TriggerRecord {
        execution_id: id(n),
        kind: ["TimerTrigger", "EventTrigger", "AlarmTrigger"][n % 3].into(),
        status: if fired { "Active" } else { "Pending" }.into(),
        properties: if fired { json!({"n": n}).to_string() } else { "{}".into() },
        next_ms: n.is_multiple_of(3).then_some(90_000 + n as i64),
        fired: if fired { 2 } else { 0 },
        last_ms: fired.then_some(60_000),
        last_status: fired.then(|| "Success".into()),
        last_outputs: (fired && n.is_multiple_of(2)).then(|| json!({"out": n}).to_string()),
        last_child_execution_id: fired.then(|| format!("{}-fire-1", id(n))),
        last_success_ms: fired.then_some(61_000),
        updated_ms: 62_000,
    }
}

fn firing(n: usize, k: usize) -> FiringRecord {
    FiringRecord {
        execution_id: id(n),
        fire_key: format!("{}", 30_000 * (k + 1)),
        source: ["Timer", "Event", "Alarm"][n % 3].into(),
        child_execution_id: format!("{}-fire-{k}", id(n)),
        fired_ms: 30_000 * (k as i64 + 1) + 5,
    }
}

fn meta(n: usize) -> ExecutionMeta {
    let team = if n.is_multiple_of(2) { "web" } else { "db" };
    let mut tags = json!({"team": team, "n": format!("{n}")});
    if n.is_multiple_of(3) {
        tags["env"] = json!("prod");
    }
    ExecutionMeta {
        execution_id: id(n),
        executed_by: if n % 3 == 1 { "acs:ram::1:user/bob" } else { "acs:ram::1:root" }.into(),
        tags: tags.to_string(),
        resource_group_id: if n.is_multiple_of(4) { "rg-1".into() } else { String::new() },
        template_id: format!("t-{}", ["deploy", "backup", "rotate"][n % 3]),
        client_token: n.is_multiple_of(2).then(|| format!("token-{n}")),
        ram_role: if n.is_multiple_of(5) { "OOSServiceRole".into() } else { String::new() },
        loop_mode: if n.is_multiple_of(6) { "FirstBatchPause".into() } else { String::new() },
        safety_check: if n.is_multiple_of(7) { "Skip".into() } else { String::new() },
    }
}

fn set(tags: &[(&str, &str)]) -> TagChange {
    let set: Map<String, Value> = tags.iter().map(|(key, value)| (key.to_string(), json!(value))).collect();
    TagChange { set, ..TagChange::default() }
}

/// Writes everything into `store`.
pub async fn populate(store: &SqliteStore) {
    executions(store).await;
    templates(store).await;
    parameters(store).await;
    assistant(store).await;
    for (kind, key, body) in [
        ("Settings", "account-id", r#"{"Value":"1234"}"#),
        ("User", "alice", r#"{"UserName":"alice","DisplayName":""}"#),
        ("User", "bob", r#"{"UserName":"bob"}"#),
        ("AccessKey", "LTAI-root", r#"{"AccessKeyId":"LTAI-root","Secret":"sealed:v1:abc"}"#),
        ("Policy", "ops", r#"{"Document":"{\"Version\":\"1\"}"}"#),
    ] {
        assert!(store.insert_iam_record(kind, key, body).await.unwrap());
    }
    for n in 0..3 {
        let letter = SandboxLetter { id: format!("letter-{n}"), captured_ms: 100 + n, kind: "Notify".into(), execution_id: id(n as usize),
            task_name: "notify".into(), method: "POST".into(), url: "https://hooks.example.com/".into(), headers: "[]".into(), body: "{}".into(), body_bytes: 2 };
        store.capture_letter(&letter, 100).await.unwrap();
    }
    let session = ConsoleSession { token_hash: "ab".repeat(32), short_id: "abababab".into(), user_name: "alice".into(), mfa_present: true, csrf_hash: "cd".repeat(32),
        created_ms: 100, last_seen_ms: 200, idle_expires_ms: 300, expires_ms: 400, revoked: true };
    store.create_console_session(&session, 0).await.unwrap();
    let rule = LockoutRule { max_failures: 5, window_ms: 900_000, lock_ms: 900_000 };
    store.record_sign_in_failure("mallory", 100, &rule).await.unwrap();
    let mut appended = 0;
    while appended < AUDIT_RECORDS {
        let entries: Vec<NewAudit> = (appended..(appended + 700).min(AUDIT_RECORDS)).map(audit_entry).collect();
        appended += entries.len();
        store.append_audit(&entries).await.unwrap();
    }
}

fn audit_entry(n: usize) -> NewAudit {
    let body = json!({"Principal": if n.is_multiple_of(2) { "acs:ram::1:root" } else { "acs:ram::1:user/bob" }, "User": if n.is_multiple_of(2) { "root" } else { "bob" },
        "Action": format!("Act{}", n % 7), "ExecutionId": id(n % EXECUTIONS), "ResultCode": "Success"});
    let Value::Object(body) = body else { unreachable!() };
    NewAudit { time_ms: 10_000 + n as i64, kind: if n.is_multiple_of(5) { AuditKind::CloudCall } else { AuditKind::ApiCall }, body }
}

async fn executions(store: &SqliteStore) {
    let write = StepWrite {
        executions: (0..EXECUTIONS).map(execution).collect(),
        tasks: (0..EXECUTIONS).flat_map(|n| (0..3).map(move |k| task(n, k))).collect(),
        logs: (0..EXECUTIONS).flat_map(|n| (0..5).map(move |k| log(n, k))).collect(),
        triggers: (0..TRIGGERS).map(trigger).collect(),
        firings: (0..TRIGGERS - 1).flat_map(|n| (0..2).map(move |k| firing(n, k))).collect(),
        lease_expires_ms: i64::MAX / 2,
        ..StepWrite::default()
    };
    store.commit(WORKER, &write).await.unwrap();
    for n in 0..10 {
        for k in 0..3 {
            let payload = json!({"Type": "Notify", "n": n, "k": k}).to_string();
            store.push(NewInboxEvent { execution_id: id(n), payload, created_ms: 500 + k }).await.unwrap();
        }
    }
    let ids: Vec<String> = (0..10).map(id).collect();
    let consumed = store.pending(&ids).await.unwrap().iter().step_by(2).map(|event| event.id).collect();
    store.commit(WORKER, &StepWrite { consumed_inbox: consumed, ..StepWrite::default() }).await.unwrap();
    store.mark_at_risk(WORKER, &[id(1), id(3)]).await.unwrap();
    assert_eq!(store.recover(&id(1)).await.unwrap(), 1, "e01 crashed once; e03 stays at risk");
    for n in 0..16 {
        assert_eq!(store.put_execution_meta(&meta(n)).await.unwrap(), None);
    }
    assert!(store.retag(TaggedKind::Execution, &[id(3), id(21)], &set(&[("owner", "ops")])).await.unwrap().is_empty());
}

fn template(name: &str, version: usize, now_ms: i64) -> NewTemplateVersion {
    NewTemplateVersion {
        name: name.into(),
        template_id: format!("t-{name}"),
        content: format!("FormatVersion: OOS-2019-06-01\nDescription: {name} v{version}\n"),
        format: if name == "backup" { "JSON" } else { "YAML" }.into(),
        hash: format!("{name}-{version}"),
        description: format!("{name}, version {version}"),
        version_name: if version == 2 { "second".into() } else { String::new() },
        tags: (version == 1).then(|| json!({"team": if name == "deploy" { "web" } else { "db" }}).to_string()),
        resource_group_id: None,
        actor: "acs:ram::1:root".into(),
        now_ms,
    }
}

async fn templates(store: &SqliteStore) {
    for (at, name) in ["deploy", "backup", "rotate", "gone"].into_iter().enumerate() {
        store.create_template(&template(name, 1, 100 + at as i64)).await.unwrap().unwrap();
    }
    for version in 2..=3 {
        store.update_template(&template("deploy", version, 200 + version as i64)).await.unwrap().unwrap();
    }
    assert!(store.set_template_favorite("backup", true).await.unwrap());
    assert!(store.delete_template("gone").await.unwrap());
    assert!(store.retag(TaggedKind::Template, &["rotate".into()], &set(&[("tier", "1")])).await.unwrap().is_empty());
    for version in 1..=2 {
        store.put_library_template("ACS-Lib-Only", &format!("Description: lib {version}\n"), 50 + version).await.unwrap();
    }
}

fn parameter(secret: bool, name: &str, value: &str, now_ms: i64) -> NewParameter {
    NewParameter {
        secret,
        name: name.into(),
        id: format!("p-{}{name}", if secret { "s-" } else { "" }),
        kind: if secret { "Secret" } else { "String" }.into(),
        value: value.into(),
        description: format!("about {name}"),
        constraints: if name == "db/port" { r#"{"AllowedPattern":"^[0-9]+$"}"#.into() } else { String::new() },
        key_id: if secret { "alias/master".into() } else { String::new() },
        tags: Some(json!({"app": "db"}).to_string()),
        resource_group_id: None,
        actor: "acs:ram::1:root".into(),
        now_ms,
    }
}

async fn parameters(store: &SqliteStore) {
    // A common and a secret parameter of the same name are two parameters.
    for (at, (secret, name, value)) in
        [(false, "db/host", "10.0.0.1"), (false, "db/port", "5432"), (true, "db/password", "sealed:v1:p1"), (true, "db/host", "sealed:v1:h")]
            .into_iter()
            .enumerate()
    {
        store.create_parameter(&parameter(secret, name, value, 300 + at as i64)).await.unwrap().unwrap();
    }
    for (secret, name, value) in [(false, "db/host", "10.0.0.2"), (true, "db/password", "sealed:v1:p2")] {
        let update = ParameterUpdate { secret, name: name.into(), value: Some(value.into()), actor: "acs:ram::1:user/bob".into(), now_ms: 400, ..ParameterUpdate::default() };
        store.update_parameter(&update).await.unwrap().unwrap();
    }
    assert!(store.retag(TaggedKind::SecretParameter, &["db/password".into()], &set(&[("rotated", "yes")])).await.unwrap().is_empty());
}

/// Activations `a-0`, `a-1`; instances `mi-0`…`mi-3` (one bound to a sandbox instance, one
/// deregistered); a saved command; invocations `t-0`…`t-3` with targets pending, running, stopping,
/// finished with output, and expired.
async fn assistant(store: &SqliteStore) {
    for n in 0..2_i64 {
        let activation = ActivationRow {
            activation_id: format!("a-{n}"),
            region_id: "cn-hangzhou".into(),
            code_hash: format!("hash-{n}"),
            description: format!("activation {n} — ünïcode"),
            instance_name: "web".into(),
            ip_address_range: if n == 0 { "0.0.0.0/0".into() } else { String::new() },
            usage_limit: 10,
            usage_count: 0,
            deregistered_count: 0,
            created_ms: 600 + n,
            expires_ms: i64::MAX / 2,
            tags: json!({"team": "ops"}).to_string(),
        };
        assert!(store.create_activation(&activation).await.unwrap());
    }
    for n in 0..4_i64 {
        let instance = ManagedInstanceRow {
            instance_id: format!("mi-{n}"),
            region_id: "cn-hangzhou".into(),
            activation_id: format!("a-{}", n % 2),
            secret_hash: format!("secret-{n}"),
            instance_name: "web".into(),
            hostname: format!("host-{n}"),
            os_type: "Linux".into(),
            os_name: "Debian 12".into(),
            agent_version: "0.1.0".into(),
            ip_address: format!("10.0.0.{n}"),
            inventory: json!({"Cpu": n}).to_string(),
            collected: "{}".into(),
            registered_ms: 700 + n,
            last_seen_ms: 700 + n,
            connected: n % 2 == 0,
            sandbox_instance: (n == 1).then(|| "i-sandbox".into()),
            tags: "{}".into(),
        };
        assert_eq!(store.register_instance(&format!("hash-{}", n % 2), 700, &instance).await.unwrap(), RegisterOutcome::Registered);
    }
    store.record_inventory("mi-0", &json!({"Service": [{"Name": "sshd"}]}).to_string()).await.unwrap();
    assert!(store.retag(TaggedKind::ManagedInstance, &["mi-0".into(), "mi-2".into()], &set(&[("env", "prod")])).await.unwrap().is_empty());
    let command = CommandRow {
        command_id: "c-0".into(),
        region_id: "cn-hangzhou".into(),
        name: "deploy".into(),
        description: String::new(),
        command_type: "RunShellScript".into(),
        content_base64: "ZWNobyB7eyBuYW1lIH19".into(),
        working_dir: String::new(),
        timeout_secs: 60,
        enable_parameter: true,
        parameter_names: json!(["name"]).to_string(),
        created_ms: 800,
        tags: json!({"team": "web"}).to_string(),
    };
    assert!(store.create_command(&command).await.unwrap());
    for n in 0..4_i64 {
        let invocation = InvocationRow {
            invoke_id: format!("t-{n}"),
            region_id: "cn-hangzhou".into(),
            kind: if n == 3 { "File" } else { "Command" }.into(),
            command_id: (n == 0).then(|| "c-0".into()),
            command_name: "deploy".into(),
            command_type: "RunShellScript".into(),
            content_base64: "ZWNobyBoaQ==".into(),
            working_dir: "/tmp".into(),
            timeout_secs: 60,
            username: "root".into(),
            enable_parameter: n == 0,
            parameters: json!({"name": n}).to_string(),
            file: if n == 3 { json!({"TargetDir": "/tmp", "Name": "f"}).to_string() } else { "{}".into() },
            created_ms: 900 + n,
            creator: if n == 2 { id(1) } else { "acs:ram::1:root".into() },
            client_token: (n % 2 == 0).then(|| format!("run-{n}")),
            tags: "{}".into(),
            traceparent: (n == 1).then(|| "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        };
        let targets: Vec<InvocationTarget> = (0..4).map(|m| InvocationTarget::pending(&format!("t-{n}"), &format!("mi-{m}"), 1_000 + n * 100)).collect();
        assert_eq!(store.create_invocation(&invocation, &targets).await.unwrap(), None);
    }
    let changes = [
        ("t-0", "mi-0", TargetChange::Accepted { start_ms: 910 }),
        ("t-0", "mi-0", TargetChange::Output { data: "héllo".into(), limit: 4 }),
        ("t-0", "mi-1", TargetChange::Accepted { start_ms: 911 }),
        ("t-0", "mi-1", TargetChange::StopRequested { now_ms: 912 }),
        ("t-1", "mi-0", TargetChange::StopRequested { now_ms: 913 }),
        ("t-2", "mi-0", TargetChange::Accepted { start_ms: 920 }),
    ];
    for (invoke_id, instance_id, change) in changes {
        assert!(store.update_target(invoke_id, instance_id, &change).await.unwrap());
    }
    let finished = TargetChange::Finished {
        status: "Success".into(),
        exit_code: Some(0),
        output: "done".into(),
        dropped: 0,
        error_code: String::new(),
        error_info: String::new(),
        start_ms: Some(921),
        finish_ms: 930,
    };
    assert!(store.update_target("t-2", "mi-1", &finished).await.unwrap());
    assert_eq!(store.expire_targets(1_050).await.unwrap(), 4, "t-0: two targets never taken, two run too long");
    assert!(store.deregister_instance("mi-3", 1_100).await.unwrap());
    state_configurations(store).await;
}

/// Two state configurations, one with the inventory invocation applying it.
async fn state_configurations(store: &SqliteStore) {
    for n in 0..2_i64 {
        let row = StateConfigurationRow {
            state_configuration_id: format!("sc-{n}"),
            region_id: "cn-hangzhou".into(),
            template_name: "collect".into(),
            template_version: "v1".into(),
            template_id: "t-collect".into(),
            description: String::new(),
            parameters: json!({"policy": {"ACS:Application": {"Collection": "Enabled"}}}).to_string(),
            targets: json!({"Type": "ResourceIds", "ResourceIds": ["mi-0"]}).to_string(),
            configure_mode: "ApplyOnce".into(),
            schedule_type: String::new(),
            schedule_expression: String::new(),
            resource_group_id: String::new(),
            tags: json!({"team": "ops"}).to_string(),
            inventory_types: json!(["ACS:Application"]).to_string(),
            next_apply_ms: (n == 1).then_some(1_800_000),
            client_token: (n == 0).then(|| "apply-0".into()),
            created_ms: 1_200 + n,
            updated_ms: 1_200 + n,
        };
        let invocation = inventory_invocation(n);
        let targets = [InvocationTarget::pending(&invocation.invoke_id, "mi-0", 2_000)];
        let application = (n == 0).then_some(Application { invocation: &invocation, targets: &targets });
        assert_eq!(store.create_state_configuration(&row, application).await.unwrap(), None);
    }
}

fn inventory_invocation(n: i64) -> InvocationRow {
    InvocationRow {
        invoke_id: format!("t-inventory-{n}"),
        region_id: "cn-hangzhou".into(),
        kind: "Inventory".into(),
        command_id: None,
        command_name: String::new(),
        command_type: String::new(),
        content_base64: String::new(),
        working_dir: String::new(),
        timeout_secs: 60,
        username: String::new(),
        enable_parameter: false,
        parameters: "{}".into(),
        file: json!({"Types": ["ACS:Application"]}).to_string(),
        created_ms: 1_200 + n,
        creator: format!("sc-{n}"),
        client_token: None,
        tags: "{}".into(),
        traceparent: None,
    }
}
