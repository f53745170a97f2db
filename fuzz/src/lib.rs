//! Shared pieces of the fuzz targets.
//!
//! A record-decoder target parses the fuzzer's bytes as JSON and hands the value straight to one
//! registry format's `decode`, skipping `sniff`, so the decoder sees shapes it would never be given in a
//! scan: a decoder must return an error, not panic, whatever the value.

use dllhound_ingest::formats::RecordContext;
use dllhound_ingest::REGISTRY;
use std::sync::Arc;

/// Decodes `data` with the registry format called `name`. Panics only if no such format exists.
pub fn decode_with(name: &str, data: &[u8]) {
    let Some(format) = REGISTRY.iter().find(|f| f.name() == name) else {
        panic!("no record format called {name}");
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let ctx = RecordContext {
        input: Arc::from("fuzz"),
        line: Some(1),
        record: None,
        element: None,
        only: None,
    };
    // Sniffing must not panic either.
    let _ = format.sniff(&value);
    if let Ok(Some(ev)) = format.decode(&value, &ctx) {
        // What a decoder yields must be usable downstream.
        let _ = ev.kind_name();
        let _ = ev.process();
    }
}

/// Declares a libFuzzer target for one record format.
#[macro_export]
macro_rules! record_target {
    ($name:literal) => {
        libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            $crate::decode_with($name, data);
        });
    };
}
