//! Process identity.

use serde::{Serialize, Serializer};
use std::fmt;

/// Who a process is, as precisely as the telemetry allows.
///
/// Sysmon's `ProcessGuid` (and later Elastic's `process.entity_id`) is unique per process for the life
/// of a host. Without it (Security 4688, some exports) the fallback is `(pid, image)`: PIDs are reused,
/// so the correlator only ever compares pid keys inside its time window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessKey {
    /// A GUID-like entity id, lower case, braces stripped.
    Guid(Box<str>),
    /// An opaque stable identity from a source without GUIDs: Elastic's `process.entity_id`, or MDE's
    /// `DeviceId:ProcessId:ProcessCreationTime`.
    Entity(Box<str>),
    /// Process id plus the lower-case image file name.
    Pid { pid: u32, image: Box<str> },
    /// Nothing identifies the process.
    Unknown,
}

impl ProcessKey {
    /// Builds a key from whatever the record carries. A GUID wins; an all-zero GUID does not count.
    pub fn from_parts(
        guid: Option<&str>,
        pid: Option<u32>,
        image_file_name: Option<&str>,
    ) -> ProcessKey {
        if let Some(g) = guid {
            let g = g.trim().trim_start_matches('{').trim_end_matches('}');
            if !g.is_empty() && g != "-" && g.bytes().any(|b| b != b'0' && b != b'-') {
                return ProcessKey::Guid(g.to_ascii_lowercase().into());
            }
        }
        match pid {
            Some(pid) => ProcessKey::Pid {
                pid,
                image: image_file_name.unwrap_or("").to_ascii_lowercase().into(),
            },
            None => ProcessKey::Unknown,
        }
    }

    /// True for identities that are unique per process for the life of a host (GUIDs, entity ids),
    /// as opposed to reusable pids.
    pub fn is_stable(&self) -> bool {
        matches!(self, ProcessKey::Guid(_) | ProcessKey::Entity(_))
    }

    /// True when the key can be trusted to join two events (anything but `Unknown`).
    pub fn is_known(&self) -> bool {
        !matches!(self, ProcessKey::Unknown)
    }
}

impl fmt::Display for ProcessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessKey::Guid(g) => write!(f, "{{{g}}}"),
            ProcessKey::Entity(e) => f.write_str(e),
            ProcessKey::Pid { pid, image } => write!(f, "pid:{pid}:{image}"),
            ProcessKey::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for ProcessKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_case_and_braces_do_not_matter() {
        let a = ProcessKey::from_parts(
            Some("{85283F4F-D99A-5A6A-0000-00100152D301}"),
            Some(1),
            None,
        );
        let b = ProcessKey::from_parts(Some("85283f4f-d99a-5a6a-0000-00100152d301"), None, None);
        assert_eq!(a, b);
    }

    #[test]
    fn zero_guid_falls_back_to_pid() {
        let k = ProcessKey::from_parts(
            Some("{00000000-0000-0000-0000-000000000000}"),
            Some(4),
            Some("System"),
        );
        assert_eq!(
            k,
            ProcessKey::Pid {
                pid: 4,
                image: "system".into()
            }
        );
    }
}
