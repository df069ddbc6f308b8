//! The sandbox inbox: letters written and read back whole, narrowed by execution and kind, newest
//! first; a capture keeps only the newest letters up to the bound; clearing empties it.

use oos_store::{SandboxLetter, SandboxLetterQuery, ServerStore};

on_both!(
    a_letter_is_read_back_whole,
    letters_narrow_and_come_newest_first,
    a_capture_keeps_the_newest_up_to_the_bound,
    clearing_empties_the_inbox
);

fn letter(id: &str, captured_ms: i64, kind: &str, execution_id: &str) -> SandboxLetter {
    SandboxLetter {
        id: id.into(),
        captured_ms,
        kind: kind.into(),
        execution_id: execution_id.into(),
        task_name: "notify".into(),
        method: "POST".into(),
        url: "https://hooks.example.com/x?token=******".into(),
        headers: r#"[["Authorization","******"],["Content-Type","application/json"]]"#.into(),
        body: r#"{"text":"done"}"#.into(),
        body_bytes: 15,
    }
}

fn ids(letters: &[SandboxLetter]) -> Vec<&str> {
    letters.iter().map(|letter| letter.id.as_str()).collect()
}

fn query(execution_id: Option<&str>, kind: Option<&str>) -> SandboxLetterQuery {
    SandboxLetterQuery {
        execution_id: execution_id.map(Into::into),
        kind: kind.map(Into::into),
        limit: 100,
    }
}

async fn a_letter_is_read_back_whole(store: &dyn ServerStore) {
    let written = letter("l1", 5, "Approve", "exec-1");
    store.capture_letter(&written, 10).await.unwrap();
    assert_eq!(
        store.sandbox_letter("l1").await.unwrap(),
        Some(written.clone())
    );
    assert_eq!(
        store.sandbox_letters(&query(None, None)).await.unwrap(),
        vec![written]
    );
    assert_eq!(store.sandbox_letter("nope").await.unwrap(), None);
}

async fn letters_narrow_and_come_newest_first(store: &dyn ServerStore) {
    for (id, at, kind, execution) in [
        ("a", 1, "Notify", "e1"),
        ("b", 3, "Approve", "e1"),
        ("c", 2, "HttpRequest", "e2"),
        ("d", 3, "Notify", "e2"),
    ] {
        store
            .capture_letter(&letter(id, at, kind, execution), 10)
            .await
            .unwrap();
    }
    assert_eq!(
        ids(&store.sandbox_letters(&query(None, None)).await.unwrap()),
        ["d", "b", "c", "a"]
    );
    assert_eq!(
        ids(&store
            .sandbox_letters(&query(Some("e1"), None))
            .await
            .unwrap()),
        ["b", "a"]
    );
    assert_eq!(
        ids(&store
            .sandbox_letters(&query(None, Some("Notify")))
            .await
            .unwrap()),
        ["d", "a"]
    );
    assert_eq!(
        ids(&store
            .sandbox_letters(&query(Some("e2"), Some("HttpRequest")))
            .await
            .unwrap()),
        ["c"]
    );
    let first_two = SandboxLetterQuery {
        limit: 2,
        ..query(None, None)
    };
    assert_eq!(
        ids(&store.sandbox_letters(&first_two).await.unwrap()),
        ["d", "b"]
    );
}

async fn a_capture_keeps_the_newest_up_to_the_bound(store: &dyn ServerStore) {
    for n in 0..7 {
        store
            .capture_letter(&letter(&format!("l{n}"), n, "Notify", "e"), 3)
            .await
            .unwrap();
    }
    assert_eq!(
        ids(&store.sandbox_letters(&query(None, None)).await.unwrap()),
        ["l6", "l5", "l4"]
    );
}

async fn clearing_empties_the_inbox(store: &dyn ServerStore) {
    for n in 0..4 {
        store
            .capture_letter(&letter(&format!("l{n}"), n, "Notify", "e"), 10)
            .await
            .unwrap();
    }
    assert_eq!(store.clear_sandbox_inbox().await.unwrap(), 4);
    assert!(
        store
            .sandbox_letters(&query(None, None))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.clear_sandbox_inbox().await.unwrap(), 0);
}
