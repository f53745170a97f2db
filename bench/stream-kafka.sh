#!/usr/bin/env bash
# `dllhound stream` through a Kafka-API broker (tansu 0.6.0, in-memory storage, on this machine):
# throughput with one member and with two, and end-to-end alert latency. Prints a Markdown table.
#
#   bash bench/stream-kafka.sh                # 300,000 simulated records, 200 hosts
#   EVENTS=1000000 bash bench/stream-kafka.sh
#
# Members use static partitions (--partitions) so that group joins are not timed; both members and
# the broker share this machine's cores, so "two members" measures one box, not a scale-out.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-300000}
work=$(mktemp -d)
tansu=${DLLHOUND_TANSU:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}
cargo build --release --locked -q
cargo build --release --locked -q --example kafka-produce
bin=$PWD/target/release/dllhound
produce=$PWD/target/release/examples/kafka-produce

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
(cd "$work" && exec env -u LISTENER_URL -u ADVERTISED_LISTENER_URL -u STORAGE_ENGINE "$tansu" broker \
  --listener-url "tcp://$addr" --advertised-listener-url "tcp://$addr" \
  --storage-engine memory://tansu/ >"$work/tansu.log" 2>&1) &
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
for t in telemetry:4 alerts-one:1 alerts-two:1; do
  "$tansu" topic create "${t%%:*}" --partitions "${t##*:}" --broker "tcp://$addr" >/dev/null
done

"$bin" simulate --events "$events" --hosts 200 --attacks 30 -o "$work/fleet.jsonl" 2>/dev/null
n=$("$produce" "$addr" telemetry "$work/fleet.jsonl" 2>/dev/null)

now() { date +%s.%N; }
member() { # group partitions stats
  "$bin" stream --kafka-brokers "$addr" --topic telemetry --group "$1" --partitions "$2" \
    --alerts-topic "alerts-$1" --no-stdout --until-end --idle-exit 30s -q --stats-json "$3" || true
}
seen() { python3 -c 'import json,sys; print(sum(json.load(open(f))["records"]["seen"] for f in sys.argv[1:]))' "$@"; }

s=$(now); member one 0,1,2,3 "$work/one.json"; e=$(now)
one_s=$(echo "$e - $s" | bc -l); one_n=$(seen "$work/one.json")
s=$(now); "$bin" stream - -q --no-stdout --stats-json "$work/stdin.json" <"$work/fleet.jsonl" || true; e=$(now)
stdin_s=$(echo "$e - $s" | bc -l); stdin_n=$(seen "$work/stdin.json")
s=$(now)
member two 0,1 "$work/two-a.json" & a=$!
member two 2,3 "$work/two-b.json" & b=$!
wait $a $b; e=$(now)
two_s=$(echo "$e - $s" | bc -l); two_n=$(seen "$work/two-a.json" "$work/two-b.json")

# Latency: a member follows a live topic; the example's records are sent one by one, 50 ms apart.
# An alert is released by the record that completes its chain, the newest (by send time) of the
# records in the alert's timeline; latency = the alert's arrival on stdout - that record's send.
# Measured with librdkafka's default fetch.wait.max.ms (500) and with 10: a broker that holds an
# empty fetch for its whole wait even when data arrives (tansu 0.6.0 does) adds up to that much.
latency() { # run, extra args...
  local run=$1; shift
  "$tansu" topic create "live$run" --partitions 4 --broker "tcp://$addr" >/dev/null
  "$tansu" topic create "alerts-live$run" --partitions 1 --broker "tcp://$addr" >/dev/null
  "$bin" stream --kafka-brokers "$addr" --topic "live$run" --group "live$run" \
    --alerts-topic "alerts-live$run" -q --idle-exit 15s "$@" |
    while IFS= read -r line; do echo "$(date +%s%3N) $line"; done >"$work/arrivals$run" &
  local live=$!
  sleep 5
  "$produce" "$addr" "live$run" examples/attack-chain.jsonl 50 2>"$work/sent$run" >/dev/null
  wait $live || true
  python3 - "live$run" "$work/sent$run" "$work/arrivals$run" <<'PY'
import json, sys
topic, sent_file, arrivals = sys.argv[1:]
sent = {}
for l in open(sent_file):
    if l.startswith("sent "):
        _, p, o, ms = l.split()
        sent[(f"{topic}/{p}", int(o))] = int(ms)
out = []
for l in open(arrivals):
    t, alert = l.split(" ", 1)
    a = json.loads(alert)
    times = [sent.get((e["provenance"].get("file"), e["provenance"].get("record"))) for e in a["timeline"]]
    out.append("?" if None in times else f"{int(t) - max(times)} ms")
print(", ".join(out) or "no alert")
PY
}
lat_default=$(latency 1)
lat_short=$(latency 2 --kafka-config fetch.wait.max.ms=10)

rate() { echo "scale=0; $1 / $2" | bc -l; }
echo
echo "| $(date -u +%F) | records on topic | read | wall s | records/s |"
echo "|---|---|---|---|---|"
printf '| no broker: stream - from the file | %s | %s | %.1f | %s |\n' "$n" "$stdin_n" "$stdin_s" "$(rate "$stdin_n" "$stdin_s")"
printf '| one member (partitions 0-3) | %s | %s | %.1f | %s |\n' "$n" "$one_n" "$one_s" "$(rate "$one_n" "$one_s")"
printf '| two members (0,1 + 2,3) | %s | %s | %.1f | %s |\n' "$n" "$two_n" "$two_s" "$(rate "$two_n" "$two_s")"
echo
echo "alert latency (record that completes a chain sent → alert on stdout), per alert of the example:"
echo "  fetch.wait.max.ms=500 (librdkafka's default): $lat_default"
echo "  fetch.wait.max.ms=10: $lat_short"
