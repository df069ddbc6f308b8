//! Resource tags: retagging (set, remove, remove all; all or nothing), executions started outside the
//! API, common and secret parameters apart, the TagResources listing, tag keys and values, and
//! concurrent retags of one resource.

use oos_store::{ExecutionQuery, ResourceTag, ServerStore, StepWrite, TagChange, TaggedKind};

use crate::fixtures::{concurrently, execution, parameter, set_tags, template};

on_both!(
    retag_sets_removes_and_replaces_tags,
    a_retag_naming_a_missing_resource_writes_nothing,
    executions_started_outside_the_api_can_be_tagged,
    common_and_secret_parameters_are_tagged_apart,
    resource_tags_filter_order_and_page,
    tag_keys_and_values_are_distinct_ordered_and_paged,
    concurrent_retags_of_one_resource_lose_nothing,
);

fn tag(resource_id: &str, key: &str, value: &str) -> ResourceTag {
    ResourceTag { resource_id: resource_id.into(), key: key.into(), value: value.into() }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

async fn template_tags(store: &impl ServerStore, name: &str) -> String {
    store.template(name, None).await.unwrap().unwrap().tags
}

async fn create_templates(store: &impl ServerStore, specs: &[(&str, &str)]) {
    for (at, (name, tags)) in specs.iter().enumerate() {
        let new = oos_store::NewTemplateVersion { tags: Some(tags.to_string()), ..template(name, name, "alice", at as i64) };
        store.create_template(&new).await.unwrap().unwrap();
    }
}

async fn retag_sets_removes_and_replaces_tags(store: &impl ServerStore) {
    create_templates(store, &[("t1", r#"{"a":"1"}"#), ("t2", "{}")]).await;
    let both = strings(&["t1", "t2"]);
    assert!(store.retag(TaggedKind::Template, &both, &set_tags(&[("b", "2"), ("a", "3")])).await.unwrap().is_empty());
    assert_eq!(template_tags(store, "t1").await, r#"{"a":"3","b":"2"}"#, "overwritten in place, added at the end");
    assert_eq!(template_tags(store, "t2").await, r#"{"b":"2","a":"3"}"#);
    let remove_a = TagChange { remove: strings(&["a", "not-there"]), ..TagChange::default() };
    assert!(store.retag(TaggedKind::Template, &strings(&["t1"]), &remove_a).await.unwrap().is_empty());
    assert_eq!(template_tags(store, "t1").await, r#"{"b":"2"}"#);
    let replace_all = TagChange { remove_all: true, ..set_tags(&[("c", "4")]) };
    assert!(store.retag(TaggedKind::Template, &strings(&["t2"]), &replace_all).await.unwrap().is_empty());
    assert_eq!(template_tags(store, "t2").await, r#"{"c":"4"}"#);
    let listed = store.resource_tags(TaggedKind::Template, &[], &[], 0, 100).await.unwrap();
    assert_eq!(listed, vec![tag("t1", "b", "2"), tag("t2", "c", "4")]);
}

async fn a_retag_naming_a_missing_resource_writes_nothing(store: &impl ServerStore) {
    create_templates(store, &[("t1", r#"{"a":"1"}"#)]).await;
    let ids = strings(&["nope", "t1", "nope-2"]);
    assert_eq!(store.retag(TaggedKind::Template, &ids, &set_tags(&[("x", "y")])).await.unwrap(), strings(&["nope", "nope-2"]));
    assert_eq!(template_tags(store, "t1").await, r#"{"a":"1"}"#, "t1 is not tagged either");
    assert_eq!(store.retag(TaggedKind::Parameter, &strings(&["t1"]), &set_tags(&[("x", "y")])).await.unwrap(), strings(&["t1"]), "another kind");
}

async fn executions_started_outside_the_api_can_be_tagged(store: &impl ServerStore) {
    let executions = vec![execution("plain-1", "Running", true), execution("plain-2", "Running", true)];
    store.commit("w", &StepWrite { executions, ..Default::default() }).await.unwrap();
    let with_ghost = strings(&["plain-2", "ghost"]);
    assert_eq!(store.retag(TaggedKind::Execution, &with_ghost, &set_tags(&[("k", "v")])).await.unwrap(), strings(&["ghost"]));
    assert_eq!(store.execution_meta("plain-2").await.unwrap(), None, "nothing written, not even the metadata row");
    assert!(store.retag(TaggedKind::Execution, &strings(&["plain-1"]), &set_tags(&[("k", "v")])).await.unwrap().is_empty());
    let meta = store.execution_meta("plain-1").await.unwrap().unwrap();
    assert_eq!((meta.executed_by.as_str(), meta.tags.as_str(), meta.client_token), ("", r#"{"k":"v"}"#, None));
    let tagged = ExecutionQuery { tags: vec![("k".into(), "v".into())], limit: 10, ..ExecutionQuery::default() };
    let (listed, total) = store.list_executions(&tagged).await.unwrap();
    assert_eq!((listed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), total), (vec!["plain-1"], 1), "the Tags filter sees them");
    let untag = TagChange { remove: strings(&["k"]), ..TagChange::default() };
    assert!(store.retag(TaggedKind::Execution, &strings(&["plain-1"]), &untag).await.unwrap().is_empty());
    assert_eq!(store.list_executions(&tagged).await.unwrap().1, 0, "nor after UntagResources");
}

async fn common_and_secret_parameters_are_tagged_apart(store: &impl ServerStore) {
    store.create_parameter(&parameter(false, "p", "plain", "alice", 1)).await.unwrap().unwrap();
    store.create_parameter(&parameter(true, "p", "sealed", "alice", 2)).await.unwrap().unwrap();
    store.create_parameter(&parameter(false, "only-common", "plain", "alice", 3)).await.unwrap().unwrap();
    assert!(store.retag(TaggedKind::Parameter, &strings(&["p"]), &set_tags(&[("scope", "common")])).await.unwrap().is_empty());
    assert!(store.retag(TaggedKind::SecretParameter, &strings(&["p"]), &set_tags(&[("scope", "secret")])).await.unwrap().is_empty());
    assert_eq!(store.parameter(false, "p", None).await.unwrap().unwrap().tags, r#"{"scope":"common"}"#);
    assert_eq!(store.parameter(true, "p", None).await.unwrap().unwrap().tags, r#"{"scope":"secret"}"#);
    assert_eq!(store.resource_tags(TaggedKind::Parameter, &[], &[], 0, 10).await.unwrap(), vec![tag("p", "scope", "common")]);
    assert_eq!(store.resource_tags(TaggedKind::SecretParameter, &[], &[], 0, 10).await.unwrap(), vec![tag("p", "scope", "secret")]);
    assert_eq!(store.tag_values(TaggedKind::SecretParameter, "scope", 0, 10).await.unwrap(), strings(&["secret"]));
    let missing = store.retag(TaggedKind::SecretParameter, &strings(&["only-common"]), &set_tags(&[("x", "y")])).await.unwrap();
    assert_eq!(missing, strings(&["only-common"]));
}

async fn resource_tags_filter_order_and_page(store: &impl ServerStore) {
    create_templates(store, &[("b", r#"{"team":"web","env":"prod"}"#), ("a", r#"{"env":"dev"}"#), ("B", r#"{"env":"prod","n":1}"#), ("c", "{}")])
        .await;
    let all = store.resource_tags(TaggedKind::Template, &[], &[], 0, 100).await.unwrap();
    let expected = vec![tag("B", "env", "prod"), tag("B", "n", "1"), tag("a", "env", "dev"), tag("b", "env", "prod"), tag("b", "team", "web")];
    assert_eq!(all, expected, "by resource, then key, bytewise");
    assert_eq!(store.resource_tags(TaggedKind::Template, &[], &[], 1, 2).await.unwrap(), expected[1..3].to_vec());
    let of_some = store.resource_tags(TaggedKind::Template, &strings(&["b", "c", "missing"]), &[], 0, 100).await.unwrap();
    assert_eq!(of_some, vec![tag("b", "env", "prod"), tag("b", "team", "web")]);
    let prod = [("env".to_string(), "prod".to_string())];
    assert_eq!(
        store.resource_tags(TaggedKind::Template, &[], &prod, 0, 100).await.unwrap(),
        vec![tag("B", "env", "prod"), tag("B", "n", "1"), tag("b", "env", "prod"), tag("b", "team", "web")]
    );
    let prod_web = [("env".to_string(), "prod".to_string()), ("team".to_string(), "web".to_string())];
    assert_eq!(
        store.resource_tags(TaggedKind::Template, &strings(&["B", "b"]), &prod_web, 0, 100).await.unwrap(),
        vec![tag("b", "env", "prod"), tag("b", "team", "web")]
    );
    let number_as_text = [("n".to_string(), "1".to_string())];
    assert!(store.resource_tags(TaggedKind::Template, &[], &number_as_text, 0, 100).await.unwrap().is_empty(), "a JSON number is not the string");
}

async fn tag_keys_and_values_are_distinct_ordered_and_paged(store: &impl ServerStore) {
    create_templates(store, &[("t1", r#"{"team":"web","env":"prod"}"#), ("t2", r#"{"env":"dev","Zeta":"z"}"#), ("t3", r#"{"env":"prod"}"#)]).await;
    store.commit("w", &StepWrite { executions: vec![execution("e1", "Running", true)], ..Default::default() }).await.unwrap();
    store.put_execution_meta(&crate::fixtures::meta("e1", "alice", r#"{"owner":"ops"}"#, None)).await.unwrap();
    assert_eq!(store.tag_keys(TaggedKind::Template, 0, 10).await.unwrap(), strings(&["Zeta", "env", "team"]));
    assert_eq!(store.tag_keys(TaggedKind::Template, 1, 1).await.unwrap(), strings(&["env"]));
    assert_eq!(store.tag_keys(TaggedKind::Execution, 0, 10).await.unwrap(), strings(&["owner"]), "each kind its own");
    assert!(store.tag_keys(TaggedKind::Parameter, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.tag_values(TaggedKind::Template, "env", 0, 10).await.unwrap(), strings(&["dev", "prod"]));
    assert_eq!(store.tag_values(TaggedKind::Template, "env", 1, 10).await.unwrap(), strings(&["prod"]));
    assert!(store.tag_values(TaggedKind::Template, "owner", 0, 10).await.unwrap().is_empty());
    assert_eq!(store.tag_values(TaggedKind::Execution, "owner", 0, 10).await.unwrap(), strings(&["ops"]));
}

async fn concurrent_retags_of_one_resource_lose_nothing(store: &impl ServerStore) {
    create_templates(store, &[("shared", "{}"), ("other", "{}")]).await;
    let changes: Vec<TagChange> = (0..8).map(|i| set_tags(&[(format!("k{i}").as_str(), "v")])).collect();
    let both = strings(&["shared", "other"]);
    let reversed = strings(&["other", "shared"]);
    let retags = concurrently(
        changes.iter().enumerate().map(|(i, change)| store.retag(TaggedKind::Template, if i % 2 == 0 { &both } else { &reversed }, change)).collect(),
    )
    .await;
    assert!(retags.into_iter().all(|missing| missing.unwrap().is_empty()));
    for name in ["shared", "other"] {
        let mut keys: Vec<String> =
            store.resource_tags(TaggedKind::Template, &strings(&[name]), &[], 0, 100).await.unwrap().into_iter().map(|tag| tag.key).collect();
        keys.sort();
        assert_eq!(keys, (0..8).map(|i| format!("k{i}")).collect::<Vec<_>>(), "{name}: every retag applied");
    }
}
