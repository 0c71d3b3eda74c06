#!/usr/bin/env bash
# Cost of rule packs, whole process, same run: for each binary and each pack (none,
# rules/otel-basics.toml, rules/p2p-marketplace.toml), `check DUMP --format json -o OUT`
# N times, interleaved, with /usr/bin/time; prints the median wall, user and system time,
# the peak RSS, the report's size, and each time as a ratio of the same binary without
# rules. Extra arguments go to every `check` (e.g. -j 1, --max-findings 100).
#
#     benches/packs.sh N DUMP BIN_A [BIN_B] [-- EXTRA…]
set -euo pipefail
n=$1 dump=$2; shift 2
bins=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do bins+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
extra=("$@")
cd "$(dirname "$0")/.."
. benches/probe.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
    "parallelism probe $(parallelism_probe)x (2.0 = two real cores)"
echo "dump: $dump, $(stat -c %s "$dump") bytes; extra arguments: ${extra[*]:-none}"
for _ in $(seq "$n"); do
    for b in "${!bins[@]}"; do
        for pack in none otel-basics p2p-marketplace; do
            args=()
            [ "$pack" != none ] && args=(--rules "rules/$pack.toml")
            cat "$dump" >/dev/null
            /usr/bin/time -f "%e %U %S %M" -o "$out/time" "${bins[$b]}" check "$dump" "${args[@]}" \
                --format json -o "$out/report.json" "${extra[@]}" >/dev/null 2>&1 || true
            echo "$b $pack $(tail -n 1 "$out/time") $(stat -c %s "$out/report.json")"
        done
    done
done | python3 -c '
import statistics as st, sys
runs = {}
for line in sys.stdin:
    b, pack, wall, user, sys_, rss, size = line.split()
    runs.setdefault((b, pack), []).append((float(wall), float(user), float(sys_), int(rss), int(size)))
print("bin pack            wall(s) user(s) sys(s)  peakRSS(MB) report(MB)  wall/none")
for (b, pack), v in sorted(runs.items()):
    base = st.median(r[0] for r in runs[(b, "none")])
    wall = st.median(r[0] for r in v)
    print(f"{b}   {pack:<15} {wall:7.2f} {st.median(r[1] for r in v):7.2f} {st.median(r[2] for r in v):6.2f}"
          f"  {max(r[3] for r in v) / 1024:10.0f} {st.median(r[4] for r in v) / 1e6:10.1f}  {wall / base:9.2f}")
'
