"""The Python package against the command line, and the Spark integration against
`tracecheck check` on the same spans (PySpark local[2]). Run from the repository root:
python3 -m unittest discover -s python/tests -v (after pip install ./python)."""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

import tracecheck

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(ROOT, "sample-traces")
P2P = os.path.join(ROOT, "rules", "p2p-marketplace.toml")


def cannot_run(case: unittest.TestCase, reason: str) -> None:
    """As the Rust tests: under TRACECHECK_REQUIRE_ALL (set by .ci/run) a test that cannot
    run fails, so CI's summary shows it; elsewhere it is skipped, saying why."""
    if os.environ.get("TRACECHECK_REQUIRE_ALL", "0") not in ("", "0"):
        case.fail(f"cannot run: {reason} (TRACECHECK_REQUIRE_ALL is set: CI must provide it)")
    case.skipTest(reason)


def cli() -> str:
    """The tracecheck binary built beside the package (TRACECHECK_BIN, or on PATH)."""
    return os.environ.get("TRACECHECK_BIN") or shutil.which("tracecheck") or ""


def facts(report: dict) -> dict:
    """What the package's report and the command line's must share."""
    return {
        "digest": report["digest"],
        "verdict": report["verdict"],
        "counts": {k: report["counts"][k] for k in ("spans", "traces", "resources")},
        "summary": report["summary"]["by_code"],
        "rules": [(r["id"], r["outcome"]) for r in report["rules"]],
        "findings": [(f["code"], f["trace_id"], f["span_ids"], f["message"]) for f in report["findings"]],
    }


class PackageTest(unittest.TestCase):
    def test_check_gives_the_command_lines_report(self):
        binary = cli()
        if not binary:
            cannot_run(self, "the tracecheck binary is not found (set TRACECHECK_BIN)")
        dump = os.path.join(SAMPLES, "scenario", "kill-node.jsonl")
        mine = tracecheck.check(dump, rules=[P2P])
        out = subprocess.run(
            [binary, "--no-config", "check", dump, "--rules", P2P, "--format", "json"], capture_output=True, text=True
        )
        theirs = json.loads(out.stdout)
        self.assertEqual(facts(mine), facts(theirs))
        self.assertEqual(mine["verdict"]["exit_code"], out.returncode)
        self.assertEqual(mine["verdict"]["exit_code"], 1)

    def test_errors_are_python_exceptions_with_the_command_lines_message(self):
        with self.assertRaises(tracecheck.TracecheckError) as e:
            tracecheck.check(os.path.join(SAMPLES, "healthy"), rules=["/nonexistent/pack.toml"])
        self.assertIn("/nonexistent/pack.toml", str(e.exception))
        with self.assertRaises(TypeError) as e:
            tracecheck.check(os.path.join(SAMPLES, "healthy"), fail_om="error")
        self.assertIn("fail_om", str(e.exception))
        with self.assertRaises(tracecheck.TracecheckError):
            tracecheck.check(os.path.join(SAMPLES, "healthy"), fail_on="sometimes")

    def test_export_writes_what_check_reads_back(self):
        import pyarrow.parquet as pq

        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "spans.parquet")
            n = tracecheck.export(os.path.join(SAMPLES, "healthy", "checkout.jsonl"), out)
            self.assertEqual(n, 21)
            self.assertEqual(pq.read_table(out).num_rows, 21)
            a = tracecheck.check(os.path.join(SAMPLES, "healthy", "checkout.jsonl"))
            b = tracecheck.check(out)
            self.assertEqual(a["digest"], b["digest"])
            self.assertEqual(tracecheck.export(os.path.join(SAMPLES, "healthy", "checkout.jsonl"), out, "{ kind = server }"), 6)


def big_trace_dump(path: str, spans: int, files: int) -> None:
    """One trace of `spans` spans (a root and its children, some nested), spread over
    `files` JSON-lines files, in shuffled order."""
    rng = random.Random(7)
    trace = "%032x" % rng.getrandbits(128)
    ids = ["%016x" % rng.getrandbits(64) for _ in range(spans)]
    rows = []
    for i, sid in enumerate(ids):
        parent = "" if i == 0 else ids[0 if i < 100 else rng.randrange(1, 100)]
        start = 1_700_000_000_000_000_000 + i * 1000
        rows.append(
            {
                "traceId": trace,
                "spanId": sid,
                "parentSpanId": parent,
                "name": "root" if i == 0 else f"op-{i % 17}",
                "kind": 2 if i == 0 else 1,
                "startTimeUnixNano": str(1_700_000_000_000_000_000 if i == 0 else start),
                "endTimeUnixNano": str(1_700_000_000_000_000_000 + spans * 1000 + 10 if i == 0 else start + 500),
                "attributes": [{"key": "i", "value": {"intValue": str(i)}}],
                "status": {},
            }
        )
    rng.shuffle(rows)
    os.makedirs(path, exist_ok=True)
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "big"}}]}
    for f in range(files):
        chunk = rows[f::files]
        with open(os.path.join(path, f"part-{f:02d}.jsonl"), "w") as out:
            for k in range(0, len(chunk), 500):
                line = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": chunk[k : k + 500]}]}]}
                out.write(json.dumps(line) + "\n")


class SparkTest(unittest.TestCase):
    spark = None

    @classmethod
    def setUpClass(cls):
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            return
        cls.spark = (
            SparkSession.builder.master("local[2]")
            .appName("tracecheck-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        cls.spark.sparkContext.setLogLevel("ERROR")

    @classmethod
    def tearDownClass(cls):
        if cls.spark is not None:
            cls.spark.stop()

    def setUp(self):
        if self.spark is None:
            cannot_run(self, "pyspark is not installed (pip install pyspark)")

    def test_spark_check_gives_check_s_report_for_1_3_and_7_partitions(self):
        from tracecheck import spark as tcs

        with tempfile.TemporaryDirectory() as tmp:
            big = os.path.join(tmp, "big")
            big_trace_dump(big, 30000, 9)
            inputs = [big, os.path.join(SAMPLES, "scenario", "kill-node.jsonl"), os.path.join(SAMPLES, "scenario", "fail-dht.jsonl")]
            parquet = os.path.join(tmp, "spans.parquet")
            tracecheck.export(inputs, parquet)
            want = tracecheck.check(parquet, rules=[P2P])
            self.assertGreater(want["counts"]["spans"], 30000)
            self.assertTrue(want["findings"], "findings to compare")
            df = self.spark.read.parquet(parquet)
            for n in (1, 3, 7):
                got = tcs.check(df, rules=[P2P], partitions=n)
                w, g = facts(want), facts(got)
                # Percentiles come from sketches (each within 0.5 %); resource records are
                # those of the partitions (a resource is one per partition it has spans in);
                # the rest is exact.
                self.assertGreaterEqual(g["counts"].pop("resources"), w["counts"].pop("resources"))
                for key in ("digest", "verdict", "counts", "summary", "findings"):
                    self.assertEqual(g[key], w[key], f"{n} partitions: {key}")
                self.assertEqual(g["rules"], w["rules"], f"{n} partitions")
                for a, b in zip(want["latency"]["operations"], got["latency"]["operations"]):
                    self.assertEqual(a["name"], b["name"])
                    for p in ("p50_ns", "p90_ns", "p99_ns"):
                        self.assertLessEqual(abs(a[p] - b[p]), 0.005 * a[p] + 1, f"{n} partitions: {a['name']} {p}")

    def test_each_partition_holds_exactly_its_shard(self):
        from pyspark.sql import functions as F
        from tracecheck import spark as tcs

        with tempfile.TemporaryDirectory() as tmp:
            parquet = os.path.join(tmp, "spans.parquet")
            tracecheck.export(os.path.join(SAMPLES, "scenario"), parquet)
            df = self.spark.read.parquet(parquet)
            for n in (2, 3, 7):
                rows = (
                    tcs._by_shard(df, n)
                    .select(F.col(tcs._SHARD).alias("shard"), F.spark_partition_id().alias("partition"))
                    .distinct()
                    .collect()
                )
                # Every shard has traces here, each in the partition of its number, alone.
                self.assertEqual(sorted((r["shard"], r["partition"]) for r in rows), [(k, k) for k in range(n)])

    def test_spark_check_of_read_dumps_gives_check_s_digest_of_the_files(self):
        from tracecheck import spark as tcs

        # Separate files whose exports all count resources from 0, mixed by the shuffle.
        files = [
            os.path.join(SAMPLES, "healthy"),
            os.path.join(SAMPLES, "scenario", "kill-node.jsonl"),
            os.path.join(SAMPLES, "scenario", "fail-dht.jsonl"),
        ]
        want = tracecheck.check(files)
        got = tcs.check(tcs.read_dumps(self.spark, files), partitions=3)
        self.assertEqual(got["digest"], want["digest"])
        self.assertEqual(got["counts"]["spans"], want["counts"]["spans"])
        inputs = sorted((i["path"], i["format"]) for i in got["inputs"])
        self.assertEqual(inputs, [(f"spark shard {k}/3", "arrow") for k in range(3)])

    def test_the_kernel_reads_arrow_batches_as_check_reads_the_file(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from tracecheck import _native

        for name in ("checkout.parquet", "checkout-table-columns-only.parquet"):
            path = os.path.join(SAMPLES, "parquet", name)
            kernel = _native.ShardKernel(0, 1, [], 100, "batches")
            for batch in pq.read_table(path).to_batches(max_chunksize=4):
                kernel.add(batch)
            got = json.loads(_native.merge([kernel.finish()], [], "error", 100, False))
            want = tracecheck.check(path)
            self.assertEqual(facts(got), facts(want), name)
        # Another layout: the missing columns named, as for a file.
        kernel = _native.ShardKernel(0, 1, [], 100, "batches")
        batch = pa.RecordBatch.from_pydict({"SpanId": ["00f067aa0ba90001"], "n": [1]})
        with self.assertRaises(tracecheck.TracecheckError) as e:
            kernel.add(batch)
        self.assertIn("missing Timestamp, TraceId, ParentSpanId, SpanName, Duration", str(e.exception))

    def test_findings_gives_every_finding_as_the_command_line_writes_them(self):
        from tracecheck import spark as tcs

        binary = cli()
        if not binary:
            cannot_run(self, "the tracecheck binary is not found (set TRACECHECK_BIN)")
        basics = os.path.join(ROOT, "rules", "otel-basics.toml")
        with tempfile.TemporaryDirectory() as tmp:
            # OTEL002 on each of 3000 spans (no service.version): far more than a report
            # lists; kill-node's orphans are found by the merge, on the driver.
            big = os.path.join(tmp, "big")
            big_trace_dump(big, 3000, 3)
            parquet = os.path.join(tmp, "spans.parquet")
            tracecheck.export([big, os.path.join(SAMPLES, "scenario", "kill-node.jsonl")], parquet)
            lines = os.path.join(tmp, "findings.jsonl")
            out = subprocess.run(
                [binary, "--no-config", "check", parquet, "--rules", basics, "--findings-out", lines]
                + ["--format", "json"],
                capture_output=True,
                text=True,
            )
            by_code = json.loads(out.stdout)["summary"]["by_code"]
            with open(lines) as f:
                want = [json.loads(line) for line in f]
            found = tcs.findings(self.spark.read.parquet(parquet), rules=[basics], partitions=3)
            spark_types = tcs.FINDINGS_SCHEMA.replace(" ", ":").replace(",:", ",")
            self.assertEqual(found.schema.simpleString(), f"struct<{spark_types}>")
            got = [r.asDict() for r in found.collect()]

            def key(f: dict) -> tuple:
                # The input's name and row differ: a shard's rows, not the file's.
                ids = tuple(f["span_ids"])
                return (f["code"], f["severity"], f["trace_id"], ids, f["message"], f["expected"], f["actual"])

            self.assertEqual(sorted(map(key, got)), sorted(map(key, want)))
            self.assertEqual(len(got), sum(by_code.values()))
            self.assertGreaterEqual(by_code.get("OTEL002", 0), 3000)
            self.assertIn("S001", by_code)

    def test_read_dumps_gives_the_spans_export_writes(self):
        from tracecheck import spark as tcs
        import pyarrow.parquet as pq

        formats = os.path.join(SAMPLES, "formats")
        with tempfile.TemporaryDirectory() as tmp:
            df = tcs.read_dumps(self.spark, [formats, os.path.join(SAMPLES, "healthy")])
            got = sorted((r["TraceId"], r["SpanId"], r["SpanName"]) for r in df.select("TraceId", "SpanId", "SpanName").collect())
            want = []
            for root, _, names in sorted(os.walk(formats)) + sorted(os.walk(os.path.join(SAMPLES, "healthy"))):
                for name in sorted(names):
                    out = os.path.join(tmp, name + ".parquet")
                    if tracecheck.export(os.path.join(root, name), out):
                        t = pq.read_table(out, columns=["TraceId", "SpanId", "SpanName"]).to_pylist()
                        want += [(r["TraceId"], r["SpanId"], r["SpanName"]) for r in t]
            self.assertEqual(got, sorted(want))
            self.assertGreater(len(got), 50)

    def test_a_dataframe_of_another_layout_is_a_clear_error(self):
        from tracecheck import spark as tcs

        df = self.spark.createDataFrame([("a", 1)], "trace string, n int")
        with self.assertRaises(tracecheck.TracecheckError) as e:
            tcs.check(df)
        self.assertIn("missing Timestamp, TraceId, SpanId, ParentSpanId, SpanName, Duration", str(e.exception))


if __name__ == "__main__":
    unittest.main()
