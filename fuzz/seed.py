#!/usr/bin/env python3
"""Builds the fuzz seed corpora from sample-traces/ (run from fuzz/: python3 seed.py).

otlp_json and jaeger_zipkin get the fixtures as they are; otlp_proto gets the same traces
encoded as protobuf TracesData (a small encoder below, enough for the fixtures); containers
gets gzip and zstd (if the zstd module or CLI is present) forms."""
import base64
import glob
import gzip
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample-traces")


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def s(num, text):
    return field(num, 2, text.encode())


def any_value(v):
    if "stringValue" in v:
        return s(1, v["stringValue"])
    if "boolValue" in v:
        return field(2, 0, varint(1 if v["boolValue"] else 0))
    if "intValue" in v:
        return field(3, 0, varint(int(v["intValue"]) & (2**64 - 1)))
    if "doubleValue" in v:
        return field(4, 1, struct.pack("<d", float(v["doubleValue"])))
    return b""


def kv(a):
    return s(1, a["key"]) + field(2, 2, any_value(a["value"]))


def raw_id(text):
    """Hex ids as bytes; anything else (the invalid-id fixture) as its text's bytes."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def span(sp):
    out = field(1, 2, raw_id(sp["traceId"])) + field(2, 2, raw_id(sp["spanId"]))
    if sp.get("parentSpanId"):
        out += field(4, 2, raw_id(sp["parentSpanId"]))
    out += s(5, sp.get("name", "")) + field(6, 0, varint(int(sp.get("kind", 0)) if isinstance(sp.get("kind", 0), int) else 0))
    out += field(7, 1, struct.pack("<Q", int(sp["startTimeUnixNano"])))
    out += field(8, 1, struct.pack("<Q", int(sp["endTimeUnixNano"])))
    for a in sp.get("attributes", []):
        out += field(9, 2, kv(a))
    st = sp.get("status") or {}
    out += field(15, 2, (s(2, st["message"]) if "message" in st else b"") + field(3, 0, varint(int(st.get("code", 0)))))
    return out


def traces_data(doc):
    out = b""
    for rs in doc.get("resourceSpans", []):
        res = b"".join(field(1, 2, kv(a)) for a in rs.get("resource", {}).get("attributes", []))
        body = field(1, 2, res)
        for ss in rs.get("scopeSpans", []):
            body += field(2, 2, b"".join(field(2, 2, span(sp)) for sp in ss.get("spans", [])))
        out += field(1, 2, body)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = os.path.join(here, "corpus")
    for d in ("otlp_json", "otlp_proto", "jaeger_zipkin", "containers", "parquet"):
        os.makedirs(os.path.join(corpus, d), exist_ok=True)
    jsonl = sorted(glob.glob(os.path.join(ROOT, "checks", "*.jsonl")) + glob.glob(os.path.join(ROOT, "healthy", "*")))
    for f in jsonl:
        shutil.copy(f, os.path.join(corpus, "otlp_json"))
    for f in glob.glob(os.path.join(ROOT, "formats", "*")):
        shutil.copy(f, os.path.join(corpus, "jaeger_zipkin"))
    for f in glob.glob(os.path.join(ROOT, "*", "*.jsonl")):
        records = []
        for line in open(f):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if "resourceSpans" in doc:
                records.append(traces_data(doc))
        name = os.path.basename(f) + ".pb"
        for r in records[:1]:
            open(os.path.join(corpus, "otlp_proto", name), "wb").write(r)
        framed = b"".join(struct.pack(">I", len(r)) + r for r in records)
        open(os.path.join(corpus, "containers", name + "s"), "wb").write(framed)
        open(os.path.join(corpus, "containers", os.path.basename(f) + ".gz"), "wb").write(gzip.compress(open(f, "rb").read()))
    # parquet: files of tracecheck export, without the leading magic the target adds.
    for f in sorted(glob.glob(os.path.join(ROOT, "parquet", "*.parquet"))):
        open(os.path.join(corpus, "parquet", os.path.basename(f)), "wb").write(open(f, "rb").read()[4:])
    print("seeded", sum(len(os.listdir(os.path.join(corpus, d))) for d in os.listdir(corpus)), "files")


if __name__ == "__main__":
    main()
