//! The detector's hot paths: classifying a module path, and correlating a simulated host's events.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dllhound_detect::{Config, Correlator, PathClasses};
use dllhound_ingest::{read_input, Input, ReadOptions};
use dllhound_model::{Event, WinPath};
use dllhound_simulate::{generate, SimConfig};
use std::hint::black_box;

fn classify(c: &mut Criterion) {
    let classes = PathClasses::builtin();
    let paths = [
        WinPath::new(r"C:\Windows\System32\kernel32.dll"),
        WinPath::new(r"C:\Users\bob\AppData\Local\Temp\x.dll"),
        WinPath::new(r"\Device\Mup\host\share\x.dll"),
        WinPath::new(
            r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\11b8b7ed\System.ni.dll",
        ),
    ];
    c.bench_function("classify/4 paths", |b| {
        b.iter(|| {
            paths
                .iter()
                .map(|p| classes.classify(black_box(p)).len())
                .sum::<usize>()
        })
    });
    c.bench_function("winpath/normalise", |b| {
        b.iter(|| {
            WinPath::new(black_box(
                r"\\?\C:\Users\Bob\AppData\Local\Temp\..\Temp\X.DLL",
            ))
        })
    });
}

fn correlate(c: &mut Criterion) {
    let mut bytes = Vec::new();
    let _ = generate(
        &SimConfig {
            hosts: 20,
            events: 20_000,
            attacks: 6,
            ..SimConfig::default()
        },
        &mut bytes,
    );
    let path = std::env::temp_dir().join(format!("dllhound-bench-{}.jsonl", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let mut events: Vec<Event> = Vec::new();
    read_input(&Input::Path(path), &ReadOptions::default(), &mut |e| {
        events.push(e)
    });
    let cfg = Config::default();
    let mut g = c.benchmark_group("correlate");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(20);
    g.bench_function("simulated 20 hosts", |b| {
        b.iter(|| {
            let mut k = Correlator::new(cfg.clone());
            events.iter().cloned().for_each(|e| k.push(e));
            black_box(k.finish().alerts.len())
        })
    });
    g.finish();
}

criterion_group!(benches, classify, correlate);
criterion_main!(benches);
