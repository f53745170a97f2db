//! Destination classes for branch (c).

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where a connection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationClass {
    /// Loopback, link-local, multicast, broadcast or unspecified: never outbound C2.
    NotOutbound,
    /// RFC 1918, CGNAT 100.64/10, IPv6 unique-local: outbound, internal.
    Private,
    /// Anything else.
    Public,
}

impl DestinationClass {
    pub fn of(ip: IpAddr) -> DestinationClass {
        match ip {
            IpAddr::V4(v4) => v4_class(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4_class(v4),
                None => v6_class(v6),
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DestinationClass::NotOutbound => "not_outbound",
            DestinationClass::Private => "private",
            DestinationClass::Public => "public",
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> DestinationClass {
    let o = ip.octets();
    if ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || o[0] >= 240
    {
        DestinationClass::NotOutbound
    } else if ip.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
        DestinationClass::Private
    } else {
        DestinationClass::Public
    }
}

fn v6_class(ip: Ipv6Addr) -> DestinationClass {
    let s = ip.segments();
    if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || (s[0] & 0xffc0) == 0xfe80 {
        DestinationClass::NotOutbound
    } else if (s[0] & 0xfe00) == 0xfc00 {
        DestinationClass::Private
    } else {
        DestinationClass::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> DestinationClass {
        DestinationClass::of(s.parse().unwrap())
    }

    #[test]
    fn local_only_destinations_are_not_outbound() {
        for ip in [
            "127.0.0.1",
            "169.254.1.1",
            "224.0.0.251",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "ff02::fb",
        ] {
            assert_eq!(c(ip), DestinationClass::NotOutbound, "{ip}");
        }
    }

    #[test]
    fn private_and_public_are_told_apart() {
        assert_eq!(c("10.1.2.3"), DestinationClass::Private);
        assert_eq!(c("172.16.66.254"), DestinationClass::Private);
        assert_eq!(c("100.64.0.1"), DestinationClass::Private);
        assert_eq!(c("fd00::1"), DestinationClass::Private);
        assert_eq!(c("204.79.197.200"), DestinationClass::Public);
        assert_eq!(c("::ffff:8.8.8.8"), DestinationClass::Public);
    }
}
