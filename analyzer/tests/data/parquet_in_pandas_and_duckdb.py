"""Reads a `tracecheck stats` Parquet file with pandas and with DuckDB and compares every
value with the JSON output of the same command. Used by tests/forensics.rs."""
import json
import sys

import duckdb
import pandas

parquet, report = sys.argv[1], sys.argv[2]
doc = json.load(open(report))
by = doc["by"]
want = {tuple(g[k] for k in by): g for g in doc["groups"]}

df = pandas.read_parquet(parquet)
columns = set(df.columns)
expected = set(doc["groups"][0]) | {"percentile_method"}
assert columns == expected, (sorted(columns), sorted(expected))
assert len(df) == len(want), (len(df), len(want))
compared = 0
for row in df.to_dict("records"):
    group = want[tuple(row[k] for k in by)]
    assert doc["percentile_method"].startswith(row["percentile_method"]), row["percentile_method"]
    for column, value in group.items():
        got = row[column]
        if isinstance(value, float):
            assert abs(got - value) <= 1e-9 * max(1.0, abs(value)), (column, got, value)
        else:
            assert got == value, (column, got, value)
        compared += 1

keys = ", ".join(by)
rows = duckdb.sql(
    f"select {keys}, count, errors, p50_ns, p90_ns, p95_ns, p99_ns, max_ns from read_parquet('{parquet}')"
).fetchall()
assert len(rows) == len(want), (len(rows), len(want))
for row in rows:
    group = want[tuple(row[: len(by)])]
    figures = tuple(group[k] for k in ["count", "errors", "p50_ns", "p90_ns", "p95_ns", "p99_ns", "max_ns"])
    assert tuple(row[len(by):]) == figures, (row, figures)
print(f"pandas: {len(df)} rows, {compared} values; duckdb: {len(rows)} rows")
