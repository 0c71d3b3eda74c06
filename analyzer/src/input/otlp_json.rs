//! OTLP JSON (`TracesData`) decoding: one walk over the simd-json tape, dispatching on keys
//! straight into compact span records. Accepts camelCase and snake_case keys, the old
//! `instrumentationLibrarySpans`, ids in hex or base64, 64-bit numbers as strings or
//! numbers, enums as numbers or names, and the usual API wrappers.

use super::accounting::{InputIssue, IssueKind, Signal};
use super::batch::{Batch, arena_len, since};
use crate::model::{
    Attr, Event, IdError, Link, Parent, Resource, Slice, SourceLoc, Span, SpanId, SpanKind, StatusCode, Sym, TraceId,
    Value, decode_id,
};
use simd_json::{Node, StaticNode};

/// What a record turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordClass {
    /// Trace data (possibly with zero spans).
    Traces,
    /// Logs, metrics or profiles: counted and skipped.
    Other(Signal),
    /// Valid JSON that holds no trace data; the text says what it looks like.
    NotTraces(String),
}

/// Decodes one parsed record into `batch`.
#[derive(Debug)]
pub struct RecordDecoder<'b, 't, 'd> {
    batch: &'b mut Batch,
    nodes: &'t [Node<'d>],
    /// Address of the parse buffer (strings on the tape point into it).
    buf_base: usize,
    /// The record as read.
    orig: &'t [u8],
    loc: SourceLoc,
    multiline: bool,
    line_cursor: (usize, u64),
}

type Idx = usize;

fn skip(nodes: &[Node<'_>], i: Idx) -> Idx {
    match nodes[i] {
        Node::Object { count, .. } | Node::Array { count, .. } => i + count + 1,
        _ => i + 1,
    }
}

/// Calls `f(key, value_index)` for each member if `nodes[i]` is an object.
fn members<'d>(nodes: &[Node<'d>], i: Idx, mut f: impl FnMut(&'d str, Idx)) -> bool {
    let Node::Object { len, .. } = nodes[i] else {
        return false;
    };
    let mut j = i + 1;
    for _ in 0..len {
        let Node::String(key) = nodes[j] else {
            return false;
        };
        f(key, j + 1);
        j = skip(nodes, j + 1);
    }
    true
}

/// Calls `f(element_index)` for each element if `nodes[i]` is an array.
fn elements(nodes: &[Node<'_>], i: Idx, mut f: impl FnMut(Idx)) -> bool {
    let Node::Array { len, .. } = nodes[i] else {
        return false;
    };
    let mut j = i + 1;
    for _ in 0..len {
        f(j);
        j = skip(nodes, j);
    }
    true
}

fn describe(node: &Node<'_>) -> &'static str {
    match node {
        Node::String(_) => "a string",
        Node::Object { .. } => "an object",
        Node::Array { .. } => "an array",
        Node::Static(StaticNode::Null) => "null",
        Node::Static(StaticNode::Bool(_)) => "a boolean",
        Node::Static(_) => "a number",
    }
}

/// Fields of a span gathered before it is validated and stored.
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
}

impl<'b, 't, 'd> RecordDecoder<'b, 't, 'd> {
    /// `buf_base` is the address of the parse buffer, `orig` the record as read, `loc`
    /// where it starts, `multiline` whether the record may span lines (documents do,
    /// JSON lines never), so span locations need their own line numbers.
    pub fn new(
        batch: &'b mut Batch,
        nodes: &'t [Node<'d>],
        buf_base: usize,
        orig: &'t [u8],
        loc: SourceLoc,
        multiline: bool,
    ) -> Self {
        RecordDecoder { batch, nodes, buf_base, orig, loc, multiline, line_cursor: (0, loc.line) }
    }

    /// Decodes the record.
    pub fn decode(&mut self) -> RecordClass {
        let nodes = self.nodes;
        match nodes.first() {
            Some(Node::Object { .. }) => self.top_object(0),
            Some(Node::Array { .. }) => {
                // An array of TracesData documents.
                let mut any = false;
                let mut other = None;
                elements(nodes, 0, |e| match self.top_object(e) {
                    RecordClass::Traces => any = true,
                    c => other = other.clone().or(Some(c)),
                });
                if any {
                    RecordClass::Traces
                } else {
                    match other {
                        Some(RecordClass::NotTraces(_)) | None => RecordClass::NotTraces(foreign_array_hint(nodes)),
                        Some(c) => c,
                    }
                }
            }
            Some(n) => RecordClass::NotTraces(format!("the record is {}, not an object", describe(n))),
            None => RecordClass::NotTraces("empty record".into()),
        }
    }

    fn top_object(&mut self, i: Idx) -> RecordClass {
        let nodes = self.nodes;
        let mut class = None;
        let mut keys: Vec<&str> = Vec::new();
        members(nodes, i, |key, v| {
            let found = match key {
                "resourceSpans" | "resource_spans" => {
                    self.resource_spans_list(v);
                    Some(RecordClass::Traces)
                }
                "batches" => {
                    self.resource_spans_list(v);
                    Some(RecordClass::Traces)
                }
                "result" | "trace" | "data" if matches!(nodes[v], Node::Object { .. }) => match self.top_object(v) {
                    RecordClass::NotTraces(_) => None,
                    c => Some(c),
                },
                "resourceLogs" | "resource_logs" => Some(RecordClass::Other(Signal::Logs)),
                "resourceMetrics" | "resource_metrics" => Some(RecordClass::Other(Signal::Metrics)),
                "resourceProfiles" | "resource_profiles" => Some(RecordClass::Other(Signal::Profiles)),
                _ => None,
            };
            match found {
                Some(c) if class != Some(RecordClass::Traces) => class = Some(c),
                Some(_) => {}
                None => keys.push(key),
            }
        });
        class.unwrap_or_else(|| {
            if matches!(nodes[i], Node::Object { .. }) {
                RecordClass::NotTraces(foreign_object_hint(nodes, i, &keys))
            } else {
                RecordClass::NotTraces(format!("expected an object, found {}", describe(&nodes[i])))
            }
        })
    }

    fn resource_spans_list(&mut self, i: Idx) {
        let nodes = self.nodes;
        if !elements(nodes, i, |e| self.resource_spans(e)) {
            self.field_issue(None, None, "resourceSpans", &nodes[i], "an array");
        }
    }

    fn resource_spans(&mut self, i: Idx) {
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
        members(nodes, i, |key, v| {
            if key == "attributes" {
                let attrs = self.attributes(v);
                let r = &mut self.batch.part.resources[res];
                r.attrs = attrs;
                let mut instance = None;
                for a in &self.batch.part.attrs[attrs.range()] {
                    let Value::Str(s) = a.value else { continue };
                    match self.batch.part.strings.resolve(a.key) {
                        "service.name" => r.service_name = Some(s),
                        "host.name" => r.host = Some(s),
                        "service.instance.id" => instance = Some(s),
                        _ => {}
                    }
                }
                r.host = r.host.or(instance).or(r.service_name);
            }
        });
    }

    fn scope_spans(&mut self, i: Idx, res: u32) {
        let nodes = self.nodes;
        let mut scope = Sym::EMPTY;
        members(nodes, i, |key, v| {
            if matches!(key, "scope" | "instrumentationLibrary" | "instrumentation_library") {
                members(nodes, v, |k, n| {
                    if k == "name"
                        && let Node::String(s) = nodes[n]
                    {
                        scope = self.batch.part.strings.intern(s);
                    }
                });
            }
        });
        members(nodes, i, |key, v| {
            if key == "spans" {
                elements(nodes, v, |e| self.span(e, res, scope));
            }
        });
    }

    fn span(&mut self, i: Idx, res: u32, scope: Sym) {
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
            "events" => f.events = self.events(v),
            "links" => f.links = self.links(v, loc),
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
            Some(Node::String(s)) if s.is_empty() || *s == "0" => Parent::Root,
            Some(Node::String(s)) => match decode_id::<8>(s) {
                Ok(p) => Parent::Span(SpanId(p)),
                Err(IdError::AllZeros) => Parent::Root,
                Err(e) => {
                    self.issue(
                        IssueKind::InvalidId,
                        loc,
                        format!("parentSpanId {s:?} {e}"),
                        Some(trace_id),
                        Some(span_id),
                    );
                    Parent::Invalid
                }
            },
            Some(n) => {
                let d = describe(n);
                self.issue(
                    IssueKind::InvalidId,
                    loc,
                    format!("parentSpanId is {d}, expected a string"),
                    Some(trace_id),
                    Some(span_id),
                );
                Parent::Invalid
            }
        };
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
            loc,
        });
    }

    fn id_text(&self, v: Idx) -> Option<&'d str> {
        match self.nodes[v] {
            Node::String(s) => Some(s),
            _ => Some(""),
        }
    }

    fn drop_span(&mut self, loc: SourceLoc, field: &str, err: &FieldError, trace: Option<TraceId>) {
        self.batch.accounting.spans_dropped += 1;
        let msg = format!("span dropped: {field} {err}");
        self.issue(IssueKind::InvalidId, loc, msg, trace, None);
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
            self.batch.part.attrs.push(Attr { key: key.unwrap_or(Sym::EMPTY), value });
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

    fn events(&mut self, i: Idx) -> Slice {
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
                _ => {}
            });
            self.batch.part.events.push(ev);
        });
        since(&self.batch.part.events, start)
    }

    fn links(&mut self, i: Idx, loc: SourceLoc) -> Slice {
        let nodes = self.nodes;
        let start = arena_len(&self.batch.part.links);
        elements(nodes, i, |e| {
            let (mut t, mut s) = (None, None);
            members(nodes, e, |k, v| match k {
                "traceId" | "trace_id" => t = self.id_text(v),
                "spanId" | "span_id" => s = self.id_text(v),
                _ => {}
            });
            match (decode_field::<16>(t), decode_field::<8>(s)) {
                (Ok(t), Ok(s)) => self.batch.part.links.push(Link { trace_id: TraceId(t), span_id: SpanId(s) }),
                (Err(e), _) | (_, Err(e)) => {
                    self.issue(IssueKind::InvalidId, loc, format!("link ignored: its id {e}"), None, None);
                }
            }
        });
        since(&self.batch.part.links, start)
    }

    /// The location of the value at `i`: its line and byte offset, found from where its
    /// first key sits in the parse buffer (keys are never moved by unescaping).
    fn loc_of(&mut self, i: Idx) -> SourceLoc {
        let Some(Node::String(first_key)) = self.nodes.get(i + 1) else {
            return self.loc;
        };
        let base = self.buf_base;
        let p = first_key.as_ptr() as usize;
        if p < base || p > base + self.orig.len() {
            return self.loc;
        }
        let off = p - base;
        let mut loc = self.loc;
        loc.offset += off as u64;
        if self.multiline {
            let (from, line) = self.line_cursor;
            let line = if off >= from {
                line + memchr::memchr_iter(b'\n', &self.orig[from..off]).count() as u64
            } else {
                self.loc.line + memchr::memchr_iter(b'\n', &self.orig[..off]).count() as u64
            };
            self.line_cursor = (off, line);
            loc.line = line;
        }
        loc
    }

    fn issue(
        &mut self,
        kind: IssueKind,
        loc: SourceLoc,
        message: String,
        trace_id: Option<TraceId>,
        span_id: Option<SpanId>,
    ) {
        self.batch.issues.push(InputIssue { kind, loc, message, trace_id, span_id });
    }

    fn field_issue(&mut self, t: Option<TraceId>, s: Option<SpanId>, field: &str, node: &Node<'_>, want: &str) {
        let loc = self.loc;
        self.field_issue_at(loc, t, s, field, node, want);
    }

    fn field_issue_at(
        &mut self,
        loc: SourceLoc,
        t: Option<TraceId>,
        s: Option<SpanId>,
        field: &str,
        node: &Node<'_>,
        want: &str,
    ) {
        let shown = match node {
            Node::String(s) => format!("{s:?}"),
            Node::Static(StaticNode::I64(n)) => n.to_string(),
            Node::Static(StaticNode::U64(n)) => n.to_string(),
            Node::Static(StaticNode::F64(n)) => n.to_string(),
            n => describe(n).to_string(),
        };
        self.issue(IssueKind::InvalidField, loc, format!("{field} is {shown}, expected {want}; ignored"), t, s);
    }
}

/// Why an id field could not be used.
#[derive(Debug)]
enum FieldError {
    Missing,
    Bad(String, IdError),
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldError::Missing => f.write_str("is missing"),
            FieldError::Bad(text, e) => write!(f, "{text:?} {e}"),
        }
    }
}

fn decode_field<const N: usize>(text: Option<&str>) -> Result<[u8; N], FieldError> {
    match text {
        None => Err(FieldError::Missing),
        Some(t) => decode_id::<N>(t).map_err(|e| FieldError::Bad(t.to_string(), e)),
    }
}

fn enum_value<T>(node: &Node<'_>, from_int: fn(i64) -> Option<T>, from_name: fn(&str) -> Option<T>) -> Option<T> {
    match node {
        Node::String(s) => from_name(s).or_else(|| s.parse().ok().and_then(from_int)),
        n => i64_value(n).and_then(from_int),
    }
}

/// A 64-bit unsigned integer written as a JSON number or a decimal string; `null` is 0.
pub fn u64_value(node: &Node<'_>) -> Option<u64> {
    match *node {
        Node::Static(StaticNode::U64(n)) => Some(n),
        Node::Static(StaticNode::I64(n)) => u64::try_from(n).ok(),
        Node::Static(StaticNode::F64(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8446744073709552e19 => Some(f as u64),
        Node::Static(StaticNode::Null) => Some(0),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn i64_value(node: &Node<'_>) -> Option<i64> {
    match *node {
        Node::Static(StaticNode::I64(n)) => Some(n),
        Node::Static(StaticNode::U64(n)) => i64::try_from(n).ok(),
        Node::Static(StaticNode::F64(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn f64_value(node: &Node<'_>) -> Option<f64> {
    match *node {
        Node::Static(StaticNode::F64(f)) => Some(f),
        Node::Static(StaticNode::I64(n)) => Some(n as f64),
        Node::Static(StaticNode::U64(n)) => Some(n as f64),
        Node::String(s) => match s {
            "NaN" => Some(f64::NAN),
            "Infinity" | "+Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => s.trim().parse().ok(),
        },
        _ => None,
    }
}

/// Renders an `AnyValue` as compact JSON of its content (`[1,"a"]`, `{"k":true}`), so
/// arrays and maps keep their type and compare by content.
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
            _ => render_scalar(&nodes[v], out),
        }
    });
    if !wrote {
        out.push_str("null");
    }
}

fn render_scalar(n: &Node<'_>, out: &mut String) {
    use std::fmt::Write;
    match n {
        Node::String(s) => push_json_str(out, s),
        Node::Static(StaticNode::Bool(b)) => {
            let _ = write!(out, "{b}");
        }
        Node::Static(StaticNode::I64(x)) => {
            let _ = write!(out, "{x}");
        }
        Node::Static(StaticNode::U64(x)) => {
            let _ = write!(out, "{x}");
        }
        Node::Static(StaticNode::F64(x)) => {
            let _ = write!(out, "{x}");
        }
        _ => out.push_str("null"),
    }
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn foreign_object_hint(nodes: &[Node<'_>], i: Idx, keys: &[&str]) -> String {
    if keys.contains(&"data") {
        let mut jaeger = false;
        members(nodes, i, |k, v| {
            if k == "data" {
                let probe = |e: Idx| {
                    let mut has = false;
                    members(nodes, e, |kk, _| has |= kk == "traceID");
                    has
                };
                match nodes[v] {
                    Node::Array { len, .. } if len > 0 => jaeger = probe(v + 1),
                    Node::Object { .. } => jaeger = probe(v),
                    _ => {}
                }
            }
        });
        if jaeger {
            return "this looks like Jaeger JSON, which this version does not decode yet (expected OTLP JSON with resourceSpans)".into();
        }
    }
    if ["traceId", "id", "timestamp", "duration"].iter().all(|k| keys.contains(k)) {
        return "this looks like an OpenTelemetry JS ConsoleSpanExporter record, not OTLP JSON (expected resourceSpans)"
            .into();
    }
    let shown: Vec<&str> = keys.iter().take(5).copied().collect();
    format!("valid JSON but no resourceSpans (keys: {})", shown.join(", "))
}

fn foreign_array_hint(nodes: &[Node<'_>]) -> String {
    let mut zipkin = false;
    let probe = |e: Idx, zipkin: &mut bool| {
        members(nodes, e, |k, _| *zipkin |= matches!(k, "traceId"));
        let mut id = false;
        members(nodes, e, |k, _| id |= k == "id");
        *zipkin &= id;
    };
    match nodes.get(1) {
        Some(Node::Object { .. }) => probe(1, &mut zipkin),
        Some(Node::Array { len, .. }) if *len > 0 => probe(2, &mut zipkin),
        _ => {}
    }
    if zipkin {
        "this looks like Zipkin JSON, which this version does not decode yet (expected OTLP JSON with resourceSpans)"
            .into()
    } else {
        "a JSON array without trace data (expected OTLP JSON with resourceSpans)".into()
    }
}
