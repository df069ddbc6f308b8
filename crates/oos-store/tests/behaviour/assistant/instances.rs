//! Activations and managed instances: registration (wrong code, expiry, the usage limit, also under
//! concurrent registrations), deregistration failing the instance's unfinished targets, the listing's
//! filters, what the hub records, saved commands, and tags through the tag store.

use oos_store::{
    ActivationRow, CommandQuery, InvocationTarget, ManagedInstanceQuery, RegisterOutcome, ResourceTag, ServerStore, TagChange, TaggedKind,
    TargetChange,
};

use super::{activation, command, instance, invocation, open_activation, registered, target, targets};
use crate::fixtures::{concurrently, set_tags};

on_both!(
    registration_needs_the_code_an_unexpired_activation_and_a_use_left,
    concurrent_registrations_never_exceed_the_usage_limit,
    deregistration_fails_the_unfinished_targets,
    managed_instance_filters_combine,
    the_hub_records_presence_and_inventory,
    saved_commands_are_created_listed_and_deleted,
    instances_commands_and_activations_carry_tags,
);

fn ids(rows: &[ActivationRow]) -> Vec<&str> {
    rows.iter().map(|row| row.activation_id.as_str()).collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

async fn usage(store: &impl ServerStore, activation_id: &str) -> (i64, i64) {
    let row = store.activations(&strings(&[activation_id])).await.unwrap().remove(0);
    (row.usage_count, row.deregistered_count)
}

async fn registration_needs_the_code_an_unexpired_activation_and_a_use_left(store: &impl ServerStore) {
    assert!(store.create_activation(&activation("a-1", "secret", 2, 1_000, 10)).await.unwrap());
    assert!(!store.create_activation(&activation("a-1", "other", 9, 9_000, 11)).await.unwrap(), "the id is taken");
    assert!(store.create_activation(&activation("a-2", "secret", 5, 100, 20)).await.unwrap());
    assert_eq!(ids(&store.activations(&[]).await.unwrap()), ["a-2", "a-1"], "newest first");
    assert_eq!(store.activations(&strings(&["a-1", "nope"])).await.unwrap(), vec![activation("a-1", "secret", 2, 1_000, 10)]);

    let hash = "sha256-of-secret";
    let refused = [
        ("sha256-of-wrong", 50, instance("mi-x", "a-1", 50), RegisterOutcome::NotFound),
        (hash, 50, instance("mi-x", "a-none", 50), RegisterOutcome::NotFound),
        (hash, 100, instance("mi-x", "a-2", 100), RegisterOutcome::Expired),
    ];
    for (code_hash, now_ms, row, expected) in refused {
        assert_eq!(store.register_instance(code_hash, now_ms, &row).await.unwrap(), expected, "{code_hash} on {}", row.activation_id);
    }
    assert_eq!(store.managed_instance("mi-x").await.unwrap(), None, "a refused registration writes nothing");
    assert_eq!(usage(store, "a-2").await, (0, 0));

    for id in ["mi-1", "mi-2"] {
        assert_eq!(store.register_instance(hash, 999, &instance(id, "a-1", 999)).await.unwrap(), RegisterOutcome::Registered);
    }
    assert_eq!(store.register_instance(hash, 999, &instance("mi-3", "a-1", 999)).await.unwrap(), RegisterOutcome::UsedUp);
    assert_eq!(usage(store, "a-1").await, (2, 0));
    assert_eq!(store.managed_instance("mi-1").await.unwrap(), Some(instance("mi-1", "a-1", 999)));
    assert_eq!(store.managed_instance("mi-3").await.unwrap(), None);

    assert!(store.delete_activation("a-2").await.unwrap());
    assert!(!store.delete_activation("a-2").await.unwrap());
    assert_eq!(ids(&store.activations(&[]).await.unwrap()), ["a-1"]);
}

async fn concurrent_registrations_never_exceed_the_usage_limit(store: &impl ServerStore) {
    assert!(store.create_activation(&activation("a-1", "secret", 3, i64::MAX, 1)).await.unwrap());
    let rows: Vec<_> = (0..12).map(|n| instance(&format!("mi-{n:02}"), "a-1", 5)).collect();
    let outcomes = concurrently(rows.iter().map(|row| store.register_instance("sha256-of-secret", 5, row)).collect()).await;
    let registered = outcomes.into_iter().map(Result::unwrap).filter(|outcome| *outcome == RegisterOutcome::Registered).count();
    assert_eq!(registered, 3, "exactly the limit registered");
    assert_eq!(usage(store, "a-1").await, (3, 0));
    assert_eq!(store.managed_instances(&ManagedInstanceQuery::default()).await.unwrap().len(), 3);
}

async fn deregistration_fails_the_unfinished_targets(store: &impl ServerStore) {
    assert!(store.create_activation(&open_activation("a-1")).await.unwrap());
    registered(store, "mi-1", "a-1", 5).await;
    registered(store, "mi-2", "a-1", 5).await;
    for (id, created_ms) in [("t-pending", 1), ("t-running", 2), ("t-done", 3)] {
        assert_eq!(store.create_invocation(&invocation(id, created_ms, "alice", None), &targets(id, &["mi-1", "mi-2"], 1_000)).await.unwrap(), None);
    }
    assert!(store.update_target("t-running", "mi-1", &TargetChange::Accepted { start_ms: 10 }).await.unwrap());
    let finished = TargetChange::Finished {
        status: "Success".into(),
        exit_code: Some(0),
        output: "ok".into(),
        dropped: 0,
        error_code: String::new(),
        error_info: String::new(),
        start_ms: Some(10),
        finish_ms: 20,
    };
    assert!(store.update_target("t-done", "mi-1", &finished).await.unwrap());

    assert!(store.deregister_instance("mi-1", 50).await.unwrap());
    assert!(!store.deregister_instance("mi-1", 60).await.unwrap(), "gone already");
    assert_eq!(store.managed_instance("mi-1").await.unwrap(), None);
    assert_eq!(usage(store, "a-1").await, (2, 1), "the activation counts it deregistered");
    for id in ["t-pending", "t-running"] {
        let failed = target(store, id, "mi-1").await;
        assert_eq!((failed.status.as_str(), failed.error_code.as_str(), failed.finish_ms), ("Failed", "InstanceDeregistered", Some(50)), "{id}");
        assert!(!failed.error_info.is_empty());
    }
    assert_eq!(target(store, "t-running", "mi-1").await.start_ms, Some(10), "its start is kept");
    assert_eq!(target(store, "t-done", "mi-1").await.status, "Success", "a final target stays");
    assert_eq!(target(store, "t-pending", "mi-2").await, InvocationTarget::pending("t-pending", "mi-2", 1_000), "another instance's stays");
}

async fn managed_instance_filters_combine(store: &impl ServerStore) {
    for id in ["a-1", "a-2"] {
        assert!(store.create_activation(&open_activation(id)).await.unwrap());
    }
    let specs = [("mi-1", "a-1", "web", Some("i-1"), 1), ("mi-2", "a-1", "db", None, 2), ("mi-3", "a-2", "web", Some("i-3"), 3)];
    for (id, activation_id, name, sandbox, now_ms) in specs {
        let row = oos_store::ManagedInstanceRow { instance_name: name.into(), sandbox_instance: sandbox.map(Into::into), ..instance(id, activation_id, now_ms) };
        assert_eq!(store.register_instance(&format!("sha256-of-code-{activation_id}"), now_ms, &row).await.unwrap(), RegisterOutcome::Registered);
    }
    assert!(store.retag(TaggedKind::ManagedInstance, &strings(&["mi-1", "mi-3"]), &set_tags(&[("env", "prod")])).await.unwrap().is_empty());
    assert!(store.retag(TaggedKind::ManagedInstance, &strings(&["mi-1"]), &set_tags(&[("team", "web")])).await.unwrap().is_empty());

    let tags = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    let cases: Vec<(ManagedInstanceQuery, Vec<&str>)> = vec![
        (ManagedInstanceQuery::default(), vec!["mi-3", "mi-2", "mi-1"]),
        (ManagedInstanceQuery { ids: strings(&["mi-1", "mi-2", "nope"]), ..Default::default() }, vec!["mi-2", "mi-1"]),
        (ManagedInstanceQuery { activation_id: Some("a-1".into()), ..Default::default() }, vec!["mi-2", "mi-1"]),
        (ManagedInstanceQuery { activation_id: Some("a-1".into()), instance_name: Some("web".into()), ..Default::default() }, vec!["mi-1"]),
        (ManagedInstanceQuery { sandbox_instance: Some("i-3".into()), ..Default::default() }, vec!["mi-3"]),
        (ManagedInstanceQuery { tags: tags(&[("env", "prod")]), ..Default::default() }, vec!["mi-3", "mi-1"]),
        (ManagedInstanceQuery { tags: tags(&[("env", "prod"), ("team", "web")]), ..Default::default() }, vec!["mi-1"]),
        (ManagedInstanceQuery { tags: tags(&[("env", "prod")]), ids: strings(&["mi-2", "mi-3"]), ..Default::default() }, vec!["mi-3"]),
        (ManagedInstanceQuery { tags: tags(&[("env", "dev")]), ..Default::default() }, vec![]),
    ];
    for (query, expected) in cases {
        let found = store.managed_instances(&query).await.unwrap();
        assert_eq!(found.iter().map(|row| row.instance_id.as_str()).collect::<Vec<_>>(), expected, "{query:?}");
    }
}

async fn the_hub_records_presence_and_inventory(store: &impl ServerStore) {
    assert!(store.create_activation(&open_activation("a-1")).await.unwrap());
    registered(store, "mi-1", "a-1", 5).await;
    assert!(store.instance_seen("mi-1", 10, true, Some(r#"{"Cpu":4}"#)).await.unwrap(), "a registered instance is found");
    store.instance_seen("mi-1", 20, false, None).await.unwrap();
    let seen = store.managed_instance("mi-1").await.unwrap().unwrap();
    assert_eq!((seen.last_seen_ms, seen.connected, seen.inventory.as_str()), (20, false, r#"{"Cpu":4}"#), "no inventory given: kept");

    store.record_inventory("mi-1", r#"{"File":[{"Name":"a"}],"Service":[]}"#).await.unwrap();
    store.record_inventory("mi-1", r#"{"Service":[{"Name":"sshd"}]}"#).await.unwrap();
    let collected: serde_json::Value = serde_json::from_str(&store.managed_instance("mi-1").await.unwrap().unwrap().collected).unwrap();
    assert_eq!(collected, serde_json::json!({"File": [{"Name": "a"}], "Service": [{"Name": "sshd"}]}), "a newer type replaces the older");
    store.record_inventory("mi-none", r#"{"File":[]}"#).await.unwrap();
    assert!(!store.instance_seen("mi-none", 1, true, None).await.unwrap(), "an unknown instance is not found");
    assert_eq!(store.managed_instance("mi-none").await.unwrap(), None, "an unknown instance is not created");
}

async fn saved_commands_are_created_listed_and_deleted(store: &impl ServerStore) {
    for (id, name, kind, at) in [("c-1", "deploy", "RunShellScript", 1), ("c-2", "clean", "RunShellScript", 2), ("c-3", "deploy", "RunPowerShellScript", 3)] {
        assert!(store.create_command(&command(id, name, kind, at)).await.unwrap());
    }
    assert!(!store.create_command(&command("c-1", "other", "RunBatScript", 9)).await.unwrap(), "the id is taken");
    let cases: Vec<(CommandQuery, Vec<&str>)> = vec![
        (CommandQuery::default(), vec!["c-3", "c-2", "c-1"]),
        (CommandQuery { name: Some("deploy".into()), ..Default::default() }, vec!["c-3", "c-1"]),
        (CommandQuery { name: Some("deploy".into()), command_type: Some("RunShellScript".into()), ..Default::default() }, vec!["c-1"]),
        (CommandQuery { command_id: Some("c-2".into()), ..Default::default() }, vec!["c-2"]),
    ];
    for (query, expected) in cases {
        let found = store.commands(&query).await.unwrap();
        assert_eq!(found.iter().map(|row| row.command_id.as_str()).collect::<Vec<_>>(), expected, "{query:?}");
    }
    assert_eq!(store.commands(&CommandQuery { command_id: Some("c-1".into()), ..Default::default() }).await.unwrap(), vec![command("c-1", "deploy", "RunShellScript", 1)]);
    assert!(store.delete_command("c-1").await.unwrap());
    assert!(!store.delete_command("c-1").await.unwrap());
    assert_eq!(store.commands(&CommandQuery::default()).await.unwrap().len(), 2);
}

async fn instances_commands_and_activations_carry_tags(store: &impl ServerStore) {
    assert!(store.create_activation(&open_activation("a-1")).await.unwrap());
    registered(store, "mi-1", "a-1", 5).await;
    registered(store, "mi-2", "a-1", 6).await;
    assert!(store.create_command(&command("c-1", "deploy", "RunShellScript", 1)).await.unwrap());
    let tag = |id: &str, key: &str, value: &str| ResourceTag { resource_id: id.into(), key: key.into(), value: value.into() };

    let both = strings(&["mi-1", "mi-2"]);
    assert!(store.retag(TaggedKind::ManagedInstance, &both, &set_tags(&[("env", "prod")])).await.unwrap().is_empty());
    assert!(store.retag(TaggedKind::ManagedInstance, &strings(&["mi-2"]), &set_tags(&[("env", "dev"), ("os", "linux")])).await.unwrap().is_empty());
    assert_eq!(store.retag(TaggedKind::ManagedInstance, &strings(&["mi-1", "c-1"]), &set_tags(&[("x", "y")])).await.unwrap(), ["c-1"]);
    assert_eq!(
        store.resource_tags(TaggedKind::ManagedInstance, &[], &[], 0, 100).await.unwrap(),
        vec![tag("mi-1", "env", "prod"), tag("mi-2", "env", "dev"), tag("mi-2", "os", "linux")]
    );
    let having = [("env".to_string(), "dev".to_string())];
    assert_eq!(store.resource_tags(TaggedKind::ManagedInstance, &[], &having, 0, 100).await.unwrap().len(), 2);
    assert_eq!(store.tag_keys(TaggedKind::ManagedInstance, 0, 100).await.unwrap(), ["env", "os"]);
    assert_eq!(store.tag_values(TaggedKind::ManagedInstance, "env", 0, 100).await.unwrap(), ["dev", "prod"]);

    assert!(store.retag(TaggedKind::Command, &strings(&["c-1"]), &set_tags(&[("team", "ops")])).await.unwrap().is_empty());
    assert!(store.retag(TaggedKind::Activation, &strings(&["a-1"]), &set_tags(&[("team", "ops")])).await.unwrap().is_empty());
    assert_eq!(store.resource_tags(TaggedKind::Command, &[], &[], 0, 100).await.unwrap(), vec![tag("c-1", "team", "ops")]);
    assert_eq!(store.activations(&[]).await.unwrap()[0].tags, r#"{"team":"ops"}"#);
    let untag = TagChange { remove_all: true, ..TagChange::default() };
    assert!(store.retag(TaggedKind::Command, &strings(&["c-1"]), &untag).await.unwrap().is_empty());
    assert_eq!(store.commands(&CommandQuery::default()).await.unwrap()[0].tags, "{}");
}
