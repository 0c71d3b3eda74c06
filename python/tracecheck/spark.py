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

__all__ = ["check", "findings", "read_dumps", "BUCKET_SQL", "REQUIRED_COLUMNS", "FINDINGS_SCHEMA", "SPAN_SCHEMA"]

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


#: The columns of :func:`findings` (those of ``--findings-out``, with ``span_ids`` as an
#: array) and their Spark types.
_FINDING_COLUMNS = [
    ("code", "string"), ("name", "string"), ("severity", "string"), ("trace_id", "string"),
    ("span_ids", "array<string>"), ("message", "string"), ("expected", "string"), ("actual", "string"),
    ("hint", "string"), ("file", "string"), ("line", "bigint"), ("record", "bigint"), ("offset", "bigint"),
]

#: The Spark schema of :func:`findings`.
FINDINGS_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in _FINDING_COLUMNS)


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"string": pa.string(), "bigint": pa.int64(), "array<string>": pa.list_(pa.string())}[kind]


def _findings_batches(path: str, extra: dict) -> Iterator[Any]:
    """The findings a run wrote to ``path`` (Parquet, by ``findings_out``) as Arrow batches
    of :data:`FINDINGS_SCHEMA`, a row group at a time, after ``extra`` columns (all null)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches():
        arrays = [pa.nulls(batch.num_rows, t) for t in extra.values()]
        for name, kind in _FINDING_COLUMNS:
            if name == "span_ids":  # comma-separated in the file
                ids = batch.column(name).cast(pa.string())
                none = pa.scalar([], pa.list_(pa.string()))
                arrays.append(pc.if_else(pc.equal(ids, ""), none, pc.split_pattern(ids, ",")))
            else:
                arrays.append(batch.column(name).cast(_arrow_type(kind)))
        yield pa.RecordBatch.from_arrays(arrays, names=list(extra) + [name for name, _ in _FINDING_COLUMNS])


def _run(
    df: Any, rules: Sequence[str], partitions: Optional[int], max_findings: int, with_findings: bool
) -> tuple:
    """Checks every shard of ``df`` on Spark: the partial results (JSON text, one per shard
    number) and, ``with_findings``, a persisted DataFrame of every finding of the shards'
    traces (dump-wide findings are made by the merge)."""
    _require_layout(df)
    n = int(partitions or df.sparkSession.sparkContext.defaultParallelism or 1)
    if n < 1 or n > 65536:
        raise TracecheckError(f"partitions must be 1 to 65536, not {n}")
    rules = list(rules)

    def kernel(batches: Iterator[Any]) -> Iterator[Any]:
        import os
        import shutil
        import tempfile

        import pyarrow as pa
        import pyarrow.compute as pc

        tmp = tempfile.mkdtemp(prefix="tracecheck-") if with_findings else None
        kernels: dict = {}

        def add(k: int, batch: Any) -> None:
            if k not in kernels:
                out = os.path.join(tmp, f"findings-{k}.parquet") if tmp else None
                kernels[k] = _native.ShardKernel(k, n, rules, max_findings, f"spark shard {k}/{n}", out)
            kernels[k].add(batch)

        try:
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
                head = [pa.array([k], pa.int32()), pa.array([shard_kernel.finish()], pa.string())]
                if tmp:
                    head += [pa.nulls(1, f.type) for f in findings_schema]
                yield pa.RecordBatch.from_arrays(head, schema=out_schema)
                if tmp:
                    path = os.path.join(tmp, f"findings-{k}.parquet")
                    yield from _findings_batches(path, {"shard": pa.int32(), "partial": pa.string()})
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)

    import pyarrow as pa

    findings_schema = [pa.field(name, _arrow_type(kind)) for name, kind in _FINDING_COLUMNS]
    head = [pa.field("shard", pa.int32()), pa.field("partial", pa.string())]
    out_schema = pa.schema(head + (findings_schema if with_findings else []))
    spark_schema = "shard int, partial string" + (", " + FINDINGS_SCHEMA if with_findings else "")
    out = _by_shard(df, n).mapInArrow(kernel, spark_schema)
    if with_findings:
        from pyspark import StorageLevel

        out = out.persist(StorageLevel.MEMORY_AND_DISK)
    parts = out.where("partial IS NOT NULL").select("shard", "partial").collect()
    seen = {row["shard"] for row in parts}
    partials = [row["partial"] for row in parts]
    # Shards that got no row still cover their buckets.
    partials += [_native.empty_partial(k, n, rules, max_findings) for k in range(n) if k not in seen]
    found = out.where("partial IS NULL").drop("shard", "partial") if with_findings else None
    return partials, found


def check(df: Any, rules: Sequence[Any] = (), partitions: Optional[int] = None, **options: Any) -> dict:
    """The report of ``tracecheck check`` for the spans of ``df`` (a DataFrame in the
    ``otel_traces`` layout), checked in ``partitions`` partitions (default: the session's
    default parallelism) and merged on the driver. Options as :func:`tracecheck.check`."""
    fail_on, max_findings, allow_empty = _options(options)
    rules = _paths(rules)
    partials, _ = _run(df, rules, partitions, max_findings, False)
    return json.loads(_native.merge(partials, rules, fail_on, max_findings, allow_empty))


def findings(df: Any, rules: Sequence[Any] = (), partitions: Optional[int] = None) -> Any:
    """Every finding of :func:`check` (not only the first ones a report lists) as a
    DataFrame of :data:`FINDINGS_SCHEMA`, as ``--findings-out`` writes them: those about the
    shards' traces come from the executors (persisted, memory and disk); the dump-wide ones
    (orphans, rules over the whole dump, the Collector's counters) from the merge on the
    driver, which holds them while it makes the DataFrame."""
    import os
    import tempfile

    import pyarrow as pa

    rules = _paths(rules)
    partials, found = _run(df, rules, partitions, 100, True)
    spark = df.sparkSession
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dump-wide.parquet")
        _native.merge(partials, rules, "error", 100, True, path)
        batches = list(_findings_batches(path, {}))
    if batches and sum(b.num_rows for b in batches):
        table = pa.Table.from_batches(batches)
        try:
            dump_wide = spark.createDataFrame(table, FINDINGS_SCHEMA)  # Spark 4 takes Arrow
        except TypeError:
            dump_wide = spark.createDataFrame(table.to_pylist(), FINDINGS_SCHEMA)
        return found.unionByName(dump_wide)
    return found


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
