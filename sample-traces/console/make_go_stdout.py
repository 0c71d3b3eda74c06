"""Writes go-stdout.json: four spans as the OpenTelemetry Go SDK's stdouttrace exporter prints
them with WithPrettyPrint (json.MarshalIndent with tabs; one object per span; times as Go's
RFC 3339 with nanoseconds and the local offset; a root's Parent all zeros). Written by hand
after the exporter's own expected output (exporters/stdout/stdouttrace/trace_test.go): Go
modules cannot be fetched on this machine, so the Go SDK could not be run here.
Run: python3 make_go_stdout.py (prints the span count on stderr)."""
import json
import sys


def attrs(d):
    out = []
    for k, v in d.items():
        t = ("BOOL" if isinstance(v, bool) else "INT64" if isinstance(v, int) else "FLOAT64"
             if isinstance(v, float) else "STRINGSLICE" if isinstance(v, list) else "STRING")
        out.append({"Key": k, "Value": {"Type": t, "Value": v}})
    return out


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ZERO = {"TraceID": "0" * 32, "SpanID": "0" * 16, "TraceFlags": "00", "TraceState": "", "Remote": False}
RESOURCE = attrs({"service.name": "checkout-go", "telemetry.sdk.language": "go",
                  "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "1.38.0"})
SCOPE = {"Name": "fixture", "Version": "1.0", "SchemaURL": "", "Attributes": None}


def ctx(span_id):
    return {"TraceID": TRACE, "SpanID": span_id, "TraceFlags": "01", "TraceState": "", "Remote": False}


def event(name, at, a):
    return {"Name": name, "Attributes": attrs(a), "DroppedAttributeCount": 0, "Time": at}


def span(name, span_id, parent, kind, start, end, a, events=None, status=("Unset", "")):
    return {"Name": name, "SpanContext": ctx(span_id), "Parent": parent, "SpanKind": kind,
            "StartTime": start, "EndTime": end, "Attributes": attrs(a), "Events": events, "Links": None,
            "Status": {"Code": status[0], "Description": status[1]}, "DroppedAttributes": 0,
            "DroppedEvents": 0, "DroppedLinks": 0, "ChildSpanCount": 0, "Resource": RESOURCE,
            "InstrumentationScope": SCOPE, "InstrumentationLibrary": SCOPE}


T = "2026-11-29T10:15:00.{}+01:00"
ROOT = "00f067aa0ba902b7"
spans = [
    span("SELECT orders", "00f067aa0ba902b8", ctx(ROOT), 3, T.format("001000123"), T.format("003500456"),
         {"db.system": "postgresql", "rows": 3}, [event("query.start", T.format("001100000"), {"sql.len": 42})]),
    span("charge", "00f067aa0ba902b9", ctx(ROOT), 3, T.format("004000000"), T.format("004900000"), {},
         [event("exception", T.format("004800000"),
                {"exception.type": "*errors.errorString", "exception.message": "declined"})],
         ("Error", "card declined")),
    span("render", "00f067aa0ba902ba", ctx(ROOT), 1, T.format("005000000"), T.format("005100000"),
         {"tags": ["a", "b"], "ratio": 0.5, "ok": True}),
    span("POST /checkout", ROOT, ZERO, 2, T.format("000000000"), T.format("006000000"),
         {"http.request.method": "POST", "http.response.status_code": 200}),
]
with open("go-stdout.json", "w") as f:
    for s in spans:
        f.write(json.dumps(s, indent="\t") + "\n")
print(f"{len(spans)} spans", file=sys.stderr)
