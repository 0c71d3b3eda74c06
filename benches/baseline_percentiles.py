#!/usr/bin/env python3
"""Baseline for the benches: per-span-name p50/p95/p99 of a file-exporter dump, the way a
person would script it, with the standard library's json module or (`--orjson`) with orjson.
Prints a summary line."""
import json
import sys

loads = json.loads
from collections import defaultdict


def main(path):
    durations = defaultdict(list)
    spans = 0
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            doc = loads(line)
            for rs in doc.get("resourceSpans", []):
                for ss in rs.get("scopeSpans", []):
                    for s in ss.get("spans", []):
                        spans += 1
                        start, end = int(s.get("startTimeUnixNano", 0)), int(s.get("endTimeUnixNano", 0))
                        if start and end >= start:
                            durations[s.get("name", "")].append(end - start)
    for name, d in durations.items():
        d.sort()
        rank = lambda p: d[max(0, -(-len(d) * p // 100) - 1)]
        durations[name] = (rank(50), rank(95), rank(99))
    print(f"python ({loads.__module__}): {spans} spans, {len(durations)} operations")


if __name__ == "__main__":
    if sys.argv[1] == "--orjson":
        import orjson

        loads = orjson.loads
        sys.argv.pop(1)
    main(sys.argv[1])
