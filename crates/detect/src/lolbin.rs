//! Process names that matter: the follow-on executors of branch (b), and lists used by the score.

use dllhound_model::WinPath;

/// Executables that run a DLL named on their command line (branch b).
const FOLLOW_ON: &[&str] = &["rundll32.exe", "regsvr32.exe"];

/// Loaders that are living-off-the-land binaries commonly abused to load attacker DLLs.
const LOLBIN_LOADERS: &[&str] = &[
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

/// rundll32 / regsvr32 by image name or PE `OriginalFileName` (so renamed copies count).
pub fn is_follow_on_executor(image: &WinPath, original_file_name: Option<&str>) -> bool {
    name_in(FOLLOW_ON, image, original_file_name)
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
    /// Only the file name appears, as a whole word (`rundll32 x.dll,Entry`).
    FileName,
    /// The file name without `.dll`, followed by the export (`rundll32 x,Entry`).
    Stem,
}

fn is_boundary(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            '\\' | '/' | '"' | '\'' | ' ' | '\t' | ',' | '=' | ':' | ';'
        ),
    }
}

/// Whether `command_line` names `dll`, and how.
pub fn names_dll(command_line: &str, dll: &WinPath) -> Option<NameMatch> {
    let cl: String = command_line
        .chars()
        .map(|c| if c == '/' { '\\' } else { c })
        .collect::<String>()
        .to_lowercase();
    let key = dll.match_key();
    if key.len() > 3 && cl.contains(key) {
        return Some(NameMatch::FullPath);
    }
    let name = dll.file_name();
    if name.is_empty() {
        return None;
    }
    if word_at(&cl, name, is_boundary) {
        return Some(NameMatch::FileName);
    }
    let stem = name.strip_suffix(".dll")?;
    (!stem.is_empty() && word_at(&cl, stem, |after| after == Some(','))).then_some(NameMatch::Stem)
}

fn word_at(hay: &str, needle: &str, after_ok: impl Fn(Option<char>) -> bool) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        is_boundary(before) && after_ok(after)
    })
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
    fn renamed_regsvr32_is_recognised_by_original_file_name() {
        assert!(is_follow_on_executor(
            &WinPath::new(r"C:\Users\a\notepad2.exe"),
            Some("REGSVR32.EXE")
        ));
        assert!(is_follow_on_executor(
            &WinPath::new(r"C:\Windows\SysWOW64\RUNDLL32.EXE"),
            None
        ));
        assert!(!is_follow_on_executor(
            &WinPath::new(r"C:\Windows\System32\cmd.exe"),
            Some("Cmd.Exe")
        ));
    }
}
