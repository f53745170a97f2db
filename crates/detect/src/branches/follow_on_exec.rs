//! Branch (b), a follow-on execution: rundll32 or regsvr32 (by name, by PE `OriginalFileName`,
//! or by a command line of rundll32's shape) started within the window before or after the load,
//! with a command line that names the DLL ([`crate::lolbin::names_dll`]), or that runs
//! `-sta {CLSID}` of a COM class whose registered `InprocServer32` is the DLL.

use super::{ago, secs, BranchInfo, Corroborator, Points, Probe, Store, WindowInfo};
use crate::alert::{Alert, TimelineEntry};
use crate::coverage::{pct, HostCoverage, Verdict};
use crate::lolbin::{follow_on_executor, names_dll, sta_clsid, Executor, NameMatch};
use crate::state::HostState;
use dllhound_model::{Event, EventKind, ProcessKey, ProcessStart, Provenance, Timestamp, WinPath};
use serde::Serialize;

/// The registry value that made a COM class id name the DLL (`…\CLSID\{…}\InprocServer32`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub key: Box<str>,
    pub clsid: Box<str>,
    pub server: WinPath,
    pub process_executable: WinPath,
    pub provenance: Provenance,
}

/// A rundll32 / regsvr32 start naming the DLL (`evidence.follow_on_exec[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Start time minus load time, in seconds.
    pub delta_seconds: f64,
    pub process_executable: WinPath,
    pub process_entity_id: ProcessKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_file_name: Option<Box<str>>,
    pub command_line: Box<str>,
    /// How the command line names the DLL.
    pub matched: NameMatch,
    /// How the process was recognised as rundll32 / regsvr32.
    pub executor: Executor,
    /// With [`NameMatch::ComClsid`]: the registry record that registered the DLL as the class's server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryEvidence>,
    /// True when this is the loading process itself.
    pub is_loader: bool,
    pub provenance: Provenance,
}

/// Branch (b).
pub struct FollowOnExec;

impl Corroborator for FollowOnExec {
    type Key = ();
    type Item = ProcessStart;
    type Evidence = ExecEvidence;
    type Same = (Timestamp, ProcessKey);

    const INFO: BranchInfo = BranchInfo {
        name: "follow_on_exec",
        letter: Some('b'),
        label: "(b) rundll32/regsvr32",
        noun: "rundll32/regsvr32 run",
        lane: "run by",
        window: WindowInfo {
            flag: "follow-on",
            help: "Override the window of branch (b), rundll32/regsvr32 run",
        },
    };

    /// Starts of rundll32 / regsvr32 with a command line (copied: the correlator keeps every
    /// process start as context too).
    fn hold(ev: &mut Event) -> Option<((), ProcessStart)> {
        let EventKind::ProcessStart(p) = &ev.kind else {
            return None;
        };
        let cl = p.command_line.as_deref()?;
        follow_on_executor(&p.image, p.original_file_name.as_deref(), cl)?;
        Some(((), p.clone()))
    }

    fn find(p: &Probe<'_>, held: &Store<(), ProcessStart>) -> Vec<ExecEvidence> {
        let (t, load) = (p.t, p.load);
        held.get(&())
            .iter()
            .filter(|e| (e.time - t).abs() <= p.window_ms)
            .filter_map(|e| {
                let cl = e.ev.command_line.as_deref()?;
                let (matched, registry) = match names_dll(cl, &load.dll) {
                    Some(m) => (m, None),
                    None => (
                        NameMatch::ComClsid,
                        Some(com_registration(p.host, cl, &load.dll, t, p.window_ms)?),
                    ),
                };
                let executor =
                    follow_on_executor(&e.ev.image, e.ev.original_file_name.as_deref(), cl)?;
                Some(ExecEvidence {
                    time: Timestamp(e.time),
                    delta_seconds: secs(e.time - t),
                    process_executable: e.ev.image.clone(),
                    process_entity_id: e.ev.process.clone(),
                    original_file_name: e.ev.original_file_name.clone(),
                    command_line: cl.into(),
                    matched,
                    executor,
                    registry,
                    is_loader: e.ev.process == load.process,
                    provenance: e.prov.clone(),
                })
            })
            .collect()
    }

    fn when(e: &ExecEvidence) -> (Timestamp, &Provenance) {
        (e.time, &e.provenance)
    }

    fn same(e: &ExecEvidence) -> Self::Same {
        (e.time, e.process_entity_id.clone())
    }

    /// The run in words (the loader's own run first); 10 points fewer when every run was
    /// recognised only by its command line's shape.
    fn score(items: &[ExecEvidence], _: &Alert, out: &mut Points) {
        let Some(e) = items.iter().find(|e| e.is_loader).or(items.first()) else {
            return;
        };
        let how = match e.matched {
            NameMatch::FullPath => "by full path",
            NameMatch::FileName => "by file name",
            NameMatch::Stem => "by name without extension",
            NameMatch::ShortNameAlias => "by full path spelled with 8.3 short names",
            NameMatch::ComClsid => "as a COM class (-sta {CLSID}) whose InprocServer32 names it",
        };
        let who_ran = if e.is_loader {
            "the loading process itself".to_string()
        } else {
            e.process_executable.to_string()
        };
        out.reasons.push(format!(
            "(b) It was run through {} {how}, {} the load, by {who_ran}: {}",
            e.process_executable.original_file_name(),
            ago(e.delta_seconds),
            e.command_line
        ));
        if items
            .iter()
            .all(|e| e.executor == Executor::CommandLineShape)
        {
            // A weaker sign than a rundll32 by name or PE header: the branch is worth less.
            out.points -= 10;
            out.reasons.push(format!(
                "{} is not named rundll32 and logged no OriginalFileName, but its command line has rundll32's shape (DLL,Entry): probably a renamed rundll32, a weaker sign.",
                e.process_executable.original_file_name()
            ));
        }
    }

    /// The run, and the COM registration it went through.
    fn timeline(e: &ExecEvidence, out: &mut Vec<TimelineEntry>) {
        if let Some(r) = &e.registry {
            out.push(TimelineEntry {
                time: r.time,
                role: "com_registration",
                summary: format!(
                    "{} registered {} as the server of COM class {}",
                    r.process_executable, r.server, r.clsid
                ),
                provenance: r.provenance.clone(),
            });
        }
        out.push(TimelineEntry {
            time: e.time,
            role: Self::INFO.name,
            summary: format!("{} started: {}", e.process_executable, e.command_line),
            provenance: e.provenance.clone(),
        });
    }

    fn coverage(c: &HostCoverage) -> Option<Verdict> {
        Some(if c.process_starts == 0 {
            Verdict::blind("no process starts (Sysmon 1 / Security 4688)")
        } else if c.process_starts_with_command_line == 0 {
            Verdict::blind("process starts carry no command line")
        } else if c.process_starts_with_original_name == 0 {
            Verdict::partial("no process start carries OriginalFileName (Security 4688 only?): renamed rundll32/regsvr32 are missed")
        } else if c.process_starts_with_command_line < c.process_starts {
            Verdict::partial(format!(
                "{:.1}% of process starts carry a command line",
                pct(c.process_starts_with_command_line, c.process_starts)
            ))
        } else {
            Verdict::evaluable()
        })
    }
}

/// For `rundll32 -sta {CLSID}`: the latest registration of that class whose server is `dll`, set
/// no later than `window_ms` after the load at `t`.
fn com_registration(
    st: &HostState,
    command_line: &str,
    dll: &WinPath,
    t: i64,
    window_ms: i64,
) -> Option<RegistryEvidence> {
    let clsid = sta_clsid(command_line)?;
    let d = dll.match_key();
    st.coms
        .get(clsid.as_str())
        .iter()
        .filter(|r| r.time <= t.saturating_add(window_ms))
        .filter(|r| {
            let s = r.ev.server.match_key();
            s == d || dllhound_model::short_name::aliases(s, d)
        })
        .max_by_key(|r| (r.time, &r.prov))
        .map(|r| RegistryEvidence {
            time: Timestamp(r.time),
            key: r.ev.key.clone(),
            clsid: r.ev.clsid.clone(),
            server: r.ev.server.clone(),
            process_executable: r.ev.image.clone(),
            provenance: r.prov.clone(),
        })
}
