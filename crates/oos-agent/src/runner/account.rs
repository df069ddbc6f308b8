//! Who a command runs as: the agent's own user, or (for an agent running as root) another user of
//! `/etc/passwd`.

use std::fs;
use std::path::PathBuf;

/// A local user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// A user of `/etc/passwd` by name.
pub fn user_by_name(name: &str) -> Option<Account> {
    passwd_entries().into_iter().find(|account| account.name == name)
}

/// A user of `/etc/passwd` by id.
pub fn user_by_id(uid: u32) -> Option<Account> {
    passwd_entries().into_iter().find(|account| account.uid == uid)
}

/// A group id of `/etc/group` by name.
pub fn group_id(name: &str) -> Option<u32> {
    let text = fs::read_to_string("/etc/group").ok()?;
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 3 && fields[0] == name).then(|| fields[2].parse().ok()).flatten()
    })
}

/// The user the agent runs as (its home from `$HOME` when `/etc/passwd` does not know it).
pub fn current() -> Account {
    let uid = rustix::process::geteuid().as_raw();
    user_by_id(uid).unwrap_or_else(|| Account {
        name: uid.to_string(),
        uid,
        gid: rustix::process::getegid().as_raw(),
        home: std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from),
    })
}

fn passwd_entries() -> Vec<Account> {
    let text = fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 7 {
                return None;
            }
            Some(Account {
                name: fields[0].to_owned(),
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
                home: PathBuf::from(fields[5]),
            })
        })
        .collect()
}
