//! State configurations: a configuration and the invocation applying it are written together (or,
//! for a repeated ClientToken, not at all), listed newest first with filters and paging, changed
//! with a new application, deleted without their invocations; a scheduled one is applied again
//! once per due time, by whoever claims it first.

use oos_store::{Application, InvocationQuery, ServerStore, StateConfigurationQuery, StateConfigurationRow};

use super::{invocation, targets};

on_both!(
    a_configuration_is_written_with_its_application_once_per_client_token,
    configurations_list_change_and_delete,
    a_due_application_is_claimed_and_written_once,
);

fn configuration(id: &str, template: &str, created_ms: i64, client_token: Option<&str>) -> StateConfigurationRow {
    StateConfigurationRow {
        state_configuration_id: id.into(),
        region_id: "cn-hangzhou".into(),
        template_name: template.into(),
        template_version: "v1".into(),
        template_id: "t-0123".into(),
        description: "collect — ünïcode".into(),
        parameters: r#"{"policy":{"ACS:Application":{"Collection":"Enabled"}}}"#.into(),
        targets: r#"{"ResourceType":"ALIYUN::ECS::ManagedInstance","Type":"ResourceIds","ResourceIds":["mi-1"]}"#.into(),
        configure_mode: "ApplyOnce".into(),
        schedule_type: String::new(),
        schedule_expression: String::new(),
        resource_group_id: String::new(),
        tags: r#"{"team":"ops"}"#.into(),
        inventory_types: r#"["ACS:Application"]"#.into(),
        next_apply_ms: None,
        client_token: client_token.map(Into::into),
        created_ms,
        updated_ms: created_ms,
    }
}

fn all() -> StateConfigurationQuery {
    StateConfigurationQuery { limit: 100, ..StateConfigurationQuery::default() }
}

fn inventory(id: &str, created_ms: i64, creator: &str) -> oos_store::InvocationRow {
    oos_store::InvocationRow { kind: "Inventory".into(), file: r#"{"Types":["ACS:Application"]}"#.into(), ..invocation(id, created_ms, creator, None) }
}

async fn a_configuration_is_written_with_its_application_once_per_client_token(store: &impl ServerStore) {
    let row = configuration("sc-1", "collect", 10, Some("token-1"));
    let applying = inventory("t-inv-1", 10, "sc-1");
    let on = targets("t-inv-1", &["mi-1", "mi-2"], 1_000);
    let application = Application { invocation: &applying, targets: &on };
    assert_eq!(store.create_state_configuration(&row, Some(application)).await.unwrap(), None);
    assert_eq!(store.state_configurations(&all()).await.unwrap(), vec![row.clone()], "read back as written");
    let (page, _) = store.invocations(&InvocationQuery { invoke_id: Some("t-inv-1".into()), limit: 10, ..InvocationQuery::default() }).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, applying);
    assert_eq!(page[0].1.iter().map(|target| target.instance_id.as_str()).collect::<Vec<_>>(), ["mi-1", "mi-2"]);
    let deliveries = store.deliveries(&["mi-2".to_string()]).await.unwrap();
    assert_eq!(deliveries.len(), 1, "the hub finds the application's target");

    let again = configuration("sc-2", "collect", 11, Some("token-1"));
    let second = inventory("t-inv-2", 11, "sc-2");
    let application = Application { invocation: &second, targets: &[] };
    assert_eq!(store.create_state_configuration(&again, Some(application)).await.unwrap(), Some("sc-1".into()), "the first configuration");
    assert_eq!(store.state_configurations(&all()).await.unwrap().len(), 1);
    let (page, _) = store.invocations(&InvocationQuery { invoke_id: Some("t-inv-2".into()), limit: 10, ..InvocationQuery::default() }).await.unwrap();
    assert!(page.is_empty(), "nor its application");
    assert_eq!(store.create_state_configuration(&configuration("sc-3", "collect", 12, None), None).await.unwrap(), None, "nothing to apply to");
}

async fn configurations_list_change_and_delete(store: &impl ServerStore) {
    for (id, template, created_ms) in [("sc-a", "collect", 1), ("sc-b", "other", 2), ("sc-c", "collect", 3)] {
        store.create_state_configuration(&configuration(id, template, created_ms, None), None).await.unwrap();
    }
    let ids = |rows: Vec<StateConfigurationRow>| rows.into_iter().map(|row| row.state_configuration_id).collect::<Vec<_>>();
    assert_eq!(ids(store.state_configurations(&all()).await.unwrap()), ["sc-c", "sc-b", "sc-a"], "newest first");
    let by_template = StateConfigurationQuery { template_name: Some("collect".into()), ..all() };
    assert_eq!(ids(store.state_configurations(&by_template).await.unwrap()), ["sc-c", "sc-a"]);
    let by_id = StateConfigurationQuery { ids: vec!["sc-a".into(), "sc-b".into(), "sc-none".into()], ..all() };
    assert_eq!(ids(store.state_configurations(&by_id).await.unwrap()), ["sc-b", "sc-a"]);
    let tagged = StateConfigurationQuery { tags: vec![("team".into(), "ops".into())], template_name: Some("other".into()), ..all() };
    assert_eq!(ids(store.state_configurations(&tagged).await.unwrap()), ["sc-b"]);
    let untagged = StateConfigurationQuery { tags: vec![("team".into(), "web".into())], ..all() };
    assert!(store.state_configurations(&untagged).await.unwrap().is_empty());
    let page = StateConfigurationQuery { offset: 1, limit: 1, ..all() };
    assert_eq!(ids(store.state_configurations(&page).await.unwrap()), ["sc-b"]);

    let changed = StateConfigurationRow { description: "changed".into(), configure_mode: "ApplyAndMonitor".into(), updated_ms: 9, ..configuration("sc-a", "collect", 1, None) };
    let applying = inventory("t-inv-a", 9, "sc-a");
    let on = targets("t-inv-a", &["mi-9"], 1_000);
    assert!(store.update_state_configuration(&changed, Some(Application { invocation: &applying, targets: &on })).await.unwrap());
    let read = store.state_configurations(&StateConfigurationQuery { ids: vec!["sc-a".into()], ..all() }).await.unwrap();
    assert_eq!(read, vec![changed.clone()]);
    assert_eq!(store.deliveries(&["mi-9".to_string()]).await.unwrap().len(), 1, "the change is applied");
    let missing = StateConfigurationRow { state_configuration_id: "sc-none".into(), ..changed };
    let other = inventory("t-inv-none", 9, "sc-none");
    assert!(!store.update_state_configuration(&missing, Some(Application { invocation: &other, targets: &[] })).await.unwrap());
    let (page, _) = store.invocations(&InvocationQuery { invoke_id: Some("t-inv-none".into()), limit: 10, ..InvocationQuery::default() }).await.unwrap();
    assert!(page.is_empty(), "no application for a configuration that does not exist");

    assert_eq!(store.delete_state_configurations(&["sc-a".into(), "sc-b".into(), "sc-none".into()]).await.unwrap(), 2);
    assert_eq!(ids(store.state_configurations(&all()).await.unwrap()), ["sc-c"]);
    assert_eq!(store.deliveries(&["mi-9".to_string()]).await.unwrap().len(), 1, "its invocations stay");
    assert_eq!(store.delete_state_configurations(&[]).await.unwrap(), 0);
}

async fn a_due_application_is_claimed_and_written_once(store: &impl ServerStore) {
    let scheduled = |id: &str, next: i64| StateConfigurationRow { next_apply_ms: Some(next), ..configuration(id, "collect", 1, None) };
    for row in [scheduled("sc-late", 100), scheduled("sc-later", 200), scheduled("sc-future", 5_000), configuration("sc-once", "collect", 1, None)] {
        store.create_state_configuration(&row, None).await.unwrap();
    }
    let due = |now| async move { store.due_state_configurations(now, 10).await.unwrap().into_iter().map(|row| row.state_configuration_id).collect::<Vec<_>>() };
    assert_eq!(due(1_000).await, ["sc-late", "sc-later"], "most overdue first; not the future nor the unscheduled");
    assert_eq!(store.due_state_configurations(1_000, 1).await.unwrap().len(), 1);

    let applying = inventory("t-again", 1_000, "sc-late");
    let on = targets("t-again", &["mi-7"], 9_000);
    assert!(store.reapply_state_configuration("sc-late", 100, 1_900, Some(Application { invocation: &applying, targets: &on })).await.unwrap());
    let other = inventory("t-twice", 1_000, "sc-late");
    assert!(!store.reapply_state_configuration("sc-late", 100, 1_900, Some(Application { invocation: &other, targets: &on })).await.unwrap(), "claimed already");
    assert_eq!(store.deliveries(&["mi-7".to_string()]).await.unwrap().iter().map(|d| d.invocation.invoke_id.as_str()).collect::<Vec<_>>(), ["t-again"]);
    assert_eq!(due(1_000).await, ["sc-later"]);
    assert_eq!(due(2_000).await, ["sc-later", "sc-late"]);
    assert!(!store.reapply_state_configuration("sc-none", 100, 1_900, None).await.unwrap());
}
