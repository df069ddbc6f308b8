//! Every write of the API's storage commits the request's pending audit entry in its own transaction,
//! and only a write that changed something does.

use oos_store::audit::{self, AuditKind, AuditQuery, NewAudit};
use oos_store::{ServerStore, StepWrite, TagChange, TaggedKind, TargetChange};
use serde_json::{Map, Value};

use crate::assistant::{command, instance, invocation, open_activation, targets};
use crate::fixtures::{execution, parameter, set_tags, template};

on_both!(writes_commit_the_pending_audit_entry);

fn entry(action: &str) -> NewAudit {
    let body: Map<String, Value> = [("Action".to_string(), Value::from(action))].into_iter().collect();
    NewAudit { time_ms: 1, kind: AuditKind::ApiCall, body }
}

/// Runs `write` with a pending entry for `action`; whether the entry was committed (and stored).
async fn audited<T>(store: &impl ServerStore, action: &str, write: impl Future<Output = oos_store::Result<T>>) -> bool {
    let (output, committed) = audit::scope(entry(action), write).await;
    output.unwrap();
    let query = AuditQuery { action: Some(action.into()), limit: 10, ..AuditQuery::default() };
    let stored = store.audit_records(&query).await.unwrap().len();
    assert_eq!(stored, usize::from(committed), "{action}: committed means stored, once");
    committed
}

async fn writes_commit_the_pending_audit_entry(store: &impl ServerStore) {
    store.commit("w", &StepWrite { executions: vec![execution("e1", "Success", false)], ..Default::default() }).await.unwrap();
    let tag = set_tags(&[("k", "v")]);
    let ids = ["t".to_string()];
    let cases = [
        ("CreateTemplate", audited(store, "CreateTemplate", store.create_template(&template("t", "one", "alice", 1))).await, true),
        ("CreateTemplateTaken", audited(store, "CreateTemplateTaken", store.create_template(&template("t", "two", "alice", 2))).await, false),
        ("UpdateTemplate", audited(store, "UpdateTemplate", store.update_template(&template("t", "two", "alice", 2))).await, true),
        ("UpdateTemplateMissing", audited(store, "UpdateTemplateMissing", store.update_template(&template("x", "x", "alice", 2))).await, false),
        ("Favorite", audited(store, "Favorite", store.set_template_favorite("t", true)).await, true),
        ("TagResources", audited(store, "TagResources", store.retag(TaggedKind::Template, &ids, &tag)).await, true),
        ("TagMissing", audited(store, "TagMissing", store.retag(TaggedKind::Template, &["x".to_string()], &TagChange::default())).await, false),
        ("DeleteTemplate", audited(store, "DeleteTemplate", store.delete_template("t")).await, true),
        ("CreateParameter", audited(store, "CreateParameter", store.create_parameter(&parameter(false, "p", "v", "alice", 1))).await, true),
        (
            "CreateParameterTaken",
            audited(store, "CreateParameterTaken", store.create_parameter(&parameter(false, "p", "v", "alice", 1))).await,
            false,
        ),
        ("DeleteParameter", audited(store, "DeleteParameter", store.delete_parameter(false, "p")).await, true),
        ("DeleteExecutions", audited(store, "DeleteExecutions", store.delete_executions(&["e1".to_string()])).await, true),
        ("CreateUser", audited(store, "CreateUser", store.insert_iam_record("user", "u", "{}")).await, true),
        ("UpdateUser", audited(store, "UpdateUser", store.update_iam_record("user", "u", "{}")).await, true),
        ("DeleteUser", audited(store, "DeleteUser", store.delete_iam_record("user", "u")).await, true),
    ];
    for (action, committed, expected) in cases.into_iter().chain(assistant_writes(store).await) {
        assert_eq!(committed, expected, "{action}");
    }
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}

/// The Cloud Assistant's writes, each with whether it changes something.
async fn assistant_writes(store: &impl ServerStore) -> Vec<(&'static str, bool, bool)> {
    let (code, mi) = ("sha256-of-code-a-1", instance("mi-1", "a-1", 1));
    let stop = TargetChange::StopRequested { now_ms: 2 };
    vec![
        ("CreateActivation", audited(store, "CreateActivation", store.create_activation(&open_activation("a-1"))).await, true),
        ("CreateActivationTaken", audited(store, "CreateActivationTaken", store.create_activation(&open_activation("a-1"))).await, false),
        ("Register", audited(store, "Register", store.register_instance(code, 1, &mi)).await, true),
        ("RegisterWrongCode", audited(store, "RegisterWrongCode", store.register_instance("wrong", 1, &instance("mi-2", "a-1", 1))).await, false),
        ("Seen", audited(store, "Seen", store.instance_seen("mi-1", 2, true, None)).await, true),
        ("Inventory", audited(store, "Inventory", store.record_inventory("mi-1", "{}")).await, true),
        ("CreateCommand", audited(store, "CreateCommand", store.create_command(&command("c-1", "n", "RunShellScript", 1))).await, true),
        ("RunCommand", audited(store, "RunCommand", store.create_invocation(&invocation("t-1", 1, "a", Some("k")), &targets("t-1", &["mi-1"], 9))).await, true),
        ("RunCommandAgain", audited(store, "RunCommandAgain", store.create_invocation(&invocation("t-2", 1, "a", Some("k")), &[])).await, false),
        ("StopInvocation", audited(store, "StopInvocation", store.update_target("t-1", "mi-1", &stop)).await, true),
        ("StopInvocationAgain", audited(store, "StopInvocationAgain", store.update_target("t-1", "mi-1", &stop)).await, false),
        ("Expire", audited(store, "Expire", store.expire_targets(100)).await, false),
        ("DeleteCommand", audited(store, "DeleteCommand", store.delete_command("c-1")).await, true),
        ("Deregister", audited(store, "Deregister", store.deregister_instance("mi-1", 3)).await, true),
        ("DeleteActivation", audited(store, "DeleteActivation", store.delete_activation("a-1")).await, true),
        ("DeleteActivationMissing", audited(store, "DeleteActivationMissing", store.delete_activation("a-1")).await, false),
    ]
}
