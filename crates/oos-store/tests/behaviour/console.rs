//! Console sign-in: sessions live until their absolute or idle end (each use moves the idle end),
//! are gone once deleted and are swept on the next creation; failed sign-ins lock a user name when
//! enough fall into one window, a stale window starts over, a success forgets them.

use oos_store::{ConsoleSession, LockoutRule, ServerStore};

on_both!(
    a_session_lives_until_its_absolute_or_idle_end,
    deleting_a_session_ends_it_and_creation_sweeps_ended_ones,
    revoking_a_users_sessions_marks_them_all_but_the_kept_one,
    failures_within_one_window_lock_the_user_name,
    a_stale_window_starts_over_and_success_forgets
);

fn session(token_hash: &str, created_ms: i64) -> ConsoleSession {
    ConsoleSession {
        token_hash: token_hash.into(),
        short_id: token_hash.chars().take(8).collect(),
        user_name: "alice".into(),
        mfa_present: true,
        csrf_hash: format!("csrf-{token_hash}"),
        created_ms,
        last_seen_ms: created_ms,
        idle_expires_ms: created_ms + 100,
        expires_ms: created_ms + 1_000,
        revoked: false,
    }
}

const RULE: LockoutRule = LockoutRule { max_failures: 3, window_ms: 500, lock_ms: 200 };

async fn a_session_lives_until_its_absolute_or_idle_end(store: &dyn ServerStore) {
    let written = session("t1", 0);
    store.create_console_session(&written, 0).await.unwrap();
    let seen = store.touch_console_session("t1", 50, 150).await.unwrap().unwrap();
    assert_eq!(seen, ConsoleSession { last_seen_ms: 50, idle_expires_ms: 150, ..written.clone() });
    assert!(store.touch_console_session("t1", 150, 250).await.unwrap().is_none(), "idle end reached");
    store.create_console_session(&session("t2", 0), 0).await.unwrap();
    let mut now = 0;
    while now + 90 < 1_000 {
        now += 90;
        assert!(store.touch_console_session("t2", now, now + 100).await.unwrap().is_some(), "used within its idle bound at {now}");
    }
    assert!(store.touch_console_session("t2", 1_000, 1_100).await.unwrap().is_none(), "absolute end reached");
    assert!(store.touch_console_session("unknown", 10, 20).await.unwrap().is_none());
}

async fn deleting_a_session_ends_it_and_creation_sweeps_ended_ones(store: &dyn ServerStore) {
    store.create_console_session(&session("old", 0), 0).await.unwrap();
    store.create_console_session(&session("gone", 0), 0).await.unwrap();
    assert!(store.delete_console_session("gone").await.unwrap());
    assert!(!store.delete_console_session("gone").await.unwrap());
    assert!(store.touch_console_session("gone", 10, 20).await.unwrap().is_none());
    store.create_console_session(&session("new", 5_000), 5_000).await.unwrap();
    assert!(!store.delete_console_session("old").await.unwrap(), "an ended session is swept by the next creation");
    assert!(store.delete_console_session("new").await.unwrap());
}

async fn revoking_a_users_sessions_marks_them_all_but_the_kept_one(store: &dyn ServerStore) {
    for token in ["kept", "other", "third"] {
        store.create_console_session(&session(token, 0), 0).await.unwrap();
    }
    store.create_console_session(&ConsoleSession { user_name: "bob".into(), ..session("bobs", 0) }, 0).await.unwrap();
    assert_eq!(store.revoke_console_sessions("alice", Some("kept")).await.unwrap(), 2);
    let revoked = |token: &'static str| async move { store.touch_console_session(token, 10, 20).await.unwrap().unwrap().revoked };
    assert!(!revoked("kept").await && revoked("other").await && revoked("third").await);
    assert!(!revoked("bobs").await, "another user's session is untouched");
    assert_eq!(store.revoke_console_sessions("alice", None).await.unwrap(), 1, "the kept one; the revoked ones are not counted again");
    assert!(revoked("kept").await);
    assert_eq!(store.revoke_console_sessions("nobody", None).await.unwrap(), 0);
}

async fn failures_within_one_window_lock_the_user_name(store: &dyn ServerStore) {
    assert_eq!(store.sign_in_locked_until("alice").await.unwrap(), 0);
    assert_eq!(store.record_sign_in_failure("alice", 100, &RULE).await.unwrap(), 0);
    assert_eq!(store.record_sign_in_failure("alice", 200, &RULE).await.unwrap(), 0);
    assert_eq!(store.record_sign_in_failure("bob", 250, &RULE).await.unwrap(), 0, "another name counts apart");
    assert_eq!(store.record_sign_in_failure("alice", 300, &RULE).await.unwrap(), 500);
    assert_eq!(store.sign_in_locked_until("alice").await.unwrap(), 500);
    assert_eq!(store.sign_in_locked_until("bob").await.unwrap(), 0);
}

async fn a_stale_window_starts_over_and_success_forgets(store: &dyn ServerStore) {
    store.record_sign_in_failure("alice", 0, &RULE).await.unwrap();
    store.record_sign_in_failure("alice", 100, &RULE).await.unwrap();
    assert_eq!(store.record_sign_in_failure("alice", 600, &RULE).await.unwrap(), 0, "the window of the first two is over");
    assert_eq!(store.record_sign_in_failure("alice", 700, &RULE).await.unwrap(), 0);
    store.clear_sign_in_failures("alice").await.unwrap();
    assert_eq!(store.record_sign_in_failure("alice", 750, &RULE).await.unwrap(), 0);
    assert_eq!(store.record_sign_in_failure("alice", 760, &RULE).await.unwrap(), 0);
    assert_eq!(store.record_sign_in_failure("alice", 770, &RULE).await.unwrap(), 970);
}
