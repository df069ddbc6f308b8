//! What the host is ([`HostInventory`]) and the inventory types the hub may collect.

use std::fs;

use oos_agent_proto::HostInventory;
use serde_json::{Map, Value, json};

/// The host's description, sent at registration and on every connection.
pub fn host_inventory() -> HostInventory {
    let uname = rustix::system::uname();
    HostInventory {
        hostname: uname.nodename().to_string_lossy().into_owned(),
        os_type: "Linux".to_owned(),
        os_name: os_release_name().unwrap_or_else(|| "Linux".to_owned()),
        kernel: uname.release().to_string_lossy().into_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        ip_addresses: addresses(),
        cpus: std::thread::available_parallelism().map_or(1, |count| u32::try_from(count.get()).unwrap_or(u32::MAX)),
        memory_bytes: memory_bytes().unwrap_or(0),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// The items of each asked type: `ACS:InstanceInformation` (this host), `ACS:Application`
/// (installed packages); any other type gets an empty list.
pub async fn collect(types: &[String]) -> Map<String, Value> {
    let mut data = Map::new();
    for kind in types {
        let items = match kind.as_str() {
            "ACS:InstanceInformation" => vec![serde_json::to_value(host_inventory()).expect("an inventory serializes")],
            "ACS:Application" => installed_packages().await,
            _ => Vec::new(),
        };
        data.insert(kind.clone(), Value::Array(items));
    }
    data
}

/// `{"Name", "Version"}` of each package dpkg or rpm knows.
async fn installed_packages() -> Vec<Value> {
    let listers: [(&str, &[&str]); 2] = [
        ("dpkg-query", &["-W", "-f", "${Package}\t${Version}\n"]),
        ("rpm", &["-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n"]),
    ];
    for (program, arguments) in listers {
        let Ok(listed) = tokio::process::Command::new(program).args(arguments).output().await else { continue };
        if !listed.status.success() {
            continue;
        }
        return String::from_utf8_lossy(&listed.stdout)
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(name, version)| json!({"Name": name, "Version": version}))
            .collect();
    }
    Vec::new()
}

fn os_release_name() -> Option<String> {
    let text = fs::read_to_string("/etc/os-release").ok()?;
    let value = text.lines().find_map(|line| line.strip_prefix("PRETTY_NAME="))?;
    Some(value.trim().trim_matches('"').to_owned())
}

fn memory_bytes() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
    let kibibytes: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kibibytes * 1024)
}

fn addresses() -> Vec<String> {
    let mut found: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|interface| !interface.is_loopback())
        .map(|interface| interface.ip().to_string())
        .collect();
    found.dedup();
    found
}
