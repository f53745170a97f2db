//! Conditions as a small tree, rendered by each target's [`Dialect`].
//!
//! The analytic ([`crate::analytic`]) says *what* holds — "the module is under one of these
//! folders", "the signature is unsigned, invalid or expired", "not this allowlist entry" — and a
//! dialect says how its language writes it on its profile's fields. Leaves a language cannot
//! express exactly are rendered as its closest approximation, and the target lists them in the
//! export's header.

use crate::glob::Glob;

/// A field the conditions test, named by its meaning; each profile maps it to its own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The loaded module's path (Sysmon `ImageLoaded`).
    Dll,
    /// The loading process's executable (Sysmon 7 `Image`).
    Loader,
    /// The module's signer subject (Sysmon `Signature`).
    Subject,
    /// The module's SHA-256.
    Sha256,
    /// A written file's path (Sysmon 11/15/29 `TargetFilename`).
    WritePath,
    /// The writing process's executable (Sysmon 11/15/29 `Image`).
    Writer,
}

/// A condition.
#[derive(Debug, Clone)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// A condition that comes from an allowlist entry: rendered with its id and reason as a comment.
    Named {
        id: String,
        reason: String,
        cond: Box<Cond>,
    },
    /// The path field matches one of the globs.
    Path(Field, Vec<Glob>),
    /// The text field matches one of the case-insensitive wildcards (`*` any run).
    Text(Field, Vec<String>),
    /// The field is one of these lower-case hex digests.
    Hash(Field, Vec<String>),
    /// The module is unsigned, invalidly signed or expired.
    Suspicious,
    /// The module's signature is valid.
    Valid,
    /// The module is not the loading process's own executable.
    NotMainModule,
    /// The started process is rundll32 or regsvr32 (by file name or PE original file name).
    Executor,
    /// The connection was initiated by the process and leaves the host's own addresses.
    Outbound,
}

impl Cond {
    /// This condition, labelled with the allowlist entry it comes from.
    pub fn named(self, id: &str, reason: &str) -> Cond {
        Cond::Named {
            id: id.into(),
            reason: reason.into(),
            cond: Box::new(self),
        }
    }
}

/// How a language writes conditions.
pub trait Dialect {
    /// A leaf ([`Cond::Path`], [`Cond::Suspicious`], …) in this language.
    fn leaf(&self, c: &Cond) -> String;
    fn and(&self) -> &'static str {
        "and"
    }
    fn or(&self) -> &'static str {
        "or"
    }
    fn not(&self, inner: &str) -> String {
        format!("not {inner}")
    }
    fn truth(&self, yes: bool) -> String {
        if yes { "true" } else { "false" }.into()
    }
    /// A line comment, if the language has one inside a query.
    fn comment(&self, text: &str) -> Option<String> {
        Some(format!("// {text}"))
    }
}

/// `c` in the dialect, on one line.
pub fn inline(d: &dyn Dialect, c: &Cond) -> String {
    match c {
        Cond::All(v) | Cond::Any(v) if v.is_empty() => d.truth(matches!(c, Cond::All(_))),
        Cond::All(v) | Cond::Any(v) if v.len() == 1 => inline(d, &v[0]),
        Cond::All(v) => group(d, v, d.and()),
        Cond::Any(v) => group(d, v, d.or()),
        Cond::Not(inner) => d.not(&paren(d, inner)),
        Cond::Named { cond, .. } => inline(d, cond),
        leaf => d.leaf(leaf),
    }
}

fn group(d: &dyn Dialect, v: &[Cond], op: &str) -> String {
    let parts: Vec<String> = v.iter().map(|c| paren(d, c)).collect();
    parts.join(&format!(" {op} "))
}

/// `c` inline, in parentheses unless it is a single leaf.
fn paren(d: &dyn Dialect, c: &Cond) -> String {
    match c {
        Cond::All(v) | Cond::Any(v) if v.len() > 1 => format!("({})", inline(d, c)),
        Cond::Named { cond, .. } => paren(d, cond),
        Cond::Not(_) => format!("({})", inline(d, c)),
        _ => inline(d, c),
    }
}

/// A conjunction that continues a condition already begun (`where event.code …`): one conjunct
/// per line, each starting with the dialect's `and` after `indent`, each allowlist entry preceded
/// by a comment with its id and reason (when the language has comments). Empty for an empty `All`.
pub fn and_lines(d: &dyn Dialect, c: &Cond, indent: &str) -> String {
    let parts: Vec<&Cond> = match c {
        Cond::All(v) => v.iter().collect(),
        other => vec![other],
    };
    let mut out = String::new();
    for p in parts {
        if let Cond::Named { id, reason, .. } = p {
            if let Some(comment) = d.comment(&format!("tuning {id}: {}", one_line(reason))) {
                out.push_str(&format!("\n{indent}{comment}"));
            }
        }
        out.push_str(&format!("\n{indent}{} {}", d.and(), paren(d, p)));
    }
    out
}

/// True when the parentheses of `s` balance (so `(s)` can lose its outer pair).
pub fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// `s` with its whitespace runs as single spaces and without characters that end a comment.
pub fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("*/", "* /")
}

/// The address ranges a connection may go to without leaving the host's own addresses
/// (loopback, link-local, multicast, broadcast and reserved, unspecified): what
/// `dllhound_detect::DestinationClass::NotOutbound` means, as CIDR blocks (checked against it in
/// the tests).
pub const NOT_OUTBOUND_CIDRS: [&str; 14] = [
    "127.0.0.0/8",
    "169.254.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "0.0.0.0/32",
    "::1/128",
    "::/128",
    "fe80::/10",
    "ff00::/8",
    "::ffff:127.0.0.0/104",
    "::ffff:169.254.0.0/112",
    "::ffff:224.0.0.0/100",
    "::ffff:240.0.0.0/100",
    "::ffff:0.0.0.0/128",
];

/// The follow-on executors, as file names (`dllhound_detect::lolbin::FOLLOW_ON`).
pub fn executors() -> &'static [&'static str] {
    dllhound_detect::lolbin::FOLLOW_ON
}

#[cfg(test)]
mod tests {
    use super::*;
    use dllhound_detect::DestinationClass;
    use std::net::IpAddr;

    /// First, last and one-past-the-end addresses of every block agree with the engine.
    #[test]
    fn not_outbound_blocks_are_the_engines() {
        let inside = [
            "127.0.0.1",
            "127.255.255.255",
            "169.254.0.1",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.3.4",
        ];
        let outside = [
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "169.255.0.0",
            "223.255.255.255",
            "0.0.0.1",
            "10.0.0.1",
            "fec0::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "::2",
        ];
        for ip in inside {
            let a: IpAddr = ip.parse().unwrap();
            assert_eq!(
                DestinationClass::of(a),
                DestinationClass::NotOutbound,
                "{ip}"
            );
            assert!(in_blocks(a), "{ip} should be in a block");
        }
        for ip in outside {
            let a: IpAddr = ip.parse().unwrap();
            assert_ne!(
                DestinationClass::of(a),
                DestinationClass::NotOutbound,
                "{ip}"
            );
            assert!(!in_blocks(a), "{ip} should be in no block");
        }
    }

    fn in_blocks(a: IpAddr) -> bool {
        NOT_OUTBOUND_CIDRS.iter().any(|b| {
            let (net, len) = b.split_once('/').unwrap();
            let len: u32 = len.parse().unwrap();
            let net: IpAddr = net.parse().unwrap();
            match (a, net) {
                (IpAddr::V4(x), IpAddr::V4(n)) => {
                    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                    u32::from(x) & mask == u32::from(n) & mask
                }
                (IpAddr::V6(x), IpAddr::V6(n)) => {
                    let mask = if len == 0 {
                        0
                    } else {
                        u128::MAX << (128 - len)
                    };
                    u128::from(x) & mask == u128::from(n) & mask
                }
                _ => false,
            }
        })
    }
}
