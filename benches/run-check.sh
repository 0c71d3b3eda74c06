#!/usr/bin/env bash
# Whole-process throughput of `tracecheck check` on a synthetic file-exporter dump, at 1 and
# 2 threads, with and without the p2p rule pack, against baselines that answer the same
# question (per-name p50/p95/p99) measured in the same run: a plain serde_json program, Python
# with json and with orjson, and jq. Usage, from the repo root:
#
#     benches/run-check.sh [SPANS] [RUNS]        (JQ=0 skips jq, which takes about a minute)
#
# Builds release binaries, writes benches/data/synth-SPANS.jsonl if missing (seed 1, 1 %
# anomalies), checks how many cores are really there, and prints wall time, user+sys CPU,
# MB/s, spans/s and peak RSS per command (best of RUNS; the slow baselines run once), then
# every command's time as a ratio of `tracecheck -j1 +rules`.
set -euo pipefail
spans=${1:-500000}
runs=${2:-5}
cd "$(dirname "$0")/.."
. benches/probe.sh
cargo build --release -q -p tracecheck -p tracecheck-emitter -p tracecheck-benches
dump=benches/data/synth-$spans.jsonl
mkdir -p benches/data
[ -f "$dump" ] || ./target/release/tracecheck-emit synth --spans "$spans" --seed 1 --anomalies 0.01 --out "$dump" >/dev/null
bytes=$(stat -c %s "$dump")
real_spans=$( (./target/release/tracecheck check "$dump" --format json || true) | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["spans"])')
cat "$dump" >/dev/null # page cache

echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "parallelism probe: 2 loops together did $(parallelism_probe)x the work of one (2.0 = two real cores)"
echo "dump: $dump, $bytes bytes, $real_spans spans"

measure() { # label, command...
    local label=$1; shift
    for _ in $(seq "$runs"); do
        cat "$dump" >/dev/null # the VM's reclaimer may have dropped it from the page cache
        { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null || true; } | tail -1
    done | sort -n | awk -v label="$label" -v bytes="$bytes" -v spans="$real_spans" '
        { wall[NR]=$1; cpu[NR]=$2+$3; rss[NR]=$4 }
        END {
            med = wall[int((NR+1)/2)]
            printf "%s\t%s\n", label, wall[1] >> "/tmp/run-check-best.tsv"
            printf "%-22s best %6.2fs  median %6.2fs  cpu %6.2fs  %7.0f MB/s  %9.0f spans/s  peak RSS %5.0f MB (%.2fx input)\n",
                label, wall[1], med, cpu[1], bytes/1e6/wall[1], spans/wall[1], rss[1]/1024, rss[1]*1024/bytes
        }'
}
rm -f /tmp/run-check-best.tsv
measure "tracecheck -j1" ./target/release/tracecheck -j 1 check "$dump" --format json -o /dev/null
measure "tracecheck -j2" ./target/release/tracecheck -j 2 check "$dump" --format json -o /dev/null
measure "tracecheck -j1 +rules" ./target/release/tracecheck -j 1 check "$dump" -r rules/p2p-marketplace.toml --format json -o /dev/null
measure "tracecheck -j2 +rules" ./target/release/tracecheck -j 2 check "$dump" -r rules/p2p-marketplace.toml --format json -o /dev/null
measure "serde_json program" ./target/release/serde-baseline "$dump"
runs=1 measure "python3 json" python3 benches/baseline_percentiles.py "$dump"
if python3 -c 'import orjson' 2>/dev/null; then
    runs=1 measure "python3 orjson" python3 benches/baseline_percentiles.py --orjson "$dump"
else
    echo "python3 orjson: not installed (pip install orjson), skipped"
fi
if command -v jq >/dev/null && [ "${JQ:-1}" = 1 ]; then
    runs=1 measure "jq $(jq --version)" sh -c 'jq -n -f benches/percentiles.jq < "$1"' jq "$dump"
else
    echo "jq: skipped"
fi

echo
echo "time relative to tracecheck -j1 +rules (best runs, same machine, same run):"
awk -F'\t' 'NR==FNR && $1=="tracecheck -j1 +rules" {ref=$2} NR!=FNR {printf "  %-22s %7.2fx\n", $1, $2/ref}' \
    /tmp/run-check-best.tsv /tmp/run-check-best.tsv
