"""tracecheck on Spark: the checks of ``tracecheck check`` over a DataFrame of spans in the
Collector's ``otel_traces`` layout (as ClickHouse, Databricks tables of OTLP data,
otlp2parquet or ``tracecheck export`` hold them).

Every check of a trace needs only that trace's spans, so the one distributed step is the
shuffle that puts each trace's spans together: rows are repartitioned by the trace's
*bucket* (the last four hex digits of ``TraceId`` as a number) modulo the number of
partitions, and each partition is checked by the Rust kernel as one pre-split shard
(``tracecheck check --shard K/N --presplit``), from Arrow batches. The partial results,
small whatever the data, are merged on the driver into the report ``tracecheck check``
gives for the same spans (latency percentiles from sketches, each within 0.5 %).
"""

from __future__ import annotations

import json
from typing import Any, Iterator, List, Optional, Sequence

from . import _native, _options, _paths
from ._native import TracecheckError

__all__ = ["check", "findings", "read_dumps", "BUCKET_SQL", "REQUIRED_COLUMNS"]

#: The trace bucket in Spark SQL: the last four hex digits of TraceId, as a number.
BUCKET_SQL = "CAST(conv(substring(TraceId, -4, 4), 16, 10) AS INT)"

#: The columns a DataFrame must have to be checked.
REQUIRED_COLUMNS = ("Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "Duration")

_SHARD = "_tracecheck_shard"
_KEY = "_tracecheck_key"
_DOT = "__dot__"


def _require_layout(df: Any) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise TracecheckError(
            "the DataFrame is not in the otel_traces layout: missing "
            + ", ".join(missing)
            + " (it has "
            + ", ".join(df.columns[:12])
            + ")"
        )


def _partition_keys(spark: Any, n: int) -> List[int]:
    """For each shard ``k`` of ``n``, a number whose Spark hash partition among ``n`` is
    ``k``, found with Spark's own ``hash`` (the one ``repartition`` uses). Repartitioning by
    it puts shard ``k``, and only it, in partition ``k``; repartitioning by the shard number
    itself would put several shards in one partition and leave others empty (with 2
    partitions, both shards land in partition 1)."""
    from pyspark.sql import functions as F

    keys: dict = {}
    start = 0
    while len(keys) < n:
        rows = (
            spark.range(start, start + 16 * n)
            .select(F.col("id").cast("int").alias("v"))
            .select("v", F.expr(f"pmod(hash(v), {n})").alias("p"))
            .groupBy("p")
            .agg(F.min("v").alias("v"))
            .collect()
        )
        for r in rows:
            keys.setdefault(int(r["p"]), int(r["v"]))
        start += 16 * n
    return [keys[k] for k in range(n)]


def _by_shard(df: Any, n: int) -> Any:
    """``df`` with its shard number (``_SHARD``), repartitioned so that partition ``k``
    holds exactly the spans of shard ``k``'s traces. Columns with a dot travel under another
    name (``mapInArrow`` would read ``Events.Timestamp`` as a field of a struct); the kernel
    reads them by their own name."""
    from pyspark.sql import functions as F

    spark = df.sparkSession
    df = df.toDF(*[c.replace(".", _DOT) for c in df.columns])
    keys = spark.createDataFrame(list(enumerate(_partition_keys(spark, n))), f"{_SHARD} int, {_KEY} int")
    shard = F.expr(f"pmod({BUCKET_SQL}, {n})").cast("int")
    return df.withColumn(_SHARD, shard).join(F.broadcast(keys), _SHARD).repartition(n, F.col(_KEY))


def _partials(df: Any, rules: Sequence[str], partitions: Optional[int], max_findings: int) -> List[str]:
    """Partial results of every shard of ``df`` (JSON text), one per shard number."""
    _require_layout(df)
    n = int(partitions or df.sparkSession.sparkContext.defaultParallelism or 1)
    if n < 1 or n > 65536:
        raise TracecheckError(f"partitions must be 1 to 65536, not {n}")
    rules = list(rules)

    def kernel(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        kernels: dict = {}

        def add(k: int, batch: Any) -> None:
            if k not in kernels:
                kernels[k] = _native.ShardKernel(k, n, rules, max_findings, f"spark shard {k}/{n}")
            kernels[k].add(batch)

        for batch in batches:
            if batch.num_rows == 0:
                continue
            shards = batch.column(_SHARD)
            found = pc.unique(shards).to_pylist()
            if len(found) == 1:
                add(int(found[0]), batch)
            else:  # not with the partition keys above; kept for any other partitioning
                for k in found:
                    add(int(k), batch.filter(pc.equal(shards, k)))
        for k, shard_kernel in kernels.items():
            text = shard_kernel.finish()
            yield pa.RecordBatch.from_arrays(
                [pa.array([k], pa.int32()), pa.array([text], pa.string())], names=["shard", "partial"]
            )

    parts = _by_shard(df, n).mapInArrow(kernel, "shard int, partial string").collect()
    seen = {row["shard"] for row in parts}
    out = [row["partial"] for row in parts]
    # Shards that got no row still cover their buckets.
    out += [_native.empty_partial(k, n, rules, max_findings) for k in range(n) if k not in seen]
    return out


def check(df: Any, rules: Sequence[Any] = (), partitions: Optional[int] = None, **options: Any) -> dict:
    """The report of ``tracecheck check`` for the spans of ``df`` (a DataFrame in the
    ``otel_traces`` layout), checked in ``partitions`` partitions (default: the session's
    default parallelism) and merged on the driver. Options as :func:`tracecheck.check`."""
    fail_on, max_findings, allow_empty = _options(options)
    rules = _paths(rules)
    partials = _partials(df, rules, partitions, max_findings)
    return json.loads(_native.merge(partials, rules, fail_on, max_findings, allow_empty))


def findings(df: Any, rules: Sequence[Any] = (), partitions: Optional[int] = None, max_findings: int = 10000) -> Any:
    """The findings of :func:`check` as a DataFrame (code, severity, trace_id, span_ids,
    message, expected, actual), at most ``max_findings`` per code (the report counts them
    all: ``check(...)["summary"]["by_code"]``)."""
    report = check(df, rules, partitions, max_findings=max_findings, fail_on="error")
    rows = [
        (
            f["code"],
            f["severity"],
            f.get("trace_id"),
            list(f.get("span_ids") or []),
            f["message"],
            f.get("expected"),
            f.get("actual"),
        )
        for f in report["findings"]
    ]
    schema = (
        "code string, severity string, trace_id string, span_ids array<string>, "
        "message string, expected string, actual string"
    )
    return df.sparkSession.createDataFrame(rows, schema)


#: The Spark schema of :func:`read_dumps`: the columns ``tracecheck export`` writes.
SPAN_SCHEMA = (
    "Timestamp timestamp, TraceId string, SpanId string, ParentSpanId string, TraceState string, "
    "SpanName string, SpanKind string, ServiceName string, ResourceAttributes map<string,string>, "
    "ScopeName string, ScopeVersion string, SpanAttributes map<string,string>, Duration bigint, "
    "StatusCode string, StatusMessage string, `Events.Timestamp` array<timestamp>, "
    "`Events.Name` array<string>, `Events.Attributes` array<map<string,string>>, "
    "`Links.TraceId` array<string>, `Links.SpanId` array<string>, `Links.TraceState` array<string>, "
    "`Links.Attributes` array<map<string,string>>, StartTimeUnixNano bigint, EndTimeUnixNano bigint, "
    "ResourceAttributeTypes string, ScopeAttributes map<string,string>, ScopeAttributeTypes string, "
    "SpanAttributeTypes string, `Events.TimeUnixNano` array<bigint>, `Events.AttributeTypes` array<string>, "
    "`Links.AttributeTypes` array<string>, DroppedAttributesCount bigint, DroppedEventsCount bigint, "
    "DroppedLinksCount bigint, DroppedNestedAttributesCount bigint, ResourceDroppedAttributesCount bigint, "
    "ScopeDroppedAttributesCount bigint, ResourceIndex bigint, ScopeIndex bigint, TracecheckFlags bigint"
)


def read_dumps(spark: Any, paths: Sequence[Any]) -> Any:
    """Raw dumps (every format tracecheck reads, compressed or not) as a span DataFrame in
    the ``otel_traces`` layout, decoded in parallel, one file per task. Each file is a dump of
    its own: a trace's spans may come from many files, and rows of one file never depend on
    another (``ResourceIndex`` and ``ScopeIndex`` count within a file)."""
    import os

    files: List[str] = []
    for p in _paths(paths):
        if os.path.isdir(p):
            for root, _, names in sorted(os.walk(p)):
                files += [os.path.join(root, n) for n in sorted(names)]
        else:
            files.append(p)
    if not files:
        raise TracecheckError("read_dumps: no files given")

    def kernel(batches: Iterator[Any]) -> Iterator[Any]:
        import os as _os
        import tempfile

        import pyarrow.parquet as pq

        for batch in batches:
            for path in batch.column(0).to_pylist():
                with tempfile.TemporaryDirectory() as tmp:
                    out = _os.path.join(tmp, "spans.parquet")
                    if _native.export([path], out, None) == 0:
                        continue
                    for rb in pq.read_table(out).to_batches():
                        yield rb

    listing = spark.createDataFrame([(f,) for f in files], "path string").repartition(len(files))
    return listing.mapInArrow(kernel, SPAN_SCHEMA)
