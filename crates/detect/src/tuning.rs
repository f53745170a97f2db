//! Allowlists: the default tuning shipped in the binary and the user's own, in one format.
//!
//! See `data/default_tuning.yaml` for the format and the shipped entries. An entry matches a
//! trigger when every field it gives holds; the first matching entry (default tuning first, then
//! the user's allowlist, in file order) is reported as the one that suppressed it.

use crate::branches::WriteEvidence;
use chrono::NaiveDate;
use dllhound_model::{ImageLoad, SignatureState, WinPath};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::fmt;

/// The default tuning YAML compiled into the binary.
pub const DEFAULT_TUNING_YAML: &str = include_str!("../data/default_tuning.yaml");

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    DefaultTuning,
    Allowlist,
}

impl EntrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::DefaultTuning => "default_tuning",
            EntrySource::Allowlist => "allowlist",
        }
    }
}

/// A tuning file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuningError {
    /// The YAML parser's words (kept as text, not as an error source, so a chain of causes prints
    /// them once) and, for a mistake with a known fix, a hint.
    #[error("{origin}: not valid tuning YAML: {detail}{hint}")]
    Yaml {
        origin: String,
        detail: String,
        hint: String,
    },
    #[error("{origin}: no entries (an allowlist that allows nothing is a mistake: give at least one entry, see `dllhound tuning show`)")]
    Empty { origin: String },
    #[error("{origin}: entry {index} ({id}): {reason}")]
    Entry {
        origin: String,
        index: usize,
        id: String,
        reason: String,
    },
    /// More than one entry is wrong: each is listed, so one run shows every fix to make.
    #[error("{origin}: {} entries are wrong:{}", .errors.len(), list(.errors))]
    Several {
        origin: String,
        errors: Vec<TuningError>,
    },
}

fn list(errors: &[TuningError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<String>,
    reason: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    dll_path: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    loader: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    writer: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    signer: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    sha256: Vec<String>,
    #[serde(default)]
    allow_unsigned: bool,
    #[serde(default, deserialize_with = "one_or_many")]
    expected_writers: Vec<String>,
    #[serde(default)]
    loader_may_write: bool,
    expires: Option<String>,
}

/// A list of globs, or one glob given as a plain string (`dll_path: 'C:\\Tools\\*.dll'`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A hint for the YAML mistakes a Windows path invites: `\U`, `\x`, … are escapes inside double
/// quotes.
fn yaml_hint(detail: &str) -> &'static str {
    if detail.contains("hexadecimal") || detail.contains("escape") {
        " (a Windows path in double quotes reads \\ as an escape: write it in single quotes, 'C:\\Users\\*\\x.dll', or unquoted)"
    } else {
        ""
    }
}

/// One allowlist entry, compiled.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub reason: String,
    pub source: EntrySource,
    pub expires: Option<NaiveDate>,
    pub allow_unsigned: bool,
    /// True for an entry that allows unsigned modules or any signer (`signer: ['*']`): it is decided
    /// only with the corroborators, and a fresh write by a process it does not expect voids it.
    pub broad: bool,
    /// The processes a broad entry expects to write the modules it allows (globs as given).
    expected_writer_globs: Vec<String>,
    expected_writers: Option<GlobSet>,
    /// A write by the loading process itself (a setup program unpacking its own DLL) is expected.
    loader_may_write: bool,
    dll_path: Option<GlobSet>,
    loader: Option<GlobSet>,
    writer: Option<GlobSet>,
    signer: Option<GlobSet>,
    sha256: Vec<String>,
    /// The criteria as the file gives them (field name, globs or hashes), for `tuning check`.
    criteria: Vec<(&'static str, Vec<String>)>,
}

/// What a trigger looks like to the allowlist.
pub struct Candidate<'a> {
    pub load: &'a ImageLoad,
    pub writes: &'a [WriteEvidence],
}

/// What the allowlist says of one trigger: the entry that suppresses it, if any, and the broad
/// entries that matched but did not apply, each with the reason in words.
#[derive(Debug, Default)]
pub struct Decision<'a> {
    pub applied: Option<&'a Entry>,
    pub not_applied: Vec<(&'a Entry, String)>,
}

/// Path glob text → the normalised `/` form, any drive (`C:\\Windows\\*` → `?:/windows/*`): what an
/// entry's path globs are matched against, and what `dllhound export` translates.
pub fn path_glob(g: &str) -> String {
    let mut s: String = g
        .trim()
        .chars()
        .map(|c| if c == '\\' { '/' } else { c })
        .collect::<String>()
        .to_lowercase();
    let b = s.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        s.replace_range(0..1, "?");
    }
    s
}

/// The `/`-separated normalised form a path glob is matched against.
pub(crate) fn slashed(p: &WinPath) -> String {
    p.normalised()
        .chars()
        .map(|c| if c == '\\' { '/' } else { c })
        .collect()
}

fn set(globs: &[String], path_like: bool) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = if path_like {
            GlobBuilder::new(&path_glob(g))
                .literal_separator(true)
                .backslash_escape(false)
                .build()
        } else {
            GlobBuilder::new(g.trim())
                .case_insensitive(true)
                .backslash_escape(false)
                .build()
        };
        b.add(glob.map_err(|e| format!("bad glob {g:?}: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

impl Entry {
    /// True when this entry allows the candidate.
    pub fn matches(&self, c: &Candidate<'_>) -> bool {
        let state = c.load.signature.state;
        let hash_named = !self.sha256.is_empty()
            && c.load
                .sha256
                .as_deref()
                .is_some_and(|h| self.sha256.iter().any(|x| x.eq_ignore_ascii_case(h)));
        if !self.sha256.is_empty() && !hash_named {
            return false;
        }
        if state.is_suspicious() && !hash_named && !self.allow_unsigned {
            return false;
        }
        if let Some(s) = &self.dll_path {
            if !s.is_match(slashed(&c.load.dll)) {
                return false;
            }
        }
        if let Some(s) = &self.loader {
            if !s.is_match(slashed(&c.load.image)) {
                return false;
            }
        }
        if let Some(s) = &self.signer {
            let ok = state == SignatureState::Valid
                && c.load
                    .signature
                    .subject
                    .as_deref()
                    .is_some_and(|sub| s.is_match(sub));
            if !ok {
                return false;
            }
        }
        if let Some(s) = &self.writer {
            if c.writes.is_empty()
                || !c
                    .writes
                    .iter()
                    .all(|w| s.is_match(slashed(&w.process_executable)))
            {
                return false;
            }
        }
        true
    }

    /// True when the entry can only be decided with the corroborators: it has a writer criterion,
    /// or it is broad (a fresh write it does not expect voids it).
    pub fn needs_writes(&self) -> bool {
        self.writer.is_some() || self.broad
    }

    /// For a broad entry, the first fresh write by a process the entry does not expect, in words;
    /// `None` when every write is expected (or the entry is not broad).
    pub fn unexpected_write(&self, c: &Candidate<'_>) -> Option<String> {
        if !self.broad {
            return None;
        }
        let expected = |w: &WriteEvidence| {
            self.expected_writers
                .as_ref()
                .is_some_and(|s| s.is_match(slashed(&w.process_executable)))
                || (self.loader_may_write
                    && ((c.load.process.is_known() && w.process_entity_id == c.load.process)
                        || (!c.load.image.is_empty()
                            && w.process_executable.match_key() == c.load.image.match_key())))
        };
        let w = c.writes.iter().find(|w| !expected(w))?;
        let mut who: Vec<String> = self.expected_writer_globs.clone();
        if self.loader_may_write {
            who.push("the loading process itself".into());
        }
        let expects = if who.is_empty() {
            "no writer at all".to_string()
        } else {
            who.join(", ")
        };
        Some(format!(
            "the module was freshly written by {}, and the entry expects only {expects}",
            w.process_executable
        ))
    }

    /// The criteria as the file gives them: `(field, values)` for every field that is set.
    pub fn criteria(&self) -> &[(&'static str, Vec<String>)] {
        &self.criteria
    }

    /// The writers a broad entry expects, as the file gives them (path globs).
    pub fn expected_writers(&self) -> &[String] {
        &self.expected_writer_globs
    }

    /// True when a broad entry also expects the loading process itself to write the module.
    pub fn loader_may_write(&self) -> bool {
        self.loader_may_write
    }

    /// True once the expiry date has passed.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|d| d < today)
    }
}

/// One entry of the file, checked and compiled; `Err` says what is wrong with it.
fn compile(r: RawEntry, id: &str, duplicate: bool, source: EntrySource) -> Result<Entry, String> {
    let reason = r
        .reason
        .filter(|s| !s.trim().is_empty())
        .ok_or("every entry needs a reason")?;
    if r.id.is_none() {
        return Err("every entry needs an id".into());
    }
    if duplicate {
        return Err("this id is already used by an earlier entry of the file (ids name the entry that suppressed a trigger, so each must be unique)".into());
    }
    if let Some(h) = r.sha256.iter().find(|h| {
        let h = h.trim();
        h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit())
    }) {
        return Err(format!(
            "sha256 {h:?} is not a SHA-256 (64 hexadecimal digits)"
        ));
    }
    if r.dll_path.is_empty()
        && r.loader.is_empty()
        && r.writer.is_empty()
        && r.signer.is_empty()
        && r.sha256.is_empty()
    {
        return Err(
            "an entry must match on at least one of dll_path, loader, writer, signer, sha256"
                .into(),
        );
    }
    let expires = match r.expires.as_deref() {
        None => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|e| format!("expires {d:?}: {e} (use YYYY-MM-DD)"))?,
        ),
    };
    let broad = r.allow_unsigned || r.signer.iter().any(|g| g.trim() == "*");
    if !broad && (!r.expected_writers.is_empty() || r.loader_may_write) {
        return Err("expected_writers and loader_may_write only go with allow_unsigned: true or signer: ['*']".into());
    }
    let criteria = [
        ("dll_path", &r.dll_path),
        ("loader", &r.loader),
        ("writer", &r.writer),
        ("signer", &r.signer),
        ("sha256", &r.sha256),
        ("expected_writers", &r.expected_writers),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect();
    Ok(Entry {
        id: id.into(),
        reason: reason.split_whitespace().collect::<Vec<_>>().join(" "),
        source,
        expires,
        allow_unsigned: r.allow_unsigned,
        broad,
        expected_writers: set(&r.expected_writers, true)?,
        expected_writer_globs: r.expected_writers.clone(),
        loader_may_write: r.loader_may_write,
        dll_path: set(&r.dll_path, true)?,
        loader: set(&r.loader, true)?,
        writer: set(&r.writer, true)?,
        signer: set(&r.signer, false)?,
        sha256: r
            .sha256
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        criteria,
    })
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source.as_str(), self.id)
    }
}

/// A list of entries in evaluation order.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    entries: Vec<Entry>,
    /// Entries dropped because they expired (kept to report them).
    expired: Vec<Entry>,
}

impl Tuning {
    /// The shipped default tuning.
    pub fn default_tuning() -> Tuning {
        // The shipped file is tested below; failing here is a build defect, not bad input.
        Tuning::parse(
            DEFAULT_TUNING_YAML,
            "default tuning",
            EntrySource::DefaultTuning,
            NaiveDate::MIN,
        )
        .expect("the default tuning is valid")
    }

    /// Parses a tuning file. Entries that expired before `today` are set aside (see [`Tuning::expired`]).
    /// Every wrong entry is reported, not only the first ([`TuningError::Several`]).
    pub fn parse(
        text: &str,
        origin: &str,
        source: EntrySource,
        today: NaiveDate,
    ) -> Result<Tuning, TuningError> {
        let (t, mut errors) = Tuning::check(text, origin, source, today)?;
        match errors.len() {
            0 => Ok(t),
            1 => Err(errors.remove(0)),
            _ => Err(TuningError::Several {
                origin: origin.into(),
                errors,
            }),
        }
    }

    /// Parses a tuning file as far as it can: the entries that are right, and one error for each
    /// entry that is not. `Err` is for a file that is not a list of entries at all (YAML, empty).
    pub fn check(
        text: &str,
        origin: &str,
        source: EntrySource,
        today: NaiveDate,
    ) -> Result<(Tuning, Vec<TuningError>), TuningError> {
        let empty = || TuningError::Empty {
            origin: origin.into(),
        };
        if text.trim().is_empty() {
            return Err(empty());
        }
        let raw: Option<Vec<RawEntry>> = serde_norway::from_str(text).map_err(|e| {
            let detail = e.to_string();
            TuningError::Yaml {
                origin: origin.into(),
                hint: yaml_hint(&detail).into(),
                detail,
            }
        })?;
        let raw = raw.filter(|r| !r.is_empty()).ok_or_else(empty)?;
        let mut t = Tuning::default();
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, r) in raw.into_iter().enumerate() {
            let id = r.id.clone().unwrap_or_else(|| format!("#{}", index + 1));
            let duplicate = r.id.is_some() && !seen.insert(id.clone());
            match compile(r, &id, duplicate, source) {
                Ok(entry) if entry.is_expired(today) => t.expired.push(entry),
                Ok(entry) => t.entries.push(entry),
                Err(reason) => errors.push(TuningError::Entry {
                    origin: origin.into(),
                    index: index + 1,
                    id,
                    reason,
                }),
            }
        }
        Ok((t, errors))
    }

    /// Appends another list (the user's allowlist after the default tuning).
    pub fn extend(&mut self, other: Tuning) {
        self.entries.extend(other.entries);
        self.expired.extend(other.expired);
    }

    /// The first entry that allows the candidate.
    pub fn find(&self, c: &Candidate<'_>) -> Option<&Entry> {
        self.decide(c).applied
    }

    /// The first entry that allows the candidate, and the broad entries before it that matched but
    /// were voided by an unexpected fresh write.
    pub fn decide(&self, c: &Candidate<'_>) -> Decision<'_> {
        let mut d = Decision::default();
        for e in self.entries.iter().filter(|e| e.matches(c)) {
            match e.unexpected_write(c) {
                Some(why) => d.not_applied.push((e, why)),
                None => {
                    d.applied = Some(e);
                    break;
                }
            }
        }
        d
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn expired(&self) -> &[Entry] {
        &self.expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dllhound_model::{ProcessKey, Signature};

    fn load(
        image: &str,
        dll: &str,
        signed: &str,
        status: &str,
        subject: &str,
        sha: Option<&str>,
    ) -> ImageLoad {
        ImageLoad {
            process: ProcessKey::Unknown,
            pid: None,
            image: WinPath::new(image),
            dll: WinPath::new(dll),
            signature: Signature::from_sysmon(Some(signed), Some(status), Some(subject)),
            sha256: sha.map(Into::into),
            sha1: None,
            original_file_name: None,
            user: None,
            signer_by_sha1: false,
        }
    }

    fn allows(t: &Tuning, l: &ImageLoad) -> Option<String> {
        t.find(&Candidate {
            load: l,
            writes: &[],
        })
        .map(|e| e.id.clone())
    }

    const DEFENDER: &str =
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MpOAV.dll";

    #[test]
    fn signed_defender_dll_is_allowed_but_an_unsigned_one_at_the_same_path_is_not() {
        let t = Tuning::default_tuning();
        let signed = load(
            r"C:\Windows\notepad.exe",
            DEFENDER,
            "true",
            "Valid",
            "Microsoft Windows",
            None,
        );
        assert_eq!(allows(&t, &signed).as_deref(), Some("defender-platform"));
        let unsigned = load(
            r"C:\Windows\notepad.exe",
            DEFENDER,
            "false",
            "Unavailable",
            "-",
            None,
        );
        assert_eq!(allows(&t, &unsigned), None);
        let other_signer = load(
            r"C:\Windows\notepad.exe",
            DEFENDER,
            "true",
            "Valid",
            "Evil Ltd",
            None,
        );
        assert_eq!(allows(&t, &other_signer), None);
    }

    #[test]
    fn ngen_images_are_allowed_only_in_their_protected_folder() {
        let t = Tuning::default_tuning();
        let ngen = r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\496a45a0614b37e8f0260d3f2adabc52\System.ni.dll";
        assert!(allows(
            &t,
            &load(r"C:\x.exe", ngen, "false", "Unavailable", "-", None)
        )
        .is_some());
        let fake = r"C:\Users\bob\AppData\Local\Temp\NativeImages_v4\System.ni.dll";
        assert_eq!(
            allows(
                &t,
                &load(r"C:\x.exe", fake, "false", "Unavailable", "-", None)
            ),
            None
        );
    }

    #[test]
    fn a_user_entry_naming_the_hash_allows_an_unsigned_dll() {
        let yaml = "- id: inhouse\n  reason: our build tool\n  dll_path: ['C:\\Tools\\**']\n  sha256: ['ABCD000000000000000000000000000000000000000000000000000000000000']\n";
        let t = Tuning::parse(yaml, "test", EntrySource::Allowlist, NaiveDate::MIN).unwrap();
        assert!(allows(
            &t,
            &load(
                r"C:\x.exe",
                r"C:\Tools\a.dll",
                "false",
                "-",
                "-",
                Some("abcd000000000000000000000000000000000000000000000000000000000000")
            )
        )
        .is_some());
        assert_eq!(
            allows(
                &t,
                &load(
                    r"C:\x.exe",
                    r"C:\Tools\a.dll",
                    "false",
                    "-",
                    "-",
                    Some("ffff")
                )
            ),
            None
        );
    }

    #[test]
    fn expired_entries_are_set_aside() {
        let yaml = "- id: old\n  reason: r\n  loader: ['**\\a.exe']\n  expires: 2020-01-01\n";
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let t = Tuning::parse(yaml, "test", EntrySource::Allowlist, today).unwrap();
        assert!(t.entries().is_empty());
        assert_eq!(t.expired().len(), 1);
    }

    #[test]
    fn entries_without_reason_or_criteria_are_rejected() {
        assert!(Tuning::parse(
            "- id: x\n  loader: ['a']\n",
            "t",
            EntrySource::Allowlist,
            NaiveDate::MIN
        )
        .is_err());
        assert!(Tuning::parse(
            "- id: x\n  reason: r\n",
            "t",
            EntrySource::Allowlist,
            NaiveDate::MIN
        )
        .is_err());
        assert!(Tuning::parse(
            "- id: x\n  reason: r\n  colour: red\n",
            "t",
            EntrySource::Allowlist,
            NaiveDate::MIN
        )
        .is_err());
    }

    fn refusal(yaml: &str) -> String {
        match Tuning::parse(yaml, "t.yaml", EntrySource::Allowlist, NaiveDate::MIN) {
            Ok(_) => panic!("accepted: {yaml}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_single_string_is_one_glob() {
        let t = Tuning::parse(
            "- id: tools\n  reason: our tools\n  dll_path: 'C:\\Tools\\*.dll'\n  sha256: 'AA\n    AA'\n",
            "t",
            EntrySource::Allowlist,
            NaiveDate::MIN,
        );
        // The folded sha256 above is not 64 digits: refused for that, not for being a string.
        assert!(t.unwrap_err().to_string().contains("64 hexadecimal"));
        let h = "ab".repeat(32);
        let t = Tuning::parse(
            &format!(
                "- id: tools\n  reason: our tools\n  dll_path: 'C:\\Tools\\*.dll'\n  sha256: {h}\n"
            ),
            "t",
            EntrySource::Allowlist,
            NaiveDate::MIN,
        )
        .unwrap();
        let l = |sha: Option<&str>| {
            load(
                r"C:\Tools\run.exe",
                r"C:\Tools\x.dll",
                "false",
                "-",
                "-",
                sha,
            )
        };
        assert!(
            allows(&t, &l(Some(&"cd".repeat(32)))).is_none(),
            "the hash is not this DLL's"
        );
        assert_eq!(
            allows(&t, &l(Some(&h.to_ascii_uppercase()))).as_deref(),
            Some("tools")
        );
    }

    #[test]
    fn bad_hashes_duplicate_ids_and_empty_files_are_refused_with_the_reason() {
        assert!(refusal("- id: x\n  reason: r\n  sha256: ['abc']\n")
            .contains("\"abc\" is not a SHA-256"));
        let dup = "- id: x\n  reason: r\n  loader: ['a']\n- id: x\n  reason: s\n  loader: ['b']\n";
        let e = refusal(dup);
        assert!(
            e.contains("entry 2 (x)") && e.contains("already used"),
            "{e}"
        );
        for empty in ["", "  \n", "# only a comment\n", "[]\n"] {
            assert!(refusal(empty).contains("no entries"), "{empty:?}");
        }
    }

    #[test]
    fn a_windows_path_in_double_quotes_gets_a_hint_and_the_parser_is_quoted_once() {
        let e = refusal("- id: x\n  reason: r\n  dll_path: \"C:\\Users\\bob\\x.dll\"\n");
        assert!(e.contains("single quotes"), "{e}");
        assert_eq!(e.matches("hexadecimal").count(), 1, "{e}");
        let source = std::error::Error::source(
            &Tuning::parse("- [", "t", EntrySource::Allowlist, NaiveDate::MIN).unwrap_err(),
        )
        .is_none();
        assert!(
            source,
            "the parser's words are in the message, not repeated as a cause"
        );
    }
}
