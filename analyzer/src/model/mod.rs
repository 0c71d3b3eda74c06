//! The compact in-memory model every decoder produces and every check reads.
//!
//! Spans hold binary ids, interned strings, nanosecond times and typed attribute values.
//! Variable-length parts (attributes, events, links) live in shared arenas of [`Dump`]
//! and are referenced by [`Slice`] ranges, so a span is a fixed-size record.

pub mod ids;
pub mod intern;
pub mod source;
pub mod time;
mod value;

pub use ids::{IdError, SpanId, TraceId, decode_id, decode_id_padded};
pub use intern::{Interner, Sym};
pub use source::{Compression, Dialect, Format, InputFile};
pub use value::{Attr, Value, ValueType};

use std::fmt;

/// OTLP span kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// From the OTLP enum number.
    pub fn from_otlp(n: i64) -> Option<SpanKind> {
        Some(match n {
            0 => SpanKind::Unspecified,
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// From the OTLP enum name (`SPAN_KIND_SERVER`) or its short form (`SERVER`), any case.
    pub fn from_name(s: &str) -> Option<SpanKind> {
        let short = strip_prefix_ci(s, "SPAN_KIND_");
        Some(match short.to_ascii_uppercase().as_str() {
            "UNSPECIFIED" => SpanKind::Unspecified,
            "INTERNAL" => SpanKind::Internal,
            "SERVER" => SpanKind::Server,
            "CLIENT" => SpanKind::Client,
            "PRODUCER" => SpanKind::Producer,
            "CONSUMER" => SpanKind::Consumer,
            _ => return None,
        })
    }

    /// Lower-case name as printed in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// OTLP status code: 0 unset, 1 ok, 2 error.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// From the OTLP enum number.
    pub fn from_otlp(n: i64) -> Option<StatusCode> {
        Some(match n {
            0 => StatusCode::Unset,
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => return None,
        })
    }

    /// From `STATUS_CODE_ERROR` or `ERROR`, any case.
    pub fn from_name(s: &str) -> Option<StatusCode> {
        let short = strip_prefix_ci(s, "STATUS_CODE_");
        Some(match short.to_ascii_uppercase().as_str() {
            "UNSET" => StatusCode::Unset,
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            _ => return None,
        })
    }

    /// Lower-case name as printed in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> &'a str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &s[prefix.len()..],
        _ => s,
    }
}

/// A range into one of the arenas of [`Dump`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Slice {
    pub start: u32,
    pub len: u32,
}

impl Slice {
    /// The range as `usize` bounds.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// A span event.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub name: Sym,
    pub time: u64,
    pub attrs: Slice,
}

/// A span link.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub attrs: Slice,
}

/// An instrumentation scope: the library that made a span.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope {
    pub name: Sym,
    pub version: Sym,
    pub attrs: Slice,
    /// Attributes the SDK dropped (`droppedAttributesCount`).
    pub dropped_attrs: u32,
}

/// [`Span::scope`] of a span whose format names no scope.
pub const NO_SCOPE: u32 = u32::MAX;

/// Where a record came from: the file (index into [`Dump::files`]), the 1-based line the
/// record starts on, and its byte offset.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceLoc {
    pub file: u32,
    pub line: u64,
    pub offset: u64,
}

/// The parent reference of a span as written in the input.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Parent {
    /// Absent, `""`, `"0"`, `null` or all zeros: a root.
    #[default]
    Root,
    Span(SpanId),
    /// Present but not a decodable id (reported as an input finding).
    Invalid,
}

/// A resource (`service.name` and friends) shared by the spans of one `ResourceSpans`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resource {
    pub attrs: Slice,
    pub service_name: Option<Sym>,
    /// The clock domain used for skew estimation: `host.name`, else `service.instance.id`,
    /// else the service name.
    pub host: Option<Sym>,
    pub loc: SourceLoc,
    /// Attributes the SDK dropped (`droppedAttributesCount`).
    pub dropped_attrs: u32,
}

/// Per-span facts some formats carry.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SpanFlags(pub u8);

impl SpanFlags {
    /// A Zipkin server span: the server half of an RPC, which may reuse its client's span id
    /// (then it is that client's child, not a duplicate).
    pub const SHARED: u8 = 1;
    /// The parent relation is Jaeger's `FOLLOWS_FROM`: causal, not awaited.
    pub const FOLLOWS_FROM: u8 = 2;

    /// Whether `flag` is set.
    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// What an SDK dropped from a span to stay within its limits (`droppedAttributesCount`,
/// `droppedEventsCount`, `droppedLinksCount`, and the attributes dropped from its events and
/// links), each saturating at [`Dropped::MAX`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Dropped {
    pub attrs: u16,
    pub events: u16,
    pub links: u16,
    /// Attributes dropped from the span's events and links.
    pub nested_attrs: u16,
}

impl Dropped {
    /// Counts at or above this are kept as this (and said as "65535 or more").
    pub const MAX: u16 = u16::MAX;

    /// `n`, saturated.
    pub fn count(n: u64) -> u16 {
        u16::try_from(n).unwrap_or(Dropped::MAX)
    }

    /// `a + b`, saturated.
    pub fn add(a: u16, b: u64) -> u16 {
        Dropped::count(u64::from(a) + b)
    }

    /// Whether nothing was dropped.
    pub fn is_empty(self) -> bool {
        self == Dropped::default()
    }
}

/// One span, fixed size.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent: Parent,
    pub name: Sym,
    pub kind: SpanKind,
    pub status: StatusCode,
    pub status_message: Sym,
    /// Nanoseconds since the Unix epoch; 0 when missing.
    pub start: u64,
    /// Nanoseconds since the Unix epoch; 0 when missing.
    pub end: u64,
    pub resource: u32,
    /// Index into [`Dump::scopes`], or [`NO_SCOPE`].
    pub scope: u32,
    pub attrs: Slice,
    pub events: Slice,
    pub links: Slice,
    pub flags: SpanFlags,
    pub dropped: Dropped,
    /// Where it was read: [`Dump::loc`] gives the [`SourceLoc`].
    pub loc: SpanLoc,
}

/// A span's [`SourceLoc`] as an offset from one of its dump's [`Dump::loc_bases`]: 12 bytes
/// in each span record instead of 24. A dump needs a new base only for another file, or for
/// a line or byte offset more than 4 Gi past the last base, so it holds a handful.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SpanLoc {
    base: u32,
    line: u32,
    offset: u32,
}

impl SpanLoc {
    /// Which of the dump's bases this location counts from.
    pub fn base(self) -> u32 {
        self.base
    }

    /// The same location counted from base `base + by` (dumps merged one after another).
    pub fn shifted(self, by: u32) -> SpanLoc {
        SpanLoc { base: self.base + by, ..self }
    }
}

/// A span named without reference to where it is stored, enough to point a finding at it.
/// Ordered by (trace id, span id, start, location): a choice of example span that does not
/// depend on input order or on how the dump is partitioned.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct SpanRef {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub start: u64,
    pub loc: SourceLoc,
}

impl SpanRef {
    /// The reference of `s`.
    pub fn of(dump: &Dump, s: &Span) -> SpanRef {
        SpanRef { trace_id: s.trace_id, span_id: s.span_id, start: s.start, loc: dump.loc(s) }
    }
}

impl Span {
    /// `end - start` when both are present and ordered.
    pub fn duration(&self) -> Option<u64> {
        (self.start != 0 && self.end != 0 && self.end >= self.start).then(|| self.end - self.start)
    }
}

/// `to - from` when it is neither negative nor above `u32::MAX`.
fn delta(from: u64, to: u64) -> Option<u32> {
    to.checked_sub(from).and_then(|d| u32::try_from(d).ok())
}

/// Parses a percentage (`20%`) or a fraction (`0.2`) as a fraction.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (t, 1.0),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("not a percentage: {s:?} (e.g. 20%)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("not a percentage: {s:?}"));
    }
    Ok(v / scale)
}

/// At most `max` characters of the first line of `text` (cut on a character boundary).
pub fn excerpt(text: &str, max: usize) -> &str {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(max) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// A log record that names a trace, kept compactly to be checked against the spans
/// (records without a trace id are only counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogRec {
    pub trace_id: TraceId,
    /// The span it was written in, when it says.
    pub span_id: Option<SpanId>,
    /// `timeUnixNano`, else `observedTimeUnixNano` (0 when neither).
    pub time: u64,
    /// `severityNumber` (0 when unset).
    pub severity: u8,
    /// The event name, else the start of the body, else the severity text.
    pub excerpt: Sym,
    pub loc: SourceLoc,
}

/// Everything decoded from the inputs of one run.
#[derive(Debug, Default)]
pub struct Dump {
    pub files: Vec<InputFile>,
    pub strings: Interner,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub spans: Vec<Span>,
    pub attrs: Vec<Attr>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    /// Log records that name a trace.
    pub logs: Vec<LogRec>,
    /// The locations span locations count from ([`SpanLoc`]).
    pub loc_bases: Vec<SourceLoc>,
}

impl Dump {
    /// Where span `s` was read.
    pub fn loc(&self, s: &Span) -> SourceLoc {
        let b = self.loc_bases[s.loc.base as usize];
        SourceLoc { file: b.file, line: b.line + u64::from(s.loc.line), offset: b.offset + u64::from(s.loc.offset) }
    }

    /// `loc` for a span about to be added: counted from the last base when it can be,
    /// else from a new one.
    pub fn span_loc(&mut self, loc: SourceLoc) -> SpanLoc {
        if let Some(b) = self.loc_bases.last()
            && b.file == loc.file
            && let (Some(line), Some(offset)) = (delta(b.line, loc.line), delta(b.offset, loc.offset))
        {
            let base = (self.loc_bases.len() - 1) as u32;
            return SpanLoc { base, line, offset };
        }
        let base = u32::try_from(self.loc_bases.len()).expect("more than 4 billion location bases");
        self.loc_bases.push(loc);
        SpanLoc { base, line: 0, offset: 0 }
    }

    /// The text of a symbol.
    pub fn str(&self, s: Sym) -> &str {
        self.strings.resolve(s)
    }

    /// The attributes of a span.
    pub fn span_attrs(&self, span: &Span) -> &[Attr] {
        &self.attrs[span.attrs.range()]
    }

    /// The events of a span.
    pub fn span_events(&self, span: &Span) -> &[Event] {
        &self.events[span.events.range()]
    }

    /// The links of a span.
    pub fn span_links(&self, span: &Span) -> &[Link] {
        &self.links[span.links.range()]
    }

    /// The instrumentation scope of a span (empty when its format names none).
    pub fn scope(&self, span: &Span) -> Scope {
        self.scopes.get(span.scope as usize).copied().unwrap_or_default()
    }

    /// Whether two spans share a clock: the same resource, or resources of one host
    /// ([`Resource::host`]). Order and containment between them need no skew tolerance.
    pub fn same_clock(&self, a: &Span, b: &Span) -> bool {
        a.resource == b.resource
            || matches!((self.resource(a).host, self.resource(b).host), (Some(x), Some(y)) if x == y)
    }

    /// Whether the SDK dropped data of `span`: attributes, events or links of the span, or
    /// attributes of its scope or resource (so what a rule sees of it may be incomplete).
    pub fn span_lost_data(&self, span: &Span) -> bool {
        !span.dropped.is_empty()
            || self.scopes.get(span.scope as usize).is_some_and(|sc| sc.dropped_attrs > 0)
            || self.resource(span).dropped_attrs > 0
    }

    /// The resource of a span.
    pub fn resource(&self, span: &Span) -> &Resource {
        &self.resources[span.resource as usize]
    }

    /// A value as short text for messages: strings quoted, other values as written.
    pub fn value_text(&self, v: &Value) -> String {
        match v {
            Value::Str(s) => format!("{:?}", self.str(*s)),
            Value::Bytes(s) | Value::Array(s) | Value::Map(s) => self.str(*s).to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Empty => "(empty)".into(),
        }
    }

    /// `path:line` of a source location; `path:record N` for length-prefixed records;
    /// just `path` for what concerns a whole file.
    pub fn location(&self, loc: SourceLoc) -> String {
        location(&self.files, loc)
    }
}

/// [`Dump::location`] of a location in one of `files`.
pub fn location(files: &[InputFile], loc: SourceLoc) -> String {
    match files.get(loc.file as usize) {
        Some(f) if loc.line == 0 || f.format == Format::Message => f.path.clone(),
        Some(f) if f.format == Format::Records => format!("{}:record {}", f.path, loc.line),
        Some(f) if matches!(f.format, Format::Parquet | Format::Arrow) => format!("{}:row {}", f.path, loc.line),
        Some(f) => format!("{}:{}", f.path, loc.line),
        None => format!("?:{}", loc.line),
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_record_keeps_its_place_in_112_bytes() {
        assert_eq!(size_of::<Span>(), 112);
    }

    #[test]
    fn span_locations_come_back_as_given_and_share_bases() {
        let at = |file, line, offset| SourceLoc { file, line, offset };
        let big = u64::from(u32::MAX);
        let locs = [
            at(0, 1, 0),
            at(0, 1, 200),
            at(0, 7, 90_000),
            // Another file, then back: each needs a base.
            at(1, 3, 10),
            at(0, 8, 90_100),
            // Backwards: a new base; then as far ahead as a base reaches, in lines and bytes.
            at(0, 2, 5),
            at(0, 2 + big, 5 + big),
            // One line too far, then one byte too far: a new base each.
            at(0, 3 + big, 5),
            at(0, 3 + big, 5 + big),
            at(0, 3 + big, 6 + big),
        ];
        let mut dump = Dump::default();
        let spans: Vec<Span> = locs
            .iter()
            .map(|&l| {
                let loc = dump.span_loc(l);
                Span { loc, ..test_span() }
            })
            .collect();
        for (s, &l) in spans.iter().zip(&locs) {
            assert_eq!(dump.loc(s), l);
        }
        assert_eq!(dump.loc_bases.len(), 6, "{:?}", dump.loc_bases);
    }

    fn test_span() -> Span {
        Span {
            trace_id: TraceId([1; 16]),
            span_id: SpanId([2; 8]),
            parent: Parent::Root,
            name: Sym::EMPTY,
            kind: SpanKind::default(),
            status: StatusCode::default(),
            status_message: Sym::EMPTY,
            start: 0,
            end: 0,
            resource: 0,
            scope: NO_SCOPE,
            attrs: Slice::default(),
            events: Slice::default(),
            links: Slice::default(),
            flags: SpanFlags::default(),
            dropped: Dropped::default(),
            loc: SpanLoc::default(),
        }
    }
}
