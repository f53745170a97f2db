//! Issue 19: corroboration that survives how real systems and attackers spell things. One test per
//! rule, each with the near miss that must stay quiet (the rules are in the crate docs of
//! `fresh_write`, `lolbin` and `tuning`; the same rules on the real recordings are in
//! `rewritten_chains.rs`).

mod common;

use common::*;
use dllhound_detect::lolbin::{Executor, NameMatch};
use dllhound_detect::WriteMatch;
use dllhound_model::{Event, FileWriteKind};

const LOADER: &str = r"C:\Program Files\App\app.exe";
const RUNDLL: &str = r"C:\Windows\System32\rundll32.exe";
const P: &str = "{11111111-1111-1111-1111-111111111111}";
const Q: &str = "{22222222-2222-2222-2222-222222222222}";
const R: &str = "{33333333-3333-3333-3333-333333333333}";
const CLSID: &str = "{BCDE0395-E52F-467C-8E3D-C4579291692E}";

#[test]
fn a_write_through_the_long_profile_name_meets_a_load_through_the_short_one() {
    let long = r"C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll";
    let short = r"C:\Users\PEDRO~1.GUS\AppData\Local\Temp\x.dll";
    for (w, l) in [(long, short), (short, long)] {
        let a = run(vec![
            write("h", -2.0, 1, Q, r"C:\w.exe", w),
            load("h", 0.0, 2, P, LOADER, l, "false"),
        ]);
        assert_eq!(branches(&a), vec![vec!["fresh_write"]], "{w} → {l}");
        assert_eq!(
            a[0].evidence.fresh_write[0].matched,
            WriteMatch::ShortNameAlias
        );
        assert!(a[0].reasons.iter().any(|r| r.contains("8.3 alias")));
    }
    let a = run(vec![
        write("h", -2.0, 1, Q, r"C:\w.exe", r"C:\ProgramData\x.dll"),
        load("h", 0.0, 2, P, LOADER, r"C:\PROGRA~3\x.dll", "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
}

#[test]
fn a_short_name_that_cannot_abbreviate_the_folder_is_another_file() {
    for w in [
        r"C:\Users\MARIA~1.GUS\AppData\Local\Temp\x.dll",
        r"C:\PROGRA~1\x.dll",
        r"C:\Users\PEDRO~1.GUS\AppData\Local\Temp\y.dll",
    ] {
        let target = if w.contains("PROGRA~1") {
            r"C:\ProgramData\x.dll"
        } else {
            r"C:\Users\pedro.gustavo\AppData\Local\Temp\x.dll"
        };
        assert!(
            run(vec![
                write("h", -2.0, 1, Q, r"C:\w.exe", w),
                load("h", 0.0, 2, P, LOADER, target, "false"),
            ])
            .is_empty(),
            "{w} must not meet {target}"
        );
    }
}

#[test]
fn the_mark_of_the_web_stream_is_a_write_of_the_dll() {
    let dll = r"C:\Users\bob\Downloads\x.dll";
    let chrome = r"C:\Program Files\Google\Chrome\Application\chrome.exe";
    let a = run(vec![
        write_as(
            "h",
            -9.0,
            1,
            Q,
            chrome,
            &format!("{dll}:Zone.Identifier"),
            FileWriteKind::Stream,
        ),
        load("h", 0.0, 2, P, LOADER, dll, "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
    assert_eq!(a[0].evidence.fresh_write[0].matched, WriteMatch::Stream);
    assert!(
        a[0].reasons
            .iter()
            .any(|r| r.contains("Mark-of-the-Web written by chrome.exe")),
        "{:?}",
        a[0].reasons
    );
    assert!(
        a[0].reasons.iter().any(|r| r.contains("browser")),
        "risky writer scored"
    );
}

#[test]
fn a_dll_hosted_in_a_stream_still_meets_its_own_write_and_not_its_host_file() {
    let host_file = r"C:\Users\bob\AppData\Local\Temp\notes.txt";
    let in_stream = format!("{host_file}:x.dll");
    let a = run(vec![
        write_as(
            "h",
            -3.0,
            1,
            Q,
            r"C:\w.exe",
            &in_stream,
            FileWriteKind::Stream,
        ),
        load("h", 0.0, 2, P, LOADER, &in_stream, "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
    assert_eq!(a[0].evidence.fresh_write[0].matched, WriteMatch::Exact);
    assert!(run(vec![
        write("h", -3.0, 1, Q, r"C:\w.exe", host_file),
        load("h", 0.0, 2, P, LOADER, &in_stream, "false"),
    ])
    .is_empty());
}

#[test]
fn a_browser_download_in_progress_file_is_a_write_of_the_dll() {
    let dll = r"C:\Users\bob\Downloads\x.dll";
    let a = run(vec![
        write(
            "h",
            -9.0,
            1,
            Q,
            r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
            &format!("{dll}.crdownload"),
        ),
        load("h", 0.0, 2, P, LOADER, dll, "false"),
    ]);
    assert_eq!(a[0].evidence.fresh_write[0].matched, WriteMatch::Download);
    // Near miss: another extension is another file.
    assert!(run(vec![
        write("h", -9.0, 1, Q, r"C:\w.exe", &format!("{dll}.bak")),
        load("h", 0.0, 2, P, LOADER, dll, "false"),
    ])
    .is_empty());
}

#[test]
fn rundll32_with_a_trailing_dot_or_inner_quotes_names_the_dll() {
    let dll = r"C:\Users\bob\AppData\Local\Temp\x.dll";
    for cl in [
        r"rundll32.exe C:\Users\bob\AppData\Local\Temp\x.dll.,Run",
        r#"rundll32.exe C:\Users\"bob"\AppData\Local\Temp\x.dll,Run"#,
        r"rundll32.exe C:\Users\PEDRO~1\..\bob\AppData\Local\Temp\x.dll,Run",
    ] {
        let a = run(vec![
            start("h", -1.0, 1, R, Q, RUNDLL, Some("RUNDLL32.EXE"), cl),
            load("h", 0.0, 2, R, RUNDLL, dll, "false"),
        ]);
        assert_eq!(branches(&a), vec![vec!["follow_on_exec"]], "{cl}");
    }
    for cl in [
        r"rundll32.exe C:\Users\bob\AppData\Local\Temp\x.dll.bak,Run",
        r"rundll32.exe C:\Windows\System32\x.dll,Run",
    ] {
        let a = run(vec![
            start("h", -1.0, 1, R, Q, RUNDLL, Some("RUNDLL32.EXE"), cl),
            load("h", 0.0, 2, P, LOADER, dll, "false"),
        ]);
        assert!(a.is_empty(), "{cl} must not name {dll}");
    }
}

#[test]
fn rundll32_sta_runs_the_dll_its_class_id_names_in_the_registry() {
    let dll = r"C:\ProgramData\demo.dll";
    let cl = format!("rundll32.exe -sta {CLSID}");
    let a = run(vec![
        com("h", -30.0, 1, Q, CLSID, dll),
        start("h", -1.0, 2, R, Q, RUNDLL, Some("RUNDLL32.EXE"), &cl),
        load("h", 0.0, 3, R, RUNDLL, dll, "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["follow_on_exec"]]);
    let e = &a[0].evidence.follow_on_exec[0];
    assert_eq!(e.matched, NameMatch::ComClsid);
    let reg = e
        .registry
        .as_ref()
        .expect("the registry record is evidence");
    assert_eq!(reg.provenance.file_record, Some(1));
    assert!(a[0].timeline.iter().any(|t| t.role == "com_registration"));
    // Near misses: the class names another DLL; another class id; no registration at all.
    let other = "{00000000-1111-2222-3333-444444444444}";
    for events in [
        vec![com("h", -30.0, 1, Q, CLSID, r"C:\ProgramData\other.dll")],
        vec![com("h", -30.0, 1, Q, other, dll)],
        vec![],
    ] {
        let mut events = events;
        events.push(start("h", -1.0, 2, R, Q, RUNDLL, Some("RUNDLL32.EXE"), &cl));
        events.push(load("h", 0.0, 3, R, RUNDLL, dll, "false"));
        assert!(run(events).is_empty());
    }
}

#[test]
fn a_renamed_rundll32_without_original_file_name_counts_by_its_command_line_shape_and_scores_lower()
{
    let dll = r"C:\Users\bob\AppData\Local\Temp\x.dll";
    let renamed = r"C:\Users\bob\AppData\Local\Temp\svchost.exe";
    let cl = r"svchost.exe C:\Users\bob\AppData\Local\Temp\x.dll,Start";
    let by_shape = run(vec![
        start("h", -1.0, 1, R, Q, renamed, None, cl),
        load("h", 0.0, 2, P, LOADER, dll, "false"),
    ]);
    assert_eq!(branches(&by_shape), vec![vec!["follow_on_exec"]]);
    assert_eq!(
        by_shape[0].evidence.follow_on_exec[0].executor,
        Executor::CommandLineShape
    );
    let by_name = run(vec![
        start(
            "h",
            -1.0,
            1,
            R,
            Q,
            RUNDLL,
            None,
            &cl.replace("svchost.exe", "rundll32.exe"),
        ),
        load("h", 0.0, 2, P, LOADER, dll, "false"),
    ]);
    assert!(
        by_shape[0].score < by_name[0].score,
        "{} vs {}",
        by_shape[0].score,
        by_name[0].score
    );
    // Near misses: an OriginalFileName that is not rundll32's; a command line without the shape.
    for (ofn, cl) in [
        (Some("svchost.exe"), cl),
        (
            None,
            r"svchost.exe -k C:\Users\bob\AppData\Local\Temp\x.dll",
        ),
    ] {
        assert!(run(vec![
            start("h", -1.0, 1, R, Q, renamed, ofn, cl),
            load("h", 0.0, 2, P, LOADER, dll, "false"),
        ])
        .is_empty());
    }
}

#[test]
fn the_ngen_entry_does_not_cover_a_native_image_written_by_something_else() {
    let ni = r"C:\Windows\assembly\NativeImages_v4.0.30319_64\Evil\0123abcd\Evil.ni.dll";
    let a = run(vec![
        write(
            "h",
            -5.0,
            1,
            Q,
            r"C:\Users\bob\AppData\Local\Temp\drop.exe",
            ni,
        ),
        load("h", 0.0, 2, P, LOADER, ni, "false"),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
    assert_eq!(a[0].tuning_not_applied[0].id, "dotnet-ngen-native-images");
    assert!(a[0].reasons.iter().any(|r| r.contains("not applied")));
    // Written by the NGEN worker: the entry applies.
    assert!(run(vec![
        write(
            "h",
            -5.0,
            1,
            Q,
            r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\mscorsvw.exe",
            ni
        ),
        load("h", 0.0, 2, P, LOADER, ni, "false"),
    ])
    .is_empty());
}

#[test]
fn the_windows_installer_entry_holds_only_for_msiexec_and_its_custom_actions() {
    let dll = r"C:\Windows\Installer\MSI5A3B.tmp-\helper.dll";
    let setup = r"C:\Windows\System32\msiexec.exe";
    let signed = |e: Event| -> Event {
        let mut e = e;
        if let dllhound_model::EventKind::ImageLoad(l) = &mut e.kind {
            l.signature = dllhound_model::Signature::from_sysmon(
                Some("true"),
                Some("Valid"),
                Some("Unrelated Co"),
            );
        }
        e
    };
    let word = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE";
    let a = run(vec![
        write("h", -5.0, 1, Q, word, dll),
        signed(load("h", 0.0, 2, P, setup, dll, "true")),
    ]);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].tuning_not_applied[0].id,
        "windows-installer-custom-actions"
    );
    assert!(run(vec![
        write("h", -5.0, 1, P, setup, dll),
        signed(load("h", 0.0, 2, P, setup, dll, "true")),
    ])
    .is_empty());
}

/// A user-writable `.tmp` folder trusts no signer but Microsoft: a dropper unpacking a DLL signed by
/// an unrelated company and loading it itself is alerted on.
#[test]
fn a_temp_installer_folder_does_not_hide_a_dll_signed_by_anyone() {
    let dll = r"C:\Users\bob\AppData\Local\Temp\is-Q1V2B.tmp\helper.dll";
    let dropper = r"C:\Users\bob\Downloads\invoice.exe";
    let signed_by = |subject: &'static str| {
        move |e: Event| -> Event {
            let mut e = e;
            if let dllhound_model::EventKind::ImageLoad(l) = &mut e.kind {
                l.signature = dllhound_model::Signature::from_sysmon(
                    Some("true"),
                    Some("Valid"),
                    Some(subject),
                );
            }
            e
        }
    };
    let a = run(vec![
        write("h", -5.0, 1, P, dropper, dll),
        signed_by("Unrelated Co")(load("h", 0.0, 2, P, dropper, dll, "true")),
    ]);
    assert_eq!(branches(&a), vec![vec!["fresh_write"]]);
    assert!(run(vec![
        write("h", -5.0, 1, P, dropper, dll),
        signed_by("Microsoft Corporation")(load("h", 0.0, 2, P, dropper, dll, "true")),
    ])
    .is_empty());
}

#[test]
fn one_host_under_its_fqdn_and_its_short_name_is_one_host() {
    let dll = r"C:\Users\bob\AppData\Local\Temp\x.dll";
    for (w, l) in [
        ("workstation5", "workstation5.theshire.local"),
        ("workstation5.theshire.local", "workstation5"),
    ] {
        let a = run(vec![
            write(w, -2.0, 1, Q, r"C:\w.exe", dll),
            load(l, 0.0, 2, P, LOADER, dll, "false"),
        ]);
        assert_eq!(branches(&a), vec![vec!["fresh_write"]], "{w} / {l}");
        assert_eq!(
            &*a[0].host, "workstation5.theshire.local",
            "the fullest spelling is shown"
        );
    }
    // A host logged under one name keeps the name (and id) it had.
    let a = run(vec![
        write("ws9", -2.0, 1, Q, r"C:\w.exe", dll),
        load("ws9", 0.0, 2, P, LOADER, dll, "false"),
    ]);
    assert_eq!(&*a[0].host, "ws9");
    // Near miss: another machine.
    assert!(run(vec![
        write("workstation6.theshire.local", -2.0, 1, Q, r"C:\w.exe", dll),
        load(
            "workstation5.theshire.local",
            0.0,
            2,
            P,
            LOADER,
            dll,
            "false"
        ),
    ])
    .is_empty());
}
