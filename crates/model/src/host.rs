//! Host identity: one machine under its FQDN in one source (`workstation5.theshire.local`, Sysmon's
//! `Computer`, MDE's `DeviceName`) and its short name in another (`workstation5`, Elastic's
//! `host.name`, NetBIOS-style exports).
//!
//! The rule: a host's identity is its first DNS label, lower-cased (`WORKSTATION5.theshire.local`,
//! `workstation5` and `Workstation5` are one host); an IP address is its own identity. State,
//! routing, coverage and Kafka partition keys use the identity, so every spelling meets whatever order
//! they arrive in. Decoders keep the name as logged, and what is shown is the fullest spelling seen
//! ([`preferred`]), in its logged case: a case-sensitive SIEM field still matches it.
//!
//! The price: two machines whose names differ only after the first label
//! (`web1.prod.corp` and `web1.dev.corp`) are one host to dllhound. Windows computer (NetBIOS)
//! names are unique within a domain; a fleet that spans domains with colliding computer names
//! should scan them separately.

use std::borrow::Cow;
use std::sync::Arc;

/// The identity of the host named `name` (see the module docs): borrowed when `name` already is one.
pub fn identity(name: &str) -> Cow<'_, str> {
    let n = name.trim();
    let id = if n.parse::<std::net::IpAddr>().is_ok() {
        n
    } else {
        match n.split_once('.') {
            Some((first, _)) if !first.is_empty() => first,
            _ => n,
        }
    };
    if id.chars().any(char::is_uppercase) {
        Cow::Owned(id.to_lowercase())
    } else {
        Cow::Borrowed(id)
    }
}

/// [`identity`] for a stream of events, remembering the last name seen: events come in runs of one
/// host, so most calls cost a string comparison instead of a lower-casing allocation.
#[derive(Debug, Default, Clone)]
pub struct Identities {
    last: Option<(Arc<str>, Arc<str>)>,
}

impl Identities {
    /// The identity of `name`, shared.
    pub fn of(&mut self, name: &Arc<str>) -> Arc<str> {
        if let Some((raw, id)) = &self.last {
            if Arc::ptr_eq(raw, name) || **raw == **name {
                return id.clone();
            }
        }
        let id: Arc<str> = match identity(name) {
            Cow::Borrowed(b) if b.len() == name.len() => name.clone(),
            c => Arc::from(c.as_ref()),
        };
        self.last = Some((name.clone(), id.clone()));
        id
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
    fn case_does_not_make_another_host() {
        assert_eq!(identity("WORKSTATION5.theshire.local"), "workstation5");
        assert_eq!(identity("Workstation5"), "workstation5");
        let mut ids = Identities::default();
        let a: Arc<str> = Arc::from("MSEDGEWIN10");
        assert_eq!(&*ids.of(&a), "msedgewin10");
        assert_eq!(&*ids.of(&Arc::from("msedgewin10.corp")), "msedgewin10");
        assert_eq!(&*ids.of(&a), "msedgewin10");
    }

    #[test]
    fn addresses_are_their_own_identity() {
        assert_eq!(identity("10.0.0.5"), "10.0.0.5");
        assert_eq!(identity("fe80::1"), "fe80::1");
        assert_eq!(identity(".local"), ".local");
    }
}
