//! One parsed record: its location, the batch it decodes into, and the dispatch to the
//! dialect that can read it (OTLP, Jaeger or Zipkin JSON).

use super::accounting::{Dialect, IssueKind, Signal};
use super::batch::Batch;
use super::batch::arena_len;
use super::tape::{Idx, describe, elements, members};
use crate::model::{
    IdError, Parent, Resource, Slice, SourceLoc, SpanId, SpanKind, StatusCode, Sym, TraceId, Value, decode_id,
    decode_id_padded,
};
use simd_json::{Node, StaticNode};

/// What a record turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordClass {
    /// Trace data in this format (possibly with zero spans).
    Traces(Dialect),
    /// Logs, metrics or profiles: counted and skipped.
    Other(Signal),
    /// Valid JSON that holds no trace data; the text says what it looks like.
    NotTraces(String),
}

/// Decodes one parsed record into `batch`.
#[derive(Debug)]
pub struct RecordDecoder<'b, 't, 'd> {
    pub(super) batch: &'b mut Batch,
    pub(super) nodes: &'t [Node<'d>],
    /// Address of the parse buffer (strings on the tape point into it).
    buf_base: usize,
    /// The record as read.
    orig: &'t [u8],
    pub(super) loc: SourceLoc,
    multiline: bool,
    line_cursor: (usize, u64),
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

    /// Decodes the record in whichever format it is.
    pub fn decode(&mut self) -> RecordClass {
        let nodes = self.nodes;
        if matches!(nodes.first(), Some(Node::Object { .. })) && has_keys(nodes, 0, &["__otel_otlp_stdout"]) {
            return self.otlp_stdout_envelope(0);
        }
        let console = match nodes.first() {
            Some(Node::Object { .. }) => super::console::console_dialect(nodes, 0),
            Some(Node::Array { len, .. }) if *len > 0 => super::console::console_dialect(nodes, 1),
            _ => None,
        };
        if let Some(dialect) = console {
            let one = |d: &mut Self, i: Idx| match dialect {
                Dialect::PythonConsole => d.python_console_span(i),
                Dialect::GoStdout => d.go_stdout_span(i),
                _ => d.js_console_span(i),
            };
            if let Node::Array { .. } = nodes[0] {
                elements(nodes, 0, |e| one(self, e));
            } else {
                one(self, 0);
            }
            return RecordClass::Traces(dialect);
        }
        match nodes.first() {
            Some(Node::Object { .. }) if is_jaeger(nodes, 0) => {
                self.jaeger(0);
                RecordClass::Traces(Dialect::Jaeger)
            }
            // A Jaeger trace object without the query API's wrapper, as the UI saves one.
            Some(Node::Object { .. }) if has_keys(nodes, 0, &["traceID", "spans"]) => {
                self.jaeger_trace(0);
                RecordClass::Traces(Dialect::Jaeger)
            }
            // Jaeger's protobuf JSON (model.proto): `{"spans": [{traceId, spanId, operationName…}]}`.
            Some(Node::Object { .. }) if is_jaeger_proto_json(nodes) => {
                self.jaeger_proto_spans(0);
                RecordClass::Traces(Dialect::Jaeger)
            }
            // One `ResourceSpans` without the `resourceSpans` list (Java's logging-otlp exporter).
            Some(Node::Object { .. }) if is_bare_resource_spans(nodes, 0) => {
                self.resource_spans(0);
                RecordClass::Traces(Dialect::Otlp)
            }
            // One Zipkin v2 span, not in an array.
            Some(Node::Object { .. }) if is_zipkin_span(nodes, 0) => {
                self.zipkin_one(0);
                RecordClass::Traces(Dialect::Zipkin)
            }
            Some(Node::Object { .. }) => self.top_object(0),
            Some(Node::Array { .. }) if is_zipkin(nodes) => {
                self.zipkin(0);
                RecordClass::Traces(Dialect::Zipkin)
            }
            // A bare array of Jaeger spans, each with its process (Jaeger's anonymizer).
            Some(Node::Array { len, .. })
                if *len > 0 && has_keys(nodes, 1, &["traceID", "spanID", "operationName"]) =>
            {
                self.jaeger_span_array(0);
                RecordClass::Traces(Dialect::Jaeger)
            }
            Some(Node::Array { .. }) => {
                // An array of OTLP TracesData documents.
                let mut class = None;
                elements(nodes, 0, |e| match self.top_object(e) {
                    c @ RecordClass::Traces(_) => class = Some(c),
                    c => class = class.clone().or(Some(c)),
                });
                match class {
                    Some(c @ (RecordClass::Traces(_) | RecordClass::Other(_))) => c,
                    _ => RecordClass::NotTraces(
                        "a JSON array without trace data (expected OTLP, Jaeger or Zipkin JSON)".into(),
                    ),
                }
            }
            Some(n) => RecordClass::NotTraces(format!("the record is {}, not an object or array", describe(n))),
            None => RecordClass::NotTraces("empty record".into()),
        }
    }

    /// Pushes a resource whose attributes are set and identifies it; returns its index.
    pub(super) fn push_resource(&mut self, r: Resource) -> u32 {
        let idx = arena_len(&self.batch.part.resources);
        self.batch.part.resources.push(r);
        self.batch.identify_resource(idx as usize);
        idx
    }

    /// Decodes a span's trace and span id with [`decode_id_padded`] (Jaeger, Zipkin); when
    /// one is missing or invalid, the span is dropped and reported, and `None` returned.
    pub(super) fn padded_ids(
        &mut self,
        loc: SourceLoc,
        (trace_field, trace): (&str, Option<&str>),
        (span_field, span): (&str, Option<&str>),
    ) -> Option<(TraceId, SpanId)> {
        let trace_id = match trace.map(decode_id_padded::<16>) {
            Some(Ok(t)) => TraceId(t),
            other => {
                self.drop_span(loc, trace_field, &field_error(trace, other), None);
                return None;
            }
        };
        match span.map(decode_id_padded::<8>) {
            Some(Ok(s)) => Some((trace_id, SpanId(s))),
            other => {
                self.drop_span(loc, span_field, &field_error(span, other), Some(trace_id));
                None
            }
        }
    }

    /// A parent id: `""`, `"0"` or all zeros mark a root; an id that does not decode is
    /// reported. `padded` accepts hex shorter than 16 digits (Zipkin, Jaeger).
    pub(super) fn parent_ref(
        &mut self,
        text: &str,
        loc: SourceLoc,
        trace: TraceId,
        span: SpanId,
        padded: bool,
    ) -> Parent {
        if text.is_empty() || text == "0" {
            return Parent::Root;
        }
        let decoded = if padded { decode_id_padded::<8>(text) } else { decode_id::<8>(text) };
        match decoded {
            Ok(p) => Parent::Span(SpanId(p)),
            Err(IdError::AllZeros) => Parent::Root,
            Err(e) => {
                self.batch.issue(IssueKind::InvalidId, loc, format!("parent id {text:?} {e}"), Some(trace), Some(span));
                Parent::Invalid
            }
        }
    }

    /// Kind and status from the tags Jaeger and Zipkin use: `span.kind`, `otel.status_code`
    /// and `otel.status_description`, and `error` (`true`, or in Zipkin the error message).
    pub(super) fn kind_and_status_from_tags(&self, attrs: Slice) -> (SpanKind, StatusCode, Sym) {
        let part = &self.batch.part;
        let (mut kind, mut status, mut message) = (SpanKind::Unspecified, StatusCode::Unset, Sym::EMPTY);
        for a in &part.attrs[attrs.range()] {
            let text = match a.value() {
                Value::Str(s) => Some((s, part.strings.resolve(s))),
                _ => None,
            };
            match (part.strings.resolve(a.key), a.value(), text) {
                ("span.kind", _, Some((_, t))) => kind = SpanKind::from_name(t).unwrap_or(kind),
                ("otel.status_code", _, Some((_, t))) => status = StatusCode::from_name(t).unwrap_or(status),
                ("otel.status_description", _, Some((s, _))) => message = s,
                ("error", Value::Bool(true), _) => status = StatusCode::Error,
                ("error", _, Some((s, t))) if !t.eq_ignore_ascii_case("false") => {
                    status = StatusCode::Error;
                    if !t.eq_ignore_ascii_case("true") && message == Sym::EMPTY {
                        message = s;
                    }
                }
                _ => {}
            }
        }
        (kind, status, message)
    }

    pub(super) fn id_text(&self, v: Idx) -> Option<&'d str> {
        match self.nodes[v] {
            Node::String(s) => Some(s),
            _ => Some(""),
        }
    }

    pub(super) fn drop_span(&mut self, loc: SourceLoc, field: &str, err: &FieldError, trace: Option<TraceId>) {
        self.batch.drop_span(loc, format!("span dropped: {field} {err}"), trace);
    }

    /// The location of the value at `i`: its line and byte offset, found from where its
    /// first key sits in the parse buffer (keys are never moved by unescaping).
    pub(super) fn loc_of(&mut self, i: Idx) -> SourceLoc {
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

    pub(super) fn field_issue(
        &mut self,
        t: Option<TraceId>,
        s: Option<SpanId>,
        field: &str,
        node: &Node<'_>,
        want: &str,
    ) {
        let loc = self.loc;
        self.field_issue_at(loc, t, s, field, node, want);
    }

    pub(super) fn field_issue_at(
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
        self.batch.issue(IssueKind::InvalidField, loc, format!("{field} is {shown}, expected {want}; ignored"), t, s);
    }
}

/// Why an id field could not be used.
#[derive(Debug)]
pub(super) enum FieldError {
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

pub(super) fn decode_field<const N: usize>(text: Option<&str>) -> Result<[u8; N], FieldError> {
    match text {
        None => Err(FieldError::Missing),
        Some(t) => decode_id::<N>(t).map_err(|e| FieldError::Bad(t.to_string(), e)),
    }
}

/// Whether the object at `i` has all of `want` among its keys.
fn has_keys(nodes: &[Node<'_>], i: Idx, want: &[&str]) -> bool {
    let mut found = 0;
    members(nodes, i, |k, _| found += usize::from(want.contains(&k)));
    found == want.len()
}

/// A Jaeger query API response (`{"data": [{traceID, spans, processes}]}`) or the Jaeger
/// UI's model (`{"data": {traceID, spans, ...}}`).
fn is_jaeger(nodes: &[Node<'_>], i: Idx) -> bool {
    let mut yes = false;
    members(nodes, i, |k, v| {
        if k == "data" {
            yes = match nodes[v] {
                Node::Array { len, .. } if len > 0 => has_keys(nodes, v + 1, &["traceID", "spans"]),
                Node::Object { .. } => has_keys(nodes, v, &["traceID", "spans"]),
                _ => false,
            }
        }
    });
    yes
}

/// Jaeger's protobuf JSON: an object whose `spans` are objects with `traceId`, `spanId` and
/// `operationName`.
fn is_jaeger_proto_json(nodes: &[Node<'_>]) -> bool {
    let mut yes = false;
    members(nodes, 0, |k, v| {
        if k == "spans"
            && let Node::Array { len, .. } = nodes[v]
        {
            yes = len > 0 && has_keys(nodes, v + 1, &["traceId", "spanId", "operationName"]);
        }
    });
    yes
}

/// One OTLP `ResourceSpans` on its own: `scopeSpans` (or an older spelling) and no list of
/// resources around it.
fn is_bare_resource_spans(nodes: &[Node<'_>], i: Idx) -> bool {
    let mut yes = false;
    members(nodes, i, |k, v| {
        yes |= matches!(k, "scopeSpans" | "scope_spans" | "instrumentationLibrarySpans")
            && matches!(nodes[v], Node::Array { .. });
    });
    yes
}

/// One Zipkin v2 span object: `traceId` and `id`, and what only Zipkin writes (endpoints,
/// tags as an object, annotations, or a kind spelled as a word). The OpenTelemetry JS
/// console record also has `traceId` and `id`, but none of these.
fn is_zipkin_span(nodes: &[Node<'_>], i: Idx) -> bool {
    if !has_keys(nodes, i, &["traceId", "id"]) {
        return false;
    }
    let mut zipkin = false;
    members(nodes, i, |k, v| {
        zipkin |= match (k, &nodes[v]) {
            ("localEndpoint" | "remoteEndpoint" | "annotations" | "shared" | "debug", _) => true,
            ("tags", Node::Object { .. }) => true,
            ("kind", Node::String(s)) => matches!(*s, "CLIENT" | "SERVER" | "PRODUCER" | "CONSUMER"),
            _ => false,
        };
    });
    zipkin
}

/// A Zipkin JSON array of spans (v2 or v1), or an array of such arrays.
fn is_zipkin(nodes: &[Node<'_>]) -> bool {
    let first = match nodes.get(1) {
        Some(Node::Object { .. }) => 1,
        Some(Node::Array { len, .. }) if *len > 0 => 2,
        _ => return false,
    };
    has_keys(nodes, first, &["traceId", "id"])
}

/// Why a valid JSON object is not trace data, with a guess at what it is.
pub(super) fn foreign_object_hint(keys: &[&str]) -> String {
    if ["traceId", "id", "timestamp", "duration"].iter().all(|k| keys.contains(k)) {
        return "this looks like an OpenTelemetry JS ConsoleSpanExporter record, not OTLP JSON (expected resourceSpans)"
            .into();
    }
    let shown: Vec<&str> = keys.iter().take(5).copied().collect();
    format!("valid JSON but no trace data (keys: {})", shown.join(", "))
}

/// The error for an id field that was missing or did not decode.
pub(super) fn field_error<T>(text: Option<&str>, result: Option<Result<T, crate::model::IdError>>) -> FieldError {
    match (text, result) {
        (Some(t), Some(Err(e))) => FieldError::Bad(t.to_string(), e),
        _ => FieldError::Missing,
    }
}
