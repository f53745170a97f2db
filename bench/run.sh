#!/usr/bin/env bash
# End-to-end benchmarks against the floors, in one run on one machine (ratios, not absolute times,
# are what carry between runs on shared machines). Appends a dated section to BENCHMARKS.md.
#
#   bash bench/run.sh            # corpus, LSASS_campaign_05, simulated 1 vs 2 threads (a few minutes)
#   BIG=1 bash bench/run.sh      # also the 10 GB / 10,000-host memory run (needs ~12 GB of disk)
#   RUNS=7 bash bench/run.sh     # more alternating runs per case (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${SHARED:-$root/../shared}
runs=${RUNS:-5}
work=${WORK:-$(mktemp -d)}
echo "work dir: $work"

cargo build --release --locked -q
bin=$root/target/release/dllhound
for f in evtxfloor jsonfloor; do
  cargo build --release -q --manifest-path "$shared/bench/floors/$f/Cargo.toml" --target-dir "$work/target-$f"
done
evtxfloor=$work/target-evtxfloor/release/evtxfloor
jsonfloor=$work/target-jsonfloor/release/jsonfloor

[ -d "$work/corpus" ] || { mkdir -p "$work/corpus"; tar -xzf "$shared/bench/evtx-corpus.tar.gz" -C "$work/corpus"; }
[ -f "$work/lsass05.json" ] || unzip -p "$shared/data/OTRF__Security-Datasets/datasets/compound/LSASS_campaign_05/metasploit_sharpdump_lsass_memory_dump.zip" > "$work/lsass05.json"
[ -f "$work/sim.jsonl" ] || "$bin" simulate --hosts 200 --size 1GB --attacks 30 -o "$work/sim.jsonl" 2>/dev/null

# seconds of wall time for one command (stdout/stderr discarded)
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

declare -A samples
measure() { # name, command...
  local name=$1; shift
  samples[$name]+="$(t "$@") "
}
for i in $(seq "$runs"); do
  measure evtx_floor "$evtxfloor" 1 "$work/corpus"
  measure evtx_t1 "$bin" scan --threads 1 -q -o /dev/null "$work/corpus"
  measure json_floor "$jsonfloor" "$work/lsass05.json"
  measure json_t2 "$bin" scan -q -o /dev/null "$work/lsass05.json"
  measure json_t1 "$bin" scan --threads 1 -q -o /dev/null "$work/lsass05.json"
  measure sim_t1 "$bin" scan --threads 1 --streaming -q -o /dev/null "$work/sim.jsonl"
  measure sim_t2 "$bin" scan --threads 2 --streaming -q -o /dev/null "$work/sim.jsonl"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A med
for k in "${!samples[@]}"; do med[$k]=$(printf "%.3f" "$(echo "${samples[$k]}" | median)"); done
ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }

rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
sim_rss=$(rss "$bin" scan --streaming -q -o /dev/null "$work/sim.jsonl")
big=""
if [ "${BIG:-0}" = 1 ]; then
  [ -f "$work/sim10g.jsonl" ] || "$bin" simulate --hosts 10000 --size 10GB --attacks 300 -o "$work/sim10g.jsonl" 2>/dev/null
  big_rss=$(rss "$bin" scan -q -o /dev/null "$work/sim10g.jsonl")
  big_s=$(printf "%.1f" "$(t "$bin" scan -q -o /dev/null "$work/sim10g.jsonl")")
  big="| 10 GB simulated, 10,000 hosts (auto streaming, 2 threads) | ${big_s} s | — | — | peak RSS $((big_rss / 1024)) MB (target ≤ 200 MB) |"
fi

records_evtx=24399; records_json=59707
rate() { printf "%.0f" "$(echo "$1 / $2" | bc -l)"; }
{
  echo
  echo "## $(date -u +%Y-%m-%d) — commit $(git rev-parse --short HEAD), $(nproc) cores, $(uname -m)"
  echo
  echo "Median of $runs alternating runs, wall time, release build (\`bash bench/run.sh\`)."
  echo
  echo "| case | dllhound | floor | ratio (≤ 1.0 is the target) | notes |"
  echo "|---|---|---|---|---|"
  echo "| EVTX corpus, 583 files, 24,399 records, \`--threads 1\` | ${med[evtx_t1]} s ($(rate $records_evtx ${med[evtx_t1]}) ev/s) | ${med[evtx_floor]} s | $(ratio ${med[evtx_t1]} ${med[evtx_floor]}) | evtxfloor 1 |"
  echo "| LSASS_campaign_05 JSON, 120 MB, 59,707 records, 2 threads | ${med[json_t2]} s ($(rate $records_json ${med[json_t2]}) ev/s) | ${med[json_floor]} s | $(ratio ${med[json_t2]} ${med[json_floor]}) | jsonfloor (1 thread) |"
  echo "| LSASS_campaign_05 JSON, \`--threads 1\` | ${med[json_t1]} s | ${med[json_floor]} s | $(ratio ${med[json_t1]} ${med[json_floor]}) | |"
  echo "| simulated 1 GB, 200 hosts, streaming: 2 threads vs 1 | ${med[sim_t2]} s | ${med[sim_t1]} s (1 thread) | speed-up $(ratio ${med[sim_t1]} ${med[sim_t2]})× (target ≥ 1.7×) | peak RSS $((sim_rss / 1024)) MB |"
  [ -n "$big" ] && echo "$big"
} | tee -a BENCHMARKS.md
