"""Random OTLP messages and their OTLP/JSON, made by the protobuf library's own JSON mapping.

Fills every field the installed `opentelemetry-proto` knows (walking the descriptors, so a
field the Rust table lacks shows up as a difference), serialises with protobuf, and writes the
reference JSON with `google.protobuf.json_format`, ids turned from base64 to hex as OTLP/JSON
requires. Output, in OUT_DIR: `cases.bin` (per case: one byte 't'/'l'/'m', a 4-byte big-endian
length, the protobuf bytes) and `expected.jsonl` (one JSON document per case).

Usage: python3 reference.py OUT_DIR [CASES_PER_SIGNAL] [SEED]
"""

import base64
import json
import random
import struct
import sys

from google.protobuf.descriptor import FieldDescriptor as F
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.logs.v1.logs_pb2 import LogsData
from opentelemetry.proto.metrics.v1.metrics_pb2 import MetricsData
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

STRINGS = ["", "GET /api", "é", "日本語", 'quote " and \\ backslash', "bell \x07 esc \x1b[2J", "line\nbreak", "🙂"]
ID_FIELDS = {"trace_id": 16, "span_id": 8, "parent_span_id": 8}
INT64 = [0, 1, -1, 2**63 - 1, -(2**63), 1_700_000_000_123_456_789]
DOUBLES = [0.0, 1.0, -2.5, 1e-9, 1e300, 0.1, float("nan"), float("inf"), float("-inf"), 123456.789]


def scalar(f, rng):
    t = f.type
    if t == F.TYPE_STRING:
        return rng.choice(STRINGS)
    if t == F.TYPE_BYTES:
        n = ID_FIELDS.get(f.name, rng.randrange(0, 6))
        return bytes(rng.randrange(256) for _ in range(n))
    if t == F.TYPE_BOOL:
        return rng.random() < 0.5
    if t in (F.TYPE_INT64, F.TYPE_SFIXED64):
        return rng.choice(INT64)
    if t in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return rng.choice([0, 1, 2**64 - 1, 1_700_000_000_123_456_789, rng.randrange(2**40)])
    if t in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return rng.choice([0, 1, -1, 2**31 - 1, -(2**31), -7])
    if t in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return rng.choice([0, 1, 256, 257, 2**32 - 1])
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return rng.choice(DOUBLES)
    if t == F.TYPE_ENUM:
        values = [v.number for v in f.enum_type.values]
        return rng.choice(values + [99])
    raise ValueError(f"unhandled type {t} of {f.full_name}")


def set_field(msg, f, rng, depth):
    repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == F.LABEL_REPEATED
    if f.type == F.TYPE_MESSAGE:
        if repeated:
            for _ in range(rng.randrange(1 if depth < 5 else 0, 3 if depth < 10 else 1)):
                fill(getattr(msg, f.name).add(), rng, depth + 1)
        else:
            getattr(msg, f.name).SetInParent()
            fill(getattr(msg, f.name), rng, depth + 1)
    elif repeated:
        getattr(msg, f.name).extend(scalar(f, rng) for _ in range(rng.randrange(0, 4)))
    else:
        setattr(msg, f.name, scalar(f, rng))


def fill(msg, rng, depth):
    done = set()
    for f in msg.DESCRIPTOR.fields:
        group = f.containing_oneof
        if group is not None:
            if group.name in done:
                continue
            done.add(group.name)
            if rng.random() < 0.2:
                continue
            members = list(group.fields)
            if depth >= 6:  # deep AnyValues end in scalars
                members = [m for m in members if m.type != F.TYPE_MESSAGE] or members
            set_field(msg, rng.choice(members), rng, depth)
        elif rng.random() < 0.8:
            set_field(msg, f, rng, depth)


def hex_ids(v):
    if isinstance(v, dict):
        return {
            k: (base64.b64decode(x).hex() if k in ("traceId", "spanId", "parentSpanId") else hex_ids(x))
            for k, x in v.items()
        }
    if isinstance(v, list):
        return [hex_ids(x) for x in v]
    return v


def main():
    out = sys.argv[1]
    per_signal = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    with open(f"{out}/cases.bin", "wb") as cases, open(f"{out}/expected.jsonl", "w") as expected:
        for tag, cls in ((b"t", TracesData), (b"l", LogsData), (b"m", MetricsData)):
            for _ in range(per_signal):
                msg = cls()
                fill(msg, rng, 0)
                body = msg.SerializeToString()
                cases.write(tag + struct.pack(">I", len(body)) + body)
                doc = hex_ids(MessageToDict(msg, use_integers_for_enums=True))
                expected.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(per_signal * 3)


if __name__ == "__main__":
    main()
