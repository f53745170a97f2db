//! Synthetic fleet telemetry for demos, tests and benchmarks.
//!
//! No public multi-gigabyte Sysmon recording exists, so [`generate`] writes one: N hosts, a realistic
//! mix (image loads dominate, then network, file creates, process starts, DNS, and Sysmon 10/12/13
//! noise that AN0052 never reads), the benign look-alikes of the real recordings (.NET NGEN images
//! followed by network traffic, Defender's ProgramData DLLs, OneDrive in AppData, signed Windows
//! Installer custom actions run by rundll32), and planted attack chains — one branch each, in
//! rotation — whose ground truth is returned as [`Planted`] records.
//!
//! Output is Sysmon JSON lines in the flat OTRF shape (`dllhound-ingest`'s `sysmon-flat` format). The
//! same seed gives the same bytes. Records are written in time order except where real exporters
//! are not (a rundll32 start logged after its own image load).
//!
//! ```
//! use dllhound_simulate::{generate, SimConfig};
//! let mut out = Vec::new();
//! let (stats, truth) = generate(&SimConfig { hosts: 3, events: 500, attacks: 3, ..SimConfig::default() }, &mut out).unwrap();
//! assert_eq!(truth.len(), 3);
//! assert!(stats.records >= 500);
//! ```

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub hosts: u32,
    /// Background records to write (planted chains come on top).
    pub events: u64,
    /// Attack chains to plant, spread evenly over the time span; branches rotate a, b, c.
    pub attacks: u32,
    /// Start of the recording, milliseconds since the epoch.
    pub start_ms: i64,
    /// Length of the recording.
    pub span_ms: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 52,
            hosts: 10,
            events: 100_000,
            attacks: 9,
            start_ms: 1_767_600_000_000, // 2026-01-05T08:00:00Z
            span_ms: 8 * 3600 * 1000,
        }
    }
}

/// A planted chain: what `dllhound scan` must report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub host: String,
    pub dll: String,
    /// `fresh_write`, `follow_on_exec` or `outbound_network`.
    pub branch: &'static str,
    pub loader: String,
    /// RFC 3339 time of the load.
    pub time: String,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    pub records: u64,
    pub bytes: u64,
}

struct Out<'a> {
    w: &'a mut dyn Write,
    stats: SimStats,
    line: String,
}

fn utc(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// A JSON string literal.
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Out<'_> {
    /// Writes one flat Sysmon record: header fields, then `(name, value)` event data.
    fn record(&mut self, host: &str, eid: u32, ms: i64, data: &[(&str, &str)]) -> io::Result<()> {
        let t = utc(ms);
        self.line.clear();
        self.line.push_str(&format!(
            "{{\"SourceName\":\"Microsoft-Windows-Sysmon\",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Hostname\":{},\"EventID\":{eid},\"TimeCreated\":\"{}\",\"UtcTime\":\"{t}\"",
            js(host),
            iso(ms)
        ));
        let mut message = format!("UtcTime: {t}");
        for (k, v) in data {
            self.line.push_str(&format!(",{}:{}", js(k), js(v)));
            message.push_str(&format!("\r\n{k}: {v}"));
        }
        self.line
            .push_str(&format!(",\"Message\":{}}}\n", js(&message)));
        self.w.write_all(self.line.as_bytes())?;
        self.stats.records += 1;
        self.stats.bytes += self.line.len() as u64;
        Ok(())
    }
}

fn host_name(i: u32) -> String {
    format!("WKS{i:05}.fleet.example")
}

fn guid(host: u32, proc_: u32) -> String {
    format!("{{{host:08x}-{proc_:04x}-6561-0000-000000000d00}}")
}

/// The standing processes of every host: (index, image, pid).
const PROCS: [(u32, &str, &str); 6] = [
    (1, r"C:\Windows\System32\svchost.exe", "1320"),
    (2, r"C:\Windows\explorer.exe", "4412"),
    (
        3,
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        "6210",
    ),
    (
        4,
        r"C:\Users\user\AppData\Local\Microsoft\OneDrive\OneDrive.exe",
        "7100",
    ),
    (5, r"C:\Program Files\Contoso\Agent\agent.exe", "2200"),
    (6, r"C:\Windows\System32\msiexec.exe", "3344"),
];

const SYSTEM_DLLS: [&str; 12] = [
    "ntdll.dll",
    "kernel32.dll",
    "KernelBase.dll",
    "advapi32.dll",
    "user32.dll",
    "ws2_32.dll",
    "crypt32.dll",
    "winhttp.dll",
    "bcrypt.dll",
    "sechost.dll",
    "rpcrt4.dll",
    "combase.dll",
];

const NGEN: [&str; 4] = [
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\11b8b7ed51c47042b76fe5b32dfd449f\System.ni.dll",
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System.Core\1fd0d2be29c2fe80e8171054a45b8d4e\System.Core.ni.dll",
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\mscorlib\c38e722cd7d5b0e89326ee4dd7eccc9f\mscorlib.ni.dll",
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System.Xml\da63232ab47cbdbe78f2126762a3b4f4\System.Xml.ni.dll",
];

/// Generates the recording into `w`; returns what was written and the planted chains.
pub fn generate(cfg: &SimConfig, w: &mut dyn Write) -> io::Result<(SimStats, Vec<Planted>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut out = Out {
        w,
        stats: SimStats::default(),
        line: String::with_capacity(2048),
    };
    let mut truth = Vec::new();
    let hosts = cfg.hosts.max(1);
    let n = cfg.events.max(1);
    let step = (cfg.span_ms as f64 / n as f64).max(0.001);
    let every = if cfg.attacks == 0 {
        u64::MAX
    } else {
        (n / u64::from(cfg.attacks)).max(1)
    };
    let mut planted = 0u32;
    for i in 0..n {
        let ms = cfg.start_ms + (i as f64 * step) as i64;
        if i % every == every / 2 && planted < cfg.attacks {
            let h = planted % hosts;
            truth.push(plant(&mut out, &mut rng, h, planted, ms)?);
            planted += 1;
        }
        let h = rng.random_range(0..hosts);
        background(&mut out, &mut rng, h, ms)?;
    }
    Ok((out.stats, truth))
}

fn background(out: &mut Out<'_>, rng: &mut ChaCha8Rng, h: u32, ms: i64) -> io::Result<()> {
    let host = host_name(h);
    let (pi, image, pid) = PROCS[rng.random_range(0..PROCS.len())];
    let g = guid(h, pi);
    let roll: u32 = rng.random_range(0..100);
    match roll {
        // Signed system DLLs: the bulk of Sysmon 7.
        0..=49 => {
            let dll = format!(
                r"C:\Windows\System32\{}",
                SYSTEM_DLLS[rng.random_range(0..SYSTEM_DLLS.len())]
            );
            out.record(
                &host,
                7,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", pid),
                    ("Image", image),
                    ("ImageLoaded", &dll),
                    ("Signed", "true"),
                    ("SignatureStatus", "Valid"),
                    ("Signature", "Microsoft Windows"),
                ],
            )
        }
        // .NET native images: unsigned by design; the .NET process then talks to the network.
        50..=54 => {
            let (g, image, pid) = (guid(h, 3), PROCS[2].1, PROCS[2].2);
            out.record(
                &host,
                7,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", pid),
                    ("Image", image),
                    ("ImageLoaded", NGEN[rng.random_range(0..NGEN.len())]),
                    ("Signed", "false"),
                    ("SignatureStatus", "Unavailable"),
                    ("Signature", "-"),
                ],
            )?;
            out.record(
                &host,
                3,
                ms + 300,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", pid),
                    ("Image", image),
                    ("Protocol", "tcp"),
                    ("Initiated", "true"),
                    ("DestinationIp", "20.190.151.7"),
                    ("DestinationPort", "443"),
                ],
            )
        }
        // Defender's AMSI provider under ProgramData, signed by Microsoft.
        55..=57 => out.record(
            &host,
            7,
            ms,
            &[
                ("ProcessGuid", &g),
                ("ProcessId", pid),
                ("Image", image),
                (
                    "ImageLoaded",
                    r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpOAV.dll",
                ),
                ("Signed", "true"),
                ("SignatureStatus", "Valid"),
                ("Signature", "Microsoft Windows"),
            ],
        ),
        // OneDrive loading its own signed DLLs from AppData, then syncing.
        58..=59 => {
            let (g, image, pid) = (guid(h, 4), PROCS[3].1, PROCS[3].2);
            out.record(&host, 7, ms, &[("ProcessGuid", &g), ("ProcessId", pid), ("Image", image),
                ("ImageLoaded", r"C:\Users\user\AppData\Local\Microsoft\OneDrive\24.201.1006.0005\FileSync.Common.dll"),
                ("Signed", "true"), ("SignatureStatus", "Valid"), ("Signature", "Microsoft Corporation")])?;
            out.record(
                &host,
                3,
                ms + 800,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", pid),
                    ("Image", image),
                    ("Protocol", "tcp"),
                    ("Initiated", "true"),
                    ("DestinationIp", "52.109.8.19"),
                    ("DestinationPort", "443"),
                ],
            )
        }
        // Windows Installer: msiexec extracts a signed custom action, rundll32 runs it.
        60 => {
            let tmp = format!(
                r"C:\Windows\Installer\MSI{:04X}.tmp-\Contoso.CustomActions.dll",
                rng.random_range(0..0xffffu32)
            );
            let rg = guid(h, 100 + rng.random_range(0..1000u32));
            out.record(
                &host,
                11,
                ms,
                &[
                    ("ProcessGuid", &guid(h, 6)),
                    ("ProcessId", PROCS[5].2),
                    ("Image", PROCS[5].1),
                    ("TargetFilename", &tmp),
                ],
            )?;
            out.record(
                &host,
                1,
                ms + 40,
                &[
                    ("ProcessGuid", &rg),
                    ("ProcessId", "9100"),
                    ("Image", r"C:\Windows\System32\rundll32.exe"),
                    ("OriginalFileName", "RUNDLL32.EXE"),
                    (
                        "CommandLine",
                        &format!(r#"rundll32.exe "{tmp}",zzzzInvokeManagedCustomActionOutOfProc"#),
                    ),
                    ("ParentProcessGuid", &guid(h, 6)),
                    ("ParentImage", PROCS[5].1),
                ],
            )?;
            out.record(
                &host,
                7,
                ms + 60,
                &[
                    ("ProcessGuid", &rg),
                    ("ProcessId", "9100"),
                    ("Image", r"C:\Windows\System32\rundll32.exe"),
                    ("ImageLoaded", &tmp),
                    ("Signed", "true"),
                    ("SignatureStatus", "Valid"),
                    ("Signature", "Contoso Ltd"),
                ],
            )
        }
        61..=70 => {
            let dst = format!(
                "{}.{}.{}.{}",
                rng.random_range(1..224u32),
                rng.random_range(0..256u32),
                rng.random_range(0..256u32),
                rng.random_range(1..255u32)
            );
            out.record(
                &host,
                3,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", pid),
                    ("Image", image),
                    ("Protocol", "tcp"),
                    ("Initiated", "true"),
                    ("DestinationIp", &dst),
                    ("DestinationPort", "443"),
                ],
            )
        }
        71..=78 => out.record(
            &host,
            11,
            ms,
            &[
                ("ProcessGuid", &g),
                ("ProcessId", pid),
                ("Image", image),
                (
                    "TargetFilename",
                    &format!(r"C:\Windows\Temp\log{}.etl", rng.random_range(0..100u32)),
                ),
            ],
        ),
        79..=82 => {
            let child = guid(h, 2000 + rng.random_range(0..50_000u32));
            out.record(
                &host,
                1,
                ms,
                &[
                    ("ProcessGuid", &child),
                    ("ProcessId", "5000"),
                    ("Image", r"C:\Windows\System32\conhost.exe"),
                    ("OriginalFileName", "CONHOST.EXE"),
                    (
                        "CommandLine",
                        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
                    ),
                    ("ParentProcessGuid", &g),
                    ("ParentImage", image),
                ],
            )
        }
        83..=85 => out.record(
            &host,
            22,
            ms,
            &[
                ("ProcessGuid", &g),
                ("ProcessId", pid),
                ("Image", image),
                ("QueryName", "login.microsoftonline.com"),
                ("QueryStatus", "0"),
                ("QueryResults", "20.190.151.7;"),
            ],
        ),
        // Noise AN0052 never reads: process access, registry.
        _ => {
            let eid = [10u32, 12, 13][rng.random_range(0..3)];
            out.record(&host, eid, ms, &[("SourceProcessGUID", &g), ("SourceImage", image), ("TargetImage", r"C:\Windows\system32\lsass.exe"),
                ("GrantedAccess", "0x1000"), ("CallTrace", r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e")])
        }
    }
}

/// One attack chain; its branch follows `k % 3`.
fn plant(out: &mut Out<'_>, rng: &mut ChaCha8Rng, h: u32, k: u32, ms: i64) -> io::Result<Planted> {
    let host = host_name(h);
    let tag: u32 = rng.random_range(0x1000..0xffff);
    let loader_guid = guid(h, 60_000 + k);
    let (branch, dll, loader) = match k % 3 {
        0 => {
            let dll = format!(r"C:\Users\user\AppData\Roaming\upd{tag:x}\version.dll");
            let loader = format!(r"C:\Users\user\AppData\Roaming\upd{tag:x}\GoogleUpdate.exe");
            out.record(
                &host,
                11,
                ms,
                &[
                    ("ProcessGuid", &guid(h, 3)),
                    ("ProcessId", PROCS[2].2),
                    ("Image", PROCS[2].1),
                    ("TargetFilename", &dll),
                ],
            )?;
            let later = ms + rng.random_range(2_000..30_000);
            out.record(
                &host,
                7,
                later,
                &[
                    ("ProcessGuid", &loader_guid),
                    ("ProcessId", "8800"),
                    ("Image", &loader),
                    ("ImageLoaded", &dll),
                    ("Signed", "false"),
                    ("SignatureStatus", "Unavailable"),
                    ("Signature", "-"),
                ],
            )?;
            ("fresh_write", dll, (loader, later))
        }
        1 => {
            let dll = format!(r"C:\Users\Public\Libraries\lib{tag:x}.dll");
            let rundll = r"C:\Windows\System32\rundll32.exe".to_string();
            // The image load is logged 24 ms before its own process start, as in real recordings.
            out.record(
                &host,
                7,
                ms + 20,
                &[
                    ("ProcessGuid", &loader_guid),
                    ("ProcessId", "8801"),
                    ("Image", &rundll),
                    ("ImageLoaded", &dll),
                    ("Signed", "false"),
                    ("SignatureStatus", "Unavailable"),
                    ("Signature", "-"),
                ],
            )?;
            out.record(
                &host,
                1,
                ms,
                &[
                    ("ProcessGuid", &loader_guid),
                    ("ProcessId", "8801"),
                    ("Image", &rundll),
                    ("OriginalFileName", "RUNDLL32.EXE"),
                    ("CommandLine", &format!("rundll32.exe {dll},DllMain")),
                    ("ParentProcessGuid", &guid(h, 2)),
                    ("ParentImage", PROCS[1].1),
                ],
            )?;
            ("follow_on_exec", dll, (rundll, ms + 20))
        }
        _ => {
            let dll = format!(r"C:\ProgramData\Cache{tag:x}\helper.dll");
            let loader = r"C:\Program Files\Notepad++\notepad++.exe".to_string();
            out.record(
                &host,
                7,
                ms,
                &[
                    ("ProcessGuid", &loader_guid),
                    ("ProcessId", "8802"),
                    ("Image", &loader),
                    ("ImageLoaded", &dll),
                    ("Signed", "false"),
                    ("SignatureStatus", "Unavailable"),
                    ("Signature", "-"),
                ],
            )?;
            let dst = format!("198.51.100.{}", rng.random_range(1..255u32));
            out.record(
                &host,
                3,
                ms + rng.random_range(500..50_000),
                &[
                    ("ProcessGuid", &loader_guid),
                    ("ProcessId", "8802"),
                    ("Image", &loader),
                    ("Protocol", "tcp"),
                    ("Initiated", "true"),
                    ("DestinationIp", &dst),
                    ("DestinationPort", "443"),
                ],
            )?;
            ("outbound_network", dll, (loader, ms))
        }
    };
    Ok(Planted {
        host: host.to_string(),
        dll,
        branch,
        loader: loader.0,
        time: iso(loader.1),
    })
}

/// Writes a hostile flood: `events` records, all inside one minute, each with a new ProcessGuid, a new
/// DLL path under Temp (unsigned: a trigger), a new written file or a new connection, spread over
/// `hosts` hosts, with about one record in 500 dated far in the future (year 9999) and one in 500 far
/// in the past (1970). At the end, one real chain (an unsigned DLL written to Temp and loaded) on host 0.
/// Nothing in it is ever evicted by time within the run: it tests the memory cap.
pub fn flood(events: u64, hosts: u32, w: &mut dyn Write) -> io::Result<SimStats> {
    let mut out = Out {
        w,
        stats: SimStats::default(),
        line: String::with_capacity(2048),
    };
    let start = SimConfig::default().start_ms;
    let hosts = hosts.max(1);
    let n = events.max(1);
    const FUTURE: i64 = 253_402_300_000_000; // 9999-12-31
    for i in 0..n {
        // Prime strides, so the odd dates fall on every host rather than on a few.
        let ms = if i % 499 == 7 {
            FUTURE - (i as i64)
        } else if i % 491 == 9 {
            i as i64
        } else {
            start + (i as i64 * 60_000) / n as i64
        };
        let h = (i % u64::from(hosts)) as u32;
        let host = host_name(h);
        let g = format!("{{{i:016x}-0000-4000-8000-000000000000}}");
        let pid = (i % 60_000).to_string();
        let dll = format!(r"C:\Users\u{h}\AppData\Local\Temp\f{i:x}\payload{i}.dll");
        match i % 4 {
            0 | 1 => out.record(
                &host,
                7,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", &pid),
                    ("Image", r"C:\Windows\System32\rundll32.exe"),
                    ("ImageLoaded", &dll),
                    ("Signed", "false"),
                    ("SignatureStatus", "Unavailable"),
                    ("Signature", "-"),
                ],
            )?,
            2 => out.record(
                &host,
                11,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", &pid),
                    ("Image", r"C:\Windows\explorer.exe"),
                    ("TargetFilename", &dll),
                ],
            )?,
            _ => out.record(
                &host,
                1,
                ms,
                &[
                    ("ProcessGuid", &g),
                    ("ProcessId", &pid),
                    ("Image", r"C:\Windows\System32\rundll32.exe"),
                    ("OriginalFileName", "RUNDLL32.EXE"),
                    (
                        "CommandLine",
                        &format!("rundll32.exe {dll},Start {}", "A".repeat(200)),
                    ),
                    ("ParentProcessGuid", &g),
                    ("ParentImage", r"C:\Windows\explorer.exe"),
                ],
            )?,
        }
    }
    // The one chain that matters, after the flood: written, then loaded 2 s later.
    let host = host_name(0);
    let ms = start + 61_000;
    let g = "{0000dead-0000-4000-8000-000000000000}";
    let dll = r"C:\Users\victim\AppData\Local\Temp\real\evil.dll";
    out.record(
        &host,
        11,
        ms,
        &[
            ("ProcessGuid", "{0000beef-0000-4000-8000-000000000000}"),
            ("ProcessId", "4100"),
            ("Image", r"C:\Program Files\Mozilla Firefox\firefox.exe"),
            ("TargetFilename", dll),
        ],
    )?;
    out.record(
        &host,
        7,
        ms + 2_000,
        &[
            ("ProcessGuid", g),
            ("ProcessId", "4200"),
            ("Image", r"C:\Windows\System32\svchost.exe"),
            ("ImageLoaded", dll),
            ("Signed", "false"),
            ("SignatureStatus", "Unavailable"),
            ("Signature", "-"),
        ],
    )?;
    Ok(out.stats)
}
