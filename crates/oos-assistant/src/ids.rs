//! Identifiers the Cloud Assistant hands out, and the secrets it keeps only as hashes. Ours carry
//! an `oos` mark after the ECS prefix (`t-oos…`, `c-oos…`), so the worker's router tells an
//! invocation of ours from one of a cloud's without asking the store.

use rand::RngCore;
use sha2::{Digest, Sha256};

const INVOCATION: &str = "t-oos";
const FILE_INVOCATION: &str = "f-oos";
const COMMAND: &str = "c-oos";
const MANAGED_INSTANCE: &str = "mi-";

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

pub(crate) fn invocation_id() -> String {
    format!("{INVOCATION}{}", random_hex(8))
}

pub(crate) fn file_invocation_id() -> String {
    format!("{FILE_INVOCATION}{}", random_hex(8))
}

pub(crate) fn command_id() -> String {
    format!("{COMMAND}{}", random_hex(8))
}

pub(crate) fn managed_instance_id() -> String {
    format!("{MANAGED_INSTANCE}{}", random_hex(8))
}

/// An activation id, in the UUID form Cloud Assistant uses.
pub(crate) fn activation_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

/// A fresh secret of 256 random bits (hex): an activation code or an agent's credential.
pub(crate) fn secret() -> String {
    random_hex(32)
}

/// What the store keeps of a secret.
pub(crate) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether two hashes are equal, in time independent of where they differ.
pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `invoke_id` is an invocation (command or file) made by a Cloud Assistant of ours.
pub fn is_assistant_invocation(invoke_id: &str) -> bool {
    invoke_id.starts_with(INVOCATION) || invoke_id.starts_with(FILE_INVOCATION)
}

/// Whether `command_id` is a command saved by a Cloud Assistant of ours.
pub fn is_assistant_command(command_id: &str) -> bool {
    command_id.starts_with(COMMAND)
}

/// Whether `instance_id` names a managed instance.
pub(crate) fn is_managed_instance(instance_id: &str) -> bool {
    instance_id.starts_with(MANAGED_INSTANCE)
}
