//! A human table for terminals: incidents first (one row each), then their alerts as blocks of
//! labelled fields, wrapped at the terminal's width with each continuation indented under its
//! value, in colour when [`TableStyle::color`] says so.
//!
//! Every telemetry string is passed through [`escape_control`] before it is styled or wrapped:
//! log fields are attacker-controlled and must not drive the terminal. Colour is ANSI SGR through
//! `anstyle`; the wrapping (`textwrap`) measures text without those sequences.

use crate::escape_control;
use anstyle::{AnsiColor, Style};
use dllhound_detect::{Alert, BRANCHES};
use std::borrow::Cow;
use std::io::{self, Write};

/// How [`write_table`] groups alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Alerts of one DLL on one host under one incident row (`--group-by incident`).
    Incident,
    /// One block per alert, in order (`--group-by none`).
    None,
}

/// How the table looks: the width it wraps at and whether it is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStyle {
    /// Columns to wrap at (at least [`TableStyle::MIN_WIDTH`] is used).
    pub width: usize,
    /// ANSI colours (a terminal that asked for them: see the CLI's `--color`).
    pub color: bool,
}

impl TableStyle {
    /// Narrower than this, labelled fields would have no room for their values.
    pub const MIN_WIDTH: usize = 60;
}

impl Default for TableStyle {
    /// 120 columns, no colour: the table written to a file or a pipe.
    fn default() -> Self {
        TableStyle {
            width: 120,
            color: false,
        }
    }
}

/// The label column: `  label       value`.
const LABEL: usize = 12;
const VALUE_AT: usize = 2 + LABEL;

/// Writes alerts as a readable block each (a headline, labelled fields, the reasons, the
/// timeline), grouped under their incidents unless `grouping` is [`Grouping::None`]. Findings
/// without an incident (signals, suppressed triggers) follow the incidents, in order.
pub fn write_table<'a>(
    out: &mut dyn Write,
    alerts: impl IntoIterator<Item = &'a Alert>,
    grouping: Grouping,
    style: &TableStyle,
) -> io::Result<()> {
    let mut t = Table {
        out,
        width: style.width.max(TableStyle::MIN_WIDTH),
        color: style.color,
    };
    let alerts: Vec<&Alert> = alerts.into_iter().collect();
    if grouping == Grouping::None {
        for a in &alerts {
            t.alert(a)?;
        }
        return Ok(());
    }
    let mut groups: Vec<(&str, Vec<&Alert>)> = Vec::new();
    let mut loose = Vec::new();
    for a in &alerts {
        match &a.incident {
            Some(i) => match groups.iter_mut().find(|g| g.0 == i.id) {
                Some(g) => g.1.push(a),
                None => groups.push((&i.id, vec![a])),
            },
            None => loose.push(*a),
        }
    }
    let n = groups.len();
    for (k, (id, members)) in groups.iter().enumerate() {
        t.incident(k + 1, n, id, members)?;
        for a in members {
            t.alert(a)?;
        }
    }
    for a in loose {
        t.alert(a)?;
    }
    Ok(())
}

struct Table<'o> {
    out: &'o mut dyn Write,
    width: usize,
    color: bool,
}

fn severity_style(s: &str) -> Style {
    match s {
        "critical" => Style::new()
            .fg_color(Some(AnsiColor::BrightRed.into()))
            .bold(),
        "high" => Style::new().fg_color(Some(AnsiColor::Red.into())),
        "medium" => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        _ => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
    }
}

const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

impl Table<'_> {
    /// `text` in `style` when colour is on.
    fn paint<'t>(&self, style: Style, text: &'t str) -> Cow<'t, str> {
        if self.color {
            Cow::Owned(format!("{}{text}{}", style.render(), style.render_reset()))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// `text` wrapped at the width: the first line after `first`, the rest indented by `hang`.
    fn wrapped(&mut self, first: &str, hang: usize, text: &str) -> io::Result<()> {
        let hang = " ".repeat(hang.min(self.width / 2));
        let opts = textwrap::Options::new(self.width)
            .initial_indent(first)
            .subsequent_indent(&hang)
            .break_words(true)
            // Paths and file names carry hyphens; a line never ends inside one by choice.
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for line in textwrap::wrap(text, opts) {
            writeln!(self.out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// `  label       value`, the value wrapped under itself.
    fn field(&mut self, label: &str, value: &str) -> io::Result<()> {
        let first = format!(
            "  {}{}",
            self.paint(DIM, label),
            " ".repeat(LABEL.saturating_sub(label.len()))
        );
        self.wrapped(&first, VALUE_AT, value)
    }

    /// `  label       - text`, continuations under the text (a list item).
    fn bullet(&mut self, label: &str, text: &str) -> io::Result<()> {
        let first = format!(
            "  {}{}- ",
            self.paint(DIM, label),
            " ".repeat(LABEL.saturating_sub(label.len()))
        );
        self.wrapped(&first, VALUE_AT + 2, text)
    }

    /// An event line: `    TIME  ROLE  text`, continuations under the text when there is room
    /// for it, else indented a little.
    fn event(&mut self, first: &str, text: &str) -> io::Result<()> {
        let under = first.chars().count();
        let hang = if under <= self.width / 2 { under } else { 8 };
        self.wrapped(first, hang, text)
    }

    /// A source record, dimmed: `<file:line>`.
    fn source(&self, p: &dllhound_model::Provenance) -> String {
        let s = format!("<{}>", escape_control(&p.to_string()));
        self.paint(DIM, &s).into_owned()
    }

    /// The incident row: host, DLL, alerts and loaders, first and last load, branches, severity.
    fn incident(&mut self, k: usize, n: usize, id: &str, members: &[&Alert]) -> io::Result<()> {
        let Some(first) = members.first() else {
            return Ok(());
        };
        let max = members
            .iter()
            .map(|a| a.severity)
            .max()
            .unwrap_or(first.severity);
        let (t0, t1) = members
            .iter()
            .fold((first.time, first.time), |(lo, hi), a| {
                (lo.min(a.time), hi.max(a.time))
            });
        let mut names: Vec<&str> = members.iter().map(|a| a.executable.file_name()).collect();
        names.sort_unstable();
        names.dedup();
        let mut processes: Vec<String> = members.iter().map(|a| a.process.to_string()).collect();
        processes.sort_unstable();
        processes.dedup();
        let mut branches: Vec<&str> = members
            .iter()
            .flat_map(|a| a.branches.iter().copied())
            .collect();
        branches.sort_unstable();
        branches.dedup();
        let sev = max.as_str().to_uppercase();
        let head = format!(
            "{} {k}/{n} {}  {}  {}",
            self.paint(BOLD, "INCIDENT"),
            self.paint(severity_style(max.as_str()), &format!("{sev:<8}")),
            escape_control(&first.host),
            escape_control(first.dll.original()),
        );
        self.wrapped("", VALUE_AT, &head)?;
        self.field("incident", id)?;
        self.field(
            "alerts",
            &format!(
                "{} from {} loader{} ({})",
                members.len(),
                processes.len(),
                if processes.len() == 1 { "" } else { "s" },
                escape_control(&names.join(", ")),
            ),
        )?;
        let loads = if t0 == t1 {
            t0.to_string()
        } else {
            format!("{t0} → {t1}")
        };
        self.field("loads", &loads)?;
        self.field("branches", &branch_labels(&branches))?;
        writeln!(self.out)
    }

    fn alert(&mut self, a: &Alert) -> io::Result<()> {
        let kind = crate::schema::kind(a);
        let kind_style = if kind == "alert" { BOLD } else { DIM };
        let sev = a.severity.as_str();
        let head = format!(
            "{} {}  score {:>3}  {}  {}",
            self.paint(kind_style, &kind.to_uppercase()),
            self.paint(severity_style(sev), &format!("{:<8}", sev.to_uppercase())),
            a.score,
            a.time,
            escape_control(&a.host),
        );
        self.wrapped("", VALUE_AT, &head)?;
        self.field("id", &a.id)?;
        if let Some(i) = &a.incident {
            self.field("incident", &i.id)?;
        }
        if let Some(u) = &a.user {
            self.field("user", &escape_control(u))?;
        }
        let pid = a.pid.map(|p| format!("  (pid {p})")).unwrap_or_default();
        self.field(
            "loader",
            &format!("{}{pid}", escape_control(a.executable.original())),
        )?;
        if let Some(c) = a.command_line.as_deref() {
            self.field("command", &escape_control(c))?;
        }
        self.field("entity id", &escape_control(&a.process.to_string()))?;
        if let Some(p) = a.parent.executable.as_ref() {
            let grand = a
                .parent
                .parent_executable
                .as_ref()
                .map(|g| format!(" ← {}", escape_control(g.original())))
                .unwrap_or_default();
            self.field(
                "parent",
                &format!("{}{grand}", escape_control(p.original())),
            )?;
        }
        self.field("dll", &escape_control(a.dll.original()))?;
        let classes: Vec<&str> = a.classes.iter().map(|c| c.as_str()).collect();
        self.field(
            "path class",
            &if classes.is_empty() {
                "none (a trigger by its signature alone)".to_string()
            } else {
                classes.join(", ")
            },
        )?;
        self.field("signer", &signer(a))?;
        if let Some(h) = &a.dll_sha256 {
            self.field("sha256", &escape_control(h))?;
        }
        if let Some(t) = a.file_first_seen {
            self.field(
                "first seen",
                &format!("{t} (the file's earliest event in the input)"),
            )?;
        }
        if let Some(p) = &a.prevalence {
            self.field(
                "seen on",
                &format!(
                    "{} host{} (by {}) since {}",
                    p.hosts,
                    if p.hosts == 1 { "" } else { "s" },
                    p.by,
                    p.first_seen
                ),
            )?;
        }
        if let Some(u) = &a.unc {
            self.unc(u)?;
        }
        if let Some(s) = &a.suppressed_by {
            self.field(
                "suppressed",
                &format!(
                    "by {}:{} — {}",
                    s.source,
                    escape_control(&s.id),
                    escape_control(&s.reason)
                ),
            )?;
        }
        for n in &a.tuning_not_applied {
            self.field(
                "not applied",
                &format!(
                    "tuning {}:{} — {}",
                    n.source,
                    escape_control(&n.id),
                    escape_control(&n.reason)
                ),
            )?;
        }
        self.field(
            "branches",
            &if a.branches.is_empty() {
                "none: no corroborator was seen within the windows".to_string()
            } else {
                branch_labels(&a.branches)
            },
        )?;
        for (k, r) in a.reasons.iter().enumerate() {
            let label = if k == 0 { "why" } else { "" };
            self.bullet(label, &escape_control(r))?;
        }
        if !a.timeline.is_empty() {
            self.field("timeline", "")?;
        }
        for t in &a.timeline {
            let src = self.source(&t.provenance);
            let first = format!("    {}  {:<16} ", t.time, t.role);
            self.event(&first, &format!("{} {src}", escape_control(&t.summary)))?;
        }
        if !a.file_history.is_empty() {
            self.field("file history", "")?;
        }
        for h in &a.file_history {
            let src = self.source(&h.provenance);
            let first = format!("    {}  {:<16} ", h.time, h.action);
            let text = format!(
                "{} by {} {src}",
                escape_control(h.path.original()),
                escape_control(h.process.executable.original()),
            );
            self.event(&first, &text)?;
        }
        if !a.children.is_empty() {
            self.field("children", "")?;
        }
        for c in &a.children {
            let src = self.source(&c.provenance);
            let first = format!("    {}  +{:.3} s  ", c.time, c.delta_seconds);
            let started = c
                .process
                .command_line
                .as_deref()
                .unwrap_or(c.process.executable.original());
            self.event(&first, &format!("{} {src}", escape_control(started)))?;
            for n in &c.network {
                let src = self.source(&n.provenance);
                let port = n
                    .destination_port
                    .map(|p| format!(":{p}"))
                    .unwrap_or_default();
                self.wrapped("      → ", 10, &format!("{}{port} {src}", n.destination_ip))?;
            }
            for f in &c.files {
                let src = self.source(&f.provenance);
                self.wrapped(
                    "      wrote ",
                    10,
                    &format!("{} {src}", escape_control(f.path.original())),
                )?;
            }
        }
        writeln!(self.out)
    }

    /// The share a DLL on a network path came from, and the host's connections to its server.
    fn unc(&mut self, u: &dllhound_detect::context::unc::Unc) -> io::Result<()> {
        self.field(
            "share",
            &format!(
                "\\\\{}{}  ({}; {} connection{} to the server around the load)",
                escape_control(&u.server),
                u.share
                    .as_deref()
                    .map(|s| format!("\\{}", escape_control(s)))
                    .unwrap_or_default(),
                crate::explain::transport(u),
                u.connection_count,
                if u.connection_count == 1 { "" } else { "s" }
            ),
        )?;
        for c in &u.connections {
            let src = self.source(&c.provenance);
            self.wrapped("    ", 8, &format!("{} {src}", crate::explain::unc_line(c)))?;
        }
        Ok(())
    }
}

/// `unsigned`; `valid: Microsoft Corporation`; `invalid (claims Contoso Ltd)`.
fn signer(a: &Alert) -> String {
    let state = a.signature.state.as_str();
    match (a.signature.state, a.signature.subject.as_deref()) {
        (_, None) => state.to_string(),
        (dllhound_model::SignatureState::Valid, Some(s)) => {
            format!("{state}: {}", escape_control(s))
        }
        (_, Some(s)) => format!("{state} (signed as {})", escape_control(s)),
    }
}

/// `(a) fresh write, (c) outbound network`: the registry's labels, in registry order.
fn branch_labels(names: &[&str]) -> String {
    let labels: Vec<&str> = BRANCHES
        .iter()
        .filter(|b| names.contains(&b.name))
        .map(|b| b.label)
        .collect();
    if labels.is_empty() {
        "none".into()
    } else {
        labels.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(width: usize, color: bool, f: impl FnOnce(&mut Table) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        let mut t = Table {
            out: &mut buf,
            width,
            color,
        };
        f(&mut t).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_long_value_wraps_under_itself_within_the_width() {
        let text = "rundll32.exe loaded C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll from a temp folder and a user-writable folder, and more words to wrap";
        let out = render(60, false, |t| t.field("why", text));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 3, "{out}");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{out}");
        assert!(lines[0].starts_with("  why         rundll32.exe"), "{out}");
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with(&" ".repeat(VALUE_AT))),
            "continuations indented under the value: {out}"
        );
    }

    #[test]
    fn colour_is_only_there_when_asked_and_does_not_count_as_width() {
        let plain = render(60, false, |t| t.field("dll", "C:\\x.dll"));
        assert!(!plain.contains('\x1b'));
        let coloured = render(60, true, |t| t.field("dll", "C:\\x.dll"));
        assert!(coloured.contains("\x1b["), "{coloured:?}");
        let strip = coloured.replace("\x1b[2m", "").replace("\x1b[0m", "");
        assert_eq!(strip, plain);
    }
}
