#!/usr/bin/env python3
"""Writes hostile file-exporter dumps for whole-process runs (not for CI):

  chain N FILE    one trace whose N spans form a single parent chain (depth N - 1)
  collide N FILE  N spans sharing one trace id and one span id, half naming themselves parent
  wide N FILE     one trace of N spans as a tree: span i's parent is span i // 10

Usage: python3 benches/hostile.py chain 1000000 /tmp/chain.jsonl
"""
import sys

T0 = 1763712000000000000
HEAD = '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"scope":{},"spans":['
TAIL = "]}]}]}\n"
SPAN = '{"traceId":"%s","spanId":"%016x","parentSpanId":"%s","name":"n","kind":1,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{}}'


def write(path, n, span):
    with open(path, "w") as f:
        for base in range(0, n, 5000):
            f.write(HEAD + ",".join(span(i) for i in range(base, min(n, base + 5000))) + TAIL)


def main(kind, n, path):
    n = int(n)
    if kind == "chain":
        write(path, n, lambda i: SPAN % ("ab" * 16, i + 1, "%016x" % i if i else "", T0 + i, T0 + 2 * n - i))
    elif kind == "collide":
        write(path, n, lambda i: SPAN % ("cd" * 16, 1, "%016x" % (1 if i % 2 else 2), T0 + i, T0 + 2 * n - i))
    elif kind == "wide":
        write(path, n, lambda i: SPAN % ("ef" * 16, i + 1, "%016x" % (i // 10 + 1) if i else "", T0 + i, T0 + 2 * n - i))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
