"""Spark local[2] (tracecheck.spark.check) against `tracecheck check -j 2` on the same
Parquet file, interleaved in one run, with the ratio of each pair and what Spark spends
before the kernel (scan and shuffle alone, no Python).

    PYTHONPATH=<staged package> python3 benches/spark_vs_check.py FILE.parquet BINARY [ROUNDS] [PARTITIONS] [KEY=VALUE…]

KEY=VALUE pairs are extra Spark settings (e.g. spark.shuffle.compress=false).

The package must be a release build (`pip install ./python`, or the release
`lib_native.so` staged beside `python/tracecheck` as `.ci/run` stages the debug one).
"""

import subprocess
import sys
import time


def probe() -> float:
    """Two busy loops at once against one: 2.0 means two real cores."""
    code = "import time\nt=time.time(); n=0\nwhile time.time()-t < 0.5: n+=1\nprint(n)"
    one = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    ps = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    two = sum(int(p.communicate()[0]) for p in ps)
    return two / one


def main() -> None:
    path, binary = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    partitions = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    settings = [a.split("=", 1) for a in sys.argv[5:]]
    print(f"parallelism probe {probe():.2f}x (2.0 = two real cores)", flush=True)
    t0 = time.perf_counter()
    from local_spark import local_session

    spark = local_session(settings)
    if settings:
        print("settings: " + ", ".join(f"{k}={v}" for k, v in settings), flush=True)
    print(f"JVM and session start: {time.perf_counter() - t0:.2f} s", flush=True)
    import tracecheck.spark as tcs

    df = spark.read.parquet(path)
    for r in range(rounds):
        s = time.perf_counter()
        out = subprocess.run(
            [binary, "--no-config", "check", "-j", "2", path, "--format", "json"], capture_output=True, text=True
        )
        cli = time.perf_counter() - s
        import json

        want = json.loads(out.stdout)["digest"]["spans"]
        s = time.perf_counter()
        got = tcs.check(df, partitions=partitions)["digest"]["spans"]
        on_spark = time.perf_counter() - s
        s = time.perf_counter()
        tcs._by_shard(df, partitions).write.format("noop").mode("overwrite").save()
        shuffle = time.perf_counter() - s
        same = "same digest" if got == want else f"DIGESTS DIFFER {got[:12]} {want[:12]}"
        print(
            f"round {r + 1}: check -j 2 {cli:.2f} s; Spark {on_spark:.2f} s ({on_spark / cli:.1f}x), "
            f"of which scan+shuffle alone {shuffle:.2f} s ({shuffle / cli:.1f}x); {same}",
            flush=True,
        )
    print(f"parallelism probe {probe():.2f}x at the end", flush=True)


if __name__ == "__main__":
    main()
