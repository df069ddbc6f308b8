//! Every write of the API's storage commits the request's pending audit entry in its own transaction,
//! and only a write that changed something does.

use oos_store::audit::{self, AuditKind, AuditQuery, NewAudit};
use oos_store::{ServerStore, StepWrite, TagChange, TaggedKind};
use serde_json::{Map, Value};

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
    for (action, committed, expected) in cases {
        assert_eq!(committed, expected, "{action}");
    }
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}
