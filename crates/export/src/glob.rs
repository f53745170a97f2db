//! Path globs in the engine's form, translated to the patterns of other languages.
//!
//! The engine matches globs against the *normalised* module path: lower case, `/` between
//! folders, `?:` for any drive, `//host/share` for network paths (`dllhound_detect::PathClasses`,
//! `dllhound_detect::tuning::path_glob`). In that form `*` and `?` stay inside one folder, `**`
//! crosses folders and `[0-9]` is a class. A SIEM sees the path *as logged*: any case, `\`
//! separators, and any of the spellings the engine folds (`C:\`, `\Device\HarddiskVolume3\`,
//! `\\?\C:\`; `\\host\`, `\Device\Mup\host\`, `\\?\UNC\host\`).
//!
//! * [`Glob::regex`] gives an anchored regular expression (RE2 and PCRE agree on the subset used)
//!   that accepts those spellings and keeps `*` inside one folder: exact, up to `.`/`..` segments.
//! * [`Glob::wildcards`] gives wildcard patterns (`*` any run, `?` one character) for EQL, Sigma
//!   and ES|QL `LIKE`: one pattern per spelling of the root, classes expanded when small. There `*`
//!   also crosses folders, so a pattern can be wider than the glob (the targets say so).

/// One piece of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// `?:` at the start: any drive.
    AnyDrive,
    /// `//` at the start: a network path.
    UncRoot,
    Sep,
    /// `*`: any run inside one folder.
    Star,
    /// `**`: any run, across folders.
    Globstar,
    /// `?`: one character inside a folder.
    One,
    /// `[…]` as written (`!` or `^` negates).
    Class(String),
    Lit(char),
}

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    toks: Vec<Tok>,
}

/// The spellings a drive root may be logged with, as wildcard prefixes: `C:`,
/// `\Device\HarddiskVolumeN`, `\\?\C:` (and `\\.\C:`), `\??\C:`.
const DRIVE_WILDCARDS: [&str; 4] = ["?:", "\\device\\harddiskvolume*", "\\\\?\\?:", "\\??\\?:"];
/// The spellings of a network root, as wildcard prefixes (`\\?\UNC\` starts with `\\`).
const UNC_WILDCARDS: [&str; 3] = ["\\\\", "\\device\\mup\\", "\\??\\unc\\"];

impl Glob {
    /// Parses a glob in the engine's normalised form (`?:/users/**`, `//*/**`, `**/*.tmp/**`).
    pub fn parse(glob: &str) -> Glob {
        let mut toks = Vec::new();
        let mut rest = glob;
        if let Some(r) = rest.strip_prefix("?:") {
            toks.push(Tok::AnyDrive);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("//") {
            toks.push(Tok::UncRoot);
            rest = r;
        }
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' | '\\' => toks.push(Tok::Sep),
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    toks.push(Tok::Globstar);
                }
                '*' => toks.push(Tok::Star),
                '?' => toks.push(Tok::One),
                '[' => {
                    let mut class = String::new();
                    let mut closed = false;
                    for d in chars.by_ref() {
                        if d == ']' && !class.is_empty() {
                            closed = true;
                            break;
                        }
                        class.push(d);
                    }
                    if closed {
                        toks.push(Tok::Class(class));
                    } else {
                        toks.push(Tok::Lit('['));
                        toks.extend(class.chars().map(Tok::Lit));
                    }
                }
                c => toks.extend(c.to_lowercase().map(Tok::Lit)),
            }
        }
        Glob { toks }
    }

    /// An anchored, lower-case regular expression over the path as logged; the caller makes it
    /// case-insensitive (`(?i)`, or by lower-casing the field).
    pub fn regex(&self) -> String {
        let t = &self.toks;
        let mut out = String::from("^");
        let mut i = 0;
        while i < t.len() {
            let next = t.get(i + 1);
            match &t[i] {
                Tok::AnyDrive => out.push_str(
                    r"(?:[a-z]:|\\device\\harddiskvolume[0-9]+|\\\\[?.]\\[a-z]:|\\\?\?\\[a-z]:)",
                ),
                Tok::UncRoot => {
                    out.push_str(r"(?:\\\\|\\\\[?.]\\unc\\|\\\?\?\\unc\\|\\device\\mup\\)")
                }
                // `**/` at the start or after a separator: zero or more folders.
                Tok::Globstar if next == Some(&Tok::Sep) && (i == 0 || t[i - 1] == Tok::Sep) => {
                    out.push_str(r"(?:.*[\\/])?");
                    i += 1;
                }
                Tok::Globstar => out.push_str(".*"),
                Tok::Star => out.push_str(r"[^\\/]*"),
                Tok::One => out.push_str(r"[^\\/]"),
                Tok::Sep => out.push_str(r"[\\/]"),
                Tok::Class(c) => {
                    out.push('[');
                    let (neg, body) = match c.strip_prefix(['!', '^']) {
                        Some(b) => (true, b),
                        None => (false, c.as_str()),
                    };
                    if neg {
                        out.push('^');
                    }
                    for ch in body.chars() {
                        if matches!(ch, '\\' | ']' | '[' | '^') {
                            out.push('\\');
                        }
                        out.push(ch);
                    }
                    out.push(']');
                }
                Tok::Lit(c) => push_regex_literal(&mut out, *c),
            }
            i += 1;
        }
        out.push('$');
        out
    }

    /// Wildcard patterns over the lower-cased path as logged (`*` any run, `?` one character,
    /// `\` a literal backslash): one per root spelling and per member of a small class.
    pub fn wildcards(&self) -> Vec<String> {
        // `/**/` may match no folder at all (`a/**/b` matches `a/b`): each one gives a spelling
        // with it and one without.
        let mut seqs: Vec<Vec<&Tok>> = vec![self.toks.iter().collect()];
        let mut i = 0;
        while i + 2 < self.toks.len() {
            if self.toks[i] == Tok::Sep
                && self.toks[i + 1] == Tok::Globstar
                && self.toks[i + 2] == Tok::Sep
            {
                let without: Vec<Vec<&Tok>> = seqs
                    .iter()
                    .map(|s| {
                        let cut = s.len() - (self.toks.len() - i);
                        let mut v = s[..cut + 1].to_vec();
                        v.extend_from_slice(&s[cut + 3..]);
                        v
                    })
                    .collect();
                seqs.extend(without);
            }
            i += 1;
        }
        let mut outs: Vec<String> = Vec::new();
        for seq in seqs {
            for w in render_wildcards(&seq) {
                if !outs.contains(&w) {
                    outs.push(w);
                }
            }
        }
        outs
    }
}

/// The wildcard spellings of one token sequence.
fn render_wildcards(toks: &[&Tok]) -> Vec<String> {
    let mut outs = vec![String::new()];
    for tok in toks {
        let alts: Vec<String> = match tok {
            Tok::AnyDrive => DRIVE_WILDCARDS.iter().map(|s| s.to_string()).collect(),
            Tok::UncRoot => UNC_WILDCARDS.iter().map(|s| s.to_string()).collect(),
            Tok::Sep => vec!["\\".into()],
            Tok::Star | Tok::Globstar => vec!["*".into()],
            Tok::One => vec!["?".into()],
            Tok::Class(c) => match expand_class(c) {
                Some(members) => members.into_iter().map(String::from).collect(),
                None => vec!["?".into()],
            },
            Tok::Lit(c) => vec![c.to_string()],
        };
        outs = outs
            .iter()
            .flat_map(|o| {
                alts.iter().map(move |a| {
                    let mut s = o.clone();
                    if !(a == "*" && s.ends_with('*')) {
                        s.push_str(a);
                    }
                    s
                })
            })
            .collect();
    }
    outs
}

/// An anchored regular expression for a case-insensitive text wildcard (`*` any run, `?` one
/// character), such as a signer glob; the caller adds the case-insensitivity.
pub fn wildcard_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => push_regex_literal(&mut out, c),
        }
    }
    out.push('$');
    out
}

/// One case-insensitive regular expression accepting any of `globs`.
pub fn any_regex(globs: &[Glob]) -> String {
    let parts: Vec<String> = globs.iter().map(|g| format!("(?:{})", g.regex())).collect();
    format!("(?i){}", parts.join("|"))
}

fn push_regex_literal(out: &mut String, c: char) {
    if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
        if c == ' ' {
            out.push(' ');
            return;
        }
        out.push('\\');
    }
    out.push(c);
}

/// The members of a class such as `0-9` or `ab`, when it is small and not negated.
fn expand_class(c: &str) -> Option<Vec<char>> {
    if c.starts_with(['!', '^']) {
        return None;
    }
    let chars: Vec<char> = c.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (a, b) = (chars[i] as u32, chars[i + 2] as u32);
            if b < a || b - a > 25 {
                return None;
            }
            out.extend((a..=b).filter_map(char::from_u32));
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    (out.len() <= 10).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(g: &str) -> regex::Regex {
        regex::Regex::new(&format!("(?i){}", Glob::parse(g).regex())).unwrap()
    }

    #[test]
    fn regex_accepts_every_root_spelling_and_keeps_star_in_a_folder() {
        let r = re("?:/users/*/appdata/local/temp/**");
        assert!(r.is_match(r"C:\Users\bob\AppData\Local\Temp\x.dll"));
        assert!(r.is_match(r"\Device\HarddiskVolume3\Users\bob\AppData\Local\Temp\x.dll"));
        assert!(r.is_match(r"\\?\C:\Users\bob\AppData\Local\Temp\x.dll"));
        assert!(!r.is_match(r"C:\Users\bob\x\AppData\Local\Temp\x.dll"));
        assert!(!r.is_match(r"C:\Windows\Temp\x.dll"));
        let u = re("//*/**");
        assert!(u.is_match(r"\\10.0.0.5\share\x.dll"));
        assert!(u.is_match(r"\Device\Mup\host\share\x.dll"));
        assert!(!u.is_match(r"C:\x.dll"));
    }

    #[test]
    fn leading_globstar_matches_zero_folders() {
        let r = re("**/appdata/local/temp/**");
        assert!(r.is_match(r"C:\Users\a\AppData\Local\Temp\x.dll"));
        let w = Glob::parse("?:/windows/installer/**/x.dll").wildcards();
        assert!(
            w.contains(&r"?:\windows\installer\x.dll".to_string()),
            "{w:?}"
        );
        assert!(
            w.contains(&r"?:\windows\installer\*\x.dll".to_string()),
            "{w:?}"
        );
    }

    #[test]
    fn wildcards_expand_roots_and_small_classes() {
        let w = Glob::parse("//*@[0-9]*/**").wildcards();
        assert!(w.contains(&r"\\*@1*\*".to_string()), "{w:?}");
        assert_eq!(w.len(), 3 * 10);
        assert_eq!(
            Glob::parse("?:/users/**").wildcards(),
            vec![
                r"?:\users\*",
                r"\device\harddiskvolume*\users\*",
                r"\\?\?:\users\*",
                r"\??\?:\users\*"
            ]
        );
    }

    #[test]
    fn literal_spaces_dots_and_brackets_are_escaped() {
        let r = re("**/* /**");
        assert!(r.is_match(r"C:\Windows \System32\x.dll"));
        assert!(!r.is_match(r"C:\Windows\System32\x.dll"));
        let p = re("?:/program files (x86)/**");
        assert!(p.is_match(r"C:\Program Files (x86)\x.dll"));
    }
}
