//! Path classes: a data table of globs, compiled into one matcher.

use dllhound_model::WinPath;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a module's folder is suspicious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathClass {
    Temp,
    UserWritable,
    Unc,
    Webdav,
    SpoofedDir,
}

impl PathClass {
    pub const ALL: [PathClass; 5] = [
        PathClass::Temp,
        PathClass::UserWritable,
        PathClass::Unc,
        PathClass::Webdav,
        PathClass::SpoofedDir,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PathClass::Temp => "temp",
            PathClass::UserWritable => "user_writable",
            PathClass::Unc => "unc",
            PathClass::Webdav => "webdav",
            PathClass::SpoofedDir => "spoofed_dir",
        }
    }

    /// A phrase for reasons: "under a temp folder".
    pub fn phrase(self) -> &'static str {
        match self {
            PathClass::Temp => "a temp folder",
            PathClass::UserWritable => "a user-writable folder",
            PathClass::Unc => "a network share (UNC path)",
            PathClass::Webdav => "a WebDAV share",
            PathClass::SpoofedDir => {
                "a spoofed folder whose name ends in a space or dot (mock trusted directory)"
            }
        }
    }

    fn parse(s: &str) -> Option<PathClass> {
        PathClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A path-class table that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathClassesError {
    #[error("path classes: not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    #[error(
        "path classes: unknown class {0:?} (known: temp, user_writable, unc, webdav, spoofed_dir)"
    )]
    UnknownClass(String),
    #[error("path classes: bad glob {glob:?} in {class}: {reason}")]
    Glob {
        class: String,
        glob: String,
        reason: String,
    },
}

/// The compiled table.
#[derive(Debug, Clone)]
pub struct PathClasses {
    set: GlobSet,
    owners: Vec<PathClass>,
    globs: Vec<(PathClass, String)>,
    source: String,
}

/// The table shipped in the binary.
pub const BUILTIN_YAML: &str = include_str!("../data/path_classes.yaml");

impl PathClasses {
    /// The built-in table (`data/path_classes.yaml`).
    pub fn builtin() -> PathClasses {
        // The built-in table is tested below; failing here would be a build defect, not bad input.
        PathClasses::from_yaml(BUILTIN_YAML).expect("built-in path classes are valid")
    }

    /// A table in the same shape as the built-in one: `class: [glob, …]`.
    pub fn from_yaml(text: &str) -> Result<PathClasses, PathClassesError> {
        let raw: BTreeMap<String, Vec<String>> = serde_norway::from_str(text)?;
        let mut b = GlobSetBuilder::new();
        let mut owners = Vec::new();
        let mut all = Vec::new();
        for (class, globs) in &raw {
            let c = PathClass::parse(class)
                .ok_or_else(|| PathClassesError::UnknownClass(class.clone()))?;
            for g in globs {
                let glob = GlobBuilder::new(&g.to_lowercase())
                    .literal_separator(true)
                    .backslash_escape(false)
                    .build()
                    .map_err(|e| PathClassesError::Glob {
                        class: class.clone(),
                        glob: g.clone(),
                        reason: e.to_string(),
                    })?;
                b.add(glob);
                owners.push(c);
                all.push((c, g.to_lowercase()));
            }
        }
        let set = b.build().map_err(|e| PathClassesError::Glob {
            class: "*".into(),
            glob: "*".into(),
            reason: e.to_string(),
        })?;
        Ok(PathClasses {
            set,
            owners,
            globs: all,
            source: text.to_string(),
        })
    }

    /// Every glob with its class, lower case, in the table's order (for exporters that turn the
    /// table into another language's conditions).
    pub fn globs(&self) -> &[(PathClass, String)] {
        &self.globs
    }

    /// The YAML this table was built from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The classes a path falls in, sorted, without repeats.
    pub fn classify(&self, path: &WinPath) -> Vec<PathClass> {
        let slashed: String = path
            .normalised()
            .chars()
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        let mut out: Vec<PathClass> = self
            .set
            .matches(&slashed)
            .into_iter()
            .map(|i| self.owners[i])
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathClass::*;

    fn c(p: &str) -> Vec<PathClass> {
        PathClasses::builtin().classify(&WinPath::new(p))
    }

    #[test]
    fn temp_folders_are_temp_and_user_writable() {
        assert_eq!(
            c(r"C:\Users\IEUser\AppData\Local\Temp\pe386.dll"),
            vec![Temp, UserWritable]
        );
        assert_eq!(c(r"C:\Windows\Temp\x.dll"), vec![Temp]);
        assert_eq!(
            c(r"C:\Windows\Installer\MSI4F2.tmp-\Microsoft.Deployment.WindowsInstaller.dll"),
            vec![Temp]
        );
    }

    #[test]
    fn profile_and_world_writable_system_folders_are_user_writable() {
        assert_eq!(c(r"C:\Users\Public\tools\npmproxy.dll"), vec![UserWritable]);
        assert_eq!(c(r"C:\ProgramData\calc.cpl"), vec![UserWritable]);
        assert_eq!(c(r"C:\PROGRA~3\DATAUS~1.DLL"), vec![UserWritable]);
        assert_eq!(
            c(r"C:\Windows\System32\spool\drivers\color\x.dll"),
            vec![UserWritable]
        );
        assert_eq!(
            c(r"\Device\HarddiskVolume2\Users\bob\Downloads\x.dll"),
            vec![UserWritable]
        );
    }

    #[test]
    fn system_and_program_folders_are_not_classed() {
        assert!(c(r"C:\Windows\System32\kernel32.dll").is_empty());
        assert!(c(r"C:\Program Files\Internet Explorer\iertutil.dll").is_empty());
        assert!(
            c(r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\abc\System.ni.dll")
                .is_empty()
        );
    }

    #[test]
    fn network_paths_are_unc_and_webdav() {
        assert_eq!(c(r"\\172.16.66.254\shared\lsadb.dll"), vec![Unc]);
        assert_eq!(c(r"\Device\Mup\host\share\x.dll"), vec![Unc]);
        assert_eq!(c(r"\\?\UNC\host\share\x.dll"), vec![Unc]);
        assert_eq!(c(r"\\evil.com@SSL\DavWWWRoot\x.dll"), vec![Unc, Webdav]);
    }

    #[test]
    fn trailing_space_windows_folder_is_a_spoof_not_system32() {
        assert_eq!(c(r"C:\Windows \System32\WINMM.dll"), vec![SpoofedDir]);
    }

    #[test]
    fn unknown_class_names_are_rejected() {
        assert!(matches!(
            PathClasses::from_yaml("tmp: ['**']"),
            Err(PathClassesError::UnknownClass(_))
        ));
    }
}
