//! IAM records: JSON bodies by kind and key.

use oos_store::ServerStore;

use crate::fixtures::concurrently;

on_both!(iam_records_insert_update_read_list_and_delete, concurrent_inserts_of_one_key_let_one_win);

async fn iam_records_insert_update_read_list_and_delete(store: &impl ServerStore) {
    for (key, body) in [("bob", r#"{"n":"bob"}"#), ("Alice", r#"{"n":"Alice"}"#), ("alice", r#"{"n":"alice"}"#)] {
        assert!(store.insert_iam_record("user", key, body).await.unwrap(), "{key}");
    }
    assert!(store.insert_iam_record("group", "alice", r#"{"g":1}"#).await.unwrap(), "kinds are apart");
    assert!(!store.insert_iam_record("user", "bob", r#"{"n":"other"}"#).await.unwrap(), "the key exists");
    assert_eq!(store.iam_record("user", "bob").await.unwrap(), Some(r#"{"n":"bob"}"#.into()), "the first body stays");
    assert_eq!(store.iam_records("user").await.unwrap(), vec![r#"{"n":"Alice"}"#, r#"{"n":"alice"}"#, r#"{"n":"bob"}"#], "by key, bytewise");
    assert!(store.update_iam_record("user", "bob", r#"{"n":"robert"}"#).await.unwrap());
    assert!(!store.update_iam_record("user", "carol", "{}").await.unwrap());
    assert_eq!(store.iam_record("user", "bob").await.unwrap(), Some(r#"{"n":"robert"}"#.into()));
    assert_eq!(store.iam_record("user", "carol").await.unwrap(), None);
    assert_eq!(store.iam_record("role", "bob").await.unwrap(), None);
    assert!(store.delete_iam_record("user", "bob").await.unwrap());
    assert!(!store.delete_iam_record("user", "bob").await.unwrap());
    assert_eq!(store.iam_records("user").await.unwrap().len(), 2);
    assert_eq!(store.iam_records("group").await.unwrap(), vec![r#"{"g":1}"#]);
    assert!(store.iam_records("role").await.unwrap().is_empty());
}

async fn concurrent_inserts_of_one_key_let_one_win(store: &impl ServerStore) {
    let bodies: Vec<String> = (0..8).map(|i| format!(r#"{{"by":{i}}}"#)).collect();
    let inserted = concurrently(bodies.iter().map(|body| store.insert_iam_record("key", "shared", body)).collect()).await;
    let winners: Vec<&String> = bodies.iter().zip(inserted).filter(|(_, inserted)| *inserted.as_ref().unwrap()).map(|(body, _)| body).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(store.iam_record("key", "shared").await.unwrap().as_ref(), Some(winners[0]));
}
