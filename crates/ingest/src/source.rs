//! Naming inputs: paths, folders (recursive) and stdin.

use crate::IngestError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }
}

/// Expands command-line arguments into inputs: `-` is stdin, a folder is walked recursively (sorted,
/// hidden entries included), a file is itself. Symlinked folders are followed, once: a link back to
/// a folder already being walked (a loop) or already walked is reported as an error, not followed.
/// Entries that cannot be listed or followed come back as errors; the rest still run.
pub fn expand_inputs(args: &[PathBuf]) -> (Vec<Input>, Vec<IngestError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for a in args {
        if a.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if a.is_dir() {
            walk(a, &mut seen, &mut inputs, &mut errors);
        } else {
            inputs.push(Input::Path(a.clone()));
        }
    }
    (inputs, errors)
}

fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<Input>,
    errors: &mut Vec<IngestError>,
) {
    let io_err = |source| IngestError::Io {
        path: dir.display().to_string(),
        source,
    };
    match std::fs::canonicalize(dir) {
        Ok(real) if !seen.insert(real.clone()) => {
            errors.push(IngestError::Walk {
                path: dir.display().to_string(),
                reason: format!(
                    "the folder {} is already scanned through another path (a symlink, or a symlink loop): not scanned again",
                    real.display()
                ),
            });
            return;
        }
        Ok(_) => {}
        Err(e) => return errors.push(io_err(e)),
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return errors.push(io_err(e)),
    };
    let mut entries: Vec<PathBuf> = Vec::new();
    for e in rd {
        match e {
            Ok(e) => entries.push(e.path()),
            Err(e) => errors.push(io_err(e)),
        }
    }
    entries.sort();
    for p in entries {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, seen, out, errors),
            Ok(_) if is_telemetry_name(&p) => out.push(Input::Path(p)),
            Ok(_) => {}
            // A dangling link or one that loops on itself: named, since it may have been evidence.
            Err(source) if is_telemetry_name(&p) || p.is_symlink() => {
                errors.push(IngestError::Io {
                    path: p.display().to_string(),
                    source,
                })
            }
            Err(_) => {}
        }
    }
}

/// Every regular file under `args` (folders walked, links followed once): how many, and the first
/// `limit` of them. For saying what was looked at when no telemetry was found.
pub fn files_looked_at(args: &[PathBuf], limit: usize) -> (usize, Vec<PathBuf>) {
    fn visit(
        p: &Path,
        seen: &mut HashSet<PathBuf>,
        n: &mut usize,
        names: &mut Vec<PathBuf>,
        limit: usize,
    ) {
        if p.is_dir() {
            let Ok(real) = std::fs::canonicalize(p) else {
                return;
            };
            if !seen.insert(real) {
                return;
            }
            let Ok(rd) = std::fs::read_dir(p) else {
                return;
            };
            let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            for e in entries {
                visit(&e, seen, n, names, limit);
            }
        } else if p.is_file() {
            *n += 1;
            if names.len() < limit {
                names.push(p.to_path_buf());
            }
        }
    }
    let (mut n, mut names, mut seen) = (0, Vec::new(), HashSet::new());
    for a in args.iter().filter(|a| a.as_os_str() != "-") {
        visit(a, &mut seen, &mut n, &mut names, limit);
    }
    (n, names)
}

/// Files a folder walk picks up: telemetry and archives, not the YAML/Markdown that sits beside them.
fn is_telemetry_name(p: &Path) -> bool {
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "evtx" | "json" | "jsonl" | "ndjson" | "txt" | "log" | "zip" | "gz" | "xml" | "csv"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_walk_skips_metadata_files() {
        assert!(is_telemetry_name(Path::new("a/b.evtx")));
        assert!(is_telemetry_name(Path::new("a/b.JSON")));
        assert!(!is_telemetry_name(Path::new("a/meta.yaml")));
        assert!(!is_telemetry_name(Path::new("README.md")));
    }
}

#[cfg(test)]
#[cfg(unix)]
mod walk_tests {
    use super::*;

    #[test]
    fn a_symlink_loop_is_reported_once_and_the_rest_is_listed() {
        let d = std::env::temp_dir().join(format!("dllhound-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/a.json"), "{}").unwrap();
        std::os::unix::fs::symlink(&d, d.join("sub/back")).unwrap();
        std::os::unix::fs::symlink(d.join("sub"), d.join("again")).unwrap();
        std::os::unix::fs::symlink(d.join("gone.json"), d.join("dangling.json")).unwrap();
        let (inputs, errors) = expand_inputs(std::slice::from_ref(&d));
        // Sorted: `again` (a link to `sub`) comes first and is walked; `sub` is then a repeat.
        assert_eq!(inputs, [Input::Path(d.join("again/a.json"))]);
        let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].contains("again/back:") && errors[0].contains("symlink loop"),
            "{errors:#?}"
        );
        assert!(errors[1].contains("dangling.json"), "{errors:#?}");
        assert!(
            errors[2].contains("sub:") && errors[2].contains("already scanned"),
            "{errors:#?}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
