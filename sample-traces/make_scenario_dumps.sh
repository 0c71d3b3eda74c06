#!/bin/sh
# Regenerates sample-traces/scenario/: real runs of the libp2p marketplace (4 nodes on
# loopback), healthy and with each fault, written as the Collector's file exporter writes.
# Run from the repository root. Span ids and timings differ between runs; names, hierarchy,
# peer ids (seeded) and the verdicts in sample-traces/README.md do not.
set -eu
cargo build -q -p tracecheck-emitter
emit=target/debug/tracecheck-emit
out=sample-traces/scenario
mkdir -p "$out"
"$emit" scenario --nodes 4 --seed 1 --out "$out/healthy.jsonl" > /dev/null
for fault in kill-node drop-gossip fail-dht slow-dht delay-gossip lose-export; do
    "$emit" scenario --nodes 4 --seed 1 --fault "$fault" --out "$out/$fault.jsonl" > /dev/null
done
# With the collector's own counters at the end: a healthy run and a lossy one (C003-C005).
"$emit" scenario --nodes 4 --seed 1 --collector-telemetry --out "$out/healthy-with-telemetry.jsonl" > /dev/null
"$emit" scenario --nodes 4 --seed 1 --collector-telemetry --fault lose-export --out "$out/lose-export-with-telemetry.jsonl" > /dev/null
# With the nodes' log records: a healthy run, and a dead node's log naming its unfinished span.
"$emit" scenario --nodes 4 --seed 1 --logs --out "$out/healthy-with-logs.jsonl" > /dev/null
"$emit" scenario --nodes 4 --seed 1 --logs --fault kill-node --out "$out/kill-node-with-logs.jsonl" > /dev/null
ls -l "$out"
