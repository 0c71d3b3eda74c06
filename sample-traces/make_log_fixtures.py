#!/usr/bin/env python3
"""Writes sample-traces/logs/: the spans of healthy/checkout.jsonl with log records beside
them, as the file exporter writes `resourceLogs` lines, as JSON lines and as protobuf
records (which needs the `protobuf` and `opentelemetry-proto` Python packages).

spans-and-logs.jsonl has, besides 5 logs correlated with their spans and 2 without a trace
id: one log naming a trace that is not in the dump (L001), one naming a span that is not in
its trace (L002), one written 200 ms after its span ended (L003). Its healthy twin has the
correlated and uncorrelated logs only."""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "logs")
T0 = 1763712000000000000
MS = 1_000_000
TRACE = "4bf92f3577b34da6a3ce929d0e0e0001"


def log(body, ms, trace=TRACE, span=None, severity=9, event=None):
    r = {"timeUnixNano": str(T0 + ms * MS), "observedTimeUnixNano": str(T0 + ms * MS + 1000),
         "severityNumber": severity, "severityText": {9: "INFO", 13: "WARN", 17: "ERROR"}[severity],
         "body": {"stringValue": body}}
    if trace:
        r["traceId"] = trace
        r["flags"] = 1
    if span:
        r["spanId"] = span
    if event:
        r["eventName"] = event
    return r


def line(service, records):
    res = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return json.dumps({"resourceLogs": [{"resource": res, "scopeLogs": [{"scope": {"name": "app"}, "logRecords": records}]}]}, separators=(",", ":"))


GOOD = [
    line("gateway", [log("checkout started", 1, span="00f067aa0ba90001"), log("charging card", 12, span="00f067aa0ba90002")]),
    line("payments", [log("card accepted", 30, span="00f067aa0ba90004", event="payment.accepted"),
                      log("row written", 35, span="00f067aa0ba90005")]),
    line("worker", [log("rendering receipt", 110, span="00f067aa0ba90006"),
                    log("cache warm", 0, trace=None), log("disk at 80%", 5, trace=None, severity=13)]),
]
BAD = [
    line("gateway", [log("payment declined", 50, trace="4bf92f3577b34da6a3ce929d0e0e00ff", span="00f067aa0ba900fe", severity=17)]),
    line("payments", [log("retrying charge", 40, span="00f067aa0ba900ee", severity=13)]),
    line("gateway", [log("receipt queued", 295, span="00f067aa0ba90003")]),
]


def hex_ids_to_base64(v):
    """OTLP JSON writes ids as hex; the protobuf JSON mapping reads bytes as base64."""
    if isinstance(v, dict):
        return {k: (base64.b64encode(bytes.fromhex(x)).decode() if k in ("traceId", "spanId", "parentSpanId") and x
                    else hex_ids_to_base64(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [hex_ids_to_base64(x) for x in v]
    return v


def write_records(path, text, signals):
    """Writes the JSON lines of `text` whose top-level key is one of `signals` as the file
    exporter's protobuf records (4-byte big-endian length, then the message); other lines
    are left out."""
    from google.protobuf import json_format
    from opentelemetry.proto.logs.v1 import logs_pb2
    from opentelemetry.proto.metrics.v1 import metrics_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2

    messages = {"resourceSpans": trace_pb2.TracesData, "resourceLogs": logs_pb2.LogsData,
                "resourceMetrics": metrics_pb2.MetricsData}
    with open(path, "wb") as f:
        for l in text.splitlines():
            d = hex_ids_to_base64(json.loads(l))
            kind = next((k for k in signals if k in d), None)
            if kind is None:
                continue
            b = json_format.ParseDict(d, messages[kind]()).SerializeToString()
            f.write(len(b).to_bytes(4, "big") + b)


def main():
    os.makedirs(OUT, exist_ok=True)
    spans = open(os.path.join(HERE, "healthy/checkout.jsonl")).read()
    dumps = {
        "spans-and-logs": spans + "\n".join(GOOD + BAD) + "\n",
        "spans-and-correlated-logs": spans + "\n".join(GOOD) + "\n",
    }
    for name, text in dumps.items():
        with open(os.path.join(OUT, name + ".jsonl"), "w") as f:
            f.write(text)
    # The same as protobuf records: spans as TracesData, logs as LogsData.
    for name, text in dumps.items():
        write_records(os.path.join(OUT, name + ".pb"), text, ("resourceSpans", "resourceLogs"))


if __name__ == "__main__":
    main()
