#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds each (default 600), one after another, on stable Rust.
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them (stable ships the ASan runtime). Run corpora grow in fuzz/corpus/ (not in git);
# crashes land in fuzz/artifacts/<target>/ — copy each into fuzz/regressions/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")"
secs="${SECS:-600}"
targets="${*:-$(RUSTC_BOOTSTRAP=1 cargo fuzz list)}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for t in $targets; do
  mkdir -p "corpus/$t"
  max_len=65536
  [ "$t" = pipeline ] && max_len=262144
  echo "== $t ($secs s)"
  cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -max_len="$max_len" -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 2>&1 | tee "log-$t.txt" | grep -E '^#[0-9]+.*(DONE|pulse)|stat::|SUMMARY|ERROR|panicked' || true
done
