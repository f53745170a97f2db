//! The Sysmon event types AN0052 needs, as Sysmon's manifest describes them: the element name a
//! configuration uses, the fields a rule may test, whether the type is logged when a configuration
//! has no section for it, and the first schema version that knows it.
//!
//! Taken from the manifests in Sysinternals' SysmonCommon (`manifest.xml`, one per schema version)
//! and, for FileExecutableDetected, Sysmon 15's schema 4.90.

/// A configuration's `schemaversion`, compared as Sysmon does (as a decimal: 4.21 > 4.2 > 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaVersion(u32);

impl SchemaVersion {
    /// `"4.50"` → 4.50; at most three decimals.
    pub fn parse(s: &str) -> Option<SchemaVersion> {
        let s = s.trim();
        let (major, minor) = s.split_once('.').unwrap_or((s, ""));
        if major.is_empty()
            || minor.len() > 3
            || !major.bytes().all(|b| b.is_ascii_digit())
            || !minor.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let major: u32 = major.parse().ok()?;
        let frac: u32 = format!("{minor:0<3}").parse().ok()?;
        Some(SchemaVersion(major.checked_mul(1000)?.checked_add(frac)?))
    }

    /// A version from whole thousandths (4.90 is `from_thousandths(4900)`).
    pub const fn from_thousandths(n: u32) -> SchemaVersion {
        SchemaVersion(n)
    }
}

impl std::fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let frac = format!("{:03}", self.0 % 1000);
        let frac = frac.trim_end_matches('0');
        write!(f, "{}.{:0<2}", self.0 / 1000, frac)
    }
}

/// One event type a configuration can filter.
#[derive(Debug, PartialEq, Eq)]
pub struct EventType {
    /// The element name in `<EventFiltering>` (case-sensitive, as Sysmon's XPath query is).
    pub rule_name: &'static str,
    pub event_id: u16,
    /// The fields a rule may name (case-sensitive).
    pub fields: &'static [&'static str],
    /// Logged when the configuration has no section for this type (Sysmon's `ruledefault`).
    pub logged_without_rules: bool,
    /// The first schema version whose manifest has this event type.
    pub since: SchemaVersion,
}

const PROCESS_CREATE: EventType = EventType {
    rule_name: "ProcessCreate",
    event_id: 1,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "FileVersion",
        "Description",
        "Product",
        "Company",
        "OriginalFileName",
        "CommandLine",
        "CurrentDirectory",
        "User",
        "LogonGuid",
        "LogonId",
        "TerminalSessionId",
        "IntegrityLevel",
        "Hashes",
        "ParentProcessGuid",
        "ParentProcessId",
        "ParentImage",
        "ParentCommandLine",
        "ParentUser",
    ],
    logged_without_rules: true,
    since: SchemaVersion(2000),
};

const NETWORK_CONNECT: EventType = EventType {
    rule_name: "NetworkConnect",
    event_id: 3,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "User",
        "Protocol",
        "Initiated",
        "SourceIsIpv6",
        "SourceIp",
        "SourceHostname",
        "SourcePort",
        "SourcePortName",
        "DestinationIsIpv6",
        "DestinationIp",
        "DestinationHostname",
        "DestinationPort",
        "DestinationPortName",
    ],
    logged_without_rules: false,
    since: SchemaVersion(2000),
};

const IMAGE_LOAD: EventType = EventType {
    rule_name: "ImageLoad",
    event_id: 7,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "ImageLoaded",
        "FileVersion",
        "Description",
        "Product",
        "Company",
        "OriginalFileName",
        "Hashes",
        "Signed",
        "Signature",
        "SignatureStatus",
        "User",
    ],
    logged_without_rules: false,
    since: SchemaVersion(2000),
};

const FILE_CREATE: EventType = EventType {
    rule_name: "FileCreate",
    event_id: 11,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "TargetFilename",
        "CreationUtcTime",
        "User",
    ],
    logged_without_rules: false,
    since: SchemaVersion(3200),
};

const FILE_CREATE_STREAM_HASH: EventType = EventType {
    rule_name: "FileCreateStreamHash",
    event_id: 15,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "Image",
        "TargetFilename",
        "CreationUtcTime",
        "Hash",
        "Contents",
        "User",
    ],
    logged_without_rules: false,
    since: SchemaVersion(3200),
};

const DNS_QUERY: EventType = EventType {
    rule_name: "DnsQuery",
    event_id: 22,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "QueryName",
        "QueryStatus",
        "QueryResults",
        "Image",
        "User",
    ],
    logged_without_rules: false,
    since: SchemaVersion(4210),
};

const FILE_EXECUTABLE_DETECTED: EventType = EventType {
    rule_name: "FileExecutableDetected",
    event_id: 29,
    fields: &[
        "RuleName",
        "UtcTime",
        "ProcessGuid",
        "ProcessId",
        "User",
        "Image",
        "TargetFilename",
        "Hashes",
    ],
    logged_without_rules: false,
    since: SchemaVersion(4900),
};

/// Every event type the probes use.
pub const EVENT_TYPES: [&EventType; 7] = [
    &PROCESS_CREATE,
    &NETWORK_CONNECT,
    &IMAGE_LOAD,
    &FILE_CREATE,
    &FILE_CREATE_STREAM_HASH,
    &DNS_QUERY,
    &FILE_EXECUTABLE_DETECTED,
];

/// The event type with this element name.
pub fn by_rule_name(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES.into_iter().find(|t| t.rule_name == name)
}

/// The event type with this id.
pub fn by_id(id: u16) -> Option<&'static EventType> {
    EVENT_TYPES.into_iter().find(|t| t.event_id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_decimals() {
        let v = |s| SchemaVersion::parse(s).unwrap();
        assert!(v("4.21") > v("4.2"));
        assert!(v("4.2") > v("4.1"));
        assert_eq!(v("4.5"), v("4.50"));
        assert!(v("10.0") > v("4.90"));
        assert_eq!(v("4.50").to_string(), "4.50");
        assert_eq!(v("4.21").to_string(), "4.21");
        assert_eq!(v("4.1").to_string(), "4.10");
        for bad in ["", "four", "4.1234", "4.-1", ".5"] {
            assert_eq!(SchemaVersion::parse(bad), None, "{bad:?}");
        }
    }
}
