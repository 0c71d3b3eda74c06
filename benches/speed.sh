#!/usr/bin/env bash
# Issue 24's ratios, measured in one run: for each round, the names-and-times serde_json
# program (`serde-baseline`), then each binary's `check DUMP -r rules/otel-basics.toml
# --format json -o FILE` with -j 1 and -j 2, interleaved. Prints the CPU probe before and
# after, and per command the median wall, user and system time, MB/s, peak RSS and
# RSS / input; then, per binary, its speed as a fraction of the baseline's (target >= 0.6),
# -j2 against -j1 (target >= 1.7 on two real cores) and the largest RSS / input (<= 0.5).
#
#     benches/speed.sh N DUMP BASELINE BIN_A [BIN_B]
set -euo pipefail
n=$1 dump=$2 base=$3; shift 3
bins=("$@")
cd "$(dirname "$0")/.."
. benches/probe.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
size=$(stat -c %s "$dump")
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
    "parallelism probe $(parallelism_probe)x before (2.0 = two real cores)"
echo "dump: $dump, $size bytes"
timed() { # LABEL COMMAND...
    local label=$1; shift
    cat "$dump" >/dev/null
    /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" >/dev/null 2>&1 || true
    echo "$label $(tail -n 1 "$out/time")"
}
for _ in $(seq "$n"); do
    timed baseline "$base" "$dump"
    for b in "${!bins[@]}"; do
        for j in 1 2; do
            timed "$b:j$j" "${bins[$b]}" --no-config check "$dump" -r rules/otel-basics.toml \
                --format json -o "$out/report.json" -j "$j"
        done
    done
done >"$out/runs"
echo "parallelism probe $(parallelism_probe)x after"
SIZE=$size python3 - "$out/runs" <<'EOF'
import os, statistics as st, sys
size = int(os.environ["SIZE"])
runs = {}
for line in open(sys.argv[1]):
    label, wall, user, sys_, rss = line.split()
    runs.setdefault(label, []).append((float(wall), float(user), float(sys_), int(rss) * 1024))
med = {k: st.median(r[0] for r in v) for k, v in runs.items()}
print("command     wall(s) user(s) sys(s)   MB/s  peakRSS(MB)  RSS/input")
for k, v in runs.items():
    rss = max(r[3] for r in v)
    print(f"{k:<10} {med[k]:7.2f} {st.median(r[1] for r in v):7.2f} {st.median(r[2] for r in v):6.2f}"
          f" {size / med[k] / 1e6:6.0f} {rss / 1e6:12.0f} {rss / size:10.2f}")
for b in sorted({k.split(':')[0] for k in runs if ':' in k}):
    j1, j2 = med[f"{b}:j1"], med[f"{b}:j2"]
    rss = max(r[3] for k in (f"{b}:j1", f"{b}:j2") for r in runs[k]) / size
    print(f"binary {b}: speed vs baseline {med['baseline'] / j1:.2f} (target >= 0.6);"
          f" -j2 vs -j1 {j1 / j2:.2f} (>= 1.7); RSS/input {rss:.2f} (<= 0.5)")
EOF
