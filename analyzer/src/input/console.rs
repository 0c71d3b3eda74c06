//! What SDK console exporters print, one span per record:
//! - OpenTelemetry JS `ConsoleSpanExporter`: `{traceId, id, parentId | parentSpanContext,
//!   name, kind, timestamp, duration, attributes, status, events, links, resource,
//!   instrumentationScope}` with the JS kind enum (0 internal … 4 consumer), start and duration
//!   in (fractional) microseconds, event times as `[seconds, nanoseconds]`. The SDK prints it
//!   with Node's `console.dir` ([`super::js_inspect`] turns that into JSON); loggers often
//!   write it as JSON.
//! - OpenTelemetry Python `ConsoleSpanExporter`: pretty JSON per span, `context` with `0x`
//!   ids, `kind` as `SpanKind.CLIENT`, ISO 8601 times in microseconds, `status_code` names;
//!   no instrumentation scope.
//! - OpenTelemetry Go `stdouttrace`: JSON per span with `SpanContext` and `Parent` objects,
//!   `SpanKind` as the OTLP number, RFC 3339 times in nanoseconds, typed `Attributes` and
//!   `Resource` lists (`{Key, Value: {Type, Value}}`), `Status.Code` as `Unset`/`Ok`/`Error`.
//!
//! - The OTLP stdout envelope of AWS Lambda exporters (serverless-otlp-forwarder's
//!   `otlp-stdout-span-exporter`): `{"__otel_otlp_stdout": version, "payload": base64,
//!   "content-encoding": "gzip", "content-type": …}` around one OTLP request body.
//!
//! Attributes are plain JSON maps there: strings, numbers (integers stay integers), booleans
//! and arrays (kept as their JSON text).

use super::accounting::{Dialect, IssueKind};
use super::batch::{arena_len, since};
use super::record::RecordClass;
use super::record::RecordDecoder;
use super::tape::{Idx, elements, f64_value, members};
use crate::model::time::parse_rfc3339;
use crate::model::{
    Attr, Dropped, Event, Link, NO_SCOPE, Parent, Resource, Scope, Slice, Span, SpanFlags, SpanId, SpanKind,
    StatusCode, Sym, TraceId, Value,
};
use simd_json::{Node, StaticNode};

/// What a console record is.
pub(super) fn console_dialect(nodes: &[Node<'_>], i: Idx) -> Option<Dialect> {
    let (mut trace_id, mut id, mut timestamp, mut context, mut name, mut start_time) =
        (false, false, false, false, false, false);
    // What the JS exporter always prints and Zipkin spans (also `traceId`, `id`,
    // `timestamp`) never have.
    let mut js_only = false;
    members(nodes, i, |k, v| match (k, &nodes[v]) {
        ("traceId", Node::String(_)) => trace_id = true,
        ("id", Node::String(_)) => id = true,
        ("timestamp", _) => timestamp = true,
        (
            "attributes" | "status" | "resource" | "instrumentationScope" | "instrumentationLibrary",
            Node::Object { .. },
        ) => js_only = true,
        ("context", Node::Object { .. }) => context = true,
        ("name", Node::String(_)) => name = true,
        ("start_time", _) => start_time = true,
        _ => {}
    });
    let mut go = false;
    members(nodes, i, |k, v| go |= k == "SpanContext" && matches!(nodes[v], Node::Object { .. }));
    if go {
        Some(Dialect::GoStdout)
    } else if trace_id && id && timestamp && js_only {
        Some(Dialect::JsConsole)
    } else if context && name && start_time {
        Some(Dialect::PythonConsole)
    } else {
        None
    }
}

/// What a console record says of its span, gathered field by field.
#[derive(Default)]
struct Fields<'d> {
    trace: Option<&'d str>,
    id: Option<&'d str>,
    parent: Option<&'d str>,
    name: Sym,
    kind: SpanKind,
    scope: Sym,
    start: u64,
    end: u64,
    status: StatusCode,
    message: Sym,
    attrs: Slice,
    events: Slice,
    links: Slice,
}

/// An id without the `0x` Python prints before it.
fn strip_0x(id: &str) -> &str {
    id.strip_prefix("0x").unwrap_or(id)
}

/// Microseconds (maybe fractional) as nanoseconds.
fn micros(n: &Node<'_>) -> Option<u64> {
    let us = f64_value(n)?;
    (us.is_finite() && us >= 0.0).then(|| (us * 1000.0).round() as u64)
}

impl<'d> RecordDecoder<'_, '_, 'd> {
    /// A plain JSON map (`{"key": value}`) as attributes.
    fn plain_attrs(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.attrs);
        if matches!(nodes[i], Node::Object { .. }) {
            members(nodes, i, |k, v| {
                let value = self.plain_value(v);
                let key = self.batch.part.strings.intern(k);
                self.batch.part.attrs.push(Attr::new(key, value));
            });
        }
        since(&self.batch.part.attrs, start)
    }

    fn plain_value(&mut self, v: Idx) -> Value {
        let nodes = self.nodes;
        match &nodes[v] {
            Node::String(s) => Value::Str(self.batch.part.strings.intern(s)),
            Node::Static(StaticNode::Bool(b)) => Value::Bool(*b),
            Node::Static(StaticNode::I64(n)) => Value::Int(*n),
            Node::Static(StaticNode::U64(n)) => i64::try_from(*n).map_or(Value::Double(*n as f64), Value::Int),
            Node::Static(StaticNode::F64(f)) => Value::Double(*f),
            Node::Array { .. } => {
                let mut text = String::from("[");
                elements(nodes, v, |e| {
                    if text.len() > 1 {
                        text.push(',');
                    }
                    match &nodes[e] {
                        Node::String(s) => text.push_str(&format!("{s:?}")),
                        Node::Static(StaticNode::Bool(b)) => text.push_str(&b.to_string()),
                        Node::Static(StaticNode::I64(n)) => text.push_str(&n.to_string()),
                        Node::Static(StaticNode::U64(n)) => text.push_str(&n.to_string()),
                        Node::Static(StaticNode::F64(f)) => text.push_str(&f.to_string()),
                        _ => text.push_str("null"),
                    }
                });
                text.push(']');
                Value::Array(self.batch.part.strings.intern(&text))
            }
            _ => Value::Empty,
        }
    }

    /// A resource from a plain attribute map.
    fn plain_resource(&mut self, attrs_at: Option<Idx>, loc: crate::model::SourceLoc) -> u32 {
        let attrs = match attrs_at {
            Some(a) => self.plain_attrs(a),
            None => Slice::default(),
        };
        self.push_resource(Resource { attrs, loc, ..Resource::default() })
    }

    /// Pushes the span of `f`, with its ids checked, under `resource`.
    fn push_console_span(&mut self, loc: crate::model::SourceLoc, f: Fields<'d>, resource: u32) {
        let Some((trace_id, span_id)) =
            self.padded_ids(loc, ("traceId", f.trace.map(strip_0x)), ("spanId", f.id.map(strip_0x)))
        else {
            return;
        };
        let parent = match f.parent.map(strip_0x) {
            Some(p) => self.parent_ref(p, loc, trace_id, span_id, true),
            None => Parent::Root,
        };
        let scope = if f.scope == Sym::EMPTY {
            NO_SCOPE
        } else {
            self.batch.part.scopes.push(Scope { name: f.scope, ..Scope::default() });
            arena_len(&self.batch.part.scopes) - 1
        };
        let span_loc = self.batch.part.span_loc(loc);
        self.batch.part.spans.push(Span {
            trace_id,
            span_id,
            parent,
            name: f.name,
            kind: f.kind,
            status: f.status,
            status_message: f.message,
            start: f.start,
            end: f.end,
            resource,
            scope,
            attrs: f.attrs,
            events: f.events,
            links: f.links,
            flags: SpanFlags::default(),
            dropped: Dropped::default(),
            loc: span_loc,
        });
    }

    /// One OpenTelemetry JS `ConsoleSpanExporter` record.
    pub(super) fn js_console_span(&mut self, i: Idx) {
        let nodes = self.nodes;
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let mut f = Fields::default();
        let (mut start, mut duration) = (None, None);
        let mut resource_attrs = None;
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("traceId", Node::String(s)) => f.trace = Some(*s),
            ("id", Node::String(s)) => f.id = Some(*s),
            ("parentId", Node::String(s)) => f.parent = Some(*s),
            ("parentSpanContext", Node::Object { .. }) => {
                members(nodes, v, |pk, pv| {
                    if let ("spanId", Node::String(s)) = (pk, &nodes[pv]) {
                        f.parent = Some(*s);
                    }
                });
            }
            ("name", Node::String(s)) => f.name = self.batch.part.strings.intern(s),
            // The JS enum: INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4.
            ("kind", n) => {
                f.kind = match f64_value(n).map(|k| k as i64) {
                    Some(0) => SpanKind::Internal,
                    Some(1) => SpanKind::Server,
                    Some(2) => SpanKind::Client,
                    Some(3) => SpanKind::Producer,
                    Some(4) => SpanKind::Consumer,
                    _ => SpanKind::Unspecified,
                }
            }
            ("timestamp", n) => start = micros(n),
            ("duration", n) => duration = micros(n),
            ("attributes", _) => f.attrs = self.plain_attrs(v),
            ("status", Node::Object { .. }) => {
                members(nodes, v, |sk, sv| match (sk, &nodes[sv]) {
                    ("code", n) => {
                        f.status = match f64_value(n).map(|c| c as i64) {
                            Some(1) => StatusCode::Ok,
                            Some(2) => StatusCode::Error,
                            _ => StatusCode::Unset,
                        }
                    }
                    ("message", Node::String(m)) => f.message = self.batch.part.strings.intern(m),
                    _ => {}
                });
            }
            ("events", _) => f.events = self.js_events(v),
            ("links", _) => f.links = self.console_links(v, loc),
            ("resource", Node::Object { .. }) => {
                members(nodes, v, |rk, rv| {
                    // `attributes` in SDK 2, `_attributes` in 1.x.
                    if matches!(rk, "attributes" | "_attributes") && resource_attrs.is_none() {
                        resource_attrs = Some(rv);
                    }
                });
            }
            ("instrumentationScope" | "instrumentationLibrary", Node::Object { .. }) => {
                members(nodes, v, |sk, sv| {
                    if let ("name", Node::String(s)) = (sk, &nodes[sv]) {
                        f.scope = self.batch.part.strings.intern(s);
                    }
                });
            }
            _ => {}
        });
        let resource = self.plain_resource(resource_attrs, loc);
        (f.start, f.end) = match (start, duration) {
            (Some(s), Some(d)) => (s, s.saturating_add(d)),
            (Some(s), None) => (s, 0),
            _ => (0, 0),
        };
        self.push_console_span(loc, f, resource);
    }

    /// JS events: `[{name, attributes, time: [seconds, nanoseconds]}]`.
    fn js_events(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let mut found: Vec<(Sym, u64, Option<Idx>)> = Vec::new();
        elements(nodes, i, |e| {
            let (mut name, mut time, mut attrs) = (Sym::EMPTY, 0, None);
            members(nodes, e, |k, v| match (k, &nodes[v]) {
                ("name", Node::String(s)) => name = self.batch.part.strings.intern(s),
                ("time", Node::Array { .. }) => {
                    let mut parts = Vec::new();
                    elements(nodes, v, |x| parts.push(f64_value(&nodes[x]).unwrap_or(0.0)));
                    if let [secs, nanos] = parts[..] {
                        time =
                            (secs.max(0.0) as u64).saturating_mul(1_000_000_000).saturating_add(nanos.max(0.0) as u64);
                    }
                }
                ("attributes", _) => attrs = Some(v),
                _ => {}
            });
            found.push((name, time, attrs));
        });
        self.push_events(found)
    }

    fn push_events(&mut self, found: Vec<(Sym, u64, Option<Idx>)>) -> Slice {
        let mut events = Vec::with_capacity(found.len());
        for (name, time, attrs) in found {
            let attrs = attrs.map_or(Slice::default(), |a| self.plain_attrs(a));
            events.push(Event { name, time, attrs });
        }
        let start = arena_len(&self.batch.part.events);
        self.batch.part.events.extend(events);
        since(&self.batch.part.events, start)
    }

    /// Links: `[{context: {traceId | trace_id, spanId | span_id}, attributes}]`.
    fn console_links(&mut self, i: Idx, loc: crate::model::SourceLoc) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.links);
        elements(nodes, i, |l| {
            let (mut t, mut s) = (None, None);
            members(nodes, l, |k, v| {
                if k == "context" {
                    members(nodes, v, |ck, cv| match (ck, &nodes[cv]) {
                        ("traceId" | "trace_id", Node::String(x)) => t = Some(*x),
                        ("spanId" | "span_id", Node::String(x)) => s = Some(*x),
                        _ => {}
                    });
                }
            });
            self.push_link(loc, t, s);
        });
        since(&self.batch.part.links, start)
    }

    /// Pushes a link from its ids' text (`0x` allowed); one that does not decode is reported,
    /// as OTLP links are.
    fn push_link(&mut self, loc: crate::model::SourceLoc, t: Option<&str>, s: Option<&str>) {
        let (t, s) = (t.map(strip_0x), s.map(strip_0x));
        let e = match (t.map(crate::model::decode_id_padded::<16>), s.map(crate::model::decode_id_padded::<8>)) {
            (Some(Ok(t)), Some(Ok(s))) => {
                self.batch.part.links.push(Link { trace_id: TraceId(t), span_id: SpanId(s), attrs: Slice::default() });
                return;
            }
            (Some(Ok(_)), span) => super::record::field_error(s, span),
            (trace, _) => super::record::field_error(t, trace),
        };
        self.batch.issue(IssueKind::InvalidId, loc, format!("link ignored: its id {e}"), None, None);
    }

    /// One OpenTelemetry Python `ConsoleSpanExporter` record.
    pub(super) fn python_console_span(&mut self, i: Idx) {
        let nodes = self.nodes;
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let mut f = Fields::default();
        let mut resource_attrs = None;
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("name", Node::String(s)) => f.name = self.batch.part.strings.intern(s),
            ("context", Node::Object { .. }) => {
                members(nodes, v, |ck, cv| match (ck, &nodes[cv]) {
                    ("trace_id", Node::String(s)) => f.trace = Some(*s),
                    ("span_id", Node::String(s)) => f.id = Some(*s),
                    _ => {}
                });
            }
            ("parent_id", Node::String(s)) => f.parent = Some(*s),
            ("kind", Node::String(s)) => {
                f.kind = SpanKind::from_name(s.strip_prefix("SpanKind.").unwrap_or(s)).unwrap_or(SpanKind::Unspecified)
            }
            ("start_time", Node::String(t)) => f.start = parse_rfc3339(t).unwrap_or(0),
            ("end_time", Node::String(t)) => f.end = parse_rfc3339(t).unwrap_or(0),
            ("status", Node::Object { .. }) => {
                members(nodes, v, |sk, sv| match (sk, &nodes[sv]) {
                    ("status_code", Node::String(c)) => {
                        f.status = StatusCode::from_name(c).unwrap_or(StatusCode::Unset)
                    }
                    ("description", Node::String(m)) => f.message = self.batch.part.strings.intern(m),
                    _ => {}
                });
            }
            ("attributes", _) => f.attrs = self.plain_attrs(v),
            ("events", _) => {
                let mut found = Vec::new();
                elements(nodes, v, |e| {
                    let (mut en, mut time, mut ea) = (Sym::EMPTY, 0, None);
                    members(nodes, e, |ek, ev| match (ek, &nodes[ev]) {
                        ("name", Node::String(s)) => en = self.batch.part.strings.intern(s),
                        ("timestamp", Node::String(t)) => time = parse_rfc3339(t).unwrap_or(0),
                        ("attributes", _) => ea = Some(ev),
                        _ => {}
                    });
                    found.push((en, time, ea));
                });
                f.events = self.push_events(found);
            }
            ("links", _) => f.links = self.console_links(v, loc),
            ("resource", Node::Object { .. }) => {
                members(nodes, v, |rk, rv| {
                    if rk == "attributes" {
                        resource_attrs = Some(rv);
                    }
                });
            }
            _ => {}
        });
        let resource = self.plain_resource(resource_attrs, loc);
        self.push_console_span(loc, f, resource);
    }
}

impl<'d> RecordDecoder<'_, '_, 'd> {
    /// Go's typed attribute list: `[{Key, Value: {Type, Value}}]`.
    fn go_attrs(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.attrs);
        elements(nodes, i, |a| {
            let (mut key, mut value) = ("", Value::Empty);
            members(nodes, a, |k, v| match (k, &nodes[v]) {
                ("Key", Node::String(s)) => key = s,
                ("Value", Node::Object { .. }) => {
                    let (mut ty, mut val) = ("", None);
                    members(nodes, v, |vk, vv| match (vk, &nodes[vv]) {
                        ("Type", Node::String(t)) => ty = t,
                        ("Value", _) => val = Some(vv),
                        _ => {}
                    });
                    value = match (ty, val) {
                        (_, None) => Value::Empty,
                        ("INT64", Some(x)) => super::tape::i64_value(&nodes[x]).map_or(Value::Empty, Value::Int),
                        ("FLOAT64", Some(x)) => f64_value(&nodes[x]).map_or(Value::Empty, Value::Double),
                        (_, Some(x)) => self.plain_value(x),
                    };
                }
                _ => {}
            });
            let key = self.batch.part.strings.intern(key);
            self.batch.part.attrs.push(Attr::new(key, value));
        });
        since(&self.batch.part.attrs, start)
    }

    /// One OpenTelemetry Go `stdouttrace` record.
    pub(super) fn go_stdout_span(&mut self, i: Idx) {
        let nodes = self.nodes;
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let mut f = Fields::default();
        let mut resource_attrs = None;
        let context = |v: Idx, t: &mut Option<&'d str>, s: &mut Option<&'d str>| {
            members(nodes, v, |k, x| match (k, &nodes[x]) {
                ("TraceID", Node::String(id)) => *t = Some(*id),
                ("SpanID", Node::String(id)) => *s = Some(*id),
                _ => {}
            });
        };
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("Name", Node::String(s)) => f.name = self.batch.part.strings.intern(s),
            ("SpanContext", Node::Object { .. }) => context(v, &mut f.trace, &mut f.id),
            ("Parent", Node::Object { .. }) => {
                let mut parent_trace = None;
                context(v, &mut parent_trace, &mut f.parent);
            }
            ("SpanKind", n) => {
                f.kind = match f64_value(n).map(|k| k as i64) {
                    Some(1) => SpanKind::Internal,
                    Some(2) => SpanKind::Server,
                    Some(3) => SpanKind::Client,
                    Some(4) => SpanKind::Producer,
                    Some(5) => SpanKind::Consumer,
                    _ => SpanKind::Unspecified,
                }
            }
            ("StartTime", Node::String(t)) => f.start = parse_rfc3339(t).unwrap_or(0),
            ("EndTime", Node::String(t)) => f.end = parse_rfc3339(t).unwrap_or(0),
            ("Attributes", Node::Array { .. }) => f.attrs = self.go_attrs(v),
            ("Events", Node::Array { .. }) => {
                let mut found = Vec::new();
                elements(nodes, v, |e| {
                    let (mut en, mut time, mut ea) = (Sym::EMPTY, 0, Slice::default());
                    members(nodes, e, |ek, ev| match (ek, &nodes[ev]) {
                        ("Name", Node::String(s)) => en = self.batch.part.strings.intern(s),
                        ("Time", Node::String(t)) => time = parse_rfc3339(t).unwrap_or(0),
                        ("Attributes", Node::Array { .. }) => ea = self.go_attrs(ev),
                        _ => {}
                    });
                    found.push(Event { name: en, time, attrs: ea });
                });
                let start = arena_len(&self.batch.part.events);
                self.batch.part.events.extend(found);
                f.events = since(&self.batch.part.events, start);
            }
            ("Links", Node::Array { .. }) => {
                let start = arena_len(&self.batch.part.links);
                elements(nodes, v, |l| {
                    let (mut t, mut s) = (None, None);
                    members(nodes, l, |lk, lv| {
                        if lk == "SpanContext" {
                            context(lv, &mut t, &mut s);
                        }
                    });
                    self.push_link(loc, t, s);
                });
                f.links = since(&self.batch.part.links, start);
            }
            ("Status", Node::Object { .. }) => {
                members(nodes, v, |sk, sv| match (sk, &nodes[sv]) {
                    ("Code", Node::String(c)) => f.status = StatusCode::from_name(c).unwrap_or(StatusCode::Unset),
                    ("Description", Node::String(m)) => f.message = self.batch.part.strings.intern(m),
                    _ => {}
                });
            }
            ("Resource", Node::Array { .. }) => resource_attrs = Some(v),
            ("InstrumentationScope" | "InstrumentationLibrary", Node::Object { .. }) => {
                members(nodes, v, |sk, sv| {
                    if let ("Name", Node::String(s)) = (sk, &nodes[sv])
                        && !s.is_empty()
                    {
                        f.scope = self.batch.part.strings.intern(s);
                    }
                });
            }
            _ => {}
        });
        let resource_attrs = resource_attrs.map_or(Slice::default(), |r| self.go_attrs(r));
        let resource = self.push_resource(Resource { attrs: resource_attrs, loc, ..Resource::default() });
        self.push_console_span(loc, f, resource);
    }
}

impl RecordDecoder<'_, '_, '_> {
    /// One OTLP stdout envelope: its payload decoded (base64, then gzip when it says so) as
    /// OTLP protobuf or JSON.
    pub(super) fn otlp_stdout_envelope(&mut self, i: Idx) -> RecordClass {
        let nodes = self.nodes;
        let (mut payload, mut base64, mut gzip, mut json) = (None, true, false, false);
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("payload", Node::String(s)) => payload = Some(*s),
            ("base64", Node::Static(StaticNode::Bool(b))) => base64 = *b,
            ("content-encoding", Node::String(s)) => gzip = s.eq_ignore_ascii_case("gzip"),
            ("content-type", Node::String(s)) => json = s.contains("json"),
            _ => {}
        });
        let why = |what: String| RecordClass::NotTraces(format!("an OTLP stdout envelope whose payload {what}"));
        let Some(text) = payload else { return why("is missing".into()) };
        let raw = if base64 {
            match tracecheck_wire::base64::decode(text.as_bytes()) {
                Some(b) => b,
                None => return why("is not base64".into()),
            }
        } else {
            text.as_bytes().to_vec()
        };
        let body = if gzip {
            use std::io::Read as _;
            let mut out = Vec::new();
            // A record never inflates beyond 1 GiB here: the rest would be cut, and said.
            let limit = 1u64 << 30;
            match flate2::read::GzDecoder::new(&raw[..]).take(limit + 1).read_to_end(&mut out) {
                Ok(n) if n as u64 > limit => return why("inflates beyond 1 GiB".into()),
                Ok(_) => out,
                Err(e) => return why(format!("is not valid gzip ({e})")),
            }
        } else {
            raw
        };
        if json {
            let mut buf = body.clone();
            let base = buf.as_ptr() as usize;
            let Ok(tape) = simd_json::to_tape(&mut buf) else { return why("is not valid JSON".into()) };
            let loc = self.loc;
            return RecordDecoder::new(self.batch, &tape.0, base, &body, loc, false).decode();
        }
        match super::otlp_proto::decode_traces_data(self.batch, &body, self.loc) {
            Ok(super::otlp_proto::Record::Traces) => RecordClass::Traces(Dialect::Otlp),
            Ok(super::otlp_proto::Record::Logs) => RecordClass::Other(super::Signal::Logs),
            Ok(super::otlp_proto::Record::Metrics) => match super::telemetry::add_proto_metrics(self.batch, &body) {
                Ok(()) => RecordClass::Other(super::Signal::Metrics),
                Err(e) => why(format!("is a metrics record that {e}")),
            },
            Err(e) => why(format!("is not OTLP protobuf ({e})")),
        }
    }
}
