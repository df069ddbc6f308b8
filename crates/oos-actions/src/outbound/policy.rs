//! Which addresses plain outbound HTTP may reach. A server denies loopback, private, shared
//! (carrier-grade NAT, where 100.100.100.200 hands out an ECS instance's role credentials),
//! link-local, multicast and reserved addresses, in their IPv4 and IPv6 forms (IPv4 embedded in
//! IPv6 included), unless an allow-list entry lets a destination through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// One allow-list entry: a network (`10.1.0.0/16`, `127.0.0.1`) or a host name (`hooks.internal`),
/// whose every address is then let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    Network(IpNet),
    Host(String),
}

impl std::str::FromStr for Allow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Allow::Network(net));
        }
        if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Ok(Allow::Network(IpNet::from(ip)));
        }
        let valid = !text.is_empty() && text.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.');
        if !valid {
            return Err(format!("{text:?} is neither a network (10.0.0.0/8, 127.0.0.1) nor a host name"));
        }
        Ok(Allow::Host(text.to_ascii_lowercase()))
    }
}

/// Where outbound HTTP may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Whether loopback, private, link-local, metadata and other internal addresses are refused.
    pub deny_internal: bool,
    /// Destinations let through even when internal.
    pub allow: Vec<Allow>,
}

impl AddressPolicy {
    /// The server's policy: internal addresses refused, except what `allow` lets through.
    pub fn server(allow: Vec<Allow>) -> Self {
        Self { deny_internal: true, allow }
    }

    /// Every address allowed (`oos run` on the user's own machine, tests).
    pub fn open() -> Self {
        Self { deny_internal: false, allow: Vec::new() }
    }

    /// Whether a connection to `host` (as written in the URL) may use address `ip`.
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        if !self.deny_internal || !is_internal(ip) {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.allow.iter().any(|allow| match allow {
            Allow::Network(net) => net.contains(&ip),
            Allow::Host(name) => *name == host,
        })
    }
}

/// Whether `ip` is an address inside a network or host rather than on the public internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598), incl. 100.100.100.200
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_in_every_form_are_refused() {
        let internal = [
            "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.100.100.200", "100.64.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1",
            "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "ff02::1",
        ];
        for text in internal {
            assert!(is_internal(text.parse().unwrap()), "{text} must be internal");
        }
        for text in ["8.8.8.8", "47.96.1.1", "100.128.0.1", "172.32.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert!(!is_internal(text.parse().unwrap()), "{text} must be public");
        }
    }

    #[test]
    fn the_allow_list_lets_chosen_destinations_through() {
        let policy = AddressPolicy::server(vec!["127.0.0.1".parse().unwrap(), "10.9.0.0/16".parse().unwrap(), "Hooks.Internal".parse().unwrap()]);
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(policy.permits("localhost", local));
        assert!(policy.permits("a", "10.9.1.1".parse().unwrap()));
        assert!(!policy.permits("a", "10.8.1.1".parse().unwrap()));
        assert!(policy.permits("hooks.internal", "192.168.0.5".parse().unwrap()));
        assert!(!policy.permits("other.internal", "192.168.0.5".parse().unwrap()));
        assert!(policy.permits("example.com", "8.8.8.8".parse().unwrap()));
        assert!(AddressPolicy::open().permits("x", local));
        assert!("not a host!".parse::<Allow>().is_err());
        assert!("hooks:80".parse::<Allow>().is_err());
    }
}
