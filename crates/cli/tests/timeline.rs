//! `--output-format timeline-csv` (or `timeline`): one row per evidence event, oldest first, in
//! Hayabusa's leading columns, each row tied to its finding and its source record.

use std::path::PathBuf;
mod fixtures;

use fixtures::{dllhound, EXAMPLE};

fn scan(args: &[&str]) -> String {
    let o = dllhound(&[&["scan"], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

#[test]
fn one_row_per_evidence_event_sorted_with_hayabusa_columns() {
    let (head, rows) = rows(&scan(&["-q", "--output-format", "timeline-csv", EXAMPLE]));
    assert_eq!(
        &head[..9],
        [
            "Timestamp",
            "Computer",
            "Channel",
            "EventID",
            "RecordID",
            "Level",
            "RuleTitle",
            "Role",
            "Details"
        ]
    );
    // As many rows as the NDJSON findings have timeline entries.
    let ndjson = scan(&["-q", "--output-format", "ndjson", EXAMPLE]);
    let entries: usize = ndjson
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["timeline"].as_array().unwrap().len()
        })
        .sum();
    assert_eq!(rows.len(), entries);
    assert!(
        rows.windows(2).all(|w| w[0][0] <= w[1][0]),
        "sorted by time"
    );
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let write = rows
        .iter()
        .find(|r| r[col("Role")] == "fresh_write" && r[col("DLL")].ends_with("msoupd.dll"))
        .expect("the write of the rundll32 DLL");
    assert_eq!(
        write[col("Channel")],
        "Microsoft-Windows-Sysmon/Operational"
    );
    assert_eq!(write[col("EventID")], "11");
    assert_eq!(write[col("Level")], "critical");
    assert_eq!(write[col("Kind")], "alert");
    assert_eq!(write[col("SourceLine")], "58");
    assert!(write[col("Details")].contains("WINWORD.EXE wrote"));
    // `timeline` is the same format.
    assert_eq!(
        scan(&["-q", "--output-format", "timeline", EXAMPLE]),
        scan(&["-q", "--output-format", "timeline-csv", EXAMPLE])
    );
}

/// On a real EVTX recording the RecordID column is the EventRecordID Event Viewer shows, and the
/// position in the file is its own column.
#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings)"]
fn on_a_real_recording_the_record_id_is_event_viewers() {
    let Some(root) = std::env::var_os("DLLHOUND_REAL_DATA") else {
        panic!("DLLHOUND_REAL_DATA is not set: this test needs the shared recordings");
    };
    let rec = PathBuf::from(root).join("sbousseaden__EVTX-ATTACK-SAMPLES/AutomatedTestingTools/Malware/DE_timestomp_and_dll_sideloading_and_RunPersist.evtx");
    assert!(rec.is_file(), "{} missing", rec.display());
    let (head, rows) = rows(&scan(&[
        "-q",
        "--output-format",
        "timeline",
        rec.to_str().unwrap(),
    ]));
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let write = rows
        .iter()
        .find(|r| r[col("Role")] == "fresh_write")
        .expect("the dropper's write");
    assert_eq!(write[col("RecordID")], "6581");
    assert_eq!(write[col("SourceFileRecord")], "7");
    assert_eq!(write[col("Computer")], "IEWIN7");
}
