//! The one time-indexed store every branch (and the correlator's context) holds records in.

use crate::state::Held;
use dllhound_model::Footprint;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// Records by key, each with its event time; counts its records' estimated bytes.
#[derive(Debug)]
pub struct Store<K, T> {
    map: HashMap<K, Vec<Held<T>>>,
    /// Set once a key the branch marks was inserted ([`super::Corroborator::marks`]).
    marked: bool,
}

impl<K, T> Default for Store<K, T> {
    fn default() -> Self {
        Store {
            map: HashMap::new(),
            marked: false,
        }
    }
}

/// Adds a (records, bytes) count to another.
pub(crate) fn add(sum: &mut (u64, usize), x: (u64, usize)) {
    sum.0 += x.0;
    sum.1 += x.1;
}

impl<K: Eq + Hash, T: Footprint> Store<K, T> {
    /// Holds `h` under `key`; returns its estimated bytes.
    pub fn insert(&mut self, key: K, h: Held<T>, mark: bool) -> usize {
        let bytes = h.bytes();
        self.marked |= mark;
        self.map
            .entry(key)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
        bytes
    }

    /// The records under `key` (none: empty).
    pub fn get<Q>(&self, key: &Q) -> &[Held<T>]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }

    /// Every key with its records.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Vec<Held<T>>)> {
        self.map.iter()
    }

    /// True once a marked key was held.
    pub fn marked(&self) -> bool {
        self.marked
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops records older than `keep_from`; returns (records, bytes) gone.
    pub fn sweep(&mut self, keep_from: i64) -> (u64, usize) {
        let mut gone = (0, 0);
        self.map.retain(|_, v| {
            v.retain(|h| {
                let keep = h.time >= keep_from;
                if !keep {
                    add(&mut gone, (1, h.bytes()));
                }
                keep
            });
            !v.is_empty()
        });
        gone
    }

    /// Keeps at most `cap` records, dropping the oldest; returns (records, bytes) gone.
    pub fn cap(&mut self, cap: usize) -> (u64, usize) {
        let total: usize = self.map.values().map(Vec::len).sum();
        if total <= cap {
            return (0, 0);
        }
        let mut times: Vec<i64> = Vec::with_capacity(total);
        self.times(&mut times);
        let (_, cutoff, _) = times.select_nth_unstable(total - cap);
        let cutoff = *cutoff;
        self.sweep(cutoff)
    }

    /// Appends the event time of every record.
    pub fn times(&self, out: &mut Vec<i64>) {
        out.extend(self.map.values().flatten().map(|h| h.time));
    }

    /// Gives back memory when the map shrank to under a quarter of its capacity.
    pub fn shrink(&mut self) {
        if self.map.len() < self.map.capacity() / 4 {
            self.map.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dllhound_model::Provenance;

    fn held(time: i64) -> Held<Box<str>> {
        Held {
            time,
            ev: "x".into(),
            prov: Provenance {
                file: "f".into(),
                file_record: None,
                record_id: None,
                line: None,
                event_code: "t".into(),
            },
        }
    }

    #[test]
    fn sweeping_and_capping_drop_the_oldest_and_count_them() {
        let mut s: Store<u8, Box<str>> = Store::default();
        let mut bytes = 0;
        for (k, t) in [(1, 10), (1, 20), (2, 30), (2, 40)] {
            bytes += s.insert(k, held(t), false);
        }
        let (n, b) = s.sweep(15);
        assert_eq!(n, 1);
        assert!(b > 0 && b < bytes);
        assert_eq!(s.cap(1).0, 2);
        assert_eq!(s.get(&2).len(), 1);
        assert_eq!(s.get(&2)[0].time, 40);
        assert!(s.get(&1).is_empty());
        assert_eq!(s.sweep(i64::MAX).0, 1);
        assert!(s.is_empty());
    }
}
