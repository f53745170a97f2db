//! Telemetry readiness from a Sysmon configuration: can this XML let AN0052 fire at all?
//!
//! `dllhound coverage --sysmon-config FILE` reads the configuration the way Sysmon's own rule
//! compiler does ([`config`]), runs a table of probe events through Sysmon's filtering
//! semantics ([`eval`]; one probe set per part of AN0052, [`probes`]), and reports per part
//! `logged` / `partial` / `not_logged` with, for every dropped probe, the rule that dropped it
//! ([`readiness`]). [`suggest`] computes the smallest change that makes every part visible at
//! bounded volume (include rules for the suspicious folders, unsigned modules, the follow-on
//! executors; removal of the excludes that hide a probe) and applies it to the text.
//!
//! The semantics follow Sysinternals' open-source rule engine (SysmonCommon `rules.c`,
//! `xml.cpp`), read, not copied:
//! - sections of an event type are every element of that name under `/Sysmon/EventFiltering`
//!   (at any depth); a type the schema version does not know has no sections and is not logged;
//! - exclude sections are tried before include sections; the first that matches decides;
//! - no match: one section → its default; several → dropped; no section → the type's default
//!   (only ProcessCreate of the types AN0052 needs);
//! - a section outside a `<RuleGroup>` (or in one without `groupRelation`) combines its rules
//!   with AND above schema 4.1 and OR at 4.1 and below; in an AND section, rules on the same field
//!   are OR-ed; compound `<Rule>`s combine by their own `groupRelation`;
//! - every comparison is case-insensitive ([`condition`]).
//!
//! Not modelled: environment variables in rule values (`%windir%`, expanded by Sysmon per
//! session) are compared literally; a field the probe does not give reads as `-`.

pub mod compare;
pub mod condition;
pub mod config;
pub mod eval;
pub mod probes;
pub mod readiness;
pub mod schema;
pub mod suggest;
pub mod text;

pub use config::{ConfigError, SysmonConfig};
pub use probes::Probe;
pub use readiness::{evaluate, PartResult, ProbeResult, Readiness, RuleRef};
