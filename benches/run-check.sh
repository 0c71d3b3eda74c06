#!/usr/bin/env bash
# Whole-process throughput of `tracecheck check` on a synthetic file-exporter dump, at 1 and
# 2 threads, against a Python baseline measured in the same run. Usage, from the repo root:
#
#     benches/run-check.sh [SPANS] [RUNS]
#
# Builds release binaries, writes benches/data/synth-SPANS.jsonl if missing (seed 1, 1 %
# anomalies), and prints wall time, user+sys CPU, MB/s, spans/s and peak RSS per run.
set -euo pipefail
spans=${1:-500000}
runs=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release -q -p tracecheck -p tracecheck-emitter
dump=benches/data/synth-$spans.jsonl
mkdir -p benches/data
[ -f "$dump" ] || ./target/release/tracecheck-emit synth --spans "$spans" --seed 1 --anomalies 0.01 --out "$dump" >/dev/null
bytes=$(stat -c %s "$dump")
real_spans=$( (./target/release/tracecheck check "$dump" --format json || true) | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["spans"])')
cat "$dump" >/dev/null # page cache

# CPU-parallelism probe: two busy loops at once take as long as one when 2 cores are given.
probe() { python3 -c 'import time; t=time.time(); n=0
while time.time()-t < 0.5: n+=1
print(n)'; }
one=$(probe); two=$( (probe & probe & wait) | awk '{s+=$1} END {print s}')
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "parallelism probe: 2 loops together did $(python3 -c "print(round($two/$one, 2))")x the work of one (2.0 = two real cores)"
echo "dump: $dump, $bytes bytes, $real_spans spans"

measure() { # label, command...
    local label=$1; shift
    for _ in $(seq "$runs"); do
        { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null || true; } | tail -1
    done | sort -n | awk -v label="$label" -v bytes="$bytes" -v spans="$real_spans" '
        { wall[NR]=$1; cpu[NR]=$2+$3; rss[NR]=$4 }
        END {
            med = wall[int((NR+1)/2)]
            printf "%-22s best %6.2fs  median %6.2fs  cpu %6.2fs  %7.0f MB/s  %9.0f spans/s  peak RSS %5.0f MB (%.2fx input)\n",
                label, wall[1], med, cpu[1], bytes/1e6/wall[1], spans/wall[1], rss[1]/1024, rss[1]*1024/bytes
        }'
}
measure "tracecheck -j1" ./target/release/tracecheck -j 1 check "$dump" --format json -o /dev/null
measure "tracecheck -j2" ./target/release/tracecheck -j 2 check "$dump" --format json -o /dev/null
measure "python3 json (base)" python3 benches/baseline_percentiles.py "$dump"
