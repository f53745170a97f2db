//! 8.3 short names: when two normalised paths name one file through `NAME~N` aliases.
//!
//! Sysmon logs a path as the process opened it. A dropper that resolved the profile folder writes
//! `C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll`, while a launcher built from `%TEMP%` loads
//! `C:\Users\PEDRO~1.GUS\AppData\Local\Temp\x.dll`: the same file. The short name cannot be
//! computed from the long one (the `~N` depends on the folder's other names, and the hashed form on
//! a checksum), so equality is decided segment by segment: two paths alias when they have the same
//! number of segments and each pair is equal or a short name that can abbreviate the long one:
//!
//! * `BASE~N[.EXT]`: the long name with spaces, leading dots and all dots but the last removed, and
//!   `+,;=[]` replaced by `_`, starts with `BASE` (1–6 characters) and its extension starts with
//!   `EXT` (`Program Files` ← `PROGRA~1`, `pedro.gustavo` ← `PEDRO~1.GUS`);
//! * the hashed form Windows uses past four collisions, `XXHHHH~N`: two characters of the long
//!   base and four hex digits;
//! * at the root of a drive the fixed folders: `PROGRA~1` is `Program Files`, `PROGRA~2`
//!   `Program Files (x86)` (or `ProgramData` on 32-bit Windows), `PROGRA~3` `ProgramData`; other
//!   forms of `PROGRA~N` at the root are not guessed.
//!
//! Paths compared are [`WinPath::match_key`](crate::WinPath::match_key)s (lower case, no drive).

/// True when `a` and `b` (match keys) name the same file through at least one 8.3 alias, and
/// otherwise agree segment by segment. Equal paths are not aliases (compare them directly).
pub fn aliases(a: &str, b: &str) -> bool {
    if a == b || !(a.contains('~') || b.contains('~')) {
        return false;
    }
    let (mut sa, mut sb) = (a.split('\\'), b.split('\\'));
    let mut aliased = false;
    let mut depth = 0usize;
    loop {
        match (sa.next(), sb.next()) {
            (None, None) => return aliased,
            (Some(x), Some(y)) => {
                if x != y {
                    // Segment 0 is empty (keys start with `\`); segment 1 is the drive's root folder.
                    let root = depth == 1 && !a.starts_with("\\\\");
                    if !(abbreviates(x, y, root) || abbreviates(y, x, root)) {
                        return false;
                    }
                    aliased = true;
                }
            }
            _ => return false,
        }
        depth += 1;
    }
}

/// True when `short` is an 8.3 name that can stand for `long` (see the module docs).
pub fn abbreviates(short: &str, long: &str, at_root: bool) -> bool {
    let Some((base, digits, ext)) = split_short(short) else {
        return false;
    };
    if long.contains('~') || digits.is_empty() {
        return false;
    }
    if at_root && base == "progra" {
        return match digits {
            "1" => long == "program files",
            "2" => long == "program files (x86)" || long == "programdata",
            "3" => long == "programdata",
            _ => false,
        } && ext.is_empty();
    }
    let (lbase, lext) = long_parts(long);
    let want_ext: String = lext.chars().take(3).collect();
    if lbase.is_empty() || ext != want_ext {
        return false;
    }
    let plain = lbase.starts_with(base);
    let hashed = base.len() == 6
        && lbase.len() >= 2
        && base.is_char_boundary(2)
        && lbase.is_char_boundary(2)
        && base[..2] == lbase[..2]
        && base[2..].bytes().all(|c| c.is_ascii_hexdigit());
    plain || hashed
}

/// `pedro~1.gus` → (`pedro`, `1`, `gus`).
fn split_short(s: &str) -> Option<(&str, &str, &str)> {
    let (base, rest) = s.split_once('~')?;
    let (digits, ext) = rest.split_once('.').unwrap_or((rest, ""));
    let ok = !base.is_empty()
        && base.len() <= 6
        && digits.len() <= 6
        && digits.bytes().all(|c| c.is_ascii_digit())
        && ext.len() <= 3
        && !ext.contains('.');
    ok.then_some((base, digits, ext))
}

/// The long name as 8.3 generation sees it: (base, extension) with spaces and extra dots removed.
fn long_parts(long: &str) -> (String, String) {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != ' ' && *c != '.')
            .map(|c| if "+,;=[]".contains(c) { '_' } else { c })
            .collect()
    };
    let trimmed = long.trim_start_matches('.');
    match trimmed.rsplit_once('.') {
        Some((b, e)) => (clean(b), clean(e)),
        None => (clean(trimmed), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WinPath;

    fn k(p: &str) -> String {
        WinPath::new(p).match_key().to_string()
    }

    #[test]
    fn a_short_profile_folder_aliases_the_long_one() {
        assert!(aliases(
            &k(r"C:\Users\PEDRO~1.GUS\AppData\Local\Temp\x.dll"),
            &k(r"C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll")
        ));
        assert!(aliases(
            &k(r"C:\Users\ADMINI~1\AppData\Local\Temp\x.dll"),
            &k(r"C:\Users\Administrator\AppData\Local\Temp\x.dll")
        ));
    }

    #[test]
    fn the_fixed_root_folders() {
        assert!(aliases(
            &k(r"C:\PROGRA~3\x.dll"),
            &k(r"C:\ProgramData\x.dll")
        ));
        assert!(aliases(
            &k(r"C:\PROGRA~1\App\x.dll"),
            &k(r"C:\Program Files\App\x.dll")
        ));
        assert!(!aliases(
            &k(r"C:\PROGRA~1\x.dll"),
            &k(r"C:\ProgramData\x.dll")
        ));
        assert!(!aliases(
            &k(r"C:\PROGRA~3\x.dll"),
            &k(r"C:\Program Files\x.dll")
        ));
    }

    #[test]
    fn a_short_file_name_keeps_three_letters_of_the_extension() {
        assert!(aliases(
            &k(r"C:\Users\a\AppData\Local\Temp\UPDATE~1.DLL"),
            &k(r"C:\Users\a\AppData\Local\Temp\updater helper.dll")
        ));
        assert!(!aliases(
            &k(r"C:\Users\a\AppData\Local\Temp\UPDATE~1.EXE"),
            &k(r"C:\Users\a\AppData\Local\Temp\updater helper.dll")
        ));
    }

    #[test]
    fn the_hashed_form_past_four_collisions() {
        assert!(abbreviates("pe3a5f~1.gus", "pedro.gustavo", false));
        assert!(!abbreviates("pe3a5g~1.gus", "pedro.gustavo", false));
        assert!(!abbreviates("xx3a5f~1.gus", "pedro.gustavo", false));
    }

    #[test]
    fn near_misses_do_not_alias() {
        // A different folder that happens to share a prefix with another segment.
        assert!(!aliases(
            &k(r"C:\Users\PEDRO~1.GUS\Downloads\x.dll"),
            &k(r"C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll")
        ));
        // A short name whose base is not a prefix of the long name.
        assert!(!aliases(
            &k(r"C:\Users\MARIA~1.GUS\AppData\x.dll"),
            &k(r"C:\Users\pedro.gustavo\AppData\x.dll")
        ));
        // Another file in the same folder.
        assert!(!aliases(
            &k(r"C:\Users\PEDRO~1.GUS\AppData\y.dll"),
            &k(r"C:\Users\pedro.gustavo\AppData\x.dll")
        ));
        // Equal paths are not aliases, and plain names without `~` never are.
        assert!(!aliases(&k(r"C:\a\x.dll"), &k(r"C:\a\x.dll")));
        assert!(!aliases(&k(r"C:\a\x.dll"), &k(r"C:\b\x.dll")));
    }
}
