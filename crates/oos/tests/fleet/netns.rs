//! Separate hosts for fleet tests: one network namespace per host, joined to this host by a veth
//! pair (`10.B.i.1` on this side, `10.B.i.2` in the namespace, `B` from the test's process id), so
//! a server listening on `0.0.0.0` here is reached by each host at its own gateway address and the
//! link of one host can be cut and restored. Needs root and `ip`; [`Host::create`] says why not
//! otherwise. Every namespace and link is removed when its [`Host`] is dropped (also while a
//! failing test unwinds); ones left by a killed test process are removed by the next run.

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};

/// Names of our namespaces start with this, then the test process id, `n` and the host index.
const PREFIX: &str = "oost";

/// Host indexes handed out in this process (the third octet of its addresses).
static NEXT_INDEX: AtomicU8 = AtomicU8::new(1);

/// One host: a network namespace and the veth pair to it.
#[derive(Debug)]
pub struct Host {
    pub namespace: String,
    /// The veth end on this side (cut it to cut the host off).
    link: String,
    /// This side's address: where the host reaches a server listening on `0.0.0.0`.
    pub gateway: Ipv4Addr,
    /// The host's own address.
    pub address: Ipv4Addr,
}

/// Runs `ip args…`; its standard error when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip").args(args).output().map_err(|error| format!("running ip: {error}"))?;
    if output.status.success() { Ok(()) } else { Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim())) }
}

/// Runs `program args…` inside `namespace`.
fn in_namespace(namespace: &str, program: &str, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["netns", "exec", namespace, program];
    all.extend_from_slice(args);
    ip(&all)
}

impl Host {
    /// A new host, or why there cannot be one (not root, no `ip`, no namespaces).
    pub fn create() -> Result<Self, String> {
        // The effective user id: the second field of `Uid:` in /proc/self/status.
        let status = std::fs::read_to_string("/proc/self/status").map_err(|error| error.to_string())?;
        let euid = status.lines().find_map(|line| line.strip_prefix("Uid:")).and_then(|ids| ids.split_whitespace().nth(1)).unwrap_or("?");
        if euid != "0" {
            return Err(format!("not root (effective uid {euid})"));
        }
        remove_stale();
        let pid = std::process::id();
        let block = 100 + (pid % 100) as u8;
        // The next index whose subnet no link of this host uses (another test process may share `block`).
        let index = loop {
            let index = NEXT_INDEX.fetch_add(1, Ordering::Relaxed);
            let used = Command::new("ip").args(["-o", "addr", "show", "to", &format!("10.{block}.{index}.0/30")]).output().map_err(|error| format!("running ip: {error}"))?;
            if used.stdout.is_empty() {
                break index;
            }
        };
        let host = Self {
            namespace: format!("{PREFIX}{pid}n{index}"),
            link: format!("o{pid}h{index}"),
            gateway: Ipv4Addr::new(10, block, index, 1),
            address: Ipv4Addr::new(10, block, index, 2),
        };
        let peer = format!("o{pid}a{index}");
        ip(&["netns", "add", &host.namespace])?;
        // From here on, dropping `host` removes what was made, whatever step fails.
        ip(&["link", "add", &host.link, "type", "veth", "peer", "name", &peer])?;
        ip(&["link", "set", &peer, "netns", &host.namespace])?;
        ip(&["addr", "add", &format!("{}/30", host.gateway), "dev", &host.link])?;
        ip(&["link", "set", &host.link, "up"])?;
        let ns = host.namespace.as_str();
        in_namespace(ns, "ip", &["addr", "add", &format!("{}/30", host.address), "dev", &peer])?;
        in_namespace(ns, "ip", &["link", "set", &peer, "up"])?;
        in_namespace(ns, "ip", &["link", "set", "lo", "up"])?;
        in_namespace(ns, "ip", &["route", "add", "default", "via", &host.gateway.to_string()])?;
        // A connection with unacknowledged data fails after a few seconds instead of ~15 minutes
        // (per namespace), so a cut link is noticed by the host's agent within a test.
        in_namespace(ns, "sh", &["-c", "echo 4 > /proc/sys/net/ipv4/tcp_retries2 && echo 2 > /proc/sys/net/ipv4/tcp_syn_retries"])?;
        Ok(host)
    }

    /// `count` hosts, or why not.
    pub fn create_many(count: usize) -> Result<Vec<Self>, String> {
        (0..count).map(|_| Self::create()).collect()
    }

    /// A command that runs `program` inside this host's namespace (`ip netns exec` keeps the process id).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.namespace, program]);
        command
    }

    /// Cuts the host off (its link goes down).
    pub fn cut(&self) {
        ip(&["link", "set", &self.link, "down"]).expect("the link goes down");
    }

    /// Restores the link cut by [`Host::cut`] (the address and route come back with it).
    pub fn restore(&self) {
        // Bringing the link up re-adds the route of its address; the namespace side kept its own.
        ip(&["link", "set", &self.link, "up"]).expect("the link comes up");
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Deleting one end of a veth pair deletes both; deleting the namespace would too.
        let _ = ip(&["link", "del", &self.link]);
        let _ = ip(&["netns", "del", &self.namespace]);
    }
}

/// Removes our namespaces whose test process is gone (killed before its hosts were dropped).
fn remove_stale() {
    let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else { return };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(pid) = name.strip_prefix(PREFIX).and_then(|rest| rest.split('n').next()) else { continue };
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}
