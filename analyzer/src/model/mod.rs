//! The compact in-memory model every decoder produces and every check reads.
//!
//! Spans hold binary ids, interned strings, nanosecond times and typed attribute values.
//! Variable-length parts (attributes, events, links) live in shared arenas of [`Dump`]
//! and are referenced by [`Slice`] ranges, so a span is a fixed-size record.

pub mod ids;
pub mod intern;
pub mod time;

pub use ids::{IdError, SpanId, TraceId, decode_id, decode_id_padded};
pub use intern::{Interner, Sym};

use std::fmt;

/// OTLP span kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, serde::Serialize)]
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, serde::Serialize)]
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

/// A typed attribute value, as in OTLP's `AnyValue`. Arrays and maps keep their type and
/// are stored as canonical JSON text.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Value {
    Str(Sym),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Sym),
    Array(Sym),
    Map(Sym),
    /// An `AnyValue` with no value set (`{}`).
    Empty,
}

/// The OTLP type of a [`Value`], used to compare types across spans.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ValueType {
    Str,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    Map,
    Empty,
}

impl ValueType {
    /// Every type, in order (`ValueType::ALL[t as usize] == t`).
    pub const ALL: [ValueType; 8] = [
        ValueType::Str,
        ValueType::Bool,
        ValueType::Int,
        ValueType::Double,
        ValueType::Bytes,
        ValueType::Array,
        ValueType::Map,
        ValueType::Empty,
    ];
}

impl Value {
    /// The OTLP type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::Str,
            Value::Bool(_) => ValueType::Bool,
            Value::Int(_) => ValueType::Int,
            Value::Double(_) => ValueType::Double,
            Value::Bytes(_) => ValueType::Bytes,
            Value::Array(_) => ValueType::Array,
            Value::Map(_) => ValueType::Map,
            Value::Empty => ValueType::Empty,
        }
    }
}

impl ValueType {
    /// The OTLP JSON name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Str => "string",
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::Double => "double",
            ValueType::Bytes => "bytes",
            ValueType::Array => "array",
            ValueType::Map => "kvlist",
            ValueType::Empty => "empty",
        }
    }
}

/// One attribute, in 16 bytes: the value's type and its 8 payload bytes are kept apart
/// (a [`Value`] alone takes 16), so the largest arena of a dump is a third smaller.
#[derive(Clone, Copy)]
pub struct Attr {
    pub key: Sym,
    ty: ValueType,
    /// The symbol in `payload[0]`, or the 8 bytes of an int, a double's bits or a bool.
    payload: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<Attr>() == 16);

impl Attr {
    /// An attribute of `key` set to `value`.
    pub fn new(key: Sym, value: Value) -> Attr {
        let (ty, payload) = match value {
            Value::Str(s) | Value::Bytes(s) | Value::Array(s) | Value::Map(s) => (value.value_type(), u64::from(s.0)),
            Value::Bool(b) => (ValueType::Bool, u64::from(b)),
            Value::Int(i) => (ValueType::Int, i as u64),
            Value::Double(d) => (ValueType::Double, d.to_bits()),
            Value::Empty => (ValueType::Empty, 0),
        };
        Attr::from_raw(key, ty, payload)
    }

    /// The attribute's value.
    pub fn value(&self) -> Value {
        let (ty, wide) = self.raw();
        let sym = Sym(wide as u32);
        match ty {
            ValueType::Str => Value::Str(sym),
            ValueType::Bool => Value::Bool(wide != 0),
            ValueType::Int => Value::Int(wide as i64),
            ValueType::Double => Value::Double(f64::from_bits(wide)),
            ValueType::Bytes => Value::Bytes(sym),
            ValueType::Array => Value::Array(sym),
            ValueType::Map => Value::Map(sym),
            ValueType::Empty => Value::Empty,
        }
    }

    /// The type of its value.
    pub fn value_type(&self) -> ValueType {
        self.ty
    }

    /// The value as stored: its type and 8 payload bytes (a symbol, an int, a double's bits,
    /// 0 or 1), for compact encodings such as streaming mode's partition files.
    pub fn raw(&self) -> (ValueType, u64) {
        (self.ty, u64::from(self.payload[0]) | (u64::from(self.payload[1]) << 32))
    }

    /// The attribute [`Attr::raw`] gave these parts of.
    pub fn from_raw(key: Sym, ty: ValueType, payload: u64) -> Attr {
        Attr { key, ty, payload: [payload as u32, (payload >> 32) as u32] }
    }

    /// Rewrites the key and a symbol value through `map` (used when merging string tables).
    pub fn remap(&mut self, map: &[Sym]) {
        self.key = map[self.key.0 as usize];
        if matches!(self.ty, ValueType::Str | ValueType::Bytes | ValueType::Array | ValueType::Map) {
            self.payload[0] = map[self.payload[0] as usize].0;
        }
    }
}

impl std::fmt::Debug for Attr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attr").field("key", &self.key).field("value", &self.value()).finish()
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
}

/// Where a record came from: the file (index into [`Dump::files`]), the 1-based line the
/// record starts on, and its byte offset.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
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
    pub scope: Sym,
    pub attrs: Slice,
    pub events: Slice,
    pub links: Slice,
    pub flags: SpanFlags,
    pub loc: SourceLoc,
}

/// A span named without reference to where it is stored, enough to point a finding at it.
/// Ordered by (trace id, span id, start, location): a choice of example span that does not
/// depend on input order or on how the dump is partitioned.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SpanRef {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub start: u64,
    pub loc: SourceLoc,
}

impl SpanRef {
    /// The reference of `s`.
    pub fn of(s: &Span) -> SpanRef {
        SpanRef { trace_id: s.trace_id, span_id: s.span_id, start: s.start, loc: s.loc }
    }
}

impl Span {
    /// `end - start` when both are present and ordered.
    pub fn duration(&self) -> Option<u64> {
        (self.start != 0 && self.end != 0 && self.end >= self.start).then(|| self.end - self.start)
    }
}

/// An input file as it was read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    /// The layout of the (decompressed) content.
    pub format: crate::input::Format,
    pub compression: crate::input::Compression,
    /// The trace formats its records were decoded as.
    pub dialects: Vec<crate::input::Dialect>,
}

/// Everything decoded from the inputs of one run.
#[derive(Debug, Default)]
pub struct Dump {
    pub files: Vec<InputFile>,
    pub strings: Interner,
    pub resources: Vec<Resource>,
    pub spans: Vec<Span>,
    pub attrs: Vec<Attr>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
}

impl Dump {
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

    /// The resource of a span.
    pub fn resource(&self, span: &Span) -> &Resource {
        &self.resources[span.resource as usize]
    }

    /// `path:line` of a source location; `path:record N` for length-prefixed records;
    /// just `path` for what concerns a whole file.
    pub fn location(&self, loc: SourceLoc) -> String {
        match self.files.get(loc.file as usize) {
            Some(f) if loc.line == 0 => f.path.clone(),
            Some(f) if f.format == crate::input::Format::Records => format!("{}:record {}", f.path, loc.line),
            Some(f) => format!("{}:{}", f.path, loc.line),
            None => format!("?:{}", loc.line),
        }
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Attr, Sym, Value, ValueType};

    #[test]
    fn an_attribute_gives_back_the_value_it_was_made_with() {
        let values = [
            Value::Str(Sym(7)),
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(0x1234_5678_9abc_def0),
            Value::Double(-0.0),
            Value::Double(f64::MAX),
            Value::Double(1.5e-300),
            Value::Bytes(Sym(u32::MAX)),
            Value::Array(Sym(1)),
            Value::Map(Sym(2)),
            Value::Empty,
        ];
        for v in values {
            let a = Attr::new(Sym(3), v);
            assert_eq!(a.key, Sym(3));
            assert_eq!(a.value_type(), v.value_type());
            let (ty, payload) = a.raw();
            let back = Attr::from_raw(a.key, ty, payload);
            assert_eq!((back.key, back.raw()), (a.key, a.raw()));
            match (a.value(), v) {
                (Value::Double(x), Value::Double(y)) => assert_eq!(x.to_bits(), y.to_bits()),
                (x, y) => assert_eq!(x, y),
            }
        }
        let nan = Attr::new(Sym(0), Value::Double(f64::NAN)).value();
        assert!(matches!(nan, Value::Double(d) if d.is_nan()));
        // Remapping rewrites the key and symbol values, never a number that looks like one.
        let map = [Sym(10), Sym(11), Sym(12), Sym(13)];
        let mut s = Attr::new(Sym(1), Value::Str(Sym(2)));
        s.remap(&map);
        assert_eq!((s.key, s.value()), (Sym(11), Value::Str(Sym(12))));
        let mut i = Attr::new(Sym(3), Value::Int(2));
        i.remap(&map);
        assert_eq!((i.key, i.value()), (Sym(13), Value::Int(2)));
    }

    #[test]
    fn every_value_type_sits_at_its_own_index_in_order() {
        for (i, t) in ValueType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "{t:?}");
        }
        assert!(ValueType::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
