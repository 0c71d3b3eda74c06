//! Jaeger JSON: the query API's `/api/traces` response (`{"data": [{traceID, spans,
//! processes}]}`) and the Jaeger UI's trace model (`{"data": {traceID, spans, ...}}`, with
//! processes inlined in spans). Times are microseconds; `CHILD_OF` references make the
//! parent, a lone `FOLLOWS_FROM` makes an asynchronous parent, other references are links;
//! tags keep their types; `span.kind`, `error` and `otel.status_*` tags set kind and status.

use super::batch::{arena_len, since};
use super::record::RecordDecoder;
use super::tape::{Idx, elements, f64_value, i64_value, members, u64_value};
use crate::model::{
    Attr, Dropped, Event, Link, NO_SCOPE, Parent, Resource, Slice, Span, SpanFlags, SpanId, Sym, TraceId, Value,
    decode_id_padded,
};
use simd_json::{Node, StaticNode};

/// A reference of a Jaeger span to another.
struct Reference<'d> {
    follows_from: bool,
    trace_id: &'d str,
    span_id: &'d str,
}

impl<'d> RecordDecoder<'_, '_, 'd> {
    /// Decodes a record that [`super::record`] recognised as Jaeger JSON.
    pub(super) fn jaeger(&mut self, i: Idx) {
        let nodes = self.nodes;
        members(nodes, i, |k, v| {
            if k == "data" {
                match nodes[v] {
                    Node::Array { .. } => {
                        elements(nodes, v, |t| self.jaeger_trace(t));
                    }
                    _ => self.jaeger_trace(v),
                }
            }
        });
    }

    /// Jaeger's protobuf JSON (`model.proto`, as its api_v2 gateway and storage fixtures
    /// write it): `{"spans": [...]}` with base64 ids, RFC 3339 times, typed tags.
    pub(super) fn jaeger_proto_spans(&mut self, i: Idx) {
        let nodes = self.nodes;
        members(nodes, i, |k, v| {
            if k == "spans" {
                elements(nodes, v, |s| self.jaeger_span(s, &[]));
            }
        });
    }

    /// A bare array of Jaeger spans, each with its `process` inline.
    pub(super) fn jaeger_span_array(&mut self, i: Idx) {
        let nodes = self.nodes;
        elements(nodes, i, |s| self.jaeger_span(s, &[]));
    }

    pub(super) fn jaeger_trace(&mut self, i: Idx) {
        let nodes = self.nodes;
        let mut processes: Vec<(&'d str, u32)> = Vec::new();
        members(nodes, i, |k, v| {
            if k == "processes" {
                members(nodes, v, |id, p| {
                    let r = self.jaeger_process(p);
                    processes.push((id, r));
                });
            }
        });
        members(nodes, i, |k, v| {
            if k == "spans" {
                elements(nodes, v, |s| self.jaeger_span(s, &processes));
            }
        });
    }

    /// A process (`{serviceName, tags}`) as a resource; returns its index.
    fn jaeger_process(&mut self, i: Idx) -> u32 {
        let nodes = self.nodes;
        let loc = self.loc_of(i);
        let start = arena_len(&self.batch.part.attrs);
        members(nodes, i, |k, v| match k {
            "serviceName" => {
                if let Node::String(s) = nodes[v] {
                    let value = Value::Str(self.batch.part.strings.intern(s));
                    let key = self.batch.part.strings.intern("service.name");
                    self.batch.part.attrs.push(Attr::new(key, value));
                }
            }
            "tags" => {
                self.jaeger_tags(v);
            }
            _ => {}
        });
        let attrs = since(&self.batch.part.attrs, start);
        self.push_resource(Resource { attrs, loc, ..Resource::default() })
    }

    /// Pushes typed tags (`[{key, type, value}]`) as attributes.
    fn jaeger_tags(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.attrs);
        elements(nodes, i, |t| {
            let (mut key, mut ty, mut val) = ("", "", None);
            members(nodes, t, |k, v| match (k, &nodes[v]) {
                ("key", Node::String(s)) => key = s,
                ("type", Node::String(s)) => ty = s,
                ("value", _) => val = Some(v),
                // Protobuf JSON: the value in a field named for its type.
                ("vStr", _) => (ty, val) = ("string", Some(v)),
                ("vInt64", _) => (ty, val) = ("int64", Some(v)),
                ("vFloat64", _) => (ty, val) = ("float64", Some(v)),
                ("vBool", _) => (ty, val) = ("bool", Some(v)),
                ("vBinary", _) => (ty, val) = ("binary", Some(v)),
                _ => {}
            });
            let value = match val.map(|v| &nodes[v]) {
                None => Value::Empty,
                Some(n) => match ty.to_ascii_lowercase().as_str() {
                    "bool" => match n {
                        Node::Static(StaticNode::Bool(b)) => Value::Bool(*b),
                        Node::String(s) => s.parse().map_or(Value::Empty, Value::Bool),
                        _ => Value::Empty,
                    },
                    "int64" => i64_value(n).map_or(Value::Empty, Value::Int),
                    "float64" => f64_value(n).map_or(Value::Empty, Value::Double),
                    "binary" => match n {
                        Node::String(s) => Value::Bytes(self.batch.part.strings.intern(s)),
                        _ => Value::Empty,
                    },
                    _ => match n {
                        Node::String(s) => Value::Str(self.batch.part.strings.intern(s)),
                        Node::Static(StaticNode::Bool(b)) => Value::Bool(*b),
                        n => i64_value(n)
                            .map(Value::Int)
                            .or_else(|| f64_value(n).map(Value::Double))
                            .unwrap_or(Value::Empty),
                    },
                },
            };
            let key = self.batch.part.strings.intern(key);
            self.batch.part.attrs.push(Attr::new(key, value));
        });
        since(&self.batch.part.attrs, start)
    }

    fn jaeger_span(&mut self, i: Idx, processes: &[(&'d str, u32)]) {
        let nodes = self.nodes;
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let (mut trace, mut span, mut parent_field) = (None, None, None);
        let (mut name, mut start_ns, mut duration_ns) = (Sym::EMPTY, None, None);
        let (mut attrs, mut events) = (Slice::default(), Slice::default());
        let mut refs: Vec<Reference<'d>> = Vec::new();
        let mut resource = None;
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("traceID" | "traceId", Node::String(s)) => trace = Some(*s),
            ("spanID" | "spanId", Node::String(s)) => span = Some(*s),
            ("parentSpanID", Node::String(s)) => parent_field = Some(*s),
            ("operationName", Node::String(s)) => name = self.batch.part.strings.intern(s),
            // Microseconds in the query API; RFC 3339 and "5000ns" in protobuf JSON.
            ("startTime", n) => {
                start_ns = u64_value(n).map(|us| us.saturating_mul(1000)).or_else(|| match n {
                    Node::String(t) => crate::model::time::parse_rfc3339(t),
                    _ => None,
                })
            }
            ("duration", n) => {
                duration_ns = u64_value(n).map(|us| us.saturating_mul(1000)).or_else(|| match n {
                    Node::String(d) => crate::model::time::parse_duration(d).ok(),
                    _ => None,
                })
            }
            ("tags", _) => attrs = self.jaeger_tags(v),
            ("logs", _) => events = self.jaeger_logs(v),
            ("references", _) => {
                elements(nodes, v, |r| {
                    let (mut ty, mut t, mut s) = ("", "", "");
                    members(nodes, r, |rk, rv| match (rk, &nodes[rv]) {
                        ("refType", Node::String(x)) => ty = x,
                        ("traceID" | "traceId", Node::String(x)) => t = x,
                        ("spanID" | "spanId", Node::String(x)) => s = x,
                        _ => {}
                    });
                    refs.push(Reference {
                        follows_from: ty.eq_ignore_ascii_case("FOLLOWS_FROM"),
                        trace_id: t,
                        span_id: s,
                    });
                });
            }
            ("processID", Node::String(p)) => {
                resource = resource.or_else(|| processes.iter().find(|(id, _)| id == p).map(|&(_, r)| r));
            }
            ("process", Node::Object { .. }) => resource = Some(self.jaeger_process(v)),
            _ => {}
        });
        let Some((trace_id, span_id)) = self.padded_ids(loc, ("traceID", trace), ("spanID", span)) else { return };
        // The parent: the first CHILD_OF in this trace, else the first FOLLOWS_FROM.
        let mut flags = SpanFlags::default();
        let chosen = refs
            .iter()
            .position(|r| !r.follows_from && decode_id_padded::<16>(r.trace_id).is_ok_and(|t| TraceId(t) == trace_id))
            .or_else(|| {
                refs.iter().position(|r| decode_id_padded::<16>(r.trace_id).is_ok_and(|t| TraceId(t) == trace_id))
            });
        let parent = match chosen.map(|c| &refs[c]) {
            Some(r) => {
                if r.follows_from {
                    flags.0 |= SpanFlags::FOLLOWS_FROM;
                }
                self.parent_ref(r.span_id, loc, trace_id, span_id, true)
            }
            None => match parent_field {
                Some(p) => self.parent_ref(p, loc, trace_id, span_id, true),
                None => Parent::Root,
            },
        };
        let link_start = arena_len(&self.batch.part.links);
        for (k, r) in refs.iter().enumerate() {
            if Some(k) == chosen {
                continue;
            }
            if let (Ok(t), Ok(s)) = (decode_id_padded::<16>(r.trace_id), decode_id_padded::<8>(r.span_id)) {
                self.batch.part.links.push(Link { trace_id: TraceId(t), span_id: SpanId(s), attrs: Slice::default() });
            }
        }
        let links = since(&self.batch.part.links, link_start);
        let (kind, status, status_message) = self.kind_and_status_from_tags(attrs);
        let start = start_ns.unwrap_or(0);
        let end = match (start_ns, duration_ns) {
            (Some(s), Some(d)) => s.saturating_add(d),
            _ => 0,
        };
        let resource = match resource {
            Some(r) => r,
            None => self.push_resource(Resource { loc, ..Resource::default() }),
        };
        let span_loc = self.batch.part.span_loc(loc);
        self.batch.part.spans.push(Span {
            trace_id,
            span_id,
            parent,
            name,
            kind,
            status,
            status_message,
            start,
            end,
            resource,
            scope: NO_SCOPE,
            attrs,
            events,
            links,
            flags,
            dropped: Dropped::default(),
            loc: span_loc,
        });
    }

    /// Logs (`[{timestamp, fields}]`) as events named by their `event` field.
    fn jaeger_logs(&mut self, i: Idx) -> Slice {
        let nodes = self.nodes;
        let mut logs: Vec<(u64, Idx)> = Vec::new();
        elements(nodes, i, |l| {
            let (mut ts, mut fields) = (0, None);
            members(nodes, l, |k, v| match k {
                "timestamp" => {
                    let n = &nodes[v];
                    ts = u64_value(n).map(|us| us.saturating_mul(1000)).unwrap_or_else(|| match n {
                        Node::String(t) => crate::model::time::parse_rfc3339(t).unwrap_or(0),
                        _ => 0,
                    })
                }
                "fields" => fields = Some(v),
                _ => {}
            });
            if let Some(f) = fields {
                logs.push((ts, f));
            }
        });
        let start = arena_len(&self.batch.part.events);
        for (time, fields) in logs {
            let attrs = self.jaeger_tags(fields);
            let event_key = self.batch.part.strings.get("event");
            let name = self.batch.part.attrs[attrs.range()]
                .iter()
                .find(|a| Some(a.key) == event_key)
                .and_then(|a| if let Value::Str(s) = a.value() { Some(s) } else { None })
                .unwrap_or_else(|| self.batch.part.strings.intern("log"));
            self.batch.part.events.push(Event { name, time, attrs });
        }
        since(&self.batch.part.events, start)
    }
}
