//! The HTML report in a real browser: Debian's Chromium, headless, offline (it may fetch nothing),
//! from a fresh profile. The page must draw a known alert's chain, show a DLL name carrying markup
//! as text, show the generated hijack (19 loaders) as one incident and a share load with the host's
//! connections to its server, and open a report of 10,000 alerts and filter it without freezing. The tests are
//! `#[ignore]`d (they need Chromium); `.ci/run` installs it and runs them with `--include-ignored`.

mod fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/attack-chain.jsonl"
);

/// Headless Chromium: `DLLHOUND_CHROMIUM`, else Debian's. The browser tests are `#[ignore]`d
/// (`.ci/run` installs Chromium and runs them); run without one they fail, saying so.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("DLLHOUND_CHROMIUM") {
        return PathBuf::from(p);
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("the browser tests need chromium (apt-get install chromium, or DLLHOUND_CHROMIUM)")
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("dllhound-html-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Headless Chromium on `page`: `--dump-dom` (the DOM after the page's script ran) or a screenshot.
fn browse(chrome: &Path, page: &Path, hash: &str, what: &[&str]) -> (Output, Duration) {
    // One profile per browser run: tests run in parallel, and Chromium refuses a profile in use.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = dir().join(format!("profile-{n}"));
    let _ = std::fs::remove_dir_all(&profile);
    let url = format!("file://{}{hash}", page.display());
    let started = Instant::now();
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(what)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    (out, started.elapsed())
}

fn load(chrome: &Path, page: &Path, hash: &str) -> (String, Duration) {
    let (out, took) = browse(chrome, page, hash, &["--dump-dom"]);
    assert!(
        out.status.success(),
        "chromium on {}{hash}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), took)
}

fn screenshot(chrome: &Path, page: &Path, png: &Path) {
    let shot = format!("--screenshot={}", png.display());
    let (out, _) = browse(
        chrome,
        page,
        "",
        &[&shot, "--window-size=1280,1800", "--hide-scrollbars"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a real screenshot"
    );
}

fn dllhound(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dllhound {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A chain whose DLL name is markup, as a forged log could carry.
fn hostile_chain() -> PathBuf {
    let line = |eid: u32, t: &str, extra: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":{eid},"Hostname":"evil-host","UtcTime":"2026-01-01 00:00:{t}","ProcessGuid":"{{bbbbbbbb-0000-0000-0000-000000000001}}",{extra}}}"#
        )
    };
    let dll = r#"C:\\Users\\x\\AppData\\Local\\Temp\\<script>window.pwned=1</script><img src=x onerror=alert(1)>.dll"#;
    let text = [
        line(11, "01.000", &format!(r#""Image":"C:\\w.exe","TargetFilename":"{dll}""#)),
        line(7, "02.000", &format!(r#""Image":"C:\\Windows\\System32\\rundll32.exe","ImageLoaded":"{dll}","Signed":"false""#)),
    ]
    .join("\n");
    let p = dir().join("hostile.jsonl");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn the_example_report_draws_the_chain_and_shows_markup_as_text() {
    let chrome = chromium();
    let d = dir();
    let page = d.join("example.html");
    let hostile = hostile_chain();
    dllhound(&[
        "scan",
        EXAMPLE,
        hostile.to_str().unwrap(),
        "--output-format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "-q",
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing fetched"
    );
    assert!(
        !html.contains("<link") && !html.contains("src=\"//"),
        "self-contained"
    );

    let (dom, _) = load(&chrome, &page, "");
    assert!(dom.contains("data-ready=\"true\""), "the page's script ran");
    // Three alerts, so every chain is drawn at once.
    assert!(dom.contains("showing 3 of 3"), "{dom}");
    // The known alert: WINWORD.EXE wrote msoupd.dll, rundll32.exe loaded it and ran it, it called out.
    assert!(dom.matches("<svg class=\"chain\"").count() >= 3);
    for text in [
        "msoupd.dll",
        "wrote it 0.484 s before the load",
        "WINWORD.EXE",
        "ran it 0.012 s before the load",
        "cdn-update.example.net 203.0.113.45:443",
        "parent: started the loader",
    ] {
        assert!(dom.contains(text), "the chain lacks {text:?}");
    }
    // The IR bundle: incidents first, the DLL's file history and the loader's children drawn.
    assert!(
        dom.contains("3 alerts in 3 incidents"),
        "no incidents panel"
    );
    for text in [
        "File history of the DLL on this host",
        "Children of the loader",
        "powershell.exe -nop -w hidden",
        "grandparent",
        "C:\\Windows\\explorer.exe",
    ] {
        assert!(dom.contains(text), "the bundle lacks {text:?}");
    }
    for kind in [
        "writer", "dll", "loader", "parent", "exec", "net", "dns", "history", "child",
    ] {
        assert!(
            dom.contains(&format!("data-kind=\"{kind}\"")),
            "no {kind} node drawn"
        );
    }
    // The markup in the DLL name is text, not elements.
    assert!(dom.contains(
        "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;.dll"
    ));
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "only the page's own two script elements"
    );
    assert!(!dom.contains("<img"), "no element from telemetry");

    screenshot(&chrome, &page, &d.join("example.png"));
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn ten_thousand_alerts_open_and_filter_without_freezing() {
    let chrome = chromium();
    let d = dir();
    let sim = d.join("fleet.jsonl");
    let page = d.join("10k.html");
    dllhound(&[
        "simulate",
        "--hosts",
        "200",
        "--events",
        "100000",
        "--attacks",
        "10000",
        "--span",
        "24h",
        "-o",
        sim.to_str().unwrap(),
    ]);
    dllhound(&[
        "scan",
        sim.to_str().unwrap(),
        "--output-format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "-q",
    ]);

    let (dom, took) = load(&chrome, &page, "");
    assert!(
        dom.contains("showing 200 of 10000 (10000 in all)"),
        "{}",
        &dom[..dom.len().min(3000)]
    );
    assert!(took < Duration::from_secs(60), "opening took {took:?}");

    // Filtered through the link syntax: one host, high severity.
    let (dom, _) = load(&chrome, &page, "#q=wks00007&severity=high");
    let shown = dom
        .split("showing ")
        .nth(1)
        .and_then(|s| s.split(" (").next())
        .unwrap_or_default()
        .to_string();
    let (n, of): (usize, usize) = match shown.split(" of ").collect::<Vec<_>>()[..] {
        [a, b] => (a.parse().unwrap(), b.parse().unwrap()),
        _ => panic!("no count in the page: {shown:?}"),
    };
    assert!(of > 0 && of < 10_000 && n == of.min(200), "{shown}");
    let ms: u64 = dom
        .split("data-filter-ms=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("the page says how long filtering took");
    assert!(ms < 2_000, "filtering 10,000 alerts took {ms} ms");

    screenshot(&chrome, &page, &d.join("10k.png"));
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn the_report_puts_each_hosts_coverage_headline_first_and_never_shows_partial_as_good() {
    let chrome = chromium();
    let d = dir();
    let hostile = hostile_chain();
    let alerts = d.join("cov-alerts.ndjson");
    let cov = d.join("coverage.json");
    let page = d.join("coverage.html");
    let (h, a, c, p) = (
        hostile.to_str().unwrap(),
        alerts.to_str().unwrap(),
        cov.to_str().unwrap(),
        page.to_str().unwrap(),
    );
    dllhound(&[
        "scan",
        EXAMPLE,
        h,
        "--output-format",
        "ndjson",
        "-o",
        a,
        "-q",
    ]);
    dllhound(&["coverage", EXAMPLE, h, "--output-format", "json", "-o", c]);
    dllhound(&["report", a, "--coverage", c, "-o", p]);
    let (dom, _) = load(&chrome, &page, "");
    assert!(
        dom.contains("3 hosts: AN0052 can fire on 2, partly on 1, not at all on 0"),
        "{dom}"
    );
    assert!(dom.contains("AN0052 can fire here"));
    // The hostile file's host sent one image load: thin evidence, shown as a gap.
    assert!(dom.contains("class=\"headline-can_fire_partly\""), "{dom}");
    assert!(dom.contains(">PARTIAL<"), "{dom}");
    assert!(
        !dom.contains(">partial<"),
        "partial is never shown in the calm style of evaluable"
    );
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn nineteen_loaders_are_one_incident_and_a_share_load_shows_its_servers_connections() {
    let chrome = chromium();
    let d = dir();
    let hijack = d.join("hijack.jsonl");
    std::fs::write(&hijack, fixtures::hijack::recording()).unwrap();
    let share = d.join("share.jsonl");
    std::fs::write(&share, fixtures::share::recording()).unwrap();
    let (hj, sh) = (hijack.to_str().unwrap(), share.to_str().unwrap());
    let page = d.join("incidents.html");
    let alerts = d.join("incidents.ndjson");
    dllhound(&[
        "scan",
        hj,
        sh,
        "--output-format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "-q",
    ]);
    dllhound(&[
        "scan",
        hj,
        sh,
        "--output-format",
        "ndjson",
        "-o",
        alerts.to_str().unwrap(),
        "-q",
    ]);

    let (dom, _) = load(&chrome, &page, "");
    let n = fixtures::hijack::LOADERS + 2;
    assert!(dom.contains(&format!("{n} alerts in 3 incidents")), "{dom}");
    // The hijack's incident row: 19 alerts from 19 loaders, first the most severe.
    let row = dom
        .split("data-incident=")
        .find(|r| r.contains("version.dll"))
        .expect("an incident row for the hijacked DLL");
    let row = row.split("</tr>").next().unwrap_or_default();
    assert_eq!(
        row.matches("class=\"num\">19<").count(),
        2,
        "19 alerts from 19 loaders: {row}"
    );

    // The SMB alert opened by its link shows the share and the System connection to the server.
    let text = std::fs::read_to_string(&alerts).unwrap();
    let smb: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["dll"]["path"] == fixtures::share::SMB_DLL)
        .expect("the share load alerts");
    let id = smb["id"].as_str().unwrap();
    let (dom, _) = load(&chrome, &page, &format!("#alert={id}"));
    for text in [
        "network share",
        r"\\fileserver\tools (smb, port 445/139/80/443; 1 connection(s) to the server around the load)",
        "Connections of the host to the share's server",
        "System (pid 4)",
        "10.1.2.3:445 (fileserver.corp.example)",
        "2.0 s before the load",
    ] {
        assert!(dom.contains(text), "the share alert lacks {text:?}");
    }
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn signals_and_suppressed_triggers_are_listed_but_never_counted_or_styled_as_alerts() {
    let chrome = chromium();
    let d = dir();
    let kinds = d.join("kinds.jsonl");
    std::fs::write(&kinds, fixtures::kinds::recording()).unwrap();
    let page = d.join("kinds.html");
    dllhound(&[
        "scan",
        "--signals",
        "--show-suppressed",
        EXAMPLE,
        kinds.to_str().unwrap(),
        "--output-format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "-q",
    ]);
    let (dom, _) = load(&chrome, &page, "");
    assert!(
        dom.contains(
            "2 alerts (also listed: 2 signals, 1 suppressed trigger, not counted as alerts)"
        ),
        "{}",
        &dom[..dom.len().min(4000)]
    );
    // Severity cards count alerts only: the example's one critical and one high, no low.
    for (sev, n) in [("critical", 1), ("high", 1), ("medium", 0), ("low", 0)] {
        let card = dom
            .split(&format!("data-severity=\"{sev}\""))
            .nth(1)
            .expect("a card per severity");
        assert!(
            card.starts_with(&format!("><div class=\"n\">{n}<")),
            "{sev}: {}",
            &card[..80.min(card.len())]
        );
    }
    assert_eq!(dom.matches("data-kind=\"signal\"").count(), 2);
    assert_eq!(dom.matches("data-kind=\"suppressed\"").count(), 1);
    assert_eq!(dom.matches("class=\"kind-badge signal\"").count(), 2);
    assert_eq!(dom.matches("class=\"kind-badge suppressed\"").count(), 1);
    // The run box says the same count of alerts as the header.
    assert!(
        dom.contains("<td class=\"\">alerts</td><td class=\"\">2</td>"),
        "run box"
    );
    // Filtered by kind through the link syntax.
    let (dom, _) = load(&chrome, &page, "#kind=suppressed");
    assert!(dom.contains("showing 1 of 1 (5 in all)"), "kind filter");
    assert!(dom.contains("suppressed, not an alert"));
    assert!(dom.contains("default_tuning:dotnet-ngen-native-images"));
}

/// A report written with a filter says so above everything, with how much the filter left out.
#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn a_filtered_report_says_it_is_filtered_and_by_what() {
    let chrome = chromium();
    let page = dir().join("filtered.html");
    dllhound(&[
        "scan",
        EXAMPLE,
        "-m",
        "critical",
        "--output-format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "-q",
    ]);
    let (dom, _) = load(&chrome, &page, "");
    assert!(
        dom.contains("<p class=\"warn filtered\">Filtered view: 1 of 2 findings written (--min-level critical)"),
        "{}",
        &dom[..dom.len().min(4000)]
    );
    // Without a filter, no such line.
    let whole = dir().join("whole.html");
    dllhound(&[
        "scan",
        EXAMPLE,
        "--output-format",
        "html",
        "-o",
        whole.to_str().unwrap(),
        "-q",
    ]);
    let (dom, _) = load(&chrome, &whole, "");
    assert!(!dom.contains("class=\"warn filtered\""));
}
