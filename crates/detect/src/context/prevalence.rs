//! How many hosts of the input saw a DLL (`dll.prevalence`): "on 1 host" and "on 400 hosts" are
//! different stories.
//!
//! Every trigger load (suppressed ones included: a fleet's NGEN images are prevalent by nature) is
//! counted under its SHA-256, or under its normalised path when the load carries no hash. Hosts are
//! counted by identity (`dllhound_model::host::identity`). The index is compact (a 64-bit hash per
//! DLL and per host, a few host names as examples) and holds at most [`MAX_KEYS`] DLLs, a few MB
//! at most; loads of DLLs beyond that are counted in [`PrevalenceIndex::overflow`] and their alerts
//! carry no prevalence rather than a wrong one. Correlators that split hosts between them merge
//! their indexes ([`PrevalenceIndex::merge`]) before [`crate::finalize`].

use dllhound_model::{ImageLoad, Timestamp};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// DLLs the index holds.
pub const MAX_KEYS: usize = 20_000;
/// Host names kept as examples per DLL.
pub const SAMPLE_HOSTS: usize = 5;
/// Hosts held in a plain list before a DLL's host set becomes a hash set.
const SMALL: usize = 16;

/// The prevalence of one DLL (`dll.prevalence`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prevalence {
    /// Hosts with a trigger load of this DLL.
    pub hosts: u64,
    /// The earliest such load in the input.
    pub first_seen: Timestamp,
    /// Up to five of those hosts, sorted.
    pub sample_hosts: Vec<Arc<str>>,
    /// `sha256`, or `path` when the load carried no hash.
    pub by: &'static str,
}

/// The hosts of one DLL: most DLLs are on one or a few hosts.
#[derive(Debug, Clone)]
enum Hosts {
    Few(Vec<u64>),
    Many(HashSet<u64>),
}

impl Hosts {
    fn insert(&mut self, h: u64) -> bool {
        match self {
            Hosts::Few(v) if v.contains(&h) => false,
            Hosts::Few(v) if v.len() < SMALL => {
                v.push(h);
                true
            }
            Hosts::Few(v) => {
                let mut s: HashSet<u64> = v.drain(..).collect();
                s.insert(h);
                *self = Hosts::Many(s);
                true
            }
            Hosts::Many(s) => s.insert(h),
        }
    }

    fn len(&self) -> usize {
        match self {
            Hosts::Few(v) => v.len(),
            Hosts::Many(s) => s.len(),
        }
    }

    fn into_vec(self) -> Vec<u64> {
        match self {
            Hosts::Few(v) => v,
            Hosts::Many(s) => s.into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    hosts: Hosts,
    first_seen: i64,
    sample: Vec<Arc<str>>,
}

/// Trigger loads by DLL.
#[derive(Debug, Clone, Default)]
pub struct PrevalenceIndex {
    map: HashMap<u64, Entry>,
    /// Trigger loads not counted because the index was full.
    pub overflow: u64,
}

fn hash_of(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The index key of a DLL (`sha256:<hex>`, else `path:<match key>`) and what it is by.
pub fn key_of(sha256: Option<&str>, dll_match_key: &str) -> (String, &'static str) {
    match sha256 {
        Some(h) => (format!("sha256:{}", h.to_ascii_lowercase()), "sha256"),
        None => (format!("path:{dll_match_key}"), "path"),
    }
}

fn host_hash(shown: &str) -> u64 {
    hash_of(&dllhound_model::host::identity(shown).to_ascii_lowercase())
}

impl PrevalenceIndex {
    /// Counts a trigger load of `load` at `time` on host `shown`.
    pub fn record(&mut self, shown: &Arc<str>, load: &ImageLoad, time: i64) {
        let (key, _) = key_of(load.sha256.as_deref(), load.dll.match_key());
        self.add(hash_of(&key), shown, time);
    }

    fn add(&mut self, key: u64, shown: &Arc<str>, time: i64) {
        if !self.map.contains_key(&key) && self.map.len() >= MAX_KEYS {
            self.overflow += 1;
            return;
        }
        let e = self.map.entry(key).or_insert_with(|| Entry {
            hosts: Hosts::Few(Vec::with_capacity(1)),
            first_seen: time,
            sample: Vec::with_capacity(1),
        });
        e.first_seen = e.first_seen.min(time);
        if e.hosts.insert(host_hash(shown)) {
            e.sample.push(shown.clone());
            e.sample.sort();
            e.sample.truncate(SAMPLE_HOSTS);
        }
    }

    /// Adds another correlator's index (its hosts are others).
    pub fn merge(&mut self, other: PrevalenceIndex) {
        self.overflow += other.overflow;
        for (k, o) in other.map {
            let Some(e) = self.map.get_mut(&k) else {
                if self.map.len() >= MAX_KEYS {
                    self.overflow += o.hosts.len() as u64;
                } else {
                    self.map.insert(k, o);
                }
                continue;
            };
            e.first_seen = e.first_seen.min(o.first_seen);
            for h in o.hosts.into_vec() {
                e.hosts.insert(h);
            }
            e.sample.extend(o.sample);
            e.sample.sort();
            e.sample.dedup();
            e.sample.truncate(SAMPLE_HOSTS);
        }
    }

    /// The prevalence of the DLL with this hash or match key.
    pub fn get(&self, sha256: Option<&str>, dll_match_key: &str) -> Option<Prevalence> {
        let (key, by) = key_of(sha256, dll_match_key);
        let e = self.map.get(&hash_of(&key))?;
        Some(Prevalence {
            hosts: e.hosts.len() as u64,
            first_seen: Timestamp(e.first_seen),
            sample_hosts: e.sample.clone(),
            by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hosts_once_by_identity_and_merges_shards() {
        let mut a = PrevalenceIndex::default();
        let mut b = PrevalenceIndex::default();
        let k = hash_of("sha256:x");
        a.add(k, &Arc::from("WS1"), 20);
        a.add(k, &Arc::from("ws1.corp.local"), 10);
        b.add(k, &Arc::from("ws2"), 30);
        for i in 0..40 {
            b.add(k, &Arc::from(format!("h{i}")), 40);
        }
        a.merge(b);
        let p = a.get(Some("X"), "ignored").expect("indexed");
        assert_eq!(p.hosts, 42, "WS1 and its FQDN are one host");
        assert_eq!(p.first_seen, Timestamp(10));
        assert_eq!(p.by, "sha256");
        assert_eq!(p.sample_hosts.len(), SAMPLE_HOSTS);
        assert!(a.get(None, r"\x.dll").is_none());
    }
}
