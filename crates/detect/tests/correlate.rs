//! Each corroborator, and its near misses.

mod common;

use common::*;
use dllhound_detect::{Config, Correlator};
use dllhound_model::Event;

const DLL: &str = r"C:\Users\bob\AppData\Local\Temp\evil.dll";
const LOADER: &str = r"C:\Program Files\App\app.exe";
const P: &str = "{11111111-1111-1111-1111-111111111111}";
const Q: &str = "{22222222-2222-2222-2222-222222222222}";

#[test]
fn trigger_alone_is_not_an_alert() {
    assert!(run(vec![load("h", 0.0, 1, P, LOADER, DLL, "false")]).is_empty());
}

#[test]
fn fresh_write_before_the_load_corroborates() {
    let a = run(vec![
        write("h", -30.0, 1, Q, r"C:\w.exe", DLL),
        load("h", 0.0, 2, P, LOADER, DLL, "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
    assert!((a[0].evidence.fresh_write[0].delta_seconds + 30.0).abs() < 1e-9);
}

#[test]
fn write_in_the_same_millisecond_counts() {
    let a = run(vec![
        load("h", 0.0, 2, P, LOADER, DLL, "false"),
        write("h", 0.0, 1, P, LOADER, DLL),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
}

#[test]
fn write_after_the_load_does_not_count() {
    assert!(run(vec![
        load("h", 0.0, 1, P, LOADER, DLL, "false"),
        write("h", 0.5, 2, Q, r"C:\w.exe", DLL)
    ])
    .is_empty());
}

#[test]
fn write_outside_the_window_does_not_count() {
    assert!(run(vec![
        write("h", -301.0, 1, Q, r"C:\w.exe", DLL),
        load("h", 0.0, 2, P, LOADER, DLL, "false")
    ])
    .is_empty());
}

#[test]
fn write_on_another_host_does_not_count() {
    assert!(run(vec![
        write("other", -1.0, 1, Q, r"C:\w.exe", DLL),
        load("h", 0.0, 2, P, LOADER, DLL, "false")
    ])
    .is_empty());
}

#[test]
fn write_of_another_path_with_the_same_name_does_not_count() {
    let other = r"C:\Users\bob\Downloads\evil.dll";
    assert!(run(vec![
        write("h", -1.0, 1, Q, r"C:\w.exe", other),
        load("h", 0.0, 2, P, LOADER, DLL, "false")
    ])
    .is_empty());
}

#[test]
fn rundll32_naming_the_dll_corroborates_even_if_logged_after_the_load() {
    let cmd = r"rundll32.exe C:\Users\bob\AppData\Local\Temp\evil.dll,Start";
    let a = run(vec![
        load(
            "h",
            0.0,
            1,
            P,
            r"C:\Windows\System32\rundll32.exe",
            DLL,
            "false",
        ),
        start(
            "h",
            0.024,
            2,
            P,
            Q,
            r"C:\Windows\System32\rundll32.exe",
            Some("RUNDLL32.EXE"),
            cmd,
        ),
    ]);
    assert_eq!(branches(&a), vec![vec!["follow_on_exec"]]);
    assert!(a[0].evidence.follow_on_exec[0].is_loader);
}

#[test]
fn renamed_regsvr32_by_bare_file_name_corroborates() {
    let a = run(vec![
        load("h", 0.0, 1, P, LOADER, DLL, "false"),
        start(
            "h",
            10.0,
            2,
            Q,
            P,
            r"C:\Users\bob\x.exe",
            Some("REGSVR32.EXE"),
            "x.exe /s evil.dll",
        ),
    ]);
    assert_eq!(branches(&a), vec![vec!["follow_on_exec"]]);
    assert!(!a[0].evidence.follow_on_exec[0].is_loader);
}

#[test]
fn rundll32_outside_the_window_or_naming_another_dll_does_not_count() {
    assert!(run(vec![
        load("h", 0.0, 1, P, LOADER, DLL, "false"),
        start(
            "h",
            400.0,
            2,
            Q,
            P,
            r"C:\Windows\System32\rundll32.exe",
            None,
            "rundll32 evil.dll,Go"
        ),
        start(
            "h",
            1.0,
            3,
            Q,
            P,
            r"C:\Windows\System32\rundll32.exe",
            None,
            "rundll32 notevil.dll,Go"
        ),
        start(
            "h",
            1.0,
            4,
            Q,
            P,
            r"C:\Windows\System32\cmd.exe",
            None,
            "cmd /c evil.dll"
        ),
    ])
    .is_empty());
}

#[test]
fn outbound_connection_by_the_loader_after_the_load_corroborates() {
    let a = run(vec![
        load("h", 0.0, 1, P, LOADER, DLL, "false"),
        net("h", 56.0, 2, P, "204.79.197.200", true),
    ]);
    assert_eq!(branches(&a), vec![vec!["outbound_network"]]);
}

#[test]
fn network_near_misses_do_not_count() {
    assert!(run(vec![
        load("h", 0.0, 1, P, LOADER, DLL, "false"),
        net("h", 1.0, 2, Q, "8.8.8.8", true), // another process
        net("h", 1.0, 3, P, "127.0.0.1", true), // loopback
        net("h", 1.0, 4, P, "169.254.10.1", true), // link-local
        net("h", 1.0, 5, P, "8.8.8.8", false), // inbound
        net("h", -1.0, 6, P, "8.8.8.8", true), // before the load
        net("h", 301.0, 7, P, "8.8.8.8", true), // after the window
        net("other", 1.0, 8, P, "8.8.8.8", true), // another host
    ])
    .is_empty());
}

#[test]
fn duplicate_loads_make_one_alert_with_a_stable_id() {
    let events = || {
        vec![
            write("h", -1.0, 1, Q, r"C:\w.exe", DLL),
            load("h", 0.0, 2, P, LOADER, DLL, "false"),
            load("h", 0.0, 3, P, LOADER, DLL, "false"),
            load("h", 0.001, 4, P, LOADER, DLL, "false"),
        ]
    };
    let a = run(events());
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].load_count, 3);
    assert_eq!(a[0].evidence.fresh_write.len(), 1);
    assert_eq!(run(events())[0].id, a[0].id);
}

#[test]
fn signed_dll_in_system_folder_never_alerts_even_with_all_branches() {
    let dll = r"C:\Windows\System32\version.dll";
    assert!(run(vec![
        write("h", -1.0, 1, Q, r"C:\w.exe", dll),
        load("h", 0.0, 2, P, LOADER, dll, "true"),
        net("h", 1.0, 3, P, "8.8.8.8", true),
    ])
    .is_empty());
}

#[test]
fn parent_mapping_its_childs_executable_is_not_a_dll_load() {
    let exe = r"C:\Users\bob\AppData\Roaming\NvSmart.exe";
    assert!(run(vec![
        write("h", -1.0, 1, P, LOADER, exe),
        start("h", 0.0, 2, Q, P, exe, None, exe),
        load("h", 0.0, 3, P, LOADER, exe, "true"),
    ])
    .is_empty());
}

#[test]
fn signals_are_emitted_only_when_asked() {
    let mut c = Correlator::new(Config {
        signals: true,
        ..Config::default()
    });
    c.push(load("h", 0.0, 1, P, LOADER, DLL, "false"));
    let out = c.finish();
    assert!(out.alerts.is_empty());
    assert_eq!(out.signals.len(), 1);
    assert!(out.signals[0].signal);
}

mod suppression {
    use super::*;
    use chrono::NaiveDate;
    use dllhound_detect::tuning::{EntrySource, Tuning};

    fn with_allowlist(yaml: &str, events: Vec<Event>) -> dllhound_detect::Outcome {
        let mut cfg = Config {
            keep_suppressed: true,
            ..Config::default()
        };
        cfg.tuning
            .extend(Tuning::parse(yaml, "test", EntrySource::Allowlist, NaiveDate::MIN).unwrap());
        let mut c = Correlator::new(cfg);
        events.into_iter().for_each(|e| c.push(e));
        c.finish()
    }

    fn chain(signed: &str) -> Vec<Event> {
        vec![
            write("h", -1.0, 1, Q, r"C:\Windows\System32\msiexec.exe", DLL),
            load("h", 0.0, 2, P, LOADER, DLL, signed),
        ]
    }

    #[test]
    fn a_writer_entry_suppresses_a_signed_dll_and_says_which_entry() {
        let yaml =
            "- id: msi\n  reason: installer\n  writer: ['C:\\Windows\\System32\\msiexec.exe']\n";
        let out = with_allowlist(yaml, chain("true"));
        assert!(out.alerts.is_empty());
        assert_eq!(out.stats.suppressed.get("allowlist"), Some(&1));
        let s = out.suppressed[0].suppressed_by.as_ref().unwrap();
        assert_eq!((s.source, s.id.as_str()), ("allowlist", "msi"));
    }

    #[test]
    fn the_same_entry_does_not_hide_an_unsigned_dll() {
        let yaml = "- id: msi\n  reason: installer\n  writer: ['**\\msiexec.exe']\n";
        let out = with_allowlist(yaml, chain("false"));
        assert_eq!(out.alerts.len(), 1);
        assert!(out.stats.suppressed.is_empty());
    }
}

/// Issue 17: one record alone larger than the correlator's memory budget (a 13 MB line at
/// `--threads 64` divides the budget that far) used to panic in `shed` (`clamp(1, 0)`).
#[test]
fn regression_17_one_record_over_the_memory_budget_does_not_panic() {
    let mut c = Correlator::new(Config {
        max_state_bytes: 64,
        ..Config::default()
    });
    let huge = format!(
        r"C:\Users\bob\AppData\Local\Temp\{}.dll",
        "x".repeat(1 << 20)
    );
    c.push(load("h", 0.0, 1, P, LOADER, &huge, "false"));
    let out = c.finish();
    assert!(out.alerts.is_empty());
    assert_eq!(out.stats.decided_early, 1, "{:?}", out.stats);
}

/// Issue 17: the shards of one run share one memory budget instead of a share each: a shard with
/// the busy hosts may hold most of it, and once the sum is over, the shard over an equal share
/// sheds.
#[test]
fn shards_share_one_memory_budget() {
    const BUDGET: usize = 1 << 20;
    let shared = std::sync::Arc::new(dllhound_detect::SharedBudget::new(2));
    let cfg = Config {
        max_state_bytes: BUDGET,
        shared_budget: Some(shared.clone()),
        ..Config::default()
    };
    let (mut busy, mut quiet) = (Correlator::new(cfg.clone()), Correlator::new(cfg));
    let mut rec = 0u64;
    let feed = |c: &mut Correlator, host: &str, until: usize, rec: &mut u64| {
        while c.held_bytes() < until {
            *rec += 1;
            c.push(net(host, *rec as f64 * 0.001, *rec, P, "203.0.113.5", true));
        }
    };
    // Four fifths of the budget in one shard: more than half (the old per-thread share), no cut.
    feed(&mut busy, "h1", BUDGET / 5 * 4, &mut rec);
    // The other shard takes the sum over the budget; under an equal share, it does not cut.
    feed(&mut quiet, "h2", BUDGET / 3, &mut rec);
    assert_eq!(quiet.stats().memory_evictions, 0);
    assert_eq!(busy.stats().memory_evictions, 0);
    // Within one report step (64 KiB) more, the busy shard cuts itself, by the whole excess.
    for _ in 0..1000 {
        if busy.stats().memory_evictions > 0 {
            break;
        }
        rec += 1;
        busy.push(net("h1", rec as f64 * 0.001, rec, P, "203.0.113.5", true));
    }
    assert!(busy.stats().memory_evictions > 0);
    assert!(
        busy.held_bytes() + quiet.held_bytes() <= BUDGET,
        "{} + {}",
        busy.held_bytes(),
        quiet.held_bytes()
    );
}

#[test]
fn streaming_updates_an_alert_with_children_started_after_its_release() {
    let mut c = dllhound_detect::Correlator::new(dllhound_detect::Config {
        emit_early: true,
        ..Default::default()
    });
    let dll = r"C:\Users\u\AppData\Local\Temp\x.dll";
    c.push(write("h", 0.0, 1, "w", r"C:\w.exe", dll));
    c.push(load("h", 10.0, 2, "l", r"C:\l.exe", dll, "false"));
    let first = c.take_emissions();
    assert_eq!(first.len(), 1, "released as soon as (a) is in");
    assert!(!first[0].update && first[0].alert.children.is_empty());
    assert_eq!(first[0].alert.file_history.len(), 1);
    c.push(start(
        "h",
        20.0,
        3,
        "k",
        "l",
        r"C:\Windows\System32\cmd.exe",
        None,
        "cmd /c whoami",
    ));
    c.push(net("h", 1000.0, 4, "z", "198.51.100.1", true));
    let later = c.take_emissions();
    assert_eq!(later.len(), 1, "{later:?}");
    assert!(later[0].update);
    assert_eq!(later[0].alert.id, first[0].alert.id);
    assert_eq!(later[0].alert.children.len(), 1);
    assert_eq!(
        later[0].alert.children[0].process.command_line.as_deref(),
        Some("cmd /c whoami")
    );
}
