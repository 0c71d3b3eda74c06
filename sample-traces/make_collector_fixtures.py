#!/usr/bin/env python3
"""Writes sample-traces/collector/: the Collector's own span counters in each spelling
Collector versions use (OTLP JSON with the processor helper's dropped_spans, OTLP JSON with
the newer incoming/outgoing item counts and delta temporality, Prometheus text with and
without the `_total` suffix; the OTLP ones also as protobuf, which needs the `protobuf` and
`opentelemetry-proto` Python packages), each lossy one with a healthy twin, and dumps that carry the
counters beside their spans as the file exporter writes them. The spans are those of
healthy/checkout.jsonl (21 spans). Expected findings are in collector/README.md."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "collector")
T0 = 1_700_000_000_000_000_000
T1 = T0 + 60_000_000_000
SPANS = 21  # in healthy/checkout.jsonl


def attr(k, v):
    return {"key": k, "value": {"stringValue": v}}


def point(value, attrs, delta=False):
    p = {"attributes": [attr(k, v) for k, v in attrs.items()], "timeUnixNano": str(T1), "asInt": str(value)}
    p["startTimeUnixNano"] = str(T1 - 10_000_000_000 if delta else T0)
    return p


def metric(name, points, delta=False):
    return {"name": name, "unit": "{spans}", "sum": {"dataPoints": points, "aggregationTemporality": 1 if delta else 2, "isMonotonic": True}}


def metrics_line(instance, metrics, dotted_scope=False):
    res = {"attributes": [attr("service.name", "otelcol-contrib"), attr("service.instance.id", instance), attr("service.version", "0.98.0")]}
    scope = {"name": "go.opentelemetry.io/collector/receiver/receiverhelper" if not dotted_scope else "otelcol"}
    return json.dumps({"resourceMetrics": [{"resource": res, "scopeMetrics": [{"scope": scope, "metrics": metrics}]}]}, separators=(",", ":"))


def old_otlp(accepted, dropped, failed, sent):
    """A Collector of the processor-helper era (v0.9x): dropped_spans per processor."""
    return metrics_line("otelcol-a", [
        metric("otelcol_receiver_accepted_spans", [point(accepted, {"receiver": "otlp", "transport": "grpc"})]),
        metric("otelcol_receiver_refused_spans", [point(0, {"receiver": "otlp", "transport": "grpc"})]),
        metric("otelcol_processor_dropped_spans", [point(dropped, {"processor": "memory_limiter"})]),
        metric("otelcol_processor_accepted_spans", [point(accepted, {"processor": "memory_limiter"})]),
        metric("otelcol_exporter_sent_spans", [point(sent, {"exporter": "otlp/backend"}), point(accepted - dropped, {"exporter": "file"})]),
        metric("otelcol_exporter_send_failed_spans", [point(failed, {"exporter": "otlp/backend"}), point(0, {"exporter": "file"})]),
        metric("otelcol_exporter_enqueue_failed_spans", [point(0, {"exporter": "otlp/backend"})]),
    ])


def new_otlp(accepted, refused, incoming, outgoing, sent, enqueue_failed):
    """A newer Collector: incoming/outgoing items per processor and signal, delta points,
    dotted names as some exporters of internal telemetry write them."""
    d = True
    return metrics_line("otelcol-b", [
        metric("otelcol.receiver.accepted_spans", [point(accepted, {"receiver": "otlp", "transport": "http"}, d)], d),
        metric("otelcol.receiver.refused_spans", [point(refused, {"receiver": "otlp", "transport": "http"}, d)], d),
        metric("otelcol.processor.incoming_items", [point(incoming, {"processor": "batch", "otel.signal": "traces"}, d), point(500, {"processor": "batch", "otel.signal": "logs"}, d)], d),
        metric("otelcol.processor.outgoing_items", [point(outgoing, {"processor": "batch", "otel.signal": "traces"}, d), point(450, {"processor": "batch", "otel.signal": "logs"}, d)], d),
        metric("otelcol.exporter.sent_spans", [point(sent, {"exporter": "file"}, d)], d),
        metric("otelcol.exporter.enqueue_failed_spans", [point(enqueue_failed, {"exporter": "file"}, d)], d),
    ], dotted_scope=True)


def prometheus(total, accepted, refused, sent, failed):
    """A scrape of the metrics endpoint: `_total` counters (v0.1xx) or bare names (older)."""
    suffix = "_total" if total else ""
    labels = 'service_instance_id="otelcol-c",service_name="otelcol-contrib",service_version="0.120.0"'
    scope = ',otel_scope_name="go.opentelemetry.io/collector/receiver/receiverhelper",otel_scope_version=""' if total else ""
    lines = []
    for name, comp, value in [
        ("otelcol_receiver_accepted_spans", 'receiver="otlp",transport="grpc"', accepted),
        ("otelcol_receiver_refused_spans", 'receiver="otlp",transport="grpc"', refused),
        ("otelcol_exporter_sent_spans", 'exporter="file"', sent),
        ("otelcol_exporter_send_failed_spans", 'exporter="file"', failed),
    ]:
        lines.append(f"# HELP {name}{suffix} span counter")
        lines.append(f"# TYPE {name}{suffix} counter")
        lines.append(f"{name}{suffix}{{{comp},{labels}{scope}}} {value}")
    lines.append("# TYPE otelcol_process_uptime gauge")
    lines.append(f"otelcol_process_uptime{{{labels}}} 12.5")
    return "\n".join(lines) + "\n"


def main():
    os.makedirs(OUT, exist_ok=True)
    spans = open(os.path.join(HERE, "healthy/checkout.jsonl")).read()
    files = {
        # The report: 42 spans dropped by a processor, 7 failed to export.
        "otlp-json-old.json": old_otlp(SPANS + 42, 42, 7, SPANS - 7) + "\n",
        "otlp-json-old-healthy.json": old_otlp(SPANS, 0, 0, SPANS) + "\n",
        "otlp-json-new.json": new_otlp(SPANS + 5, 3, SPANS + 5, SPANS, SPANS, 2) + "\n",
        "otlp-json-new-healthy.json": new_otlp(SPANS, 0, SPANS, SPANS, SPANS, 0) + "\n",
        "prometheus-total.txt": prometheus(True, SPANS, 5, SPANS, 0),
        "prometheus-total-healthy.txt": prometheus(True, SPANS, 0, SPANS, 0),
        "prometheus-old.txt": prometheus(False, SPANS, 0, SPANS - 1, 1),
        "prometheus-old-healthy.txt": prometheus(False, SPANS, 0, SPANS, 0),
        # The file exporter writes the Collector's own metrics beside the spans when its
        # internal telemetry is exported into the same pipeline.
        "dump-with-lossy-telemetry.jsonl": spans + old_otlp(SPANS + 42, 42, 7, SPANS - 7) + "\n",
        "dump-with-healthy-telemetry.jsonl": spans + old_otlp(SPANS, 0, 0, SPANS) + "\n",
    }
    for name, text in files.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(text)
    # The OTLP JSON fixtures as protobuf MetricsData, encoded by the protobuf library: one
    # message, and length-prefixed records (4-byte big-endian lengths).
    from google.protobuf import json_format
    from opentelemetry.proto.metrics.v1 import metrics_pb2

    for name in ["otlp-json-old", "otlp-json-new"]:
        lines = [l for l in files[name + ".json"].splitlines() if l.strip()]
        messages = [json_format.Parse(l, metrics_pb2.MetricsData()).SerializeToString() for l in lines]
        with open(os.path.join(OUT, name + ".pb"), "wb") as f:
            f.write(messages[0])
        with open(os.path.join(OUT, name + ".records.pb"), "wb") as f:
            for m in messages:
                f.write(len(m).to_bytes(4, "big") + m)
    # The dumps with telemetry as the file exporter's protobuf records: TracesData records,
    # then the Collector's MetricsData record.
    from make_log_fixtures import write_records

    for name in ["dump-with-lossy-telemetry", "dump-with-healthy-telemetry"]:
        write_records(os.path.join(OUT, name + ".pb"), files[name + ".jsonl"], ("resourceSpans", "resourceMetrics"))

if __name__ == "__main__":
    main()
