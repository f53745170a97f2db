//! Host identity: one machine under its FQDN in one source (`workstation5.theshire.local`, Sysmon's
//! `Computer`, MDE's `DeviceName`) and its short name in another (`workstation5`, Elastic's
//! `host.name`, NetBIOS-style exports).
//!
//! The rule: a host's identity is its first DNS label, compared case-insensitively (decoders already
//! lower-case host names); an IP address is its own identity. State, routing and Kafka partition keys
//! use the identity, so both spellings meet whatever order they arrive in. What is shown is the
//! fullest spelling seen ([`preferred`]).
//!
//! The price: two machines whose names differ only after the first label
//! (`web1.prod.corp` and `web1.dev.corp`) are one host to dllhound. Windows computer (NetBIOS)
//! names are unique within a domain; a fleet that spans domains with colliding computer names
//! should scan them separately.

/// The identity of the host named `name` (see the module docs).
pub fn identity(name: &str) -> &str {
    let n = name.trim();
    if n.parse::<std::net::IpAddr>().is_ok() {
        return n;
    }
    match n.split_once('.') {
        Some((first, _)) if !first.is_empty() => first,
        _ => n,
    }
}

/// Of two spellings of one host, the one to show: the longer (the FQDN); on a tie, the smaller,
/// so the choice does not depend on arrival order.
pub fn preferred<'a>(a: &'a str, b: &'a str) -> &'a str {
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => a.min(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_name_and_the_fqdn_are_one_host() {
        assert_eq!(identity("workstation5.theshire.local"), "workstation5");
        assert_eq!(identity("workstation5"), "workstation5");
        assert_eq!(
            preferred("workstation5", "workstation5.theshire.local"),
            "workstation5.theshire.local"
        );
        assert_eq!(
            preferred("workstation5.theshire.local", "workstation5"),
            "workstation5.theshire.local"
        );
    }

    #[test]
    fn addresses_are_their_own_identity() {
        assert_eq!(identity("10.0.0.5"), "10.0.0.5");
        assert_eq!(identity("fe80::1"), "fe80::1");
        assert_eq!(identity(".local"), ".local");
    }
}
