//! The whole of `dllhound scan` on raw bytes: container sniffing (EVTX, gzip, zip, JSON lines, arrays,
//! envelopes, XML, CSV), every decoder, the correlator, and the three text writers. Nothing the
//! decoders hand on may make the engine or a writer panic.
#![no_main]

use dllhound_detect::{Config, Correlator};
use dllhound_ingest::{read_bytes, ReadOptions};

/// Built once: compiling the path classes and the default tuning costs more than a run.
static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let cfg = CONFIG.get_or_init(|| {
        let mut cfg = Config::default().with_window(60_000);
        cfg.signals = true;
        cfg
    });
    let mut c = Correlator::new(cfg.clone());
    let stats = read_bytes("fuzz", data, &ReadOptions::default(), &mut |e| c.push(e));
    // Accounting: a record is either decoded or counted bad, never both, never lost.
    assert!(stats.record_errors.len() as u64 <= stats.records_bad);
    let outcome = c.finish();
    let mut sink = Vec::new();
    for a in &outcome.alerts {
        dllhound_report::write_ndjson(&mut sink, a).expect("writing to memory");
    }
    dllhound_report::write_table(
        &mut sink,
        outcome.alerts.iter(),
        dllhound_report::Grouping::Incident,
        // Narrow and coloured: the wrapping and styling paths see every string too.
        &dllhound_report::TableStyle {
            width: 40,
            color: true,
        },
    )
    .expect("writing to memory");
    dllhound_report::write_csv(&mut sink, outcome.alerts.iter()).expect("writing to memory");
    dllhound_report::write_timeline_csv(&mut sink, outcome.alerts.iter())
        .expect("writing to memory");
});
