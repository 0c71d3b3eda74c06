#!/usr/bin/env bash
# Same-run comparison of two tracecheck binaries: runs A and B alternately N times on one
# dump (`check DUMP -r rules/p2p-marketplace.toml --format json -o /dev/null -j J`) and
# prints the best and median wall time, the median user and system time of each, and B/A.
# On a machine whose speed drifts, only such interleaved ratios are worth comparing.
#
#     benches/ab.sh N J BINARY_A BINARY_B [DUMP]     (default dump: benches/data/synth-500000.jsonl)
set -euo pipefail
n=$1 j=$2 a=$3 b=$4
cd "$(dirname "$0")/.."
dump=${5:-benches/data/synth-500000.jsonl}
for _ in $(seq "$n"); do
    for x in A B; do
        # The page cache of this VM does not always keep the dump between runs.
        cat "$dump" >/dev/null
        bin=$a
        [ "$x" = B ] && bin=$b
        { /usr/bin/time -f "$x %e %U %S" "$bin" check "$dump" -r rules/p2p-marketplace.toml \
            --format json -o /dev/null -j "$j" 2>&1 >/dev/null || true; } | grep "^$x "
    done
done | python3 -c '
import statistics as st, sys
runs = {}
for line in sys.stdin:
    x, wall, user, sys_ = line.split()
    runs.setdefault(x, []).append((float(wall), float(user), float(sys_)))
for x, v in sorted(runs.items()):
    print(f"{x}  wall best {min(r[0] for r in v):.3f}s median {st.median(r[0] for r in v):.3f}s"
          f"  user median {st.median(r[1] for r in v):.3f}s  sys median {st.median(r[2] for r in v):.3f}s")
a, b = runs["A"], runs["B"]
print(f"B/A  best wall {min(r[0] for r in b) / min(r[0] for r in a):.3f}"
      f"  median wall {st.median(r[0] for r in b) / st.median(r[0] for r in a):.3f}"
      f"  median user {st.median(r[1] for r in b) / st.median(r[1] for r in a):.3f}")
'
