//! The template catalogue: versions, their content in the engine's library, ListTemplates' filters,
//! orders and paging, favourites, deletion, and concurrent writers of one name.

use oos_store::{NewTemplateVersion, ServerStore, StepWrite, TemplateQuery, TemplateRow, TemplateSort};

use crate::fixtures::{Case, concurrently, execution, template};

on_both!(
    templates_keep_every_version_with_its_content,
    creating_a_template_replaces_library_versions_of_its_name,
    list_templates_filters_orders_and_pages,
    favourites_and_deletion,
    concurrent_updates_of_one_template_take_distinct_versions,
    concurrent_creations_of_one_template_let_one_win,
);

fn names(rows: &[TemplateRow]) -> Vec<&str> {
    rows.iter().map(|row| row.name.as_str()).collect()
}

async fn templates_keep_every_version_with_its_content(store: &impl ServerStore) {
    let first = NewTemplateVersion {
        tags: Some(r#"{"team":"web"}"#.into()),
        resource_group_id: Some("rg-1".into()),
        version_name: "v-one".into(),
        ..template("deploy", "one", "alice", 10)
    };
    let created = store.create_template(&first).await.unwrap().unwrap();
    let expected = TemplateRow {
        name: "deploy".into(),
        template_id: "t-deploy".into(),
        version: 1,
        latest_version: 1,
        version_name: "v-one".into(),
        format: "YAML".into(),
        hash: "hash-of-one".into(),
        description: "about one".into(),
        content: "one".into(),
        tags: r#"{"team":"web"}"#.into(),
        resource_group_id: "rg-1".into(),
        created_by: "alice".into(),
        created_ms: 10,
        updated_by: "alice".into(),
        updated_ms: 10,
        execution_count: 0,
        is_favorite: false,
    };
    assert_eq!(created, expected);
    assert_eq!(store.create_template(&template("deploy", "again", "bob", 11)).await.unwrap(), None, "the name is taken");
    assert_eq!(store.update_template(&template("missing", "x", "bob", 11)).await.unwrap(), None);

    let second = store.update_template(&template("deploy", "two", "bob", 20)).await.unwrap().unwrap();
    assert_eq!((second.version, second.latest_version, second.content.as_str()), (2, 2, "two"));
    assert_eq!((second.tags.as_str(), second.resource_group_id.as_str()), (r#"{"team":"web"}"#, "rg-1"), "kept when not given");
    assert_eq!((second.created_by.as_str(), second.created_ms, second.updated_by.as_str(), second.updated_ms), ("alice", 10, "bob", 20));
    let retagged = NewTemplateVersion {
        tags: Some(r#"{"team":"db"}"#.into()),
        resource_group_id: Some("rg-2".into()),
        ..template("deploy", "three", "carol", 30)
    };
    let third = store.update_template(&retagged).await.unwrap().unwrap();
    assert_eq!((third.version, third.tags.as_str(), third.resource_group_id.as_str()), (3, r#"{"team":"db"}"#, "rg-2"), "replaced when given");

    let old = store.template("deploy", Some(1)).await.unwrap().unwrap();
    assert_eq!(
        old,
        TemplateRow {
            latest_version: 3,
            tags: third.tags.clone(),
            resource_group_id: "rg-2".into(),
            updated_by: "carol".into(),
            updated_ms: 30,
            ..expected
        }
    );
    assert_eq!(store.template("deploy", None).await.unwrap(), Some(third));
    assert_eq!(store.template("deploy", Some(4)).await.unwrap(), None);
    assert_eq!(store.template("missing", None).await.unwrap(), None);
    let versions = store.template_versions("deploy").await.unwrap();
    let listed: Vec<(i64, &str, &str, &str)> =
        versions.iter().map(|v| (v.version, v.hash.as_str(), v.description.as_str(), v.content.as_str())).collect();
    assert_eq!(
        listed,
        vec![(3, "hash-of-three", "about three", ""), (2, "hash-of-two", "about two", ""), (1, "hash-of-one", "about one", "")],
        "newest first, no content"
    );
    assert!(store.template_versions("missing").await.unwrap().is_empty());
    assert_eq!(store.library_template("deploy", None).await.unwrap(), Some((3, "three".into())), "ACS::Template finds it");
    assert_eq!(store.library_template("deploy", Some(2)).await.unwrap(), Some((2, "two".into())));
}

async fn creating_a_template_replaces_library_versions_of_its_name(store: &impl ServerStore) {
    store.put_library_template("shared", "old one", 1).await.unwrap();
    store.put_library_template("shared", "old two", 2).await.unwrap();
    let created = store.create_template(&template("shared", "new", "alice", 3)).await.unwrap().unwrap();
    assert_eq!((created.version, created.content.as_str()), (1, "new"));
    assert_eq!(store.library_template("shared", None).await.unwrap(), Some((1, "new".into())));
}

/// Four templates: `aX` (JSON, favourite, two top-level executions and a child), `a_x`, `B`, `b`.
async fn listed_fixture(store: &impl ServerStore) {
    let specs = [
        ("b", "alice", "YAML", 1, r#"{"env":"prod"}"#),
        ("aX", "bob", "JSON", 2, r#"{"env":"dev"}"#),
        ("a_x", "alice", "YAML", 3, "{}"),
        ("B", "bob", "YAML", 4, r#"{"env":"prod","n":1}"#),
    ];
    for (name, actor, format, at, tags) in specs {
        let new = NewTemplateVersion { format: format.into(), tags: Some(tags.into()), ..template(name, name, actor, at) };
        store.create_template(&new).await.unwrap().unwrap();
    }
    store.update_template(&template("b", "b2", "carol", 9)).await.unwrap().unwrap();
    assert!(store.set_template_favorite("aX", true).await.unwrap());
    let mut runs = vec![execution("run-1", "Success", false), execution("run-2", "Running", true), execution("run-3", "Success", false)];
    runs.iter_mut().for_each(|run| run.template_name = "aX".into());
    runs[2].parent_execution_id = Some("run-1".into());
    store.commit("w", &StepWrite { executions: runs, ..Default::default() }).await.unwrap();
}

async fn list_templates_filters_orders_and_pages(store: &impl ServerStore) {
    listed_fixture(store).await;
    let list = |edit: &dyn Fn(&mut TemplateQuery)| {
        let mut query = TemplateQuery { limit: 50, ..TemplateQuery::default() };
        edit(&mut query);
        query
    };
    let cases: [Case<TemplateQuery>; 14] = [
        (&|_| {}, vec!["B", "a_x", "aX", "b"]),
        (&|q| q.ascending = true, vec!["b", "aX", "a_x", "B"]),
        (&|q| (q.sort, q.ascending) = (TemplateSort::TemplateName, true), vec!["B", "aX", "a_x", "b"]),
        (&|q| q.sort = TemplateSort::TemplateName, vec!["b", "a_x", "aX", "B"]),
        (&|q| q.sort = TemplateSort::UpdatedDate, vec!["b", "B", "a_x", "aX"]),
        (&|q| q.sort = TemplateSort::TotalExecutionCount, vec!["aX", "b", "a_x", "B"]),
        (&|q| q.name_contains = Some("x".into()), vec!["a_x"]),
        (&|q| q.name_contains = Some("X".into()), vec!["aX"]),
        (&|q| q.created_by = Some("alice".into()), vec!["a_x", "b"]),
        (&|q| q.format = Some("json".into()), vec!["aX"]),
        (&|q| (q.created_after_ms, q.created_before_ms) = (Some(2), Some(3)), vec!["a_x", "aX"]),
        (&|q| q.tags = vec![("env".into(), "prod".into())], vec!["B", "b"]),
        (&|q| q.tags = vec![("env".into(), "prod".into()), ("n".into(), "1".into())], vec![]),
        (&|q| q.favorite = Some(false), vec!["B", "a_x", "b"]),
    ];
    for (at, (edit, expected)) in cases.iter().enumerate() {
        assert_eq!(names(&store.list_templates(&list(*edit)).await.unwrap()), *expected, "case {at}");
    }
    let favourites = store.list_templates(&list(&|q| q.favorite = Some(true))).await.unwrap();
    assert_eq!(names(&favourites), vec!["aX"]);
    assert_eq!(
        (favourites[0].execution_count, favourites[0].is_favorite, favourites[0].content.as_str()),
        (2, true, ""),
        "top-level executions only"
    );
    let b = &store.list_templates(&list(&|q| q.name_contains = Some("b".into()))).await.unwrap()[0];
    assert_eq!((b.version, b.latest_version, b.hash.as_str(), b.updated_by.as_str()), (2, 2, "hash-of-b2", "carol"), "the latest version");
    let page = store.list_templates(&list(&|q| (q.sort, q.ascending, q.offset, q.limit) = (TemplateSort::TemplateName, true, 1, 2))).await.unwrap();
    assert_eq!(names(&page), vec!["aX", "a_x"]);
    assert!(store.list_templates(&list(&|q| q.offset = 4)).await.unwrap().is_empty());
}

async fn favourites_and_deletion(store: &impl ServerStore) {
    store.create_template(&template("keep", "k", "alice", 1)).await.unwrap().unwrap();
    store.create_template(&template("drop", "d1", "alice", 2)).await.unwrap().unwrap();
    store.update_template(&template("drop", "d2", "alice", 3)).await.unwrap().unwrap();
    assert!(store.set_template_favorite("drop", true).await.unwrap());
    assert!(store.template("drop", None).await.unwrap().unwrap().is_favorite);
    assert!(store.set_template_favorite("drop", false).await.unwrap());
    assert!(!store.template("drop", None).await.unwrap().unwrap().is_favorite);
    assert!(!store.set_template_favorite("missing", true).await.unwrap());

    assert!(store.delete_template("drop").await.unwrap());
    assert!(!store.delete_template("drop").await.unwrap(), "already gone");
    assert_eq!(store.template("drop", Some(1)).await.unwrap(), None);
    assert!(store.template_versions("drop").await.unwrap().is_empty());
    assert_eq!(store.library_template("drop", None).await.unwrap(), None, "its content too");
    assert_eq!(names(&store.list_templates(&TemplateQuery { limit: 10, ..TemplateQuery::default() }).await.unwrap()), vec!["keep"]);
    let again = store.create_template(&template("drop", "fresh", "bob", 4)).await.unwrap().unwrap();
    assert_eq!((again.version, again.content.as_str()), (1, "fresh"), "the name is free again");
}

async fn concurrent_updates_of_one_template_take_distinct_versions(store: &impl ServerStore) {
    store.create_template(&template("busy", "v1", "alice", 1)).await.unwrap().unwrap();
    let updates: Vec<NewTemplateVersion> = (0..8).map(|i| template("busy", &format!("update {i}"), "bob", 2 + i)).collect();
    let rows = concurrently(updates.iter().map(|update| store.update_template(update)).collect()).await;
    let mut versions = Vec::new();
    for (update, row) in updates.iter().zip(rows) {
        let row = row.unwrap().unwrap();
        assert_eq!(row.content, update.content, "each update answers with the version it wrote");
        let stored = store.template("busy", Some(row.version)).await.unwrap().unwrap();
        assert_eq!(stored.content, update.content);
        versions.push(row.version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..=9).collect::<Vec<i64>>());
    assert_eq!(store.template("busy", None).await.unwrap().unwrap().latest_version, 9);
    assert_eq!(store.template_versions("busy").await.unwrap().len(), 9);
}

async fn concurrent_creations_of_one_template_let_one_win(store: &impl ServerStore) {
    let creations: Vec<NewTemplateVersion> =
        (0..8).map(|i| NewTemplateVersion { template_id: format!("t-{i}"), ..template("race", &format!("by {i}"), "alice", i) }).collect();
    let rows = concurrently(creations.iter().map(|creation| store.create_template(creation)).collect()).await;
    let created: Vec<TemplateRow> = rows.into_iter().filter_map(Result::unwrap).collect();
    assert_eq!(created.len(), 1, "exactly one creation wins");
    let stored = store.template("race", None).await.unwrap().unwrap();
    assert_eq!(
        (stored.template_id.as_str(), stored.content.as_str(), stored.latest_version),
        (created[0].template_id.as_str(), created[0].content.as_str(), 1)
    );
    assert_eq!(store.library_template("race", None).await.unwrap().map(|(version, _)| version), Some(1));
}
