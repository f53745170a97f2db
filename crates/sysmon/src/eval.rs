//! Would Sysmon log this event under this configuration? `FilterEventRules` and
//! `MatchFilterGroup` of SysmonCommon's `rules.c`, for one event given as field values.
//!
//! - No section for the event type: the type's default (only process creation is on).
//! - Exclude sections are tried first, then include sections; the first section that matches
//!   decides (exclude: dropped, include: logged).
//! - No section matches: with exactly one section, its default (an exclude section logs the
//!   rest, an include section drops it); with several, the event is dropped.
//! - A section's rules combine by its `Combine`. In an AND section, several rules on the *same
//!   field* are OR-ed (Sysmon skips a field once one of its rules matched, and does not fail the
//!   group on a field that is tested again later); a compound `<Rule>` counts as one entry, and
//!   inside it every rule counts, same field or not.
//! - A section with no rules matches nothing (so an empty include logs nothing, an empty exclude
//!   everything).

use crate::config::{Combine, Filter, Item, OnMatch, Section, SysmonConfig};

/// What decided an event's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider<'c> {
    /// The event type has no section and its default decided.
    NoSection,
    /// The configuration's schema version predates the event type.
    SchemaTooOld,
    /// A section matched, through this entry (for an AND section, its last deciding entry).
    Matched {
        section: &'c Section,
        item: Option<&'c Item>,
    },
    /// No section matched: the only section's default decided.
    OnlySectionDefault(&'c Section),
    /// No section matched and there are several: Sysmon drops the event.
    NoneOfSeveral(Vec<&'c Section>),
}

/// The decision for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'c> {
    pub logged: bool,
    pub decider: Decider<'c>,
}

/// The event's value of a field; fields it does not carry read as Sysmon renders an empty
/// value, `-`.
pub trait Fields {
    fn get(&self, field: &str) -> &str;
}

impl Fields for [(String, String)] {
    fn get(&self, field: &str) -> &str {
        self.iter()
            .find(|(k, _)| k == field)
            .map_or("-", |(_, v)| v.as_str())
    }
}

impl Fields for Vec<(String, String)> {
    fn get(&self, field: &str) -> &str {
        Fields::get(self.as_slice(), field)
    }
}

fn filter_matches(f: &Filter, ev: &(impl Fields + ?Sized)) -> bool {
    f.condition.matches(&f.value, ev.get(&f.field))
}

/// A compound `<Rule>`: all of its rules (AND) or any (OR); an unset relation never matches.
fn compound_matches(combine: Combine, filters: &[Filter], ev: &(impl Fields + ?Sized)) -> bool {
    match combine {
        Combine::And => filters.iter().all(|f| filter_matches(f, ev)),
        Combine::Or => filters.iter().any(|f| filter_matches(f, ev)),
        Combine::Unset => false,
    }
}

fn item_matches(i: &Item, ev: &(impl Fields + ?Sized)) -> bool {
    match i {
        Item::Filter(f) => filter_matches(f, ev),
        Item::Compound {
            combine, filters, ..
        } => !filters.is_empty() && compound_matches(*combine, filters, ev),
    }
}

/// Does this section match, and through which entry?
pub fn section_matches<'c>(
    s: &'c Section,
    ev: &(impl Fields + ?Sized),
) -> Option<Option<&'c Item>> {
    if s.items.is_empty() {
        return None;
    }
    match s.combine {
        Combine::Or => s.items.iter().find(|i| item_matches(i, ev)).map(Some),
        Combine::Unset => None,
        Combine::And => {
            // Plain rules grouped by field: each field needs one matching rule; each compound
            // rule must match by itself.
            let mut last = None;
            for (k, i) in s.items.iter().enumerate() {
                match i {
                    Item::Compound { .. } => {
                        if !item_matches(i, ev) {
                            return None;
                        }
                        last = Some(i);
                    }
                    Item::Filter(f) => {
                        let first_of_field = !s.items[..k]
                            .iter()
                            .any(|p| matches!(p, Item::Filter(g) if g.field == f.field));
                        if !first_of_field {
                            continue;
                        }
                        let hit = s.items[k..].iter().find(|p| {
                            matches!(p, Item::Filter(g) if g.field == f.field && filter_matches(g, ev))
                        });
                        match hit {
                            Some(h) => last = Some(h),
                            None => return None,
                        }
                    }
                }
            }
            Some(last)
        }
    }
}

/// Would Sysmon log an event of `event_id` with these fields?
pub fn decide<'c>(
    cfg: &'c SysmonConfig,
    event_id: u16,
    ev: &(impl Fields + ?Sized),
) -> Decision<'c> {
    let Some(t) = crate::schema::by_id(event_id) else {
        return Decision {
            logged: false,
            decider: Decider::NoSection,
        };
    };
    if cfg.schema_version < t.since {
        return Decision {
            logged: false,
            decider: Decider::SchemaTooOld,
        };
    }
    let sections = cfg.sections_for(event_id);
    if sections.is_empty() {
        return Decision {
            logged: t.logged_without_rules,
            decider: Decider::NoSection,
        };
    }
    for s in &sections {
        if let Some(item) = section_matches(s, ev) {
            return Decision {
                logged: s.onmatch == OnMatch::Include,
                decider: Decider::Matched { section: s, item },
            };
        }
    }
    if sections.len() == 1 {
        Decision {
            logged: sections[0].onmatch == OnMatch::Exclude,
            decider: Decider::OnlySectionDefault(sections[0]),
        }
    } else {
        Decision {
            logged: false,
            decider: Decider::NoneOfSeveral(sections),
        }
    }
}
