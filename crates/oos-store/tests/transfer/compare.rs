//! Every read of the store traits, asked of two stores: the answers must be equal.

use oos_store::audit::AuditQuery;
use oos_store::{
    CommandQuery, ExecutionFilter, InvocationQuery, ManagedInstanceQuery, ExecutionQuery, ExecutionSort, ParameterQuery, ParameterSort, ServerStore, StateConfigurationQuery, TaggedKind, TemplateQuery, TemplateSort, TriggerQuery,
};

use crate::fill::{EXECUTIONS, id};

/// Asserts that `a` and `b` answer `$read` alike (a store method call on `s`).
macro_rules! same {
    ($a:expr, $b:expr, |$s:ident| $read:expr) => {{
        let left = {
            let $s = $a;
            $read.await.unwrap()
        };
        let right = {
            let $s = $b;
            $read.await.unwrap()
        };
        assert_eq!(left, right, "{}", stringify!($read));
        left
    }};
}

/// Compares every answer of the two stores; returns how many answers were compared.
pub async fn same_answers(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    executions(a, b).await + listings(a, b).await + catalogue(a, b).await + parameters_and_tags(a, b).await + assistant(a, b).await + iam_and_audit(a, b).await
}

async fn executions(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    let all = ExecutionFilter { include_children: true, limit: Some(1_000), ..ExecutionFilter::default() };
    assert_eq!(same!(a, b, |s| s.executions(&all)).len(), EXECUTIONS);
    let top = ExecutionFilter { status: Some("Running".into()), limit: Some(1_000), ..ExecutionFilter::default() };
    same!(a, b, |s| s.executions(&top));
    let mut compared = 2;
    for n in 0..EXECUTIONS {
        let id = id(n);
        assert!(same!(a, b, |s| s.execution(&id)).is_some());
        assert_eq!(same!(a, b, |s| s.tasks(&id)).len(), 3);
        assert_eq!(same!(a, b, |s| s.logs(&id, None)).len(), 5);
        same!(a, b, |s| s.logs(&id, Some(&format!("{id}-t1"))));
        same!(a, b, |s| s.execution_meta(&id));
        same!(a, b, |s| s.listed_execution(&id));
        compared += 6;
    }
    let ids: Vec<String> = (0..EXECUTIONS).map(id).collect();
    assert_eq!(same!(a, b, |s| s.pending(&ids)).len(), 15);
    for token in ["token-0", "token-14", "token-1"] {
        same!(a, b, |s| s.execution_by_client_token(token));
    }
    same!(a, b, |s| s.count_open(None));
    same!(a, b, |s| s.count_open(Some("deploy")));
    compared + 6 + triggers(a, b).await
}

/// Triggers under each filter and their firings.
async fn triggers(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    let queries = [
        TriggerQuery { limit: 100, ..TriggerQuery::default() },
        TriggerQuery { kind: Some("TimerTrigger".into()), status: Some("Active".into()), limit: 100, ..TriggerQuery::default() },
        TriggerQuery { execution_ids: vec![id(1), id(4), id(9)], after: Some(id(1)), limit: 100, ..TriggerQuery::default() },
    ];
    assert_eq!(same!(a, b, |s| s.triggers(&queries[0])).len(), 6);
    assert_eq!(same!(a, b, |s| s.triggers(&queries[1])).len(), 2);
    assert_eq!(same!(a, b, |s| s.triggers(&queries[2])).len(), 1);
    for n in 0..7 {
        same!(a, b, |s| s.firings(&id(n), 10));
    }
    3 + 7
}

/// ListExecutions page by page under several filters and orders: rows and totals.
async fn listings(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    let tags = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    let queries = [
        ExecutionQuery::default(),
        ExecutionQuery { include_children: true, ..ExecutionQuery::default() },
        ExecutionQuery { tags: tags(&[("team", "web")]), ..ExecutionQuery::default() },
        ExecutionQuery { tags: tags(&[("team", "web"), ("env", "prod")]), include_children: true, ..ExecutionQuery::default() },
        ExecutionQuery { tags: tags(&[("owner", "ops")]), include_children: true, ..ExecutionQuery::default() },
        ExecutionQuery { executed_by: Some("acs:ram::1:user/bob".into()), ..ExecutionQuery::default() },
        ExecutionQuery { status: Some("Success".into()), template_name: Some("ep".into()), ..ExecutionQuery::default() },
        ExecutionQuery { sort: ExecutionSort::EndDate, ascending: true, include_children: true, ..ExecutionQuery::default() },
        ExecutionQuery { sort: ExecutionSort::Status, ..ExecutionQuery::default() },
        ExecutionQuery { category: Some("TimerTrigger".into()), include_children: true, ..ExecutionQuery::default() },
        ExecutionQuery { category: Some("Other".into()), ..ExecutionQuery::default() },
    ];
    let mut compared = 0;
    for query in queries {
        let mut offset = 0;
        loop {
            let page = ExecutionQuery { offset, limit: 5, ..query.clone() };
            let (rows, total) = same!(a, b, |s| s.list_executions(&page));
            compared += 1;
            offset += 5;
            if offset >= total {
                assert!(total > 0, "{query:?} finds executions");
                break;
            }
            assert_eq!(rows.len(), 5);
        }
    }
    compared
}

async fn catalogue(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    let queries = [
        TemplateQuery { limit: 100, ..TemplateQuery::default() },
        TemplateQuery { favorite: Some(true), limit: 100, ..TemplateQuery::default() },
        TemplateQuery { tags: vec![("team".into(), "db".into())], limit: 100, ..TemplateQuery::default() },
        TemplateQuery { sort: TemplateSort::TotalExecutionCount, limit: 2, offset: 1, ..TemplateQuery::default() },
    ];
    assert_eq!(same!(a, b, |s| s.list_templates(&queries[0])).len(), 3);
    assert_eq!(same!(a, b, |s| s.list_templates(&queries[1])).len(), 1);
    for query in &queries[2..] {
        same!(a, b, |s| s.list_templates(query));
    }
    for name in ["deploy", "backup", "rotate", "gone"] {
        same!(a, b, |s| s.template(name, None));
        same!(a, b, |s| s.template(name, Some(1)));
        same!(a, b, |s| s.template_versions(name));
    }
    for (name, version) in [("deploy", Some(2)), ("deploy", None), ("ACS-Lib-Only", Some(1)), ("ACS-Lib-Only", None), ("gone", None)] {
        same!(a, b, |s| s.library_template(name, version));
    }
    4 + 12 + 5
}

async fn parameters_and_tags(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    let mut compared = 0;
    for secret in [false, true] {
        for query in [
            ParameterQuery { secret, with_values: true, limit: 100, ..ParameterQuery::default() },
            ParameterQuery { secret, sort: ParameterSort::Name, path: Some("db".into()), tags: vec![("app".into(), "db".into())], limit: 100, ..ParameterQuery::default() },
        ] {
            assert!(same!(a, b, |s| s.list_parameters(&query)).1 >= 2);
        }
        for name in ["db/host", "db/port", "db/password"] {
            same!(a, b, |s| s.parameter(secret, name, None));
            same!(a, b, |s| s.parameter(secret, name, Some(1)));
            same!(a, b, |s| s.parameter_versions(secret, name));
        }
        compared += 11;
    }
    for kind in [TaggedKind::Template, TaggedKind::Execution, TaggedKind::Parameter, TaggedKind::SecretParameter] {
        assert!(!same!(a, b, |s| s.resource_tags(kind, &[], &[], 0, 1_000)).is_empty());
        same!(a, b, |s| s.tag_keys(kind, 0, 100));
        same!(a, b, |s| s.tag_values(kind, "team", 0, 100));
        compared += 3;
    }
    compared
}

/// The Cloud Assistant's reads: activations, instances under filters, commands, invocations page by
/// page and per instance, deliveries.
async fn assistant(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    assert_eq!(same!(a, b, |s| s.activations(&[])).len(), 2);
    let instance_queries = [
        ManagedInstanceQuery::default(),
        ManagedInstanceQuery { tags: vec![("env".into(), "prod".into())], ..ManagedInstanceQuery::default() },
        ManagedInstanceQuery { sandbox_instance: Some("i-sandbox".into()), activation_id: Some("a-1".into()), ..ManagedInstanceQuery::default() },
    ];
    for query in &instance_queries {
        assert!(!same!(a, b, |s| s.managed_instances(query)).is_empty());
    }
    same!(a, b, |s| s.managed_instance("mi-0"));
    assert_eq!(same!(a, b, |s| s.commands(&CommandQuery::default())).len(), 1);
    let mut compared = 6;
    for instance_id in [None, Some("mi-0"), Some("mi-2")] {
        for offset in 0..4 {
            let query = InvocationQuery { instance_id: instance_id.map(Into::into), offset, limit: 1, ..InvocationQuery::default() };
            same!(a, b, |s| s.invocations(&query));
            compared += 1;
        }
    }
    let instances: Vec<String> = (0..4).map(|n| format!("mi-{n}")).collect();
    assert!(!same!(a, b, |s| s.deliveries(&instances)).is_empty());
    for kind in [TaggedKind::ManagedInstance, TaggedKind::Command, TaggedKind::Activation] {
        assert!(!same!(a, b, |s| s.resource_tags(kind, &[], &[], 0, 1_000)).is_empty());
        compared += 1;
    }
    for offset in 0..2 {
        let query = StateConfigurationQuery { offset, limit: 1, ..StateConfigurationQuery::default() };
        assert_eq!(same!(a, b, |s| s.state_configurations(&query)).len(), 1);
        compared += 1;
    }
    compared + 1
}

async fn iam_and_audit(a: &impl ServerStore, b: &impl ServerStore) -> usize {
    for kind in ["Settings", "User", "AccessKey", "Policy", "Group"] {
        same!(a, b, |s| s.iam_records(kind));
    }
    same!(a, b, |s| s.iam_record("User", "alice"));
    let all = AuditQuery { limit: 100_000, ..AuditQuery::default() };
    assert_eq!(same!(a, b, |s| s.audit_records(&all)).len(), crate::fill::AUDIT_RECORDS);
    for query in [
        AuditQuery { action: Some("Act3".into()), limit: 50, offset: 10, ..AuditQuery::default() },
        AuditQuery { principal: Some("bob".into()), execution_id: Some(id(5)), limit: 1_000, ..AuditQuery::default() },
        AuditQuery { since_ms: Some(11_000), until_ms: Some(11_100), limit: 1_000, ..AuditQuery::default() },
    ] {
        assert!(!same!(a, b, |s| s.audit_records(&query)).is_empty());
    }
    let verified = same!(a, b, |s| s.verify_audit());
    assert!(verified.broken.is_none() && verified.records == crate::fill::AUDIT_RECORDS as i64, "{verified:?}");
    6 + 5
}
