//! Network-share context of a DLL loaded from a UNC or WebDAV path (`dll.unc`): the server and
//! share the path names, and the host's connections to that server around the load.
//!
//! On Windows the loader never opens the share itself: the SMB redirector runs in the kernel (the
//! `System` process, pid 4) and the WebDAV redirector in the WebClient service (`svchost.exe`). So
//! the connections looked at are the whole host's, every process, within the network window before
//! or after the load (`--window-network`; both sides are held when the trigger is decided, so the
//! answer does not depend on the order events arrive in).
//!
//! The path decides the ports (`\\server[@SSL][@port]\share\…`, as the WebDAV redirector reads it):
//!
//! | path | transport | ports |
//! |---|---|---|
//! | `\\srv\share\x.dll` | smb (Windows falls back to WebDAV) | 445, 139, 80, 443 |
//! | `\\srv\DavWWWRoot\x.dll` | webdav | 80, 443 |
//! | `\\srv@SSL\…`, `\\srv@SSL@8443\…` | webdav | 443, or the port given |
//! | `\\srv@8080\…` | webdav | the port given |
//!
//! A connection matches when it goes to one of those ports (or logs none) and to the server: by
//! address when the server is an IP (IPv6 literals `fe80--1.ipv6-literal.net` included), by the
//! destination host name Sysmon resolved (`srv` or `srv.domain`), or to an address a DNS answer
//! for the server gave within the same window (`matched_by: dns`; those lookups are listed too).

use crate::state::{Held, HostState};
use crate::Config;
use dllhound_model::{DnsQuery, NetworkConnect, ProcessKey, Provenance, Timestamp, WinPath};
use serde::Serialize;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr};

/// At most this many connections and lookups are listed (`connection_count` says how many matched).
pub const MAX_LISTED: usize = 50;

/// How the path reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Smb,
    Webdav,
}

/// `dll.unc`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unc {
    /// The server as the path names it, lower case (`fileserver`, `172.16.66.254`, `evil.com`).
    pub server: Box<str>,
    /// The share (`shared`, `davwwwroot`); null for a path naming only the server.
    pub share: Option<Box<str>>,
    pub transport: Transport,
    /// The ports a connection to the server was looked for on.
    pub ports: Vec<u16>,
    /// Connections of any process of the host to the server within the window, in time order.
    pub connections: Vec<UncConnection>,
    /// How many connections matched (the list keeps the first [`MAX_LISTED`]).
    pub connection_count: usize,
    /// DNS lookups of the server's name by any process of the host within the window.
    pub lookups: Vec<UncLookup>,
}

/// A connection of the host to the share's server (`dll.unc.connections[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncConnection {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Connection time minus load time, in seconds (negative: before the load).
    pub delta_seconds: f64,
    pub process: UncProcess,
    pub destination_ip: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_domain: Option<Box<str>>,
    /// `ip` (the server is this address), `hostname` (the logged destination name is the server's)
    /// or `dns` (a lookup of the server answered this address).
    pub matched_by: &'static str,
    pub provenance: Provenance,
}

/// The process behind a connection or lookup: its identity, pid, and executable when its start
/// record is in the input (pid 4 is `System`, which has none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncProcess {
    pub entity_id: ProcessKey,
    pub pid: Option<u32>,
    pub executable: Option<Box<str>>,
}

/// A DNS lookup of the server's name (`dll.unc.lookups[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncLookup {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub delta_seconds: f64,
    pub process: UncProcess,
    pub query: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Box<str>>,
    pub provenance: Provenance,
}

/// What a network path names: server, share, transport and the ports to look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub server: Box<str>,
    pub share: Option<Box<str>>,
    pub transport: Transport,
    pub ports: Vec<u16>,
    /// The server's address when the path names one.
    pub ip: Option<IpAddr>,
}

/// Reads `\\server[@SSL][@port]\share\…` from a normalised path; `None` when it is not a network
/// path or names no server.
pub fn target(dll: &WinPath) -> Option<Target> {
    let rest = dll.normalised().strip_prefix("\\\\")?;
    let mut parts = rest.split('\\');
    let host = parts.next().filter(|h| !h.is_empty())?;
    let share = parts
        .next()
        .filter(|s| !s.is_empty() && parts.clone().next().is_some());
    let mut tokens = host.split('@');
    let server = tokens.next().filter(|s| !s.is_empty())?;
    let (mut ssl, mut port) = (false, None);
    for t in tokens {
        if t == "ssl" {
            ssl = true;
        } else if let Ok(p) = t.parse::<u16>() {
            port = Some(p);
        }
    }
    let dav_share = share == Some("davwwwroot");
    let transport = if ssl || port.is_some() || dav_share {
        Transport::Webdav
    } else {
        Transport::Smb
    };
    let ports = match (ssl, port) {
        (_, Some(p)) => vec![p],
        (true, None) => vec![443],
        (false, None) if dav_share => vec![80, 443],
        (false, None) => vec![445, 139, 80, 443],
    };
    Some(Target {
        ip: server_ip(server),
        server: server.into(),
        share: share.map(Into::into),
        transport,
        ports,
    })
}

/// The address a server name spells: an IP literal, or Windows' IPv6 literal host name
/// (`fe80--1s4.ipv6-literal.net`: `-` for `:`, `s` before the zone).
fn server_ip(server: &str) -> Option<IpAddr> {
    let s = server.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let lit = server.strip_suffix(".ipv6-literal.net")?;
    let addr = lit.split('s').next()?.replace('-', ":");
    addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// True when a logged host name is the server: the same name, or the server's name under a domain
/// (`fileserver.corp.local` for `fileserver`). Case-insensitive; a trailing dot is ignored.
fn names_server(name: &str, server: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.len() >= server.len()
        && name.is_char_boundary(server.len())
        && name[..server.len()].eq_ignore_ascii_case(server)
        && (name.len() == server.len() || name.as_bytes()[server.len()] == b'.')
}

/// The addresses a DNS answer lists (Sysmon's `QueryResults`: `::ffff:10.0.0.5;type: 5 x;`).
fn answers(results: &str) -> impl Iterator<Item = IpAddr> + '_ {
    results.split([';', ',', ' ']).filter_map(|t| {
        t.trim()
            .trim_start_matches("::ffff:")
            .parse::<IpAddr>()
            .ok()
    })
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The UNC context of a load of `dll` at `t`, or `None` when the DLL is not on a network path.
pub fn context(cfg: &Config, st: &HostState, dll: &WinPath, t: i64) -> Option<Unc> {
    let target = target(dll)?;
    let w = cfg.window("network");
    let near = |time: i64| (time - t).abs() <= w;
    let mut lookups: Vec<UncLookup> = Vec::new();
    let mut resolved: HashSet<IpAddr> = HashSet::new();
    for (_, held) in st.branches.dns.iter() {
        for d in held
            .iter()
            .filter(|d| near(d.time) && names_server(&d.ev.query, &target.server))
        {
            resolved.extend(d.ev.results.as_deref().into_iter().flat_map(answers));
            lookups.push(lookup(st, d, t));
        }
    }
    let mut connections: Vec<UncConnection> = Vec::new();
    for (_, held) in st.branches.outbound_network.iter() {
        for n in held.iter().filter(|n| near(n.time)) {
            if let Some(c) = matched(st, &target, &resolved, n, t) {
                connections.push(c);
            }
        }
    }
    Some(Unc {
        server: target.server,
        share: target.share,
        transport: target.transport,
        ports: target.ports,
        connection_count: 0,
        connections,
        lookups,
    })
    .map(|mut u| {
        sort_dedupe(&mut u);
        u
    })
}

/// Orders connections and lookups by time and drops repeats (the same record seen for two loads),
/// then keeps the first [`MAX_LISTED`] of each. `connection_count` counts before the cut.
pub fn sort_dedupe(u: &mut Unc) {
    u.connections
        .sort_by(|a, b| (a.time, &a.provenance).cmp(&(b.time, &b.provenance)));
    u.connections.dedup_by(|a, b| a.provenance == b.provenance);
    u.connection_count = u.connection_count.max(u.connections.len());
    u.connections.truncate(MAX_LISTED);
    u.lookups
        .sort_by(|a, b| (a.time, &a.provenance).cmp(&(b.time, &b.provenance)));
    u.lookups.dedup_by(|a, b| a.provenance == b.provenance);
    u.lookups.truncate(MAX_LISTED);
}

/// Adds what a later load of the same DLL found.
pub fn merge(a: &mut Unc, b: Unc) {
    a.connections.extend(b.connections);
    a.lookups.extend(b.lookups);
    a.connection_count = 0;
    sort_dedupe(a);
}

/// One sentence for the alert's reasons: the share, and whether the host was seen reaching it.
pub fn reason(u: &Unc) -> String {
    let share = u
        .share
        .as_deref()
        .map(|s| format!("\\\\{}\\{s}", u.server))
        .unwrap_or_else(|| format!("\\\\{}", u.server));
    let how = match u.transport {
        Transport::Smb => "SMB",
        Transport::Webdav => "WebDAV",
    };
    match u.connections.first() {
        Some(c) => {
            let port = c.destination_port.map(|p| format!(":{p}")).unwrap_or_default();
            let who = c.process.executable.as_deref().unwrap_or("an unknown process");
            let when = crate::branches::ago(c.delta_seconds);
            format!(
                "The DLL is on {share} ({how}); the host connected to {}{port} {when} the load ({who}; {} connection(s) to the server around it).",
                c.destination_ip, u.connection_count
            )
        }
        None => format!(
            "The DLL is on {share} ({how}); no connection of the host to {} on port {} was seen within the network window of the load.",
            u.server,
            u.ports.iter().map(u16::to_string).collect::<Vec<_>>().join("/")
        ),
    }
}

fn matched(
    st: &HostState,
    target: &Target,
    resolved: &HashSet<IpAddr>,
    n: &Held<NetworkConnect>,
    t: i64,
) -> Option<UncConnection> {
    let ip = canonical(n.ev.destination_ip?);
    if n.ev
        .destination_port
        .is_some_and(|p| !target.ports.contains(&p))
    {
        return None;
    }
    let by = if target.ip.map(canonical) == Some(ip) {
        "ip"
    } else if n
        .ev
        .destination_host
        .as_deref()
        .is_some_and(|h| names_server(h, &target.server))
    {
        "hostname"
    } else if resolved.contains(&ip) {
        "dns"
    } else {
        return None;
    };
    Some(UncConnection {
        time: Timestamp(n.time),
        delta_seconds: crate::branches::secs(n.time - t),
        process: process(st, &n.ev.process, n.ev.pid, n.time),
        destination_ip: ip,
        destination_port: n.ev.destination_port,
        destination_domain: n.ev.destination_host.clone(),
        matched_by: by,
        provenance: n.prov.clone(),
    })
}

fn lookup(st: &HostState, d: &Held<DnsQuery>, t: i64) -> UncLookup {
    UncLookup {
        time: Timestamp(d.time),
        delta_seconds: crate::branches::secs(d.time - t),
        process: process(st, &d.ev.process, d.ev.pid, d.time),
        query: d.ev.query.clone(),
        results: d.ev.results.clone(),
        provenance: d.prov.clone(),
    }
}

fn process(st: &HostState, key: &ProcessKey, pid: Option<u32>, time: i64) -> UncProcess {
    let start = crate::correlate::process_start(st, key, time);
    let pid = pid.or(start.as_ref().and_then(|s| s.ev.pid));
    let executable = match (&start, pid) {
        (Some(s), _) => Some(s.ev.image.original().into()),
        (None, Some(4)) => Some("System".into()),
        _ => None,
    };
    UncProcess {
        entity_id: key.clone(),
        pid,
        executable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str) -> Option<(String, Option<String>, Transport, Vec<u16>)> {
        target(&WinPath::new(p)).map(|t| {
            (
                t.server.to_string(),
                t.share.map(|s| s.to_string()),
                t.transport,
                t.ports,
            )
        })
    }

    #[test]
    fn reads_server_share_and_ports_from_the_path() {
        use Transport::*;
        let smb = vec![445, 139, 80, 443];
        assert_eq!(
            t(r"\\172.16.66.254\shared\lsadb.dll"),
            Some((
                "172.16.66.254".into(),
                Some("shared".into()),
                Smb,
                smb.clone()
            ))
        );
        assert_eq!(
            t(r"\Device\Mup\FileSrv\Tools\x.dll"),
            Some(("filesrv".into(), Some("tools".into()), Smb, smb.clone()))
        );
        assert_eq!(
            t(r"\\?\UNC\host\share\x.dll"),
            Some(("host".into(), Some("share".into()), Smb, smb))
        );
        assert_eq!(
            t(r"\\evil.com@SSL\DavWWWRoot\x.dll"),
            Some((
                "evil.com".into(),
                Some("davwwwroot".into()),
                Webdav,
                vec![443]
            ))
        );
        assert_eq!(
            t(r"\\evil.com@SSL@8443\d\x.dll").map(|x| x.3),
            Some(vec![8443])
        );
        assert_eq!(t(r"\\evil.com@8080\d\x.dll").map(|x| x.3), Some(vec![8080]));
        assert_eq!(
            t(r"\\evil.com\DavWWWRoot\x.dll").map(|x| (x.2, x.3)),
            Some((Webdav, vec![80, 443]))
        );
        // The server alone: no share.
        assert_eq!(t(r"\\srv\x.dll").map(|x| x.1), Some(None));
        assert_eq!(t(r"C:\Users\bob\x.dll"), None);
        assert_eq!(t(r"\\"), None);
        assert_eq!(t(r"\\@ssl\x\y.dll"), None);
    }

    #[test]
    fn server_addresses_and_names() {
        assert_eq!(server_ip("10.0.0.5"), "10.0.0.5".parse().ok());
        assert_eq!(
            server_ip("fe80--1s4.ipv6-literal.net"),
            "fe80::1".parse().ok()
        );
        assert_eq!(server_ip("fileserver"), None);
        assert!(names_server("FileServer.corp.local.", "fileserver"));
        assert!(names_server("fileserver", "fileserver"));
        assert!(!names_server("fileserver2.corp", "fileserver"));
        assert!(!names_server("file", "fileserver"));
        let ips: Vec<IpAddr> = answers("type: 5 x.example;::ffff:10.0.0.5;10.0.0.6;").collect();
        assert_eq!(
            ips,
            vec![
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "10.0.0.6".parse().unwrap()
            ]
        );
    }
}
