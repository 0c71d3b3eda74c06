//! OTLP JSON (`TracesData`) decoding: one walk over the simd-json tape, dispatching on keys
//! straight into compact span records. Accepts camelCase and snake_case keys, the old
//! `instrumentationLibrarySpans`, ids in hex or base64, 64-bit numbers as strings or
//! numbers, enums as numbers or names, and the usual API wrappers.

use super::accounting::{Dialect, IssueKind, Signal};
use super::batch::{arena_len, since};
use super::record::{RecordClass, RecordDecoder, decode_field};
use super::tape::{
    Idx, describe, elements, enum_value, f64_value, i64_value, members, push_json_f64, push_json_str, render_scalar,
    u64_value,
};
use crate::model::{
    Attr, Dropped, Event, Link, Parent, Resource, Scope, Slice, SourceLoc, Span, SpanFlags, SpanId, SpanKind,
    StatusCode, Sym, TraceId, Value,
};
use simd_json::{Node, StaticNode};

#[derive(Default)]
struct SpanFields<'d> {
    trace_id: Option<&'d str>,
    span_id: Option<&'d str>,
    parent: Option<Idx>,
    name: Sym,
    kind: SpanKind,
    status: StatusCode,
    status_message: Sym,
    start: u64,
    end: u64,
    attrs: Slice,
    events: Slice,
    links: Slice,
    dropped: Dropped,
}

impl RecordDecoder<'_, '_, '_> {
    pub(super) fn top_object(&mut self, i: Idx) -> RecordClass {
        let nodes = self.nodes;
        let mut class = None;
        let mut keys: Vec<&str> = Vec::new();
        members(nodes, i, |key, v| {
            let found = match key {
                "resourceSpans" | "resource_spans" => {
                    self.resource_spans_list(v);
                    Some(RecordClass::Traces(Dialect::Otlp))
                }
                "batches" => {
                    self.resource_spans_list(v);
                    Some(RecordClass::Traces(Dialect::Otlp))
                }
                "result" | "trace" | "data" if matches!(nodes[v], Node::Object { .. }) => match self.top_object(v) {
                    RecordClass::NotTraces(_) => None,
                    c => Some(c),
                },
                "resourceLogs" | "resource_logs" => {
                    self.resource_logs_list(v);
                    Some(RecordClass::Other(Signal::Logs))
                }
                "resourceMetrics" | "resource_metrics" => Some(RecordClass::Other(Signal::Metrics)),
                "resourceProfiles" | "resource_profiles" => Some(RecordClass::Other(Signal::Profiles)),
                _ => None,
            };
            match found {
                Some(c) if class != Some(RecordClass::Traces(Dialect::Otlp)) => class = Some(c),
                Some(_) => {}
                None => keys.push(key),
            }
        });
        class.unwrap_or_else(|| {
            if matches!(nodes[i], Node::Object { .. }) {
                RecordClass::NotTraces(super::record::foreign_object_hint(&keys))
            } else {
                RecordClass::NotTraces(format!("expected an object, found {}", describe(&nodes[i])))
            }
        })
    }

    /// Reads every log record of a `resourceLogs` list: counts them, and keeps the ones
    /// that name a trace ([`LogRec`]).
    fn resource_logs_list(&mut self, i: Idx) {
        let nodes = self.nodes;
        elements(nodes, i, |rl| {
            members(nodes, rl, |key, sl| {
                if matches!(key, "scopeLogs" | "scope_logs") {
                    elements(nodes, sl, |scope| {
                        members(nodes, scope, |key, records| {
                            if matches!(key, "logRecords" | "log_records") {
                                elements(nodes, records, |r| self.log_record(r));
                            }
                        });
                    });
                }
            });
        });
    }

    fn log_record(&mut self, i: Idx) {
        let nodes = self.nodes;
        self.batch.accounting.logs_read += 1;
        let (mut trace, mut span, mut time, mut observed, mut severity) = (None, None, 0, 0, 0u8);
        let (mut event, mut body, mut severity_text) = (None, None, None);
        members(nodes, i, |key, v| match key {
            "traceId" | "trace_id" => trace = self.id_text(v),
            "spanId" | "span_id" => span = self.id_text(v),
            "timeUnixNano" | "time_unix_nano" => time = u64_value(&nodes[v]).unwrap_or(0),
            "observedTimeUnixNano" | "observed_time_unix_nano" => observed = u64_value(&nodes[v]).unwrap_or(0),
            "severityNumber" | "severity_number" => {
                severity = u64_value(&nodes[v]).map_or(0, |n| u8::try_from(n).unwrap_or(0));
            }
            "severityText" | "severity_text" => {
                if let Node::String(s) = nodes[v] {
                    severity_text = Some(s);
                }
            }
            "eventName" | "event_name" => {
                if let Node::String(s) = nodes[v] {
                    event = Some(s);
                }
            }
            "body" => {
                members(nodes, v, |k, b| {
                    if matches!(k, "stringValue" | "string_value")
                        && let Node::String(s) = nodes[b]
                    {
                        body = Some(s);
                    }
                });
            }
            _ => {}
        });
        // No trace id (or an empty or all-zero one): an uncorrelated log, only counted.
        let Some(Ok(trace_id)) = trace.filter(|t| !t.is_empty()).map(crate::model::decode_id::<16>) else { return };
        let span_id = span.filter(|s| !s.is_empty()).and_then(|s| crate::model::decode_id::<8>(s).ok()).map(SpanId);
        let loc = self.loc_of(i);
        let text = super::batch::LogText { event, body, severity_text };
        self.batch.push_log(TraceId(trace_id), span_id, (time, observed), severity, text, loc);
    }

    fn resource_spans_list(&mut self, i: Idx) {
        let nodes = self.nodes;
        if !elements(nodes, i, |e| self.resource_spans(e)) {
            self.field_issue(None, None, "resourceSpans", &nodes[i], "an array");
        }
    }

    pub(super) fn resource_spans(&mut self, i: Idx) {
        let nodes = self.nodes;
        let res_idx = arena_len(&self.batch.part.resources);
        let loc = self.loc_of(i);
        self.batch.part.resources.push(Resource { loc, ..Resource::default() });
        members(nodes, i, |key, v| match key {
            "resource" => self.resource(v, res_idx as usize),
            "scopeSpans" | "scope_spans" | "instrumentationLibrarySpans" | "instrumentation_library_spans" => {
                elements(nodes, v, |e| self.scope_spans(e, res_idx));
            }
            _ => {}
        });
    }

    fn resource(&mut self, i: Idx, res: usize) {
        let nodes = self.nodes;
        members(nodes, i, |key, v| match key {
            "attributes" => {
                let attrs = self.attributes(v);
                self.batch.part.resources[res].attrs = attrs;
                self.batch.identify_resource(res);
            }
            "droppedAttributesCount" | "dropped_attributes_count" => {
                self.batch.part.resources[res].dropped_attrs = dropped_count(&nodes[v]);
            }
            _ => {}
        });
    }

    fn scope_spans(&mut self, i: Idx, res: u32) {
        let nodes = self.nodes;
        let mut info = Scope::default();
        members(nodes, i, |key, v| {
            if matches!(key, "scope" | "instrumentationLibrary" | "instrumentation_library") {
                members(nodes, v, |k, n| match (k, &nodes[n]) {
                    ("name", Node::String(s)) => info.name = self.batch.part.strings.intern(s),
                    ("version", Node::String(s)) => info.version = self.batch.part.strings.intern(s),
                    ("attributes", _) => info.attrs = self.attributes(n),
                    ("droppedAttributesCount" | "dropped_attributes_count", node) => {
                        info.dropped_attrs = dropped_count(node);
                    }
                    _ => {}
                });
            }
        });
        let scope = arena_len(&self.batch.part.scopes);
        self.batch.part.scopes.push(info);
        members(nodes, i, |key, v| {
            if key == "spans" {
                elements(nodes, v, |e| self.span(e, res, scope));
            }
        });
    }

    fn span(&mut self, i: Idx, res: u32, scope: u32) {
        let nodes = self.nodes;
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let mut f = SpanFields::default();
        let mut bad_fields: Vec<(&'static str, Idx, &'static str)> = Vec::new();
        members(nodes, i, |key, v| match key {
            "traceId" | "trace_id" => f.trace_id = self.id_text(v),
            "spanId" | "span_id" => f.span_id = self.id_text(v),
            "parentSpanId" | "parent_span_id" => f.parent = Some(v),
            "name" => match nodes[v] {
                Node::String(s) => f.name = self.batch.part.strings.intern(s),
                _ => bad_fields.push(("name", v, "a string")),
            },
            "kind" => match enum_value(&nodes[v], SpanKind::from_otlp, SpanKind::from_name) {
                Some(k) => f.kind = k,
                None => bad_fields.push(("kind", v, "a span kind (0-5 or SPAN_KIND_*)")),
            },
            "startTimeUnixNano" | "start_time_unix_nano" => match u64_value(&nodes[v]) {
                Some(t) => f.start = t,
                None => bad_fields.push(("startTimeUnixNano", v, "an unsigned 64-bit integer")),
            },
            "endTimeUnixNano" | "end_time_unix_nano" => match u64_value(&nodes[v]) {
                Some(t) => f.end = t,
                None => bad_fields.push(("endTimeUnixNano", v, "an unsigned 64-bit integer")),
            },
            "attributes" => f.attrs = self.attributes(v),
            "events" => f.events = self.events(v, &mut f.dropped),
            "links" => f.links = self.links(v, loc, &mut f.dropped),
            "droppedAttributesCount" | "dropped_attributes_count" => {
                f.dropped.attrs = Dropped::count(dropped_count(&nodes[v]).into());
            }
            "droppedEventsCount" | "dropped_events_count" => {
                f.dropped.events = Dropped::count(dropped_count(&nodes[v]).into());
            }
            "droppedLinksCount" | "dropped_links_count" => {
                f.dropped.links = Dropped::count(dropped_count(&nodes[v]).into());
            }
            "status" => {
                members(nodes, v, |k, n| match k {
                    "code" => match enum_value(&nodes[n], StatusCode::from_otlp, StatusCode::from_name) {
                        Some(c) => f.status = c,
                        None => bad_fields.push(("status.code", n, "a status code (0-2 or STATUS_CODE_*)")),
                    },
                    "message" => {
                        if let Node::String(s) = nodes[n] {
                            f.status_message = self.batch.part.strings.intern(s);
                        }
                    }
                    _ => {}
                });
            }
            _ => {}
        });

        let trace_id = match decode_field::<16>(f.trace_id) {
            Ok(t) => TraceId(t),
            Err(e) => return self.drop_span(loc, "traceId", &e, None),
        };
        let span_id = match decode_field::<8>(f.span_id) {
            Ok(s) => SpanId(s),
            Err(e) => return self.drop_span(loc, "spanId", &e, Some(trace_id)),
        };
        for (field, v, want) in bad_fields {
            self.field_issue_at(loc, Some(trace_id), Some(span_id), field, &nodes[v], want);
        }
        let parent = match f.parent.map(|v| &nodes[v]) {
            None | Some(Node::Static(StaticNode::Null)) => Parent::Root,
            Some(Node::String(s)) => self.parent_ref(s, loc, trace_id, span_id, false),
            Some(n) => {
                let d = describe(n);
                self.batch.issue(
                    IssueKind::InvalidId,
                    loc,
                    format!("parentSpanId is {d}, expected a string"),
                    Some(trace_id),
                    Some(span_id),
                );
                Parent::Invalid
            }
        };
        let span_loc = self.batch.part.span_loc(loc);
        self.batch.part.spans.push(Span {
            trace_id,
            span_id,
            parent,
            name: f.name,
            kind: f.kind,
            status: f.status,
            status_message: f.status_message,
            start: f.start,
            end: f.end,
            resource: res,
            scope,
            attrs: f.attrs,
            events: f.events,
            links: f.links,
            flags: SpanFlags::default(),
            dropped: f.dropped,
            loc: span_loc,
        });
    }

    fn attributes(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.attrs);
        elements(nodes, i, |e| {
            let mut key = None;
            let mut value = Value::Empty;
            members(nodes, e, |k, v| match k {
                "key" => {
                    if let Node::String(s) = nodes[v] {
                        key = Some(self.batch.part.strings.intern(s));
                    }
                }
                "value" => value = self.any_value(v),
                _ => {}
            });
            self.batch.part.attrs.push(Attr::new(key.unwrap_or(Sym::EMPTY), value));
        });
        since(&self.batch.part.attrs, start)
    }

    fn any_value(&mut self, i: Idx) -> Value {
        let nodes = self.nodes;
        let mut out = Value::Empty;
        members(nodes, i, |k, v| {
            let n = &nodes[v];
            out = match k {
                "stringValue" | "string_value" => match n {
                    Node::String(s) => Value::Str(self.batch.part.strings.intern(s)),
                    _ => Value::Empty,
                },
                "boolValue" | "bool_value" => match n {
                    Node::Static(StaticNode::Bool(b)) => Value::Bool(*b),
                    Node::String(s) => s.parse().map(Value::Bool).unwrap_or(Value::Empty),
                    _ => Value::Empty,
                },
                "intValue" | "int_value" => i64_value(n).map_or(Value::Empty, Value::Int),
                "doubleValue" | "double_value" => f64_value(n).map_or(Value::Empty, Value::Double),
                "bytesValue" | "bytes_value" => match n {
                    Node::String(s) => Value::Bytes(self.batch.part.strings.intern(s)),
                    _ => Value::Empty,
                },
                "arrayValue" | "array_value" => {
                    let mut text = String::new();
                    render_any(nodes, i, &mut text);
                    Value::Array(self.batch.part.strings.intern(&text))
                }
                "kvlistValue" | "kvlist_value" => {
                    let mut text = String::new();
                    render_any(nodes, i, &mut text);
                    Value::Map(self.batch.part.strings.intern(&text))
                }
                _ => out,
            };
        });
        out
    }

    fn events(&mut self, i: Idx, dropped: &mut Dropped) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.events);
        elements(nodes, i, |e| {
            let mut ev = Event { name: Sym::EMPTY, time: 0, attrs: Slice::default() };
            members(nodes, e, |k, v| match k {
                "name" => {
                    if let Node::String(s) = nodes[v] {
                        ev.name = self.batch.part.strings.intern(s);
                    }
                }
                "timeUnixNano" | "time_unix_nano" => ev.time = u64_value(&nodes[v]).unwrap_or(0),
                "attributes" => ev.attrs = self.attributes(v),
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    dropped.nested_attrs = Dropped::add(dropped.nested_attrs, dropped_count(&nodes[v]).into());
                }
                _ => {}
            });
            self.batch.part.events.push(ev);
        });
        since(&self.batch.part.events, start)
    }

    fn links(&mut self, i: Idx, loc: SourceLoc, dropped: &mut Dropped) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.links);
        elements(nodes, i, |e| {
            let (mut t, mut s, mut attrs) = (None, None, Slice::default());
            members(nodes, e, |k, v| match k {
                "traceId" | "trace_id" => t = self.id_text(v),
                "spanId" | "span_id" => s = self.id_text(v),
                "attributes" => attrs = self.attributes(v),
                "droppedAttributesCount" | "dropped_attributes_count" => {
                    dropped.nested_attrs = Dropped::add(dropped.nested_attrs, dropped_count(&nodes[v]).into());
                }
                _ => {}
            });
            match (decode_field::<16>(t), decode_field::<8>(s)) {
                (Ok(t), Ok(s)) => self.batch.part.links.push(Link { trace_id: TraceId(t), span_id: SpanId(s), attrs }),
                (Err(e), _) | (_, Err(e)) => {
                    self.batch.issue(IssueKind::InvalidId, loc, format!("link ignored: its id {e}"), None, None);
                }
            }
        });
        since(&self.batch.part.links, start)
    }
}

/// A `dropped*Count` (uint32, as a number or a string); anything else counts as 0.
fn dropped_count(n: &Node<'_>) -> u32 {
    u64_value(n).map_or(0, |x| u32::try_from(x).unwrap_or(u32::MAX))
}

/// Renders an `AnyValue` as canonical compact JSON of its content (`[1,"a"]`, `{"k":true}`):
/// ints as numbers whether written as strings or numbers, so arrays and maps keep their type,
/// compare by content, and match what the protobuf decoder renders.
fn render_any(nodes: &[Node<'_>], i: Idx, out: &mut String) {
    let mut wrote = false;
    members(nodes, i, |k, v| {
        if wrote {
            return;
        }
        wrote = true;
        match k {
            "arrayValue" | "array_value" => {
                out.push('[');
                let mut first = true;
                members(nodes, v, |k2, arr| {
                    if k2 == "values" {
                        elements(nodes, arr, |e| {
                            if !std::mem::take(&mut first) {
                                out.push(',');
                            }
                            render_any(nodes, e, out);
                        });
                    }
                });
                out.push(']');
            }
            "kvlistValue" | "kvlist_value" => {
                out.push('{');
                let mut first = true;
                members(nodes, v, |k2, arr| {
                    if k2 == "values" {
                        elements(nodes, arr, |e| {
                            let (mut key, mut val) = ("", None);
                            members(nodes, e, |kk, vv| match kk {
                                "key" => {
                                    if let Node::String(s) = nodes[vv] {
                                        key = s;
                                    }
                                }
                                "value" => val = Some(vv),
                                _ => {}
                            });
                            if !std::mem::take(&mut first) {
                                out.push(',');
                            }
                            push_json_str(out, key);
                            out.push(':');
                            match val {
                                Some(vv) => render_any(nodes, vv, out),
                                None => out.push_str("null"),
                            }
                        });
                    }
                });
                out.push('}');
            }
            "stringValue" | "string_value" | "bytesValue" | "bytes_value" => match &nodes[v] {
                Node::String(s) => push_json_str(out, s),
                n => render_scalar(n, out),
            },
            "boolValue" | "bool_value" => match &nodes[v] {
                Node::String(s) => out.push_str(if *s == "true" { "true" } else { "false" }),
                n => render_scalar(n, out),
            },
            "intValue" | "int_value" => match i64_value(&nodes[v]) {
                Some(i) => {
                    use std::fmt::Write;
                    let _ = write!(out, "{i}");
                }
                None => out.push_str("null"),
            },
            "doubleValue" | "double_value" => match f64_value(&nodes[v]) {
                Some(f) => push_json_f64(out, f),
                None => out.push_str("null"),
            },
            _ => render_scalar(&nodes[v], out),
        }
    });
    if !wrote {
        out.push_str("null");
    }
}
