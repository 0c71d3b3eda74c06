#!/bin/sh
# Regenerates sample-traces/parquet/: healthy/checkout.jsonl exported by tracecheck (the
# otel_traces layout with our typed columns), and the same as another tool would write the
# table (its columns only, string maps, nanosecond Timestamp (1 ns after each start),
# unsigned Duration, the older SPAN_KIND_* / STATUS_CODE_* spellings; written by pyarrow).
# Run from the repository root.
set -eu
cargo build -q -p tracecheck
out=sample-traces/parquet
mkdir -p "$out"
target/debug/tracecheck --no-config export sample-traces/healthy/checkout.jsonl -o "$out/checkout.parquet"
python3 - "$out/checkout.parquet" "$out/checkout-table-columns-only.parquet" <<'PY'
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
table = ["Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
         "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode",
         "StatusMessage", "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId", "Links.SpanId",
         "Links.TraceState", "Links.Attributes"]
t = t.select(table)
# Nanosecond timestamps, one nanosecond after each start (so a reader that drops them shows).
ns = [v * 1000 + 1 for v in t["Timestamp"].cast(pa.int64()).to_pylist()]
t = t.set_column(0, "Timestamp", pa.array(ns, pa.int64()).cast(pa.timestamp("ns", tz="UTC")))
kinds = {"Server": "SPAN_KIND_SERVER", "Client": "SPAN_KIND_CLIENT", "Internal": "SPAN_KIND_INTERNAL",
         "Producer": "SPAN_KIND_PRODUCER", "Consumer": "SPAN_KIND_CONSUMER", "Unspecified": "SPAN_KIND_UNSPECIFIED"}
t = t.set_column(6, "SpanKind", pa.array([kinds[k] for k in t["SpanKind"].to_pylist()]))
codes = {"Unset": "STATUS_CODE_UNSET", "Ok": "STATUS_CODE_OK", "Error": "STATUS_CODE_ERROR"}
t = t.set_column(13, "StatusCode", pa.array([codes[c] for c in t["StatusCode"].to_pylist()]))
t = t.set_column(12, "Duration", t["Duration"].cast(pa.uint64()))
pq.write_table(t, sys.argv[2], compression="snappy")
PY
ls -l "$out"
