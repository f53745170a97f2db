//! Streaming ([`crate::Config::emit_early`]): alerts released as soon as they are corroborated, and
//! re-released with the same id when their window closes with more evidence.

use super::finding::{add_share_context, build, match_pending, merge_into, Builder};
use super::suppress::suppression;
use super::{
    Advance, AlertKey, Correlator, Emission, Released, CHILD_IMAGE_WINDOW_MS, EARLY_LIMIT,
};
use dllhound_model::ProcessKey;
use std::sync::Arc;

impl Correlator {
    /// Streaming: releases every pending trigger of `host` that is now corroborated (and not
    /// suppressed) and was not released before. Its id is final; later evidence comes as an update.
    pub(super) fn release_early(&mut self, host: &Arc<str>) {
        let Some(st) = self.hosts.get(host) else {
            return;
        };
        if st.pending.is_empty() || st.pending.len() > EARLY_LIMIT {
            return;
        }
        let released = self.released.entry(host.clone()).or_default();
        for p in st.pending.values() {
            if p.trigger.is_pending_signer() {
                continue;
            }
            let l = &p.load;
            let ek: (ProcessKey, Box<str>) = (l.ev.process.clone(), l.ev.dll.match_key().into());
            if released.contains_key(&ek)
                || st.is_child_image(&ek.0, &ek.1, l.time, CHILD_IMAGE_WINDOW_MS)
            {
                continue;
            }
            let mut b = match_pending(&self.cfg, st, (**p).clone());
            if !b.evidence.corroborated() || suppression(&self.cfg, &b).0.is_some() {
                continue;
            }
            add_share_context(&self.cfg, st, &mut b);
            let time = l.time;
            let mut alert = build((host.clone(), ek.0.clone(), ek.1.clone()), b, false);
            crate::context::attach_history(&mut alert, st);
            released.insert(
                ek,
                Released {
                    id: alert.id.clone(),
                    evidence: released_size(&alert),
                    time,
                    builder: None,
                },
            );
            self.emissions.push(Emission {
                alert,
                update: false,
            });
        }
    }

    /// Streaming: a trigger decided as an alert when its window closed. Released now if it was not
    /// released early, or as an update (same id) if it carries more evidence than was released.
    pub(super) fn release_final(&mut self, key: AlertKey, b: Builder) {
        let time = b.first.time;
        let released = self.released.entry(key.0.clone()).or_default();
        let e = released
            .entry((key.1.clone(), key.2.clone()))
            .or_insert_with(|| Released {
                id: String::new(),
                evidence: 0,
                time,
                builder: None,
            });
        match &mut e.builder {
            Some(a) => merge_into(a, b),
            None => e.builder = Some(b),
        }
        let Some(merged) = e.builder.clone() else {
            return;
        };
        let host = key.0.clone();
        let mut alert = build(key, merged, false);
        if let Some(st) = self.hosts.get(&host) {
            crate::context::attach_history(&mut alert, st);
        }
        let update = !e.id.is_empty();
        if update {
            alert.id = e.id.clone();
        }
        let n = released_size(&alert);
        if !update || n > e.evidence {
            e.id = alert.id.clone();
            e.evidence = n;
            self.emissions.push(Emission { alert, update });
        }
    }

    /// Streaming: the alerts released since the last call, in release order.
    pub fn take_emissions(&mut self) -> Vec<Emission> {
        std::mem::take(&mut self.emissions)
    }

    /// Streaming: decides every pending trigger now (end of input, or a partition given up) and
    /// returns what that released.
    pub fn flush(&mut self) -> Vec<Emission> {
        let hosts: Vec<Arc<str>> = self.hosts.keys().cloned().collect();
        for h in &hosts {
            self.advance(h, Advance::Flush);
        }
        self.take_emissions()
    }
}

/// What a release carried, to tell whether a later one has more: evidence items, children and
/// file-history entries and share connections (any of them arriving after the first release make an
/// update).
fn released_size(a: &crate::alert::Alert) -> usize {
    a.evidence.len()
        + a.children.len()
        + a.file_history.len()
        + a.unc
            .as_ref()
            .map_or(0, |u| u.connection_count + u.lookups.len())
}
