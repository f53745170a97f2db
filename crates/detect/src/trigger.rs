//! The trigger: is this image load suspicious on its own?

use crate::{PathClass, PathClasses};
use dllhound_model::ImageLoad;

/// Why a load is a trigger. `None` from [`evaluate`] means it is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub classes: Vec<PathClass>,
    /// True when the signer state alone (unsigned / invalid / expired) makes it suspicious.
    pub by_signature: bool,
}

impl Trigger {
    /// A placeholder for a load that waits for its signer (nothing holds yet).
    pub fn is_pending_signer(&self) -> bool {
        self.classes.is_empty() && !self.by_signature
    }
}

/// A load triggers when its module is in a suspicious folder or is not validly signed. A process's
/// own executable logged as a load (`ImageLoaded == Image`) never triggers: it is not a DLL load.
pub fn evaluate(load: &ImageLoad, classes: &PathClasses) -> Option<Trigger> {
    if load.is_main_module() || load.dll.is_empty() {
        return None;
    }
    let classes = classes.classify(&load.dll);
    let by_signature = load.signature.state.is_suspicious();
    (by_signature || !classes.is_empty()).then_some(Trigger {
        classes,
        by_signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dllhound_model::{ProcessKey, Signature, WinPath};

    fn load(image: &str, dll: &str, signed: &str, status: &str) -> ImageLoad {
        ImageLoad {
            process: ProcessKey::Unknown,
            pid: None,
            image: WinPath::new(image),
            dll: WinPath::new(dll),
            signature: Signature::from_sysmon(Some(signed), Some(status), None),
            sha256: None,
            sha1: None,
            original_file_name: None,
            user: None,
            signer_by_sha1: false,
        }
    }

    #[test]
    fn main_module_logged_as_a_load_is_not_a_trigger() {
        let l = load(
            r"C:\Users\a\Downloads\p.exe",
            r"c:\users\a\downloads\P.EXE",
            "false",
            "Unavailable",
        );
        assert_eq!(evaluate(&l, &PathClasses::builtin()), None);
    }

    #[test]
    fn unsigned_system_dll_triggers_by_signature_only() {
        let l = load(
            r"C:\Windows\System32\svchost.exe",
            r"C:\Windows\System32\wlbsctrl.dll",
            "false",
            "Unavailable",
        );
        let t = evaluate(&l, &PathClasses::builtin()).unwrap();
        assert!(t.by_signature && t.classes.is_empty());
    }

    #[test]
    fn signed_dll_in_temp_triggers_by_path() {
        let l = load(
            r"C:\x.exe",
            r"C:\Users\a\AppData\Local\Temp\x.dll",
            "true",
            "Valid",
        );
        let t = evaluate(&l, &PathClasses::builtin()).unwrap();
        assert!(!t.by_signature && t.classes.contains(&PathClass::Temp));
    }

    #[test]
    fn signed_system_dll_is_not_a_trigger() {
        let l = load(
            r"C:\x.exe",
            r"C:\Windows\System32\kernel32.dll",
            "true",
            "Valid",
        );
        assert_eq!(evaluate(&l, &PathClasses::builtin()), None);
    }

    #[test]
    fn unknown_signature_alone_is_not_a_trigger() {
        let l = load(r"C:\x.exe", r"C:\Windows\System32\kernel32.dll", "-", "-");
        assert_eq!(evaluate(&l, &PathClasses::builtin()), None);
    }
}
