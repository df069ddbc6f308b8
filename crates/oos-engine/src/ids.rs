//! Execution and task execution ids: `exec-<hex>` and `task-exec-<hex>`.
//!
//! Only a new top-level execution gets a random id; every id the engine derives during a step is a
//! hash of durable state (execution id and a sequence number), so re-driving a step after a crash
//! produces the same ids, and the same ClientTokens.

use sha2::{Digest, Sha256};

fn short_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// A fresh execution id from 8 random bytes supplied by the caller (the core reads no entropy).
pub fn execution_id(random: [u8; 8]) -> String {
    format!("exec-{}", hex::encode(random))
}

/// The id of the `seq`-th task execution of an execution.
pub fn task_execution_id(execution_id: &str, seq: i64) -> String {
    format!("task-exec-{}", short_hash(&[execution_id, &seq.to_string()]))
}

/// The id of the child execution started by a task execution (ACS::Template, product actions).
pub fn child_execution_id(task_execution_id: &str) -> String {
    format!("exec-{}", short_hash(&["child", task_execution_id]))
}

/// The child execution of one firing of a trigger (a tick, an event id, an alarm's key).
pub fn firing_execution_id(task_execution_id: &str, key: &str) -> String {
    format!("exec-{}", short_hash(&["firing", task_execution_id, key]))
}

/// The ClientToken of a cloud call: stable for one attempt of one task execution, so a call re-driven
/// after a crash is recognised by the cloud API as the same request (at most 64 characters).
pub fn client_token(execution_id: &str, task_execution_id: &str, attempt: u32) -> String {
    format!("oos-{}", short_hash(&[execution_id, task_execution_id, &attempt.to_string()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(task_execution_id("exec-1", 3), task_execution_id("exec-1", 3));
        assert_ne!(task_execution_id("exec-1", 3), task_execution_id("exec-1", 4));
        assert_ne!(task_execution_id("exec-1", 3), task_execution_id("exec-2", 3));
        assert!(task_execution_id("exec-1", 3).starts_with("task-exec-"));
        assert_eq!(execution_id([0xab; 8]), "exec-abababababababab");
        assert_ne!(client_token("e", "t", 1), client_token("e", "t", 2));
        assert!(client_token("e", "t", 1).len() <= 64);
    }
}
