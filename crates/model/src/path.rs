//! Windows paths as logged, and a normalised form to compare and classify them.
//!
//! Normalisation (all of it lossless for the question "is this the same file?"):
//! * `/` becomes `\`; case is folded; surrounding double quotes are dropped;
//! * `\\?\UNC\h\s`, `\??\UNC\h\s` and `\Device\Mup\h\s` become `\\h\s`; `\\?\C:\`, `\??\C:\`, `\\.\C:\`
//!   become `c:\`; `\Device\HarddiskVolumeN\` becomes `?:\` (the drive letter is not knowable);
//! * a leading `%SystemRoot%`, `%windir%`, `%ProgramData%`, `%ProgramFiles%`, `%Public%`,
//!   `%SystemDrive%` is expanded; per-user variables (`%AppData%`, `%LocalAppData%`, `%Temp%`,
//!   `%UserProfile%`) expand under `c:\users\%user%\` so they still classify;
//! * repeated separators collapse and `.` / `..` segments are resolved;
//! * folder names are **not** trimmed: `C:\Windows \System32\` (trailing space) stays distinct from
//!   System32, because that spoof is exactly what an attacker relies on. 8.3 short names
//!   (`PEDRO~1.GUS`) are kept as logged, so they compare equal to themselves across event kinds;
//!   [`crate::short_name::aliases`] says when a short and a long spelling name one file.
//!
//! [`WinPath::match_key`] drops the drive letter so that `\Device\HarddiskVolume2\x` and `C:\x` meet.

use serde::{Serialize, Serializer};
use std::fmt;

/// A Windows path: the original text and its normalised form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WinPath {
    original: Box<str>,
    norm: Box<str>,
}

impl WinPath {
    /// Normalises `raw` (see the module docs).
    pub fn new(raw: &str) -> WinPath {
        WinPath {
            original: raw.into(),
            norm: normalise(raw).into(),
        }
    }

    /// The path exactly as the telemetry logged it.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The normalised, lower-case form (`c:\users\bob\x.dll`, `\\host\share\x.dll`, `?:\x.dll`).
    pub fn normalised(&self) -> &str {
        &self.norm
    }

    /// The comparison key: the normalised form without its drive letter.
    pub fn match_key(&self) -> &str {
        let b = self.norm.as_bytes();
        if b.len() >= 2 && b[1] == b':' && (b[0].is_ascii_alphabetic() || b[0] == b'?') {
            &self.norm[2..]
        } else {
            &self.norm
        }
    }

    /// The last path segment, lower case (`x.dll`).
    pub fn file_name(&self) -> &str {
        self.norm.rsplit('\\').next().unwrap_or(&self.norm)
    }

    /// The last path segment as logged (`Updater.exe`).
    pub fn original_file_name(&self) -> &str {
        self.original
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&self.original)
            .trim_matches('"')
    }

    /// True for network paths (`\\host\share\…` after normalisation).
    pub fn is_unc(&self) -> bool {
        self.norm.starts_with("\\\\")
    }

    /// True when nothing was logged (empty or `-`).
    pub fn is_empty(&self) -> bool {
        self.norm.is_empty() || &*self.norm == "-"
    }
}

impl fmt::Debug for WinPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.original)
    }
}

impl fmt::Display for WinPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Serialize for WinPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.original)
    }
}

const ENV_PREFIXES: &[(&str, &str)] = &[
    ("%systemroot%", "c:\\windows"),
    ("%windir%", "c:\\windows"),
    ("%systemdrive%", "c:"),
    ("%programdata%", "c:\\programdata"),
    ("%allusersprofile%", "c:\\programdata"),
    ("%programfiles(x86)%", "c:\\program files (x86)"),
    ("%programfiles%", "c:\\program files"),
    ("%public%", "c:\\users\\public"),
    ("%localappdata%", "c:\\users\\%user%\\appdata\\local"),
    ("%appdata%", "c:\\users\\%user%\\appdata\\roaming"),
    ("%temp%", "c:\\users\\%user%\\appdata\\local\\temp"),
    ("%tmp%", "c:\\users\\%user%\\appdata\\local\\temp"),
    ("%userprofile%", "c:\\users\\%user%"),
];

fn normalise(raw: &str) -> String {
    let mut s = raw
        .trim_matches(|c: char| c == '\t' || c == '\r' || c == '\n')
        .trim_start_matches(' ');
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s = &s[1..s.len() - 1];
    }
    let mut p: String = s.chars().map(|c| if c == '/' { '\\' } else { c }).collect();
    p = p.to_lowercase();

    // Device and namespace prefixes.
    let mut unc = false;
    for pre in [
        "\\\\?\\unc\\",
        "\\??\\unc\\",
        "\\device\\mup\\",
        "\\\\.\\unc\\",
    ] {
        if let Some(rest) = p.strip_prefix(pre) {
            p = rest.to_string();
            unc = true;
            break;
        }
    }
    if !unc {
        for pre in ["\\\\?\\", "\\??\\", "\\\\.\\"] {
            if let Some(rest) = p.strip_prefix(pre) {
                p = rest.to_string();
                break;
            }
        }
        if let Some(rest) = p.strip_prefix("\\device\\harddiskvolume") {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                p = format!("?:{}", &rest[digits..]);
            }
        }
        if p.starts_with("\\\\") {
            unc = true;
            p = p[2..].to_string();
        }
    }
    if !unc {
        for (var, exp) in ENV_PREFIXES {
            if let Some(rest) = p.strip_prefix(var) {
                p = format!("{exp}{rest}");
                break;
            }
        }
    }

    // Collapse separators and resolve `.` / `..` (never trimming segment names).
    let (head, body) = if unc {
        ("\\\\".to_string(), p.as_str())
    } else if p.len() >= 2 && p.as_bytes()[1] == b':' {
        (p[..2].to_string() + "\\", &p[2..])
    } else {
        (String::new(), p.as_str())
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in body.split('\\') {
        match seg {
            "" | "." => {}
            ".." => {
                // Never climb above a UNC host\share or a drive root.
                if !(unc && parts.len() <= 2) {
                    parts.pop();
                }
            }
            s => parts.push(s),
        }
    }
    if head.is_empty() && body.starts_with('\\') {
        return format!("\\{}", parts.join("\\"));
    }
    head + &parts.join("\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        WinPath::new(s).normalised().to_string()
    }

    #[test]
    fn namespace_prefixes_fold() {
        assert_eq!(n(r"\\?\C:\Windows\x.dll"), r"c:\windows\x.dll");
        assert_eq!(n(r"\??\C:\Windows\x.dll"), r"c:\windows\x.dll");
        assert_eq!(n(r"\\?\UNC\host\share\x.dll"), r"\\host\share\x.dll");
        assert_eq!(n(r"\Device\Mup\host\share\x.dll"), r"\\host\share\x.dll");
        assert_eq!(n(r"\Device\HarddiskVolume3\Users\a.dll"), r"?:\users\a.dll");
        assert_eq!(n("C:/Users//Bob/./x.dll"), r"c:\users\bob\x.dll");
    }

    #[test]
    fn drive_letter_is_not_part_of_the_match_key() {
        let a = WinPath::new(r"\Device\HarddiskVolume2\Windows\Temp\a.dll");
        let b = WinPath::new(r"C:\WINDOWS\Temp\A.DLL");
        assert_eq!(a.match_key(), b.match_key());
    }

    #[test]
    fn trailing_space_folder_is_kept() {
        assert_eq!(
            n(r"C:\Windows \System32\a.dll"),
            r"c:\windows \system32\a.dll"
        );
    }

    #[test]
    fn dot_dot_is_resolved_but_cannot_escape_a_share() {
        assert_eq!(
            n(r"C:\Windows\System32\..\..\Users\x.dll"),
            r"c:\users\x.dll"
        );
        assert_eq!(n(r"\\h\s\..\..\x.dll"), r"\\h\s\x.dll");
    }

    #[test]
    fn env_var_prefixes_expand() {
        assert_eq!(
            n(r"%SystemRoot%\System32\a.dll"),
            r"c:\windows\system32\a.dll"
        );
        assert_eq!(
            n(r"%TEMP%\a.dll"),
            r"c:\users\%user%\appdata\local\temp\a.dll"
        );
    }

    #[test]
    fn short_names_compare_to_themselves() {
        let a = WinPath::new(r"C:\Users\PEDRO~1.GUS\AppData\Local\Temp\rtcpef.dll");
        let b = WinPath::new(r"c:\users\pedro~1.gus\appdata\local\temp\RTCPEF.dll");
        assert_eq!(a.match_key(), b.match_key());
        assert_eq!(a.file_name(), "rtcpef.dll");
    }
}
