//! The corroborating branches of AN0052, as a registry.
//!
//! A trigger load becomes an alert when one *branch* corroborates it: (a) the DLL was freshly
//! written, (b) rundll32/regsvr32 ran it, (c) the loader connected out. Each branch is one file in
//! this folder implementing [`Corroborator`]: which events it holds ([`Corroborator::hold`]), how
//! it finds evidence for a trigger in what it holds ([`Corroborator::find`]), its window, its points
//! and words ([`Corroborator::score`]), its timeline rows and its coverage verdict. The
//! [`registry!`] line at the end of this file lists them, in the order alerts show them.
//!
//! Everything that used to name the branches one by one is derived from that list: the per-host
//! stores ([`BranchStores`]), the alert's evidence lists ([`EvidenceSet`], one field per branch,
//! serialised under the branch's name), "corroborated", the branch names an alert carries, the
//! score and reasons, the timeline, deduplication, coverage parts, the `--window-*` options
//! ([`BRANCHES`]' windows) and the HTML report's legend and lanes.
//!
//! An entry whose [`BranchInfo::letter`] is `None` is *context*: its evidence is collected and shown
//! (the DNS names the loader asked for) but does not corroborate a trigger.

mod dns;
mod follow_on_exec;
mod fresh_write;
mod outbound_network;
mod store;

pub use dns::DnsEvidence;
pub use follow_on_exec::{ExecEvidence, RegistryEvidence};
pub use fresh_write::{index_key, WriteEvidence, WriteMatch};
pub(crate) use outbound_network::outbound;
pub use outbound_network::NetEvidence;
pub(crate) use store::add as add_gone;
pub use store::Store;

use crate::alert::{Alert, TimelineEntry};
use crate::coverage::{HostCoverage, Verdict};
use crate::state::{Held, HostState};
use crate::Config;
use dllhound_model::{Event, Footprint, ImageLoad, Provenance, Timestamp};
use serde::Serialize;
use std::hash::Hash;

/// What the registry knows of a branch besides its behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BranchInfo {
    /// The alert's evidence field, the value in `an0052.branches` and the timeline role.
    pub name: &'static str,
    /// `a`, `b`, `c`, …; `None` for context that does not corroborate.
    pub letter: Option<char>,
    /// Short label for legends and tables: `(a) fresh write`.
    pub label: &'static str,
    /// What the evidence is, as a noun for "no … was seen": `write`.
    pub noun: &'static str,
    /// The HTML report's chain lane its evidence is drawn in.
    pub lane: &'static str,
    /// The window this branch matches within.
    pub window: WindowInfo,
}

/// A correlation window, settable with `--window-<flag>` (branches may share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WindowInfo {
    /// The option's suffix: `fresh-write` gives `--window-fresh-write`.
    pub flag: &'static str,
    /// The option's help.
    pub help: &'static str,
}

/// The default window of every branch: five minutes.
pub const DEFAULT_WINDOW_MS: i64 = 5 * 60 * 1000;

/// One trigger being matched: the load, its time, the host's state and the branch's window.
pub struct Probe<'a> {
    pub cfg: &'a Config,
    pub host: &'a HostState,
    pub load: &'a ImageLoad,
    /// Event time of the load (ms).
    pub t: i64,
    /// The branch's window (ms).
    pub window_ms: i64,
}

/// Points and reasons being added up for an alert (see [`crate::score`]).
#[derive(Debug, Default)]
pub struct Points {
    pub points: i64,
    pub reasons: Vec<String>,
}

/// One corroborating branch (or context evidence) of AN0052.
pub trait Corroborator {
    /// The key held records are filed under (a path, a process, or `()`).
    type Key: Eq + Hash + Clone + std::fmt::Debug;
    /// What is held of an event.
    type Item: Footprint + Clone + std::fmt::Debug;
    /// What an alert carries.
    type Evidence: Clone + std::fmt::Debug + PartialEq + Serialize;
    /// Content that makes two evidence items the same finding (kept once).
    type Same: Eq + Hash;

    const INFO: BranchInfo;

    /// What to hold of `ev`, if anything. A branch may move out the fields of an event kind that
    /// only it reads (file writes, connections, DNS queries: the correlator drops those events
    /// after the branches saw them) instead of copying them; process starts, image loads,
    /// certificates and COM registrations are the correlator's context and must be left whole.
    fn hold(ev: &mut Event) -> Option<(Self::Key, Self::Item)>;

    /// True for a key that makes [`Store::marked`] true (a branch's own shortcut flag).
    fn marks(_key: &Self::Key) -> bool {
        false
    }

    /// The evidence for one trigger among what the host holds.
    fn find(p: &Probe<'_>, held: &Store<Self::Key, Self::Item>) -> Vec<Self::Evidence>;

    /// Time and record of an evidence item (for ordering and deduplication).
    fn when(e: &Self::Evidence) -> (Timestamp, &Provenance);

    /// The content key of an item: items with equal keys are one finding.
    fn same(e: &Self::Evidence) -> Self::Same;

    /// Adds this branch's points and sentences for the alert (`items` is non-empty).
    fn score(items: &[Self::Evidence], alert: &Alert, out: &mut Points);

    /// The timeline rows of one item.
    fn timeline(e: &Self::Evidence, out: &mut Vec<TimelineEntry>);

    /// The coverage verdict for this branch on a host (`None`: not a part of its own).
    fn coverage(_c: &HostCoverage) -> Option<Verdict> {
        None
    }
}

/// Sorts by (time, record) and keeps the first item of each content key, in one pass.
fn dedupe<B: Corroborator>(v: &mut Vec<B::Evidence>) {
    v.sort_by(|x, y| B::when(x).cmp(&B::when(y)));
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    v.retain(|x| seen.insert(B::same(x)));
}

/// Seconds between two event times (ms).
pub(crate) fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// "3.000 s before" / "in the same millisecond as" / "0.250 s after".
pub(crate) fn ago(s: f64) -> String {
    if s.abs() < 0.0005 {
        "in the same millisecond as".into()
    } else if s < 0.0 {
        format!("{:.3} s before", -s)
    } else {
        format!("{s:.3} s after")
    }
}

/// Generates [`EvidenceSet`], [`BranchStores`] and [`BRANCHES`] from the list of branches.
macro_rules! registry {
    ($($name:ident: $ty:ty),* $(,)?) => {
        /// Every branch's registry facts, in the order alerts show them.
        pub const BRANCHES: &[BranchInfo] = &[$(<$ty as Corroborator>::INFO),*];

        /// The evidence of one alert: one list per branch, serialised under the branch's name.
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct EvidenceSet {
            $(pub $name: Vec<<$ty as Corroborator>::Evidence>,)*
        }

        /// What one host holds for the branches.
        #[derive(Debug, Default)]
        pub struct BranchStores {
            $(pub $name: Store<<$ty as Corroborator>::Key, <$ty as Corroborator>::Item>,)*
        }

        impl BranchStores {
            /// Files what each branch holds of `ev`; returns the bytes added.
            pub fn hold(&mut self, ev: &mut Event) -> usize {
                let mut bytes = 0;
                let time = ev.time.millis();
                $(
                    if let Some((key, item)) = <$ty>::hold(ev) {
                        let mark = <$ty>::marks(&key);
                        bytes += self.$name.insert(key, Held { time, ev: item, prov: ev.provenance.clone() }, mark);
                    }
                )*
                bytes
            }

            /// The evidence every branch finds for one trigger.
            pub fn find(&self, cfg: &Config, host: &HostState, load: &ImageLoad, t: i64) -> EvidenceSet {
                EvidenceSet {
                    $($name: <$ty>::find(
                        &Probe { cfg, host, load, t, window_ms: cfg.window(<$ty as Corroborator>::INFO.window.flag) },
                        &self.$name,
                    ),)*
                }
            }

            /// Drops records older than `keep_from`; returns (records, bytes) gone.
            pub fn sweep(&mut self, keep_from: i64) -> (u64, usize) {
                let mut gone = (0, 0);
                $(store::add(&mut gone, self.$name.sweep(keep_from));)*
                gone
            }

            /// Enforces `cap` records per branch, oldest first; returns (records, bytes) gone.
            pub fn cap(&mut self, cap: usize) -> (u64, usize) {
                let mut gone = (0, 0);
                $(store::add(&mut gone, self.$name.cap(cap));)*
                gone
            }

            pub fn times(&self, out: &mut Vec<i64>) {
                $(self.$name.times(out);)*
            }

            pub fn shrink(&mut self) {
                $(self.$name.shrink();)*
            }

            pub fn is_empty(&self) -> bool {
                true $(&& self.$name.is_empty())*
            }
        }

        impl EvidenceSet {
            /// True when a corroborating branch (not context) has evidence.
            pub fn corroborated(&self) -> bool {
                false $(|| (<$ty as Corroborator>::INFO.letter.is_some() && !self.$name.is_empty()))*
            }

            /// The corroborating branches with evidence, in registry order.
            pub fn branches(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(
                    if <$ty as Corroborator>::INFO.letter.is_some() && !self.$name.is_empty() {
                        v.push(<$ty as Corroborator>::INFO.name);
                    }
                )*
                v
            }

            /// Evidence items, context included.
            pub fn len(&self) -> usize {
                0 $(+ self.$name.len())*
            }

            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            pub fn extend(&mut self, o: EvidenceSet) {
                $(self.$name.extend(o.$name);)*
            }

            /// Orders each list by time and record, and keeps one item per finding.
            pub fn dedupe(&mut self) {
                $(dedupe::<$ty>(&mut self.$name);)*
            }

            /// True when some item came from the record `prov`.
            pub fn has_record(&self, prov: &Provenance) -> bool {
                false $(|| self.$name.iter().any(|e| <$ty>::when(e).1 == prov))*
            }

            pub fn score(&self, alert: &Alert, out: &mut Points) {
                $(
                    if !self.$name.is_empty() {
                        <$ty>::score(&self.$name, alert, out);
                    }
                )*
            }

            pub fn timeline(&self, out: &mut Vec<TimelineEntry>) {
                $(for e in &self.$name { <$ty>::timeline(e, out); })*
            }
        }

        /// The coverage verdict of every branch that has one, in registry order.
        pub fn coverage(c: &HostCoverage) -> Vec<(&'static str, Verdict)> {
            let mut v = Vec::new();
            $(
                if let Some(x) = <$ty>::coverage(c) {
                    v.push((<$ty as Corroborator>::INFO.name, x));
                }
            )*
            v
        }

        #[cfg(test)]
        #[test]
        fn registry_names_are_the_field_names() {
            $(assert_eq!(<$ty as Corroborator>::INFO.name, stringify!($name));)*
        }
    };
}

registry! {
    fresh_write: fresh_write::FreshWrite,
    follow_on_exec: follow_on_exec::FollowOnExec,
    outbound_network: outbound_network::OutboundNetwork,
    dns: dns::Dns,
}

/// The distinct windows of the registry, in order: what `--window-*` options exist.
pub fn windows() -> Vec<WindowInfo> {
    let mut v: Vec<WindowInfo> = Vec::new();
    for b in BRANCHES {
        if !v.iter().any(|w| w.flag == b.window.flag) {
            v.push(b.window);
        }
    }
    v
}

/// "write, rundll32/regsvr32 run or outbound connection": the corroborators, for sentences.
pub fn nouns() -> String {
    let n: Vec<&str> = BRANCHES
        .iter()
        .filter(|b| b.letter.is_some())
        .map(|b| b.noun)
        .collect();
    match n.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
}
