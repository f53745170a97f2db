//! Process names that matter: the follow-on executors of branch (b), and lists used by the score.

use dllhound_model::WinPath;

/// Executables that run a DLL named on their command line (branch b).
pub const FOLLOW_ON: &[&str] = &["rundll32.exe", "regsvr32.exe"];

/// Loaders that are living-off-the-land binaries commonly abused to load attacker DLLs.
pub const LOLBIN_LOADERS: &[&str] = &[
    "rundll32.exe",
    "regsvr32.exe",
    "installutil.exe",
    "regasm.exe",
    "regsvcs.exe",
    "cmstp.exe",
    "odbcconf.exe",
    "certoc.exe",
    "msiexec.exe",
    "mshta.exe",
    "control.exe",
    "register-cimprovider.exe",
    "mavinject.exe",
    "msbuild.exe",
    "wmic.exe",
    "verclsid.exe",
    "xwizard.exe",
    "presentationhost.exe",
];

/// Writers whose freshly dropped DLLs are riskier: browsers, Office, archivers, script hosts, downloaders.
const RISKY_WRITERS: &[&str] = &[
    "chrome.exe",
    "msedge.exe",
    "firefox.exe",
    "iexplore.exe",
    "opera.exe",
    "brave.exe",
    "winword.exe",
    "excel.exe",
    "powerpnt.exe",
    "outlook.exe",
    "onenote.exe",
    "7z.exe",
    "7zg.exe",
    "7zfm.exe",
    "winrar.exe",
    "rar.exe",
    "unrar.exe",
    "expand.exe",
    "extrac32.exe",
    "tar.exe",
    "powershell.exe",
    "pwsh.exe",
    "cmd.exe",
    "wscript.exe",
    "cscript.exe",
    "mshta.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "curl.exe",
    "wget.exe",
    "certreq.exe",
];

fn name_in(list: &[&str], image: &WinPath, original_file_name: Option<&str>) -> bool {
    list.contains(&image.file_name())
        || original_file_name.is_some_and(|o| list.iter().any(|n| n.eq_ignore_ascii_case(o.trim())))
}

/// How a process was recognised as a follow-on executor (branch b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Executor {
    /// Its image is named rundll32.exe / regsvr32.exe.
    ImageName,
    /// Its PE `OriginalFileName` is (a renamed copy).
    OriginalFileName,
    /// Neither, and no `OriginalFileName` was logged (older Sysmon, some forwarders), but its command
    /// line has rundll32's shape, `PATH,Entry` or `PATH,#ordinal`: probably a renamed rundll32.
    CommandLineShape,
}

/// How `image` is a follow-on executor, if it is one (see [`Executor`]).
pub fn follow_on_executor(
    image: &WinPath,
    original_file_name: Option<&str>,
    command_line: &str,
) -> Option<Executor> {
    if name_in(FOLLOW_ON, image, None) {
        Some(Executor::ImageName)
    } else if name_in(FOLLOW_ON, &WinPath::new(""), original_file_name) {
        Some(Executor::OriginalFileName)
    } else if original_file_name.is_none_or(|o| o.trim().is_empty() || o.trim() == "-")
        && has_rundll32_shape(command_line)
    {
        Some(Executor::CommandLineShape)
    } else {
        None
    }
}

/// True when the first argument is `FILE,Entry` or `FILE,#N` (rundll32's syntax), quoted or not.
pub fn has_rundll32_shape(command_line: &str) -> bool {
    let cl = command_line.trim_start();
    // Skip the executable.
    let rest = match cl.strip_prefix('"') {
        Some(q) => q.split_once('"').map_or("", |(_, r)| r),
        None => cl.split_once([' ', '\t']).map_or("", |(_, r)| r),
    };
    let rest = rest.trim_start();
    let after = match rest.strip_prefix('"') {
        Some(q) => q.split_once('"'),
        None => rest
            .find([',', ' ', '\t'])
            .map(|i| (&rest[..i], &rest[i..])),
    };
    let Some((file, after)) = after else {
        return false;
    };
    let Some(entry) = after.strip_prefix(',') else {
        return false;
    };
    let entry = entry.split([' ', '\t']).next().unwrap_or("");
    let ident = entry.strip_prefix('#').map_or_else(
        || {
            entry
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && entry
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        },
        |n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
    );
    !file.trim().is_empty() && ident
}

pub fn is_lolbin_loader(image: &WinPath) -> bool {
    name_in(LOLBIN_LOADERS, image, None)
}

pub fn is_risky_writer(image: &WinPath) -> bool {
    name_in(RISKY_WRITERS, image, None)
}

/// How a command line names a DLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// The full (normalised) path appears.
    FullPath,
    /// The full path appears, spelled through 8.3 short names (`C:\PROGRA~3\x.dll`).
    ShortNameAlias,
    /// Only the file name appears, as a whole word (`rundll32 x.dll,Entry`), with no folder before
    /// it, `.\`, an unexpanded variable, or a relative folder the DLL's folder ends with.
    FileName,
    /// The file name without `.dll`, followed by the export (`rundll32 x,Entry`).
    Stem,
    /// Not named: `rundll32 -sta {CLSID}` runs the COM class whose `InprocServer32` value, set in
    /// the registry telemetry, names the DLL.
    ComClsid,
}

/// The class id of `rundll32.exe -sta {CLSID}` (or `/sta`), lower case with braces.
pub fn sta_clsid(command_line: &str) -> Option<String> {
    let cl = command_line.to_ascii_lowercase();
    cl.match_indices("sta")
        .filter(|(i, _)| {
            let before = cl[..*i].chars().next_back();
            matches!(before, Some('-' | '/'))
                && cl[..i - 1]
                    .chars()
                    .next_back()
                    .is_none_or(|c| c.is_whitespace() || c == '"')
        })
        .find_map(|(i, _)| {
            let rest = cl[i + 3..].trim_start_matches([' ', '\t', '"']);
            let id = rest.get(..38)?;
            let ok = id.starts_with('{')
                && id.ends_with('}')
                && id[1..37].chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            ok.then(|| id.to_string())
        })
}

/// Characters that end a file name on a command line.
fn is_boundary(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            '\\' | '/' | '"' | '\'' | ' ' | '\t' | ',' | '=' | ':' | ';'
        ),
    }
}

/// Characters before which a path may start.
fn starts_token(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            '"' | '\'' | ' ' | '\t' | ',' | '=' | ';' | '(' | ':' | '&' | '|' | '<' | '>'
        ),
    }
}

/// Whether `command_line` names `dll`, and how (the strongest way any occurrence does).
///
/// Each occurrence of the DLL's file name (or its stem followed by `,Entry`) must be a whole word
/// on both sides; trailing dots are ignored as Win32 strips them (`x.dll.,Entry`), but
/// `x.dll.bak` is another file. When a folder precedes the name it must be the DLL's folder (after
/// dropping quotes and trailing dots and spaces of each segment, and through 8.3 aliases): a name
/// under a *different* folder does not name this DLL.
pub fn names_dll(command_line: &str, dll: &WinPath) -> Option<NameMatch> {
    let cl: String = command_line
        .chars()
        .map(|c| if c == '/' { '\\' } else { c })
        .collect::<String>()
        .to_lowercase();
    let name = dll.file_name();
    if name.is_empty() {
        return None;
    }
    let mut best: Option<NameMatch> = None;
    let mut consider = |m: Option<NameMatch>| {
        if let Some(m) = m {
            best = Some(best.map_or(m, |b| b.min(m)));
        }
    };
    for i in word_starts(&cl, name) {
        if after_ok(&cl[i + name.len()..], false) {
            consider(folder_match(&cl, i, dll, NameMatch::FileName));
        }
    }
    if let Some(stem) = name.strip_suffix(".dll").filter(|s| !s.is_empty()) {
        for i in word_starts(&cl, stem) {
            if after_ok(&cl[i + stem.len()..], true) {
                consider(folder_match(&cl, i, dll, NameMatch::Stem));
            }
        }
    }
    best
}

/// Byte offsets where `needle` starts after a boundary.
fn word_starts<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    hay.match_indices(needle)
        .map(|(i, _)| i)
        .filter(move |&i| is_boundary(hay[..i].chars().next_back()))
}

/// What follows a name: trailing dots (stripped by Win32), then a boundary; for a stem, a comma.
fn after_ok(rest: &str, stem: bool) -> bool {
    let rest = rest.trim_start_matches('.');
    let next = rest.chars().next();
    if stem {
        next == Some(',')
    } else {
        is_boundary(next)
    }
}

/// Decides one occurrence at `i`: `bare` when no folder precedes it, the full path when the folder
/// is the DLL's, `None` when it is another folder.
fn folder_match(cl: &str, i: usize, dll: &WinPath, bare: NameMatch) -> Option<NameMatch> {
    let head = &cl[..i];
    if !head.ends_with('\\') {
        return Some(bare);
    }
    // The rightmost place a path can start: a drive, a UNC or namespace prefix, or a variable.
    let start = (0..i).rev().find(|&j| {
        if !head.is_char_boundary(j) {
            return false;
        }
        let t = &head[j..];
        let abs =
            t.len() >= 3 && t.as_bytes()[0].is_ascii_alphabetic() && t[1..].starts_with(":\\");
        (abs || t.starts_with("\\\\")
            || t.starts_with("\\??\\")
            || t.starts_with("\\device\\")
            || t.starts_with('%'))
            && starts_token(head[..j].chars().next_back())
    });
    let clean = |folder: &str| -> String {
        folder
            .split('\\')
            .map(|seg| {
                let seg: String = seg.chars().filter(|c| *c != '"' && *c != '\'').collect();
                if seg == "." || seg == ".." {
                    seg
                } else {
                    seg.trim_end_matches(['.', ' ']).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\\")
    };
    match start {
        Some(j) => {
            let cand = WinPath::new(&format!("{}{}", clean(&head[j..]), dll.file_name()));
            let (c, d) = (cand.match_key(), dll.match_key());
            if c == d {
                Some(NameMatch::FullPath)
            } else if dllhound_model::short_name::aliases(c, d) {
                Some(NameMatch::ShortNameAlias)
            } else if cand.normalised().starts_with('%') || wildcard_eq(c, d) {
                Some(bare)
            } else {
                None
            }
        }
        None => {
            // A relative folder: `.\x.dll`, or one the DLL's folder ends with.
            let tok_start = head
                .char_indices()
                .rev()
                .find(|(_, c)| starts_token(Some(*c)))
                .map_or(0, |(k, c)| k + c.len_utf8());
            let rel = clean(&head[tok_start..]);
            let segs: Vec<&str> = rel
                .split('\\')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect();
            let folder: Vec<&str> = dll.match_key().split('\\').collect();
            let folder = &folder[..folder.len().saturating_sub(1)];
            let unknowable = segs.contains(&"..");
            (unknowable || folder.ends_with(&segs)).then_some(bare)
        }
    }
}

/// Segment-wise equality where an unexpanded `%user%` stands for any one folder.
fn wildcard_eq(cand: &str, dll: &str) -> bool {
    cand.contains('%')
        && cand.split('\\').count() == dll.split('\\').count()
        && cand
            .split('\\')
            .zip(dll.split('\\'))
            .all(|(a, b)| a == b || (a.starts_with('%') && a.ends_with('%')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(cl: &str, dll: &str) -> Option<NameMatch> {
        names_dll(cl, &WinPath::new(dll))
    }

    #[test]
    fn full_path_and_bare_names_match() {
        assert_eq!(
            m(
                r"rundll32.exe C:\Users\PEDRO~1.GUS\AppData\Local\Temp\rtcpef.dll,a /p:rtcpef",
                r"C:\Users\PEDRO~1.GUS\AppData\Local\Temp\rtcpef.dll"
            ),
            Some(NameMatch::FullPath)
        );
        assert_eq!(
            m(
                "rundll32 windowscoredeviceinfo.dll,CreateBackdoor",
                r"C:\Windows\System32\windowscoredeviceinfo.dll"
            ),
            Some(NameMatch::FileName)
        );
        assert_eq!(
            m(
                r#"regsvr32 /s "C:\ProgramData\X.DLL""#,
                r"c:\programdata\x.dll"
            ),
            Some(NameMatch::FullPath)
        );
        assert_eq!(
            m("rundll32 evil,DllMain", r"C:\Users\a\evil.dll"),
            Some(NameMatch::Stem)
        );
    }

    #[test]
    fn a_longer_name_containing_the_file_name_does_not_match() {
        assert_eq!(m("rundll32 mydata.dll,Run", r"C:\Users\a\data.dll"), None);
        assert_eq!(
            m(
                "rundll32 shell32.dll,Control_RunDLL",
                r"C:\Users\a\evil.dll"
            ),
            None
        );
    }

    #[test]
    fn a_trailing_dot_is_stripped_as_win32_does() {
        let dll = r"C:\Users\a\AppData\Local\Temp\x.dll";
        assert_eq!(
            m(
                r"rundll32.exe C:\Users\a\AppData\Local\Temp\x.dll.,Entry",
                dll
            ),
            Some(NameMatch::FullPath)
        );
        assert_eq!(
            m("rundll32.exe x.dll.,Entry", dll),
            Some(NameMatch::FileName)
        );
        assert_eq!(
            m(r"rundll32.exe C:\Users\a.\AppData\Local\Temp.\x.dll,E", dll),
            Some(NameMatch::FullPath)
        );
    }

    #[test]
    fn quotes_inside_a_path_are_dropped() {
        assert_eq!(
            m(
                r#"rundll32.exe C:\Users\"a"\AppData\Local\"Temp"\x.dll,Entry"#,
                r"C:\Users\a\AppData\Local\Temp\x.dll"
            ),
            Some(NameMatch::FullPath)
        );
        assert_eq!(
            m(
                r#"rundll32.exe "C:\Program Files\App"\x.dll,Entry"#,
                r"C:\Program Files\App\x.dll"
            ),
            Some(NameMatch::FullPath)
        );
    }

    #[test]
    fn a_full_path_needs_a_right_boundary() {
        let dll = r"C:\Users\a\AppData\Local\Temp\x.dll";
        assert_eq!(
            m(
                r"rundll32.exe C:\Users\a\AppData\Local\Temp\x.dll.bak,Entry",
                dll
            ),
            None
        );
        assert_eq!(
            m(
                r"rundll32.exe C:\Users\a\AppData\Local\Temp\x.dllx,Entry",
                dll
            ),
            None
        );
    }

    #[test]
    fn a_bare_name_under_another_folder_is_another_file() {
        assert_eq!(
            m(
                r"rundll32.exe shell32.dll,Control_RunDLL C:\Windows\System32\calc.cpl",
                r"C:\ProgramData\calc.cpl"
            ),
            None
        );
        assert_eq!(
            m(r"regsvr32 /s C:\Users\b\x.dll", r"C:\Users\a\x.dll"),
            None
        );
        // The same name once under another folder and once under its own: the own one counts.
        assert_eq!(
            m(
                r"rundll32 C:\Windows\x.dll,E C:\ProgramData\x.dll",
                r"C:\ProgramData\x.dll"
            ),
            Some(NameMatch::FullPath)
        );
    }

    #[test]
    fn a_path_after_a_switch_colon_or_a_shell_operator_is_found() {
        let dll = r"C:\Users\bob\AppData\Local\Temp\x.dll";
        for cl in [
            r"C:\Windows\System32\regsvr32.exe /s /i:C:\Users\bob\AppData\Local\Temp\x.dll",
            r"cmd /c echo.&C:\Windows\System32\rundll32.exe C:\Users\bob\AppData\Local\Temp\x.dll,E",
        ] {
            assert_eq!(m(cl, dll), Some(NameMatch::FullPath), "{cl}");
        }
    }

    #[test]
    fn folders_that_normalise_to_the_dll_folder_count() {
        let dll = r"C:\Users\bob\AppData\Local\Temp\x.dll";
        assert_eq!(m(r"rundll32 .\x.dll,E", dll), Some(NameMatch::FileName));
        assert_eq!(m(r"rundll32 Temp\x.dll,E", dll), Some(NameMatch::FileName));
        assert_eq!(m(r"rundll32 Downloads\x.dll,E", dll), None);
        assert_eq!(
            m(r"rundll32 %TEMP%\x.dll,E", dll),
            Some(NameMatch::FileName)
        );
        assert_eq!(
            m(r"rundll32 \\?\C:\Users\bob\AppData\Local\Temp\x.dll,E", dll),
            Some(NameMatch::FullPath)
        );
    }

    #[test]
    fn a_short_name_spelling_of_the_folder_counts() {
        assert_eq!(
            m(
                r"rundll32.exe C:\Users\PEDRO~1.GUS\AppData\Local\Temp\x.dll,E",
                r"C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll"
            ),
            Some(NameMatch::ShortNameAlias)
        );
        assert_eq!(
            m(r"regsvr32 /s C:\PROGRA~3\x.dll", r"C:\ProgramData\x.dll"),
            Some(NameMatch::ShortNameAlias)
        );
    }

    #[test]
    fn the_class_id_of_rundll32_sta() {
        let id = "{0c0c0c0c-0000-0000-0000-000000000001}";
        assert_eq!(
            sta_clsid(r"rundll32.exe -sta {0C0C0C0C-0000-0000-0000-000000000001}").as_deref(),
            Some(id)
        );
        assert_eq!(
            sta_clsid(r#"rundll32.exe /STA "{0C0C0C0C-0000-0000-0000-000000000001}""#).as_deref(),
            Some(id)
        );
        assert_eq!(sta_clsid(r"rundll32.exe C:\x\start.dll,Run"), None);
        assert_eq!(sta_clsid(r"rundll32.exe -sta ProgId.Name"), None);
    }

    #[test]
    fn rundll32_shape_is_recognised_without_original_file_name() {
        let img = WinPath::new(r"C:\Users\a\AppData\Local\Temp\svc.exe");
        for cl in [
            r"svc.exe C:\Users\a\x.dll,DllRegisterServer",
            r#""C:\Users\a\svc.exe" "C:\Users\a\x y.dll",#1"#,
            r"svc.exe x,Start arg",
        ] {
            assert_eq!(
                follow_on_executor(&img, None, cl),
                Some(Executor::CommandLineShape),
                "{cl}"
            );
        }
        for cl in [
            r"svc.exe --config C:\x.ini",
            r"svc.exe a, b",
            r"svc.exe C:\x.dll",
            "svc.exe",
        ] {
            assert_eq!(follow_on_executor(&img, None, cl), None, "{cl}");
        }
        // With an OriginalFileName that is not rundll32's, the shape does not count.
        assert_eq!(
            follow_on_executor(&img, Some("svc.exe"), r"svc.exe C:\x.dll,Run"),
            None
        );
        assert_eq!(
            follow_on_executor(&img, Some("RUNDLL32.EXE"), r"svc.exe C:\x.dll,Run"),
            Some(Executor::OriginalFileName)
        );
    }

    fn executes(image: &WinPath, ofn: Option<&str>) -> bool {
        follow_on_executor(image, ofn, "").is_some()
    }

    #[test]
    fn renamed_regsvr32_is_recognised_by_original_file_name() {
        assert!(executes(
            &WinPath::new(r"C:\Users\a\notepad2.exe"),
            Some("REGSVR32.EXE")
        ));
        assert!(executes(
            &WinPath::new(r"C:\Windows\SysWOW64\RUNDLL32.EXE"),
            None
        ));
        assert!(!executes(
            &WinPath::new(r"C:\Windows\System32\cmd.exe"),
            Some("Cmd.Exe")
        ));
    }
}
