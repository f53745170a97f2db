//! The probe table: for each part of AN0052, events the part must see to work, written as Sysmon
//! would log them (`data/probes.tsv`, documented in `data/README.md`).
//!
//! A configuration logs a part when it logs every probe of the part. A user can bring their own
//! table in the same shape (`--probes FILE`).

/// The parts of AN0052 a configuration can blind, in the analytic's order.
pub const PARTS: [&str; 6] = [
    "trigger_path",
    "trigger_signature",
    "fresh_write",
    "follow_on_exec",
    "outbound_network",
    "dns",
];

/// The name the data-side coverage (`dllhound coverage PATHS`) gives the same part.
pub fn data_part(part: &str) -> &str {
    match part {
        "trigger_path" => "trigger_by_path",
        "trigger_signature" => "trigger_by_signature",
        other => other,
    }
}

/// One probe event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub name: String,
    pub part: &'static str,
    pub event_id: u16,
    pub fields: Vec<(String, String)>,
}

/// The table shipped in the binary.
pub const BUILTIN_TSV: &str = include_str!("../data/probes.tsv");

/// A probe table that cannot be used, with the line that says why.
#[derive(Debug, thiserror::Error)]
#[error("probe table line {line}: {what}")]
pub struct ProbeError {
    pub line: usize,
    pub what: String,
}

/// Reads a table: a header line, then `probe<TAB>part<TAB>event_id<TAB>Field=Value…`.
/// Lines starting with `#` and blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Probe>, ProbeError> {
    let mut out: Vec<Probe> = Vec::new();
    let mut header = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |what: String| ProbeError { line, what };
        let l = raw.trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        if !header {
            if !l.starts_with("probe\tpart\tevent_id") {
                return Err(err(
                    "the first line must be the header probe\tpart\tevent_id\tfields".into(),
                ));
            }
            header = true;
            continue;
        }
        let mut cols = l.split('\t');
        let name = cols.next().unwrap_or_default().trim().to_string();
        let part = cols.next().unwrap_or_default().trim();
        let id = cols.next().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(err("empty probe name".into()));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(err(format!("probe {name:?} appears twice")));
        }
        let part = PARTS.into_iter().find(|p| *p == part).ok_or_else(|| {
            err(format!(
                "unknown part {part:?} (known: {})",
                PARTS.join(", ")
            ))
        })?;
        let event_id: u16 = id
            .parse()
            .map_err(|_| err(format!("event id {id:?} is not a number")))?;
        let t = crate::schema::by_id(event_id).ok_or_else(|| {
            err(format!(
                "event id {event_id} is not one the evaluator knows (1, 3, 7, 11, 15, 22, 29)"
            ))
        })?;
        let mut fields = Vec::new();
        for c in cols.filter(|c| !c.is_empty()) {
            let (k, v) = c
                .split_once('=')
                .ok_or_else(|| err(format!("{c:?} is not Field=Value")))?;
            if !t.fields.contains(&k) {
                return Err(err(format!("{} has no field {k:?}", t.rule_name)));
            }
            fields.push((k.to_string(), v.to_string()));
        }
        out.push(Probe {
            name,
            part,
            event_id,
            fields,
        });
    }
    if out.is_empty() {
        return Err(ProbeError {
            line: text.lines().count(),
            what: "no probes".into(),
        });
    }
    Ok(out)
}

/// The built-in table.
pub fn builtin() -> Vec<Probe> {
    // Tested below: a failure here is a build defect, not bad input.
    parse(BUILTIN_TSV).expect("built-in probe table is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_has_probes_for_every_part() {
        let p = builtin();
        for part in PARTS {
            assert!(p.iter().any(|x| x.part == part), "{part}");
        }
    }

    #[test]
    fn bad_tables_say_which_line() {
        let h = "probe\tpart\tevent_id\tfields\n";
        let e = parse(&format!("{h}x\tnope\t7\n")).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.what.contains("unknown part"), "{e}");
        let e = parse(&format!("{h}x\tdns\t22\tQueryName=a\nx\tdns\t22\n")).unwrap_err();
        assert!(e.what.contains("twice"), "{e}");
        let e = parse(&format!("{h}x\tdns\t22\tQuery=a\n")).unwrap_err();
        assert!(e.what.contains("no field"), "{e}");
        assert!(parse("x\tdns\t22\n").is_err());
        assert!(parse(h).is_err());
    }
}
