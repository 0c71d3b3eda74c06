"""Where Spark's time goes before tracecheck's kernel sees a span: the Parquet scan alone,
then the scan with the rows handed to a Python worker as Arrow batches (the worker only
counts rows), for all columns and for subsets of them. Run in one session, after a warm-up
scan, each stage ROUNDS times.

    PYTHONPATH=<staged package> python3 benches/spark_stages.py FILE.parquet [ROUNDS]
"""

import sys
import time


def main() -> None:
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    from local_spark import local_session

    spark = local_session()
    import tracecheck.spark as tcs

    df = spark.read.parquet(path)
    df = df.toDF(*[c.replace(".", tcs._DOT) for c in df.columns])

    def count(batches):
        import pyarrow as pa

        rows = sum(b.num_rows for b in batches)
        yield pa.RecordBatch.from_arrays([pa.array([rows], pa.int64())], names=["rows"])

    def to_python(frame):
        return lambda: frame.mapInArrow(count, "rows bigint").collect()

    def to_noop(frame):
        return lambda: frame.write.format("noop").mode("overwrite").save()

    maps = ["ResourceAttributes", "SpanAttributes"]
    stages = [
        ("scan, all columns, to noop", to_noop(df)),
        ("scan + Arrow to Python, all columns", to_python(df)),
        ("the same without ResourceAttributes", to_python(df.drop("ResourceAttributes"))),
        ("the same without both attribute maps", to_python(df.drop(*maps))),
        ("ids and times only", to_python(df.select("TraceId", "SpanId", "ParentSpanId", "Timestamp", "Duration"))),
        ("ResourceAttributes only", to_python(df.select("ResourceAttributes"))),
        ("scan of ResourceAttributes only, to noop", to_noop(df.select("ResourceAttributes"))),
    ]
    to_noop(df)()  # warm-up
    for r in range(rounds):
        for label, run in stages:
            start = time.perf_counter()
            run()
            print(f"round {r + 1}: {label}: {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
