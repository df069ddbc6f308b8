//! The Cloud Assistant's storage: activations and registration, managed instances, saved commands,
//! invocations with their targets (see `instances` and `invocations`), and the rows they write.

mod instances;
mod invocations;
mod states;

use oos_store::{ActivationRow, CommandRow, InvocationQuery, InvocationRow, InvocationTarget, ManagedInstanceRow, ServerStore};

/// An activation `id` whose code is `code`, usable `usage_limit` times until `expires_ms`, made at `created_ms`.
pub fn activation(id: &str, code: &str, usage_limit: i64, expires_ms: i64, created_ms: i64) -> ActivationRow {
    ActivationRow {
        activation_id: id.into(),
        region_id: "cn-hangzhou".into(),
        code_hash: format!("sha256-of-{code}"),
        description: format!("activation {id}"),
        instance_name: "web".into(),
        ip_address_range: "0.0.0.0/0".into(),
        usage_limit,
        usage_count: 0,
        deregistered_count: 0,
        created_ms,
        expires_ms,
        tags: "{}".into(),
    }
}

/// Managed instance `id` registering with `activation_id` at `now_ms`.
pub fn instance(id: &str, activation_id: &str, now_ms: i64) -> ManagedInstanceRow {
    ManagedInstanceRow {
        instance_id: id.into(),
        region_id: "cn-hangzhou".into(),
        activation_id: activation_id.into(),
        secret_hash: format!("sha256-of-secret-{id}"),
        instance_name: "web".into(),
        hostname: format!("host-{id}"),
        os_type: "Linux".into(),
        os_name: "Debian 12 — ünïcode".into(),
        agent_version: "0.1.0".into(),
        ip_address: "10.0.0.1".into(),
        inventory: "{}".into(),
        collected: "{}".into(),
        registered_ms: now_ms,
        last_seen_ms: now_ms,
        connected: false,
        sandbox_instance: None,
        tags: "{}".into(),
    }
}

/// Registers instance `id` with activation `activation_id` (code `code`), which must succeed.
pub async fn registered(store: &impl ServerStore, id: &str, activation_id: &str, now_ms: i64) -> ManagedInstanceRow {
    let row = instance(id, activation_id, now_ms);
    assert_eq!(store.register_instance(&format!("sha256-of-code-{activation_id}"), now_ms, &row).await.unwrap(), oos_store::RegisterOutcome::Registered);
    row
}

/// An activation whose code is `code-{id}`, usable 100 times, for tests about something else.
pub fn open_activation(id: &str) -> ActivationRow {
    activation(id, &format!("code-{id}"), 100, i64::MAX, 1)
}

pub fn command(id: &str, name: &str, command_type: &str, created_ms: i64) -> CommandRow {
    CommandRow {
        command_id: id.into(),
        region_id: "cn-hangzhou".into(),
        name: name.into(),
        description: format!("command {name}"),
        command_type: command_type.into(),
        content_base64: "ZWNobyBoaQ==".into(),
        working_dir: "/tmp".into(),
        timeout_secs: 60,
        enable_parameter: true,
        parameter_names: r#"["name"]"#.into(),
        created_ms,
        tags: "{}".into(),
    }
}

/// A RunCommand invocation `id` made at `created_ms` by `creator`.
pub fn invocation(id: &str, created_ms: i64, creator: &str, client_token: Option<&str>) -> InvocationRow {
    InvocationRow {
        invoke_id: id.into(),
        region_id: "cn-hangzhou".into(),
        kind: "Command".into(),
        command_id: None,
        command_name: "run".into(),
        command_type: "RunShellScript".into(),
        content_base64: "ZWNobyBoaQ==".into(),
        working_dir: String::new(),
        timeout_secs: 60,
        username: "root".into(),
        enable_parameter: false,
        parameters: "{}".into(),
        file: "{}".into(),
        created_ms,
        creator: creator.into(),
        client_token: client_token.map(Into::into),
        tags: "{}".into(),
        traceparent: None,
    }
}

/// Pending targets of invocation `id` on `instances`, due by `deadline_ms`.
pub fn targets(id: &str, instances: &[&str], deadline_ms: i64) -> Vec<InvocationTarget> {
    instances.iter().map(|instance| InvocationTarget::pending(id, instance, deadline_ms)).collect()
}

/// Invocation `invoke_id`'s target on `instance_id` as stored.
pub async fn target(store: &impl ServerStore, invoke_id: &str, instance_id: &str) -> InvocationTarget {
    let query = InvocationQuery { invoke_id: Some(invoke_id.into()), instance_id: Some(instance_id.into()), ..InvocationQuery::default() };
    let (mut page, _) = store.invocations(&query).await.unwrap();
    assert_eq!(page.len(), 1, "{invoke_id} has a target on {instance_id}");
    let (_, mut targets) = page.remove(0);
    assert_eq!(targets.len(), 1);
    targets.remove(0)
}
