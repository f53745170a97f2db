//! Approximations that several targets share, worded once.

/// Entries that depend on the writer can only be applied to the write.
pub const WRITER_ENTRIES: &str = "(a) fresh write: an allowlist entry that expects certain writers is applied on the write (its writers writing a path it covers do not corroborate), whatever the load's other criteria; the loading process writing its own module (loader_may_write) is not recognised";
/// Broad entries are plain exclusions outside (a).
pub const BROAD_ENTRIES: &str = "(b), (c): a broad allowlist entry (allow_unsigned or any signer) is applied as a plain exclusion; the engine voids it when an unexpected process freshly wrote the module, which (a) then reports";
/// The child-image exclusion is not expressed.
pub const CHILD_IMAGE: &str = "\"not the executable of a process the loader started\" is not tested (only \"not the process's own executable\")";
/// Branch (b) as "the command line contains the name".
pub const CONTAINS_NAME: &str = "(b) follow-on execution: the command line must contain the DLL's file name, or its stem followed by a comma; the engine also asks that the name be a whole word under the DLL's own folder, and follows `-sta {CLSID}` through the registry";
/// Security 4688 process starts are not read.
pub const SYSMON_1_ONLY: &str =
    "process starts come from Sysmon event 1 only (Security 4688 is recorded elsewhere)";
/// A wildcard `*` crosses folders.
pub const STAR_CROSSES: &str =
    "`*` in a wildcard pattern also crosses folders, where the engine keeps it inside one folder";
