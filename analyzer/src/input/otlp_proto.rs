//! OTLP protobuf (`TracesData`) decoding: a direct walk over the wire format into the same
//! compact span records as the JSON decoders, without building intermediate messages.
//! Field numbers follow `opentelemetry/proto/trace/v1/trace.proto`; the decoder is tested
//! against the prost types of `opentelemetry-proto` on the same data.

use super::accounting::IssueKind;
use super::batch::{Batch, arena_len, since};
use crate::model::{
    Attr, Dropped, Event, Link, Parent, Resource, Scope, Slice, SourceLoc, Span, SpanFlags, SpanId, SpanKind,
    StatusCode, Sym, TraceId, Value,
};
use tracecheck_wire::varint::VarintError;

/// Why protobuf bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid protobuf at byte {at} of the record: {what}")]
pub struct WireError {
    /// Offset in the record where decoding failed.
    pub at: usize,
    pub what: &'static str,
}

/// One field's value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// A cursor over one message's bytes.
#[derive(Clone, Copy)]
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pub(super) pos: usize,
    /// Offset of `buf` in the record, for error positions.
    pub(super) base: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    pub(super) fn err(&self, what: &'static str) -> WireError {
        WireError { at: self.base + self.pos, what }
    }

    pub(super) fn varint(&mut self) -> Result<u64, WireError> {
        // The error points where reading stopped: the end, or past the tenth byte.
        tracecheck_wire::varint::read(self.buf, &mut self.pos).map_err(|e| {
            self.err(match e {
                VarintError::PastEnd => "varint runs past the end",
                VarintError::TooLong => "varint longer than 10 bytes",
            })
        })
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err("field runs past the end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field, or `None` at the end.
    pub(super) fn field(&mut self) -> Result<Option<(u64, Wire<'a>, usize)>, WireError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let at = self.base + self.pos;
        let value = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => Wire::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| self.err("short fixed64"))?)),
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| self.err("length too large"))?;
                Wire::Bytes(self.take(n)?)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| self.err("short fixed32"))?)),
            _ => return Err(self.err("unsupported wire type (groups are not used by OTLP)")),
        };
        Ok(Some((key >> 3, value, at)))
    }

    /// Calls `f` for every field of the message.
    fn each(mut self, mut f: impl FnMut(u64, Wire<'a>, usize) -> Result<(), WireError>) -> Result<(), WireError> {
        while let Some((n, v, at)) = self.field()? {
            f(n, v, at)?;
        }
        Ok(())
    }
}

fn sub<'a>(w: Wire<'a>, at: usize) -> Option<Reader<'a>> {
    match w {
        Wire::Bytes(b) => Some(Reader::new(b, at)),
        _ => None,
    }
}

fn text(w: Wire<'_>) -> Option<&str> {
    match w {
        Wire::Bytes(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// What a protobuf record held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// `TracesData` (possibly without spans).
    Traces,
    /// `LogsData`: its log records are counted, and kept when they name a trace.
    Logs,
    /// `MetricsData` (left undecoded here: the caller reads the Collector's counters from it).
    Metrics,
}

/// Decodes one `TracesData` (or `LogsData`, which has the same outer layout: its records
/// are told from spans by their fields) message, a record of the Collector's proto format,
/// into `batch`. A record that is not valid protobuf leaves `batch` as it was: like a
/// malformed JSON record, it is skipped whole.
pub fn decode_traces_data(batch: &mut Batch, bytes: &[u8], loc: SourceLoc) -> Result<Record, WireError> {
    if is_metrics_data(bytes) {
        return Ok(Record::Metrics);
    }
    let mark = batch.mark();
    let spans_before = batch.accounting.spans_read;
    let logs_before = batch.accounting.logs_read;
    let mut d = ProtoDecoder { batch, loc, scratch: Vec::new() };
    let result = Reader::new(bytes, 0).each(|n, w, at| match (n, sub(w, at)) {
        (1, Some(r)) => d.resource_spans(r),
        (1, None) => Err(WireError { at, what: "resource_spans is not a message" }),
        _ => Ok(()),
    });
    if let Err(e) = result {
        batch.rollback(mark);
        return Err(e);
    }
    let logs_only = batch.accounting.logs_read > logs_before && batch.accounting.spans_read == spans_before;
    Ok(if logs_only { Record::Logs } else { Record::Traces })
}

/// Whether a record is a `MetricsData` (same outer layout as `TracesData`): told by its first
/// message in a scope's list, when that is a `Metric` rather than a `Span`.
fn is_metrics_data(bytes: &[u8]) -> bool {
    fn first_in(r: Reader<'_>, field: u64) -> Option<Reader<'_>> {
        let mut found = None;
        let _ = r.each(|n, w, at| {
            if found.is_none() && n == field {
                found = sub(w, at);
            }
            Ok(())
        });
        found
    }
    first_in(Reader::new(bytes, 0), 1)
        .and_then(|resource| first_in(resource, 2))
        .and_then(|scope| first_in(scope, 2))
        .is_some_and(is_metric)
}

/// Whether a message inside a scope's list is a `Metric` rather than a `Span`. A span has
/// its times (fixed64 fields 7 and 8) and a 16-byte trace id (field 1); a metric has no
/// fixed64 field, a name (field 1) of any length, and its data in messages where a span has
/// numbers (sum 7, exponential histogram 10, metadata 12) or its name (gauge 5: a list of
/// data point messages, which no span name is).
fn is_metric(r: Reader<'_>) -> bool {
    let (mut fixed, mut metric) = (false, false);
    let ok = r.each(|n, w, _| {
        match (n, w) {
            (_, Wire::Fixed64(_) | Wire::Fixed32(_)) => fixed = true,
            (7 | 10 | 12, Wire::Bytes(_)) => metric = true,
            (5, Wire::Bytes(b)) => metric |= is_gauge(b),
            (1, Wire::Bytes(b)) => metric |= b.len() != 16,
            _ => {}
        }
        Ok(())
    });
    ok.is_ok() && !fixed && metric
}

/// Whether `b` is a `Gauge`: a non-empty message whose fields are all data points (field 1,
/// each a message itself).
fn is_gauge(b: &[u8]) -> bool {
    let point = |w: Wire<'_>| match w {
        Wire::Bytes(p) => Reader::new(p, 0).each(|_, _, _| Ok(())).is_ok(),
        _ => false,
    };
    !b.is_empty()
        && Reader::new(b, 0)
            .each(|n, w, at| if n == 1 && point(w) { Ok(()) } else { Err(WireError { at, what: "not a gauge" }) })
            .is_ok()
}

/// Whether a message inside a scope's list is a `LogRecord` rather than a `Span`: only a
/// log record has a fixed64 field 1 or 11 (its times) or a varint field 2 (its severity),
/// and a message with neither field 1 nor 2 has no trace or span id, so it is no span (a
/// log record with a body alone).
fn is_log_record(r: Reader<'_>) -> bool {
    let (mut log, mut ids) = (false, false);
    let _ = r.each(|n, w, _| {
        log |= matches!((n, &w), (1 | 11, Wire::Fixed64(_)) | (2, Wire::Varint(_)));
        ids |= matches!(n, 1 | 2);
        Ok(())
    });
    log || !ids
}

struct ProtoDecoder<'b> {
    batch: &'b mut Batch,
    loc: SourceLoc,
    /// Attributes of the message being decoded, pushed to the arena in one run at its end
    /// (nested messages, such as events, push theirs in between).
    scratch: Vec<Attr>,
}

impl ProtoDecoder<'_> {
    fn intern(&mut self, s: &str) -> Sym {
        self.batch.part.strings.intern(s)
    }

    fn resource_spans(&mut self, r: Reader<'_>) -> Result<(), WireError> {
        let res_idx = arena_len(&self.batch.part.resources);
        self.batch.part.resources.push(Resource { loc: self.loc, ..Resource::default() });
        let mut scopes = Vec::new();
        r.each(|n, w, at| {
            match (n, sub(w, at)) {
                (1, Some(res)) => {
                    let mut kvs = Vec::new();
                    let mut dropped = 0;
                    res.each(|n, w, at| {
                        match (n, w) {
                            (1, w) => {
                                if let Some(kv) = sub(w, at) {
                                    kvs.push(self.key_value(kv)?);
                                }
                            }
                            (2, Wire::Varint(d)) => dropped = count32(d),
                            _ => {}
                        }
                        Ok(())
                    })?;
                    self.batch.part.resources[res_idx as usize].dropped_attrs = dropped;
                    let start = arena_len(&self.batch.part.attrs);
                    self.batch.part.attrs.extend(kvs);
                    self.batch.part.resources[res_idx as usize].attrs = since(&self.batch.part.attrs, start);
                }
                // 2: scope_spans; 1000: the old instrumentation_library_spans.
                (2 | 1000, Some(s)) => scopes.push(s),
                _ => {}
            }
            Ok(())
        })?;
        self.batch.identify_resource(res_idx as usize);
        let (spans_before, logs_before) = (self.batch.accounting.spans_read, self.batch.accounting.logs_read);
        for s in scopes {
            self.scope_spans(s, res_idx)?;
        }
        // A `ResourceLogs` names the resource of log records, not of spans: as in JSON, it
        // is no resource of the dump.
        if self.batch.accounting.spans_read == spans_before
            && self.batch.accounting.logs_read > logs_before
            && res_idx as usize + 1 == self.batch.part.resources.len()
        {
            self.batch.part.resources.pop();
        }
        Ok(())
    }

    fn scope_spans(&mut self, r: Reader<'_>, res: u32) -> Result<(), WireError> {
        let mut info = Scope::default();
        let mut kvs = Vec::new();
        let mut spans = Vec::new();
        r.each(|n, w, at| {
            match (n, sub(w, at)) {
                (1, Some(sc)) => sc.each(|n, w, at| {
                    match (n, text(w), sub(w, at)) {
                        (1, Some(name), _) => info.name = self.intern(name),
                        (2, Some(version), _) => info.version = self.intern(version),
                        (3, _, Some(kv)) => kvs.push(self.key_value(kv)?),
                        (4, ..) => {
                            if let Wire::Varint(d) = w {
                                info.dropped_attrs = count32(d);
                            }
                        }
                        _ => {}
                    }
                    Ok(())
                })?,
                (2, Some(s)) => spans.push(s),
                _ => {}
            }
            Ok(())
        })?;
        let start = arena_len(&self.batch.part.attrs);
        self.batch.part.attrs.extend(kvs);
        info.attrs = since(&self.batch.part.attrs, start);
        let scope = arena_len(&self.batch.part.scopes);
        self.batch.part.scopes.push(info);
        for s in spans {
            if is_log_record(s) {
                self.log_record(s)?;
            } else {
                self.span(s, res, scope)?;
            }
        }
        Ok(())
    }

    /// A `LogRecord`: counted, and kept when it names a trace.
    fn log_record(&mut self, r: Reader<'_>) -> Result<(), WireError> {
        self.batch.accounting.logs_read += 1;
        let (mut trace, mut span): (&[u8], &[u8]) = (&[], &[]);
        let (mut time, mut observed, mut severity) = (0, 0, 0u8);
        let (mut event, mut body, mut severity_text) = (None, None, None);
        r.each(|n, w, at| {
            match (n, w) {
                (1, Wire::Fixed64(t)) => time = t,
                (11, Wire::Fixed64(t)) => observed = t,
                (2, Wire::Varint(v)) => severity = u8::try_from(v).unwrap_or(0),
                (3, w) => severity_text = text(w),
                (12, w) => event = text(w),
                (9, Wire::Bytes(b)) => trace = b,
                (10, Wire::Bytes(b)) => span = b,
                (5, w) => {
                    if let Some(v) = sub(w, at) {
                        v.each(|n, w, _| {
                            if n == 1 {
                                body = text(w);
                            }
                            Ok(())
                        })?;
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        let Ok(trace_id) = id_bytes::<16>(trace) else { return Ok(()) };
        let text = super::batch::LogText { event, body, severity_text };
        let span_id = id_bytes::<8>(span).ok().map(SpanId);
        self.batch.push_log(TraceId(trace_id), span_id, (time, observed), severity, text, self.loc);
        Ok(())
    }

    fn span(&mut self, r: Reader<'_>, res: u32, scope: u32) -> Result<(), WireError> {
        self.batch.accounting.spans_read += 1;
        let (mut trace, mut span_id, mut parent): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
        let (mut name, mut kind, mut start, mut end) = (Sym::EMPTY, SpanKind::Unspecified, 0, 0);
        let (mut status, mut status_message) = (StatusCode::Unset, Sym::EMPTY);
        let event_start = arena_len(&self.batch.part.events);
        let link_start = arena_len(&self.batch.part.links);
        let mut attrs = std::mem::take(&mut self.scratch);
        attrs.clear();
        let mut bad_kind = None;
        let mut dropped = Dropped::default();
        r.each(|n, w, at| {
            match (n, w) {
                (10, Wire::Varint(d)) => dropped.attrs = Dropped::count(d),
                (12, Wire::Varint(d)) => dropped.events = Dropped::count(d),
                (14, Wire::Varint(d)) => dropped.links = Dropped::count(d),
                (1, Wire::Bytes(b)) => trace = b,
                (2, Wire::Bytes(b)) => span_id = b,
                (4, Wire::Bytes(b)) => parent = b,
                (5, w) => name = self.intern(text(w).unwrap_or("")),
                (6, Wire::Varint(k)) => match SpanKind::from_otlp(k as i64) {
                    Some(k) => kind = k,
                    None => bad_kind = Some(k),
                },
                (7, Wire::Fixed64(t)) => start = t,
                (8, Wire::Fixed64(t)) => end = t,
                (9, w) => {
                    if let Some(kv) = sub(w, at) {
                        attrs.push(self.key_value(kv)?);
                    }
                }
                (11, w) => {
                    if let Some(e) = sub(w, at) {
                        dropped.nested_attrs = Dropped::add(dropped.nested_attrs, self.event(e)?);
                    }
                }
                (13, w) => {
                    if let Some(l) = sub(w, at) {
                        dropped.nested_attrs = Dropped::add(dropped.nested_attrs, self.link(l)?);
                    }
                }
                (15, w) => {
                    if let Some(st) = sub(w, at) {
                        st.each(|n, w, _| {
                            match (n, w) {
                                (2, w) => status_message = self.intern(text(w).unwrap_or("")),
                                (3, Wire::Varint(c)) => status = StatusCode::from_otlp(c as i64).unwrap_or(status),
                                _ => {}
                            }
                            Ok(())
                        })?;
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        let attr_start = arena_len(&self.batch.part.attrs);
        self.batch.part.attrs.extend_from_slice(&attrs);
        self.scratch = attrs;
        let attrs = since(&self.batch.part.attrs, attr_start);
        let events = since(&self.batch.part.events, event_start);
        let links = since(&self.batch.part.links, link_start);
        let loc = self.loc;
        let trace_id = match id_bytes::<16>(trace) {
            Ok(t) => TraceId(t),
            Err(why) => {
                self.batch.drop_span(loc, format!("span dropped: trace_id {why}"), None);
                return Ok(());
            }
        };
        let span_id = match id_bytes::<8>(span_id) {
            Ok(s) => SpanId(s),
            Err(why) => {
                self.batch.drop_span(loc, format!("span dropped: span_id {why}"), Some(trace_id));
                return Ok(());
            }
        };
        if let Some(k) = bad_kind {
            let message = format!("kind is {k}, expected a span kind (0-5 or SPAN_KIND_*); ignored");
            self.batch.issue(IssueKind::InvalidField, loc, message, Some(trace_id), Some(span_id));
        }
        let parent = match parent.len() {
            0 => Parent::Root,
            _ => match id_bytes::<8>(parent) {
                Ok(p) => Parent::Span(SpanId(p)),
                Err(_) if parent.iter().all(|&b| b == 0) => Parent::Root,
                Err(why) => {
                    self.batch.issue(
                        IssueKind::InvalidId,
                        loc,
                        format!("parent id {why}"),
                        Some(trace_id),
                        Some(span_id),
                    );
                    Parent::Invalid
                }
            },
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
            resource: res,
            scope,
            attrs,
            events,
            links,
            flags: SpanFlags::default(),
            dropped,
            loc: span_loc,
        });
        Ok(())
    }

    fn key_value(&mut self, r: Reader<'_>) -> Result<Attr, WireError> {
        let (mut key, mut value) = (Sym::EMPTY, Value::Empty);
        r.each(|n, w, at| {
            match (n, sub(w, at)) {
                (1, _) => key = self.intern(text(w).unwrap_or("")),
                (2, Some(v)) => value = self.any_value(v)?,
                _ => {}
            }
            Ok(())
        })?;
        Ok(Attr::new(key, value))
    }

    fn any_value(&mut self, r: Reader<'_>) -> Result<Value, WireError> {
        let mut out = Value::Empty;
        let mut text_form = String::new();
        r.each(|n, w, at| {
            out = match (n, w) {
                (1, w) => Value::Str(self.intern(text(w).unwrap_or(""))),
                (2, Wire::Varint(b)) => Value::Bool(b != 0),
                (3, Wire::Varint(i)) => Value::Int(i as i64),
                (4, Wire::Fixed64(bits)) => Value::Double(f64::from_bits(bits)),
                (5 | 6, Wire::Bytes(b)) => {
                    text_form.clear();
                    render(Reader::new(b, at), n == 6, &mut text_form)?;
                    let s = self.intern(&text_form);
                    if n == 5 { Value::Array(s) } else { Value::Map(s) }
                }
                (7, Wire::Bytes(b)) => Value::Bytes(self.intern(&tracecheck_wire::base64::encode(b))),
                _ => out,
            };
            Ok(())
        })?;
        Ok(out)
    }

    /// Decodes an event; returns the attributes it says were dropped.
    fn event(&mut self, r: Reader<'_>) -> Result<u64, WireError> {
        let mut ev = Event { name: Sym::EMPTY, time: 0, attrs: Slice::default() };
        let mut kvs = Vec::new();
        let mut dropped = 0;
        r.each(|n, w, at| {
            match (n, w) {
                (4, Wire::Varint(d)) => dropped = d,
                (1, Wire::Fixed64(t)) => ev.time = t,
                (2, w) => ev.name = self.intern(text(w).unwrap_or("")),
                (3, w) => {
                    if let Some(kv) = sub(w, at) {
                        kvs.push(self.key_value(kv)?);
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        let start = arena_len(&self.batch.part.attrs);
        self.batch.part.attrs.extend(kvs);
        ev.attrs = since(&self.batch.part.attrs, start);
        self.batch.part.events.push(ev);
        Ok(dropped)
    }

    /// Decodes a link; returns the attributes it says were dropped.
    fn link(&mut self, r: Reader<'_>) -> Result<u64, WireError> {
        let (mut t, mut s): (&[u8], &[u8]) = (&[], &[]);
        let mut kvs = Vec::new();
        let mut dropped = 0;
        r.each(|n, w, at| {
            match (n, w) {
                (5, Wire::Varint(d)) => dropped = d,
                (1, Wire::Bytes(b)) => t = b,
                (2, Wire::Bytes(b)) => s = b,
                (4, w) => {
                    if let Some(kv) = sub(w, at) {
                        kvs.push(self.key_value(kv)?);
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        match (id_bytes::<16>(t), id_bytes::<8>(s)) {
            (Ok(t), Ok(s)) => {
                let start = arena_len(&self.batch.part.attrs);
                self.batch.part.attrs.extend(kvs);
                let attrs = since(&self.batch.part.attrs, start);
                self.batch.part.links.push(Link { trace_id: TraceId(t), span_id: SpanId(s), attrs });
            }
            (Err(why), _) | (_, Err(why)) => {
                let loc = self.loc;
                self.batch.issue(IssueKind::InvalidId, loc, format!("link ignored: its id {why}"), None, None);
            }
        }
        Ok(dropped)
    }
}

/// An id of exactly `N` bytes, not all zero.
/// A `uint32` count, saturated.
fn count32(d: u64) -> u32 {
    u32::try_from(d).unwrap_or(u32::MAX)
}

fn id_bytes<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    let arr: [u8; N] = b.try_into().map_err(|_| format!("has {} bytes, expected {N}", b.len()))?;
    if arr.iter().all(|&x| x == 0) {
        return Err("is all zeros".into());
    }
    Ok(arr)
}

/// Renders an `ArrayValue` (or a `KeyValueList` when `map`) as the same canonical JSON text
/// the JSON decoder produces.
fn render(r: Reader<'_>, map: bool, out: &mut String) -> Result<(), WireError> {
    out.push(if map { '{' } else { '[' });
    let mut first = true;
    r.each(|n, w, at| {
        if n != 1 {
            return Ok(());
        }
        let Some(inner) = sub(w, at) else { return Ok(()) };
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        if map {
            let mut key = "";
            let mut value = None;
            inner.each(|n, w, at| {
                match n {
                    1 => key = text(w).unwrap_or(""),
                    2 => value = sub(w, at),
                    _ => {}
                }
                Ok(())
            })?;
            super::tape::push_json_str(out, key);
            out.push(':');
            match value {
                Some(v) => render_any(v, out)?,
                None => out.push_str("null"),
            }
        } else {
            render_any(inner, out)?;
        }
        Ok(())
    })?;
    out.push(if map { '}' } else { ']' });
    Ok(())
}

fn render_any(r: Reader<'_>, out: &mut String) -> Result<(), WireError> {
    use std::fmt::Write;
    let mut wrote = false;
    r.each(|n, w, at| {
        if wrote {
            return Ok(());
        }
        wrote = true;
        match (n, w) {
            (1, w) => super::tape::push_json_str(out, text(w).unwrap_or("")),
            (2, Wire::Varint(b)) => out.push_str(if b != 0 { "true" } else { "false" }),
            (3, Wire::Varint(i)) => {
                let _ = write!(out, "{}", i as i64);
            }
            (4, Wire::Fixed64(bits)) => super::tape::push_json_f64(out, f64::from_bits(bits)),
            (5 | 6, Wire::Bytes(b)) => render(Reader::new(b, at), n == 6, out)?,
            (7, Wire::Bytes(b)) => super::tape::push_json_str(out, &tracecheck_wire::base64::encode(b)),
            _ => out.push_str("null"),
        }
        Ok(())
    })?;
    if !wrote {
        out.push_str("null");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_bad_wire_data_are_errors_not_panics() {
        let mut b = Batch::default();
        let loc = SourceLoc::default();
        // Field 1, length 5, but only 2 bytes follow.
        assert!(decode_traces_data(&mut b, &[0x0a, 0x05, 0x01, 0x02], loc).is_err());
        // A varint that never ends.
        assert!(decode_traces_data(&mut b, &[0x08, 0xff, 0xff], loc).is_err());
        // Wire type 3 (group start).
        assert!(decode_traces_data(&mut b, &[0x0b], loc).is_err());
        // Empty message: fine.
        assert!(decode_traces_data(&mut b, &[], loc).is_ok());
        assert!(b.part.spans.is_empty() && b.part.resources.is_empty() && b.accounting.spans_read == 0);
    }

    fn message(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        tracecheck_wire::varint::put(&mut out, (n << 3) | 2);
        tracecheck_wire::varint::put(&mut out, payload.len() as u64);
        out.extend_from_slice(payload);
        out
    }

    fn fixed64(n: u64, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        tracecheck_wire::varint::put(&mut out, (n << 3) | 1);
        out.extend_from_slice(&v.to_le_bytes());
        out
    }

    /// A `TracesData`-shaped record (resource 1 → scope list 2 → item 2) holding `item`.
    fn record(item: &[u8]) -> Vec<u8> {
        message(1, &message(2, &message(2, item)))
    }

    #[test]
    fn metrics_records_are_told_from_spans() {
        // A data point: start and time (fixed64 2 and 3), an int value (fixed64 6).
        let point = [fixed64(2, 1), fixed64(3, 2), fixed64(6, 42)].concat();
        // A gauge whose name is 16 bytes long, as a trace id is.
        let gauge = [message(1, b"otelcol_exporter"), message(5, &message(1, &point))].concat();
        // A histogram: field 9 is a span's attributes too; the name gives it away.
        let histogram = [message(1, b"latency"), message(9, &message(1, &point))].concat();
        let sum = [message(1, b"otelcol_exporter_sent_spans"), message(7, &message(1, &point))].concat();
        for (what, m) in [("gauge", gauge), ("histogram", histogram), ("sum", sum)] {
            let mut b = Batch::default();
            let r = decode_traces_data(&mut b, &record(&m), SourceLoc::default());
            assert_eq!(r, Ok(Record::Metrics), "{what}");
            assert_eq!(b.accounting.spans_read, 0, "{what}: nothing decoded");
        }
        // Spans, with or without their times, stay spans (the second one broken).
        let ids = [message(1, &[7; 16]), message(2, &[8; 8]), message(5, b"GET /")].concat();
        let timed = [ids.clone(), fixed64(7, 1), fixed64(8, 2)].concat();
        for (what, s) in [("timed", timed), ("untimed", ids)] {
            let mut b = Batch::default();
            let r = decode_traces_data(&mut b, &record(&s), SourceLoc::default());
            assert_eq!(r, Ok(Record::Traces), "{what}");
            assert_eq!(b.accounting.spans_read, 1, "{what}");
        }
    }
}
