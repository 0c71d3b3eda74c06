//! Zipkin JSON: v2 (`[{traceId, id, parentId, name, kind, timestamp, duration,
//! localEndpoint, tags, annotations, shared}]`, also as an array of arrays) and v1
//! (`annotations` with `cs`/`sr`/`ss`/`cr` and endpoints, `binaryAnnotations`). Times are
//! microseconds; 64-bit trace ids are widened; a missing timestamp or duration is derived from
//! v1 annotations when they allow it and otherwise left missing (and reported). A server span
//! that reuses its client's span id (`shared` in v2, implicit in v1) becomes that client's
//! child instead of a duplicate.

use super::batch::{arena_len, since};
use super::record::RecordDecoder;
use super::tape::{Idx, elements, members, u64_value};
use crate::model::{Attr, Dropped, Event, NO_SCOPE, Parent, Resource, Slice, Span, SpanFlags, SpanKind, Sym, Value};
use simd_json::{Node, StaticNode};

/// An endpoint's identity: service name and address.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Endpoint<'d> {
    service: Option<&'d str>,
    ip: Option<&'d str>,
}

impl<'d> RecordDecoder<'_, '_, 'd> {
    /// Decodes a record that [`super::record`] recognised as Zipkin JSON.
    pub(super) fn zipkin(&mut self, i: Idx) {
        let nodes = self.nodes;
        let mut resources: Vec<(Endpoint<'d>, u32)> = Vec::new();
        elements(nodes, i, |e| match nodes[e] {
            Node::Array { .. } => {
                elements(nodes, e, |s| self.zipkin_span(s, &mut resources));
            }
            _ => self.zipkin_span(e, &mut resources),
        });
    }

    /// Decodes one Zipkin span object given on its own.
    pub(super) fn zipkin_one(&mut self, i: Idx) {
        let mut resources: Vec<(Endpoint<'d>, u32)> = Vec::new();
        self.zipkin_span(i, &mut resources);
    }

    fn endpoint(&self, i: Idx) -> Endpoint<'d> {
        let nodes = self.nodes;
        let mut ep = Endpoint::default();
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("serviceName", Node::String(s)) if !s.is_empty() => ep.service = Some(s),
            ("ipv4", Node::String(s)) => ep.ip = Some(s),
            ("ipv6", Node::String(s)) => ep.ip = ep.ip.or(Some(s)),
            _ => {}
        });
        ep
    }

    fn zipkin_span(&mut self, i: Idx, resources: &mut Vec<(Endpoint<'d>, u32)>) {
        let nodes = self.nodes;
        if !matches!(nodes[i], Node::Object { .. }) {
            let loc = self.loc;
            return self.field_issue_at(loc, None, None, "a Zipkin span", &nodes[i], "an object");
        }
        self.batch.accounting.spans_read += 1;
        let loc = self.loc_of(i);
        let (mut trace, mut id, mut parent) = (None, None, None);
        let (mut name, mut kind, mut shared) = (Sym::EMPTY, SpanKind::Unspecified, false);
        let (mut timestamp, mut duration) = (None, None);
        let mut local = None;
        let mut tags: Option<Idx> = None;
        let mut binary: Option<Idx> = None;
        // Annotations: (time µs, value, endpoint).
        let mut annotations: Vec<(u64, &'d str, Option<Endpoint<'d>>)> = Vec::new();
        members(nodes, i, |k, v| match (k, &nodes[v]) {
            ("traceId", Node::String(s)) => trace = Some(*s),
            ("id", Node::String(s)) => id = Some(*s),
            ("parentId", Node::String(s)) => parent = Some(*s),
            ("name", Node::String(s)) => name = self.batch.part.strings.intern(s),
            ("kind", Node::String(s)) => kind = SpanKind::from_name(s).unwrap_or(SpanKind::Unspecified),
            ("timestamp", n) => timestamp = u64_value(n).filter(|&t| t > 0),
            ("duration", n) => duration = u64_value(n),
            ("shared", Node::Static(StaticNode::Bool(b))) => shared = *b,
            ("localEndpoint", Node::Object { .. }) => local = Some(self.endpoint(v)),
            ("tags", Node::Object { .. }) => tags = Some(v),
            ("binaryAnnotations", Node::Array { .. }) => binary = Some(v),
            ("annotations", Node::Array { .. }) => {
                elements(nodes, v, |a| {
                    let (mut ts, mut value, mut ep) = (None, "", None);
                    members(nodes, a, |ak, av| match (ak, &nodes[av]) {
                        ("timestamp", n) => ts = u64_value(n),
                        ("value", Node::String(s)) => value = s,
                        ("endpoint", Node::Object { .. }) => ep = Some(self.endpoint(av)),
                        _ => {}
                    });
                    if let Some(ts) = ts {
                        annotations.push((ts, value, ep));
                    }
                });
            }
            _ => {}
        });
        let Some((trace_id, span_id)) = self.padded_ids(loc, ("traceId", trace), ("id", id)) else { return };
        let parent = match parent {
            Some(p) => self.parent_ref(p, loc, trace_id, span_id, true),
            None => Parent::Root,
        };
        // v1: the core annotations give kind, endpoint and, when missing, the times.
        let core = |v: &str| matches!(v, "cs" | "cr" | "sr" | "ss");
        if kind == SpanKind::Unspecified {
            let has = |x: &str| annotations.iter().any(|a| a.1 == x);
            kind = if has("cs") || has("cr") {
                SpanKind::Client
            } else if has("sr") || has("ss") {
                SpanKind::Server
            } else {
                SpanKind::Unspecified
            };
        }
        let v1_side = if kind == SpanKind::Server { ["sr", "ss"] } else { ["cs", "cr"] };
        let local = local
            .or_else(|| annotations.iter().find(|a| v1_side.contains(&a.1)).and_then(|a| a.2))
            .or_else(|| annotations.iter().find_map(|a| a.2));
        let core_times: Vec<u64> = annotations.iter().filter(|a| core(a.1)).map(|a| a.0).collect();
        let (first, last) = (core_times.iter().min().copied(), core_times.iter().max().copied());
        let start_us = timestamp.or(first);
        let end_us = match (start_us, duration) {
            (Some(s), Some(d)) => Some(s.saturating_add(d)),
            (Some(_), None) if core_times.len() >= 2 => last,
            _ => None,
        };
        let attr_start = arena_len(&self.batch.part.attrs);
        if let Some(t) = tags {
            members(nodes, t, |k, v| self.zipkin_tag(k, v));
        }
        if let Some(b) = binary {
            elements(nodes, b, |e| {
                let (mut key, mut value) = ("", None);
                members(nodes, e, |k, v| match (k, &nodes[v]) {
                    ("key", Node::String(s)) => key = s,
                    ("value", _) => value = Some(v),
                    _ => {}
                });
                if let Some(v) = value {
                    self.zipkin_tag(key, v);
                }
            });
        }
        let attrs = since(&self.batch.part.attrs, attr_start);
        let event_start = arena_len(&self.batch.part.events);
        for &(ts, value, _) in &annotations {
            let name = self.batch.part.strings.intern(value);
            self.batch.part.events.push(Event { name, time: ts.saturating_mul(1000), attrs: Slice::default() });
        }
        let events = since(&self.batch.part.events, event_start);
        let (_, status, status_message) = self.kind_and_status_from_tags(attrs);
        let ep = local.unwrap_or_default();
        let resource = match resources.iter().find(|(e, _)| *e == ep) {
            Some(&(_, r)) => r,
            None => {
                let r = self.zipkin_resource(ep, loc);
                resources.push((ep, r));
                r
            }
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
            start: start_us.map_or(0, |t| t.saturating_mul(1000)),
            end: end_us.map_or(0, |t| t.saturating_mul(1000)),
            resource,
            scope: NO_SCOPE,
            attrs,
            events,
            links: Slice::default(),
            // Zipkin server spans may reuse their client's id: with `shared` in v2, always
            // in v1, and in v2 tracers that omit the flag.
            flags: SpanFlags(if shared || kind == SpanKind::Server { SpanFlags::SHARED } else { 0 }),
            dropped: Dropped::default(),
            loc: span_loc,
        });
    }

    /// A tag (Zipkin tags are strings; v1 binary annotations may be other scalars).
    fn zipkin_tag(&mut self, key: &str, v: Idx) {
        let value = match &self.nodes[v] {
            Node::String(s) => Value::Str(self.batch.part.strings.intern(s)),
            Node::Static(StaticNode::Bool(b)) => Value::Bool(*b),
            Node::Static(StaticNode::I64(n)) => Value::Int(*n),
            Node::Static(StaticNode::U64(n)) => i64::try_from(*n).map_or(Value::Double(*n as f64), Value::Int),
            Node::Static(StaticNode::F64(f)) => Value::Double(*f),
            _ => Value::Empty,
        };
        let key = self.batch.part.strings.intern(key);
        self.batch.part.attrs.push(Attr::new(key, value));
    }

    fn zipkin_resource(&mut self, ep: Endpoint<'d>, loc: crate::model::SourceLoc) -> u32 {
        let start = arena_len(&self.batch.part.attrs);
        for (key, value) in [("service.name", ep.service), ("host.ip", ep.ip)] {
            if let Some(v) = value {
                let key = self.batch.part.strings.intern(key);
                let value = Value::Str(self.batch.part.strings.intern(v));
                self.batch.part.attrs.push(Attr::new(key, value));
            }
        }
        let attrs = since(&self.batch.part.attrs, start);
        self.push_resource(Resource { attrs, loc, ..Resource::default() })
    }
}
