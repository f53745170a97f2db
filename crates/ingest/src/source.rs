//! Naming inputs: paths, folders (recursive) and stdin.

use crate::IngestError;
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
/// hidden entries included, symlinked folders not followed), a file is itself. Folder entries that
/// cannot be listed come back as errors; the rest still run.
pub fn expand_inputs(args: &[PathBuf]) -> (Vec<Input>, Vec<IngestError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if a.is_dir() {
            walk(a, &mut inputs, &mut errors);
        } else {
            inputs.push(Input::Path(a.clone()));
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, out: &mut Vec<Input>, errors: &mut Vec<IngestError>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            errors.push(IngestError::Io {
                path: dir.display().to_string(),
                source,
            });
            return;
        }
    };
    let mut entries: Vec<PathBuf> = Vec::new();
    for e in rd {
        match e {
            Ok(e) => entries.push(e.path()),
            Err(source) => errors.push(IngestError::Io {
                path: dir.display().to_string(),
                source,
            }),
        }
    }
    entries.sort();
    for p in entries {
        let is_dir = std::fs::symlink_metadata(&p)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if is_dir {
            walk(&p, out, errors);
        } else if is_telemetry_name(&p) {
            out.push(Input::Path(p));
        }
    }
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
