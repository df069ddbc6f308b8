//! The parameter store: common and secret parameters kept apart, versions, ListParameters' filters,
//! orders, paging and totals, deletion, and concurrent writers of one name.

use oos_store::{NewParameter, ParameterQuery, ParameterRow, ParameterSort, ParameterUpdate, ParameterVersionRow, ServerStore};

use crate::fixtures::{Case, concurrently, parameter};

on_both!(
    parameters_keep_versions_and_common_apart_from_secret,
    list_parameters_filters_orders_pages_and_counts,
    deleting_a_parameter_takes_its_versions,
    concurrent_writers_of_one_parameter,
);

fn names(rows: &[ParameterRow]) -> Vec<&str> {
    rows.iter().map(|row| row.name.as_str()).collect()
}

fn update(secret: bool, name: &str, value: Option<&str>, actor: &str, now_ms: i64) -> ParameterUpdate {
    ParameterUpdate { secret, name: name.into(), value: value.map(Into::into), actor: actor.into(), now_ms, ..ParameterUpdate::default() }
}

async fn parameters_keep_versions_and_common_apart_from_secret(store: &impl ServerStore) {
    let new = NewParameter {
        description: "the db host".into(),
        constraints: r#"{"AllowedPattern":".*"}"#.into(),
        tags: Some(r#"{"env":"prod"}"#.into()),
        resource_group_id: Some("rg-1".into()),
        ..parameter(false, "db/host", "10.0.0.1", "alice", 10)
    };
    let created = store.create_parameter(&new).await.unwrap().unwrap();
    let expected = ParameterRow {
        name: "db/host".into(),
        id: "p-common-db/host".into(),
        kind: "String".into(),
        version: 1,
        latest_version: 1,
        value: "10.0.0.1".into(),
        description: "the db host".into(),
        constraints: r#"{"AllowedPattern":".*"}"#.into(),
        key_id: String::new(),
        tags: r#"{"env":"prod"}"#.into(),
        resource_group_id: "rg-1".into(),
        created_by: "alice".into(),
        created_ms: 10,
        updated_by: "alice".into(),
        updated_ms: 10,
    };
    assert_eq!(created, expected);
    assert_eq!(store.create_parameter(&parameter(false, "db/host", "again", "bob", 11)).await.unwrap(), None, "the name is taken");
    let secret = store.create_parameter(&parameter(true, "db/host", "sealed", "bob", 12)).await.unwrap().unwrap();
    assert_eq!(
        (secret.kind.as_str(), secret.value.as_str(), secret.version),
        ("Secret", "sealed", 1),
        "a secret of the same name is another parameter"
    );

    let second = store.update_parameter(&update(false, "db/host", Some("10.0.0.2"), "bob", 20)).await.unwrap().unwrap();
    assert_eq!(
        (second.version, second.latest_version, second.value.as_str(), second.updated_by.as_str(), second.updated_ms),
        (2, 2, "10.0.0.2", "bob", 20)
    );
    let described = ParameterUpdate {
        description: Some("moved".into()),
        tags: Some("{}".into()),
        resource_group_id: Some("rg-2".into()),
        ..update(false, "db/host", None, "carol", 30)
    };
    let third = store.update_parameter(&described).await.unwrap().unwrap();
    assert_eq!(
        (third.version, third.value.as_str(), third.description.as_str(), third.tags.as_str(), third.resource_group_id.as_str()),
        (2, "10.0.0.2", "moved", "{}", "rg-2"),
        "no value, no version"
    );
    assert_eq!((third.updated_by.as_str(), third.updated_ms, third.created_by.as_str()), ("carol", 30, "alice"));
    assert_eq!(store.update_parameter(&update(false, "missing", Some("x"), "bob", 40)).await.unwrap(), None);

    let old = store.parameter(false, "db/host", Some(1)).await.unwrap().unwrap();
    assert_eq!(
        old,
        ParameterRow {
            latest_version: 2,
            description: "moved".into(),
            tags: "{}".into(),
            resource_group_id: "rg-2".into(),
            updated_by: "carol".into(),
            updated_ms: 30,
            ..expected
        }
    );
    assert_eq!(store.parameter(false, "db/host", Some(3)).await.unwrap(), None);
    assert_eq!(store.parameter(true, "db/host", None).await.unwrap().map(|row| row.value), Some("sealed".into()), "the secret is untouched");
    assert_eq!(store.parameter(true, "missing", None).await.unwrap(), None);
    let history = store.parameter_versions(false, "db/host").await.unwrap();
    let expected_history = vec![
        ParameterVersionRow { version: 2, value: "10.0.0.2".into(), updated_by: "bob".into(), updated_ms: 20 },
        ParameterVersionRow { version: 1, value: "10.0.0.1".into(), updated_by: "alice".into(), updated_ms: 10 },
    ];
    assert_eq!(history, expected_history, "newest first");
    assert_eq!(store.parameter_versions(true, "db/host").await.unwrap().len(), 1);
    assert!(store.parameter_versions(false, "missing").await.unwrap().is_empty());
}

/// Common parameters at several paths (two with leading `/`), and one secret.
async fn listed_fixture(store: &impl ServerStore) {
    let specs = [
        ("/app/db/host", "String", "{}"),
        ("app/db/port", "String", r#"{"env":"prod"}"#),
        ("app/name", "StringList", r#"{"env":"prod"}"#),
        ("/app/db/replica/host", "String", "{}"),
        ("top", "String", r#"{"env":"dev"}"#),
    ];
    for (at, (name, kind, tags)) in specs.into_iter().enumerate() {
        let new = NewParameter {
            kind: kind.into(),
            tags: Some(tags.into()),
            resource_group_id: Some(if at % 2 == 0 { "rg-even" } else { "rg-odd" }.into()),
            ..parameter(false, name, &format!("value of {name}"), "alice", at as i64 + 1)
        };
        store.create_parameter(&new).await.unwrap().unwrap();
    }
    store.update_parameter(&update(false, "top", Some("newer"), "bob", 9)).await.unwrap().unwrap();
    store.create_parameter(&parameter(true, "app/secret", "sealed", "alice", 6)).await.unwrap().unwrap();
}

async fn list_parameters_filters_orders_pages_and_counts(store: &impl ServerStore) {
    listed_fixture(store).await;
    let list = |edit: &dyn Fn(&mut ParameterQuery)| {
        let mut query = ParameterQuery { limit: 50, ..ParameterQuery::default() };
        edit(&mut query);
        query
    };
    let cases: [Case<ParameterQuery>; 13] = [
        (&|_| {}, vec!["top", "/app/db/replica/host", "app/name", "app/db/port", "/app/db/host"]),
        (&|q| q.ascending = true, vec!["/app/db/host", "app/db/port", "app/name", "/app/db/replica/host", "top"]),
        (&|q| (q.sort, q.ascending) = (ParameterSort::Name, true), vec!["/app/db/host", "/app/db/replica/host", "app/db/port", "app/name", "top"]),
        (&|q| q.path = Some("/app/db/".into()), vec!["app/db/port", "/app/db/host"]),
        (&|q| (q.path, q.recursive) = (Some("app/db".into()), true), vec!["/app/db/replica/host", "app/db/port", "/app/db/host"]),
        (&|q| q.path = Some("/".into()), vec!["top"]),
        (&|q| q.path = Some("app".into()), vec!["app/name"]),
        (&|q| q.name_contains = Some("host".into()), vec!["/app/db/replica/host", "/app/db/host"]),
        (&|q| q.kind = Some("StringList".into()), vec!["app/name"]),
        (&|q| q.resource_group_id = Some("rg-odd".into()), vec!["/app/db/replica/host", "app/db/port"]),
        (&|q| q.tags = vec![("env".into(), "prod".into())], vec!["app/name", "app/db/port"]),
        (&|q| q.secret = true, vec!["app/secret"]),
        (&|q| q.name_contains = Some("nothing".into()), vec![]),
    ];
    for (at, (edit, expected)) in cases.iter().enumerate() {
        let (rows, total) = store.list_parameters(&list(*edit)).await.unwrap();
        assert_eq!((names(&rows), total), (expected.clone(), expected.len() as i64), "case {at}");
    }
    let (rows, total) = store.list_parameters(&list(&|q| (q.offset, q.limit) = (1, 2))).await.unwrap();
    assert_eq!((names(&rows), total), (vec!["/app/db/replica/host", "app/name"], 5), "a page and the total of all pages");
    let (rows, total) = store.list_parameters(&list(&|q| (q.offset, q.limit, q.kind) = (4, 2, Some("String".into())))).await.unwrap();
    assert_eq!((names(&rows), total), (vec![], 4), "past the last page, the total still counts");
    let (rows, _) = store.list_parameters(&list(&|q| q.name_contains = Some("top".into()))).await.unwrap();
    assert_eq!((rows[0].value.as_str(), rows[0].version, rows[0].latest_version), ("", 2, 2), "no values unless asked, the latest version");
    let (rows, _) = store.list_parameters(&list(&|q| (q.name_contains, q.with_values) = (Some("top".into()), true))).await.unwrap();
    assert_eq!(rows[0].value, "newer");
}

async fn deleting_a_parameter_takes_its_versions(store: &impl ServerStore) {
    store.create_parameter(&parameter(false, "gone", "one", "alice", 1)).await.unwrap().unwrap();
    store.update_parameter(&update(false, "gone", Some("two"), "alice", 2)).await.unwrap().unwrap();
    store.create_parameter(&parameter(true, "gone", "sealed", "alice", 3)).await.unwrap().unwrap();
    assert!(store.delete_parameter(false, "gone").await.unwrap());
    assert!(!store.delete_parameter(false, "gone").await.unwrap(), "already gone");
    assert_eq!(store.parameter(false, "gone", Some(1)).await.unwrap(), None);
    assert!(store.parameter_versions(false, "gone").await.unwrap().is_empty());
    assert_eq!(store.parameter(true, "gone", None).await.unwrap().map(|row| row.value), Some("sealed".into()), "the secret stays");
    let again = store.create_parameter(&parameter(false, "gone", "fresh", "bob", 4)).await.unwrap().unwrap();
    assert_eq!((again.version, again.value.as_str()), (1, "fresh"), "the name is free again");
}

async fn concurrent_writers_of_one_parameter(store: &impl ServerStore) {
    let creations: Vec<NewParameter> =
        (0..8).map(|i| NewParameter { id: format!("p-{i}"), ..parameter(false, "race", &format!("by {i}"), "alice", i) }).collect();
    let created = concurrently(creations.iter().map(|creation| store.create_parameter(creation)).collect()).await;
    assert_eq!(created.into_iter().filter_map(Result::unwrap).count(), 1, "exactly one creation wins");
    let updates: Vec<ParameterUpdate> = (0..8).map(|i| update(false, "race", Some(format!("update {i}").as_str()), "bob", 10 + i)).collect();
    let rows = concurrently(updates.iter().map(|update| store.update_parameter(update)).collect()).await;
    let mut versions = Vec::new();
    for (update, row) in updates.iter().zip(rows) {
        let row = row.unwrap().unwrap();
        assert_eq!(Some(&row.value), update.value.as_ref(), "each update answers with the version it wrote");
        versions.push(row.version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..=9).collect::<Vec<i64>>());
    assert_eq!(store.parameter_versions(false, "race").await.unwrap().len(), 9);
}
