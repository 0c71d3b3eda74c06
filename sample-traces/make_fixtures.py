#!/usr/bin/env python3
"""Writes the hand-made fixtures of sample-traces/: healthy dumps and one dump per built-in
check that must trigger it. Run from the repository root:

    python3 sample-traces/make_fixtures.py

Each check fixture is a healthy trace plus exactly the defect named in its file name. The
expected findings (code and span id) are asserted in analyzer/tests/checks.rs, written
independently of this script.
"""
import json
import os

OUT = os.path.dirname(os.path.abspath(__file__))
T0 = 1763712000000000000  # 2025-11-21T08:00:00Z in ns
MS = 1_000_000


def tid(n):
    return f"{0x4bf92f3577b34da6a3ce929d0e0e0000 + n:032x}"


def sid(n):
    return f"{0x00f067aa0ba90000 + n:016x}"


def attr(key, value):
    if isinstance(value, bool):
        v = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    else:
        v = {"stringValue": value}
    return {"key": key, "value": v}


def span(trace, span_id, parent, name, start_ms, end_ms, kind=1, status=None, attrs=None, events=None, **extra):
    s = {
        "traceId": tid(trace),
        "spanId": sid(span_id),
        "parentSpanId": sid(parent) if parent else "",
        "flags": 257,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(T0 + int(start_ms * MS)),
        "endTimeUnixNano": str(T0 + int(end_ms * MS)),
        "attributes": [attr(k, v) for k, v in (attrs or {}).items()],
        "status": status or {},
    }
    if events:
        s["events"] = events
    s.update(extra)
    return s


def resource(service, host, **more):
    attrs = {"service.name": service, "host.name": host, "service.version": "1.4.2"}
    attrs.update(more)
    return {"attributes": [attr(k, v) for k, v in attrs.items() if v is not None]}


def line(res, spans, scope="tracecheck.fixtures"):
    return json.dumps(
        {"resourceSpans": [{"resource": res, "scopeSpans": [{"scope": {"name": scope, "version": "0.1.0"}, "spans": spans}]}]},
        separators=(",", ":"),
    )


GW = resource("gateway", "host-a")
PAY = resource("payments", "host-b")
WORK = resource("worker", "host-c")


def healthy_trace(t):
    """A checkout: gateway server span, a synchronous call to payments on another host,
    and an async job: producer on the gateway, consumer on the worker that outlives
    everything (normal for messaging)."""
    gw = [
        span(t, 1, None, "POST /checkout", 0, 120, kind=2, status={"code": 1}, attrs={"http.request.method": "POST", "http.response.status_code": 200}),
        span(t, 2, 1, "charge", 10, 80, kind=3, attrs={"rpc.system": "grpc", "retry.count": 0}),
        span(t, 3, 1, "enqueue receipt", 90, 95, kind=4, attrs={"messaging.system": "kafka"}),
    ]
    pay = [
        span(t, 4, 2, "Payments/Charge", 15, 75, kind=2, status={"code": 1}, attrs={"rpc.system": "grpc"}),
        span(t, 5, 4, "db.insert", 20, 40, kind=3, attrs={"db.system.name": "postgresql"}),
    ]
    work = [
        span(t, 6, 3, "receipt.render", 100, 400, kind=5, attrs={"messaging.system": "kafka"}),
        span(t, 7, 6, "pdf.write", 150, 390, kind=1),
    ]
    return gw, pay, work


def write(path, lines, trailing_newline=True):
    with open(os.path.join(OUT, path), "w") as f:
        f.write("\n".join(lines) + ("\n" if trailing_newline else ""))


def healthy_lines(traces):
    """Spans of several traces spread over lines the way the file exporter batches them:
    per service, traces interleaved, a log and a metric line between."""
    gws, pays, works = [], [], []
    for t in traces:
        g, p, w = healthy_trace(t)
        gws += g
        pays += p
        works += w
    log = json.dumps({"resourceLogs": [{"resource": GW, "scopeLogs": [{"logRecords": [{"body": {"stringValue": "started"}}]}]}]}, separators=(",", ":"))
    metric = json.dumps({"resourceMetrics": [{"resource": PAY, "scopeMetrics": [{"metrics": [{"name": "up", "gauge": {"dataPoints": [{"asInt": "1"}]}}]}]}]}, separators=(",", ":"))
    return [
        log,
        line(WORK, works[len(works) // 2 :]),
        line(GW, gws[: len(gws) // 2]),
        metric,
        line(PAY, pays),
        line(GW, gws[len(gws) // 2 :]),
        line(WORK, works[: len(works) // 2]),
    ]


KIND_NAMES = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def foreign_spans():
    """The healthy traces 1-3 with their service and host, for the Jaeger and Zipkin forms."""
    out = []
    for t in (1, 2, 3):
        for res, spans in zip((GW, PAY, WORK), healthy_trace(t)):
            attrs = {a["key"]: a["value"]["stringValue"] for a in res["attributes"]}
            for sp in spans:
                out.append((attrs["service.name"], attrs["host.name"], sp))
    return out


def us(ns_text):
    return int(ns_text) // 1000


def write_foreign_healthy():
    """checkout.jsonl as Jaeger /api/traces JSON and as Zipkin v2 JSON."""
    spans = foreign_spans()
    # Jaeger: one trace object per trace id, processes per service; the consumer follows from
    # its producer (FOLLOWS_FROM), everything else is CHILD_OF.
    traces = {}
    for service, host, sp in spans:
        t = traces.setdefault(sp["traceId"], {"traceID": sp["traceId"], "spans": [], "processes": {}})
        pid = "p" + str(list(dict.fromkeys(x[0] for x in spans)).index(service) + 1)
        t["processes"][pid] = {"serviceName": service, "tags": [{"key": "hostname", "type": "string", "value": host}]}
        refs = []
        if sp["parentSpanId"]:
            kind = "FOLLOWS_FROM" if sp["kind"] == 5 else "CHILD_OF"
            refs.append({"refType": kind, "traceID": sp["traceId"], "spanID": sp["parentSpanId"]})
        tags = [{"key": "span.kind", "type": "string", "value": KIND_NAMES[sp["kind"]]}]
        for a in sp["attributes"]:
            v = a["value"]
            if "intValue" in v:
                tags.append({"key": a["key"], "type": "int64", "value": int(v["intValue"])})
            else:
                tags.append({"key": a["key"], "type": "string", "value": v["stringValue"]})
        if sp["status"].get("code") == 1:
            tags.append({"key": "otel.status_code", "type": "string", "value": "OK"})
        start = us(sp["startTimeUnixNano"])
        t["spans"].append({
            "traceID": sp["traceId"], "spanID": sp["spanId"], "operationName": sp["name"], "references": refs,
            "startTime": start, "duration": us(sp["endTimeUnixNano"]) - start, "tags": tags, "logs": [],
            "processID": pid, "warnings": None, "flags": 1,
        })
    with open(os.path.join(OUT, "formats/checkout.jaeger.json"), "w") as f:
        json.dump({"data": list(traces.values()), "total": 0, "limit": 0, "offset": 0, "errors": None}, f, indent=2)
        f.write("\n")
    # Zipkin v2: the payments server span shares its client's id (B3 style), so its child
    # names that id as parent.
    by_id = {(sp["traceId"], sp["spanId"]): sp for _, _, sp in spans}
    renamed = {}
    for _, _, sp in spans:
        parent = by_id.get((sp["traceId"], sp["parentSpanId"]))
        if sp["kind"] == 2 and parent is not None and parent["kind"] == 3:
            renamed[(sp["traceId"], sp["spanId"])] = sp["parentSpanId"]
    zipkin = []
    for service, host, sp in spans:
        key = (sp["traceId"], sp["spanId"])
        z = {"traceId": sp["traceId"], "id": renamed.get(key, sp["spanId"]), "name": sp["name"]}
        parent = renamed.get((sp["traceId"], sp["parentSpanId"]), sp["parentSpanId"])
        if key in renamed:
            z["shared"] = True
            parent = by_id[(sp["traceId"], sp["parentSpanId"])]["parentSpanId"]
        if parent:
            z["parentId"] = parent
        if sp["kind"] in (2, 3, 4, 5):
            z["kind"] = KIND_NAMES[sp["kind"]].upper()
        start = us(sp["startTimeUnixNano"])
        z["timestamp"] = start
        z["duration"] = us(sp["endTimeUnixNano"]) - start
        z["localEndpoint"] = {"serviceName": service, "ipv4": {"host-a": "10.0.0.1", "host-b": "10.0.0.2", "host-c": "10.0.0.3"}[host]}
        z["tags"] = {a["key"]: a["value"].get("stringValue", a["value"].get("intValue")) for a in sp["attributes"]}
        zipkin.append(z)
    with open(os.path.join(OUT, "formats/checkout.zipkin.json"), "w") as f:
        json.dump(zipkin, f, indent=2)
        f.write("\n")


def main():
    write("healthy/checkout.jsonl", healthy_lines([1, 2, 3]))
    # The same dump as one pretty-printed, tab-indented document wrapped like the Jaeger API v3.
    spans = [healthy_trace(9)]
    g, p, w = spans[0]
    doc = {"result": {"resourceSpans": [
        {"resource": GW, "scopeSpans": [{"scope": {"name": "s"}, "spans": g}]},
        {"resource": PAY, "scopeSpans": [{"scope": {"name": "s"}, "spans": p}]},
        {"resource": WORK, "scopeSpans": [{"scope": {"name": "s"}, "spans": w}]},
    ]}}
    with open(os.path.join(OUT, "healthy/checkout-document.json"), "w") as f:
        json.dump(doc, f, indent="\t")
        f.write("\n")

    write_foreign_healthy()

    g, p, w = healthy_trace(1)
    base = [line(GW, g), line(PAY, p), line(WORK, w)]

    def fixture(name, extra_lines, trailing_newline=True, replace=None):
        lines = list(base)
        if replace:
            lines = replace(lines)
        write(f"checks/{name}.jsonl", lines + extra_lines, trailing_newline)

    t = 2  # defects live in trace 2 unless stated
    ok_root = lambda t, i=20: span(t, i, None, "job", 0, 50, kind=2)

    fixture("I001-malformed-record", ["{this is not valid JSON", line(GW, [ok_root(t)])])
    fixture("I002-truncated-record", [line(GW, [ok_root(t)])[:-40]], trailing_newline=False)
    fixture("I004-invalid-id", [line(GW, [ok_root(t), span(t, 21, None, "bad", 1, 2, spanId="abc"), span(t, 22, 20, "bad parent", 1, 2, parentSpanId="xyz!")])])
    fixture("I005-not-trace-data", [json.dumps({"valid": "json", "but": "not traces"})])
    fixture("I006-invalid-field", [line(GW, [span(t, 20, None, "job", 0, 50, kind=9)])])
    fixture("S001-orphan-span", [line(GW, [ok_root(t), span(t, 21, 99, "lost child", 1, 2)])])
    fixture("S002-missing-root", [line(GW, [span(t, 21, 98, "no root here", 1, 2), span(t, 22, 21, "below", 1, 2)])])
    fixture("S003-multiple-roots", [line(GW, [ok_root(t), span(t, 21, None, "second root", 60, 70)])])
    fixture("S004-parent-cycle", [line(GW, [ok_root(t), span(t, 21, 22, "a", 1, 2), span(t, 22, 21, "b", 1, 2)])])
    fixture("S005-duplicate-span-id", [line(GW, [ok_root(t), span(t, 21, 20, "twice", 1, 2), span(t, 21, 20, "twice", 1, 2)])])
    fixture("S006-self-parent", [line(GW, [ok_root(t), span(t, 21, 21, "me", 1, 2)])])
    fixture("S007-parent-in-other-trace", [line(GW, [ok_root(t), span(3, 21, 20, "wrong trace", 1, 2)])])
    fixture("T001-end-before-start", [line(GW, [ok_root(t), span(t, 21, 20, "backwards", 30, 10)])])
    no_end = span(t, 21, 20, "never ended", 1, 2)
    no_end["endTimeUnixNano"] = "0"
    fixture("T002-missing-timestamp", [line(GW, [ok_root(t), no_end])])
    fixture("T003-child-starts-before-parent", [line(GW, [span(t, 20, None, "job", 10, 50), span(t, 21, 20, "early", 5, 20)])])
    fixture("T004-child-ends-after-parent", [line(GW, [span(t, 20, None, "job", 0, 50), span(t, 21, 20, "late", 10, 60)])])
    # host-d's clock runs 50 ms ahead: its server spans sit 50 ms later than their clients.
    skewed = resource("inventory", "host-d")
    clients, servers = [], []
    for k in range(3):
        clients.append(span(t + k, 20, None, "reserve", 0, 20, kind=3))
        servers.append(span(t + k, 21, 20, "Inventory/Reserve", 55, 65, kind=2))
    fixture("T005-clock-skew", [line(GW, clients), line(skewed, servers)])
    fixture("A001-missing-service-name", [line(resource(None, "host-e"), [ok_root(t)])])
    fixture("A002-empty-attribute-key", [line(GW, [span(t, 20, None, "job", 0, 50, attrs={"": "x"})])])
    dup = span(t, 20, None, "job", 0, 50, attrs={"k": "v"})
    dup["attributes"].append(attr("k", "w"))
    fixture("A003-duplicate-attribute-key", [line(GW, [dup])])
    fixture("A004-inconsistent-attribute-type", [line(PAY, [
        span(t, 20, None, "Payments/Charge", 0, 50, kind=2, attrs={"rpc.system": 7}),
        span(t + 1, 20, None, "Payments/Charge", 0, 50, kind=2, attrs={"rpc.system": "grpc"}),
    ])])
    # An SDK at its limits: the span says what it dropped, one event and its resource too.
    capped = span(t, 21, 20, "charge", 1, 20, droppedAttributesCount=12, droppedEventsCount=3, droppedLinksCount=2,
                  events=[{"timeUnixNano": str(T0 + 2 * MS), "name": "retry", "droppedAttributesCount": 1}])
    capped_res = dict(resource("payments", "host-b"), droppedAttributesCount=4)
    fixture("A005-dropped-by-sdk", [line(GW, [ok_root(t), capped]), line(capped_res, [span(t, 22, 21, "Payments/Charge", 2, 18, kind=2)])])
    fixture("E001-error-without-message", [line(GW, [span(t, 20, None, "job", 0, 50, status={"code": 2})])])
    with open(os.path.join(OUT, "checks/I003-unknown-format.txt"), "w") as f:
        f.write("this is a plain text file, not a trace dump\n")


if __name__ == "__main__":
    main()
