//! Spans as rows of the OpenTelemetry Collector's ClickHouse table (`otel_traces`), in
//! Parquet: the flat span layout people already keep spans in (ClickHouse, Databricks,
//! otlp2parquet, DuckDB). [`crate::export`] writes a dump in it; [`mod@read`] decodes such
//! files, ours or anyone's.
//!
//! The table's columns come first, with its names and spellings (`SpanKind` `Server`,
//! `StatusCode` `Error`, as the exporter's current version writes them; the older
//! `SPAN_KIND_SERVER` and `STATUS_CODE_ERROR` are read too). Two types differ from the DDL
//! so that Spark reads the file: `Timestamp` is in microseconds (Spark cannot read
//! nanosecond timestamps) and `Duration` is a signed 64-bit integer (Spark has no unsigned
//! one); ClickHouse converts both on insert. Then come columns of ours that make
//! tracecheck → Parquet → tracecheck lose nothing: exact times, attribute types, scope
//! attributes, SDK drop counters, which spans share a resource or scope, and the tracecheck
//! flags of a span. A file without them is read as well, with attribute types inferred
//! from their text.

pub mod read;

/// Every column tracecheck writes: the table's, then ours.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Col {
    Timestamp,
    TraceId,
    SpanId,
    ParentSpanId,
    TraceState,
    SpanName,
    SpanKind,
    ServiceName,
    ResourceAttributes,
    ScopeName,
    ScopeVersion,
    SpanAttributes,
    Duration,
    StatusCode,
    StatusMessage,
    EventsTimestamp,
    EventsName,
    EventsAttributes,
    LinksTraceId,
    LinksSpanId,
    LinksTraceState,
    LinksAttributes,
    // Ours.
    StartTimeUnixNano,
    EndTimeUnixNano,
    ResourceAttributeTypes,
    ScopeAttributes,
    ScopeAttributeTypes,
    SpanAttributeTypes,
    EventsTimeUnixNano,
    EventsAttributeTypes,
    LinksAttributeTypes,
    DroppedAttributesCount,
    DroppedEventsCount,
    DroppedLinksCount,
    DroppedNestedAttributesCount,
    ResourceDroppedAttributesCount,
    ScopeDroppedAttributesCount,
    ResourceIndex,
    ScopeIndex,
    TracecheckFlags,
}

impl Col {
    /// Every column, in file order (`Col::ALL[c as usize] == c`).
    pub const ALL: [Col; 40] = [
        Col::Timestamp,
        Col::TraceId,
        Col::SpanId,
        Col::ParentSpanId,
        Col::TraceState,
        Col::SpanName,
        Col::SpanKind,
        Col::ServiceName,
        Col::ResourceAttributes,
        Col::ScopeName,
        Col::ScopeVersion,
        Col::SpanAttributes,
        Col::Duration,
        Col::StatusCode,
        Col::StatusMessage,
        Col::EventsTimestamp,
        Col::EventsName,
        Col::EventsAttributes,
        Col::LinksTraceId,
        Col::LinksSpanId,
        Col::LinksTraceState,
        Col::LinksAttributes,
        Col::StartTimeUnixNano,
        Col::EndTimeUnixNano,
        Col::ResourceAttributeTypes,
        Col::ScopeAttributes,
        Col::ScopeAttributeTypes,
        Col::SpanAttributeTypes,
        Col::EventsTimeUnixNano,
        Col::EventsAttributeTypes,
        Col::LinksAttributeTypes,
        Col::DroppedAttributesCount,
        Col::DroppedEventsCount,
        Col::DroppedLinksCount,
        Col::DroppedNestedAttributesCount,
        Col::ResourceDroppedAttributesCount,
        Col::ScopeDroppedAttributesCount,
        Col::ResourceIndex,
        Col::ScopeIndex,
        Col::TracecheckFlags,
    ];

    /// The column's name in the file.
    pub fn name(self) -> &'static str {
        use Col::*;
        match self {
            Timestamp => "Timestamp",
            TraceId => "TraceId",
            SpanId => "SpanId",
            ParentSpanId => "ParentSpanId",
            TraceState => "TraceState",
            SpanName => "SpanName",
            SpanKind => "SpanKind",
            ServiceName => "ServiceName",
            ResourceAttributes => "ResourceAttributes",
            ScopeName => "ScopeName",
            ScopeVersion => "ScopeVersion",
            SpanAttributes => "SpanAttributes",
            Duration => "Duration",
            StatusCode => "StatusCode",
            StatusMessage => "StatusMessage",
            EventsTimestamp => "Events.Timestamp",
            EventsName => "Events.Name",
            EventsAttributes => "Events.Attributes",
            LinksTraceId => "Links.TraceId",
            LinksSpanId => "Links.SpanId",
            LinksTraceState => "Links.TraceState",
            LinksAttributes => "Links.Attributes",
            StartTimeUnixNano => "StartTimeUnixNano",
            EndTimeUnixNano => "EndTimeUnixNano",
            ResourceAttributeTypes => "ResourceAttributeTypes",
            ScopeAttributes => "ScopeAttributes",
            ScopeAttributeTypes => "ScopeAttributeTypes",
            SpanAttributeTypes => "SpanAttributeTypes",
            EventsTimeUnixNano => "Events.TimeUnixNano",
            EventsAttributeTypes => "Events.AttributeTypes",
            LinksAttributeTypes => "Links.AttributeTypes",
            DroppedAttributesCount => "DroppedAttributesCount",
            DroppedEventsCount => "DroppedEventsCount",
            DroppedLinksCount => "DroppedLinksCount",
            DroppedNestedAttributesCount => "DroppedNestedAttributesCount",
            ResourceDroppedAttributesCount => "ResourceDroppedAttributesCount",
            ScopeDroppedAttributesCount => "ScopeDroppedAttributesCount",
            ResourceIndex => "ResourceIndex",
            ScopeIndex => "ScopeIndex",
            TracecheckFlags => "TracecheckFlags",
        }
    }

    /// Whether the Collector's table has this column.
    pub fn in_table(self) -> bool {
        (self as usize) < Col::StartTimeUnixNano as usize
    }
}

/// What `ParentSpanId` holds for a parent that was present but not an id: no hex reads as
/// an id, so reading it back gives the same invalid parent.
pub const INVALID_PARENT: &str = "invalid";

/// The file-level key that says which layout (and version of our columns) a file holds.
pub const LAYOUT_KEY: &str = "tracecheck.layout";
/// Its value for what this version writes.
pub const LAYOUT: &str = "otel_traces+tracecheck/1";

/// The columns a file must have to be read as spans.
pub const REQUIRED: [Col; 6] =
    [Col::Timestamp, Col::TraceId, Col::SpanId, Col::ParentSpanId, Col::SpanName, Col::Duration];

/// One character per attribute, in map order, for its OTLP type: `s` string, `b` bool, `i`
/// int, `d` double, `y` bytes (base64), `a` array and `m` map (JSON), `e` empty.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TypeCode(pub char);

impl TypeCode {
    /// The code of a type.
    pub fn of(t: crate::model::ValueType) -> TypeCode {
        use crate::model::ValueType as T;
        TypeCode(match t {
            T::Str => 's',
            T::Bool => 'b',
            T::Int => 'i',
            T::Double => 'd',
            T::Bytes => 'y',
            T::Array => 'a',
            T::Map => 'm',
            T::Empty => 'e',
        })
    }
}

/// `SpanKind` as the exporter writes it (`Server`).
pub fn kind_name(k: crate::model::SpanKind) -> &'static str {
    use crate::model::SpanKind as K;
    match k {
        K::Unspecified => "Unspecified",
        K::Internal => "Internal",
        K::Server => "Server",
        K::Client => "Client",
        K::Producer => "Producer",
        K::Consumer => "Consumer",
    }
}

/// `StatusCode` as the exporter writes it (`Error`).
pub fn status_name(c: crate::model::StatusCode) -> &'static str {
    use crate::model::StatusCode as S;
    match c {
        S::Unset => "Unset",
        S::Ok => "Ok",
        S::Error => "Error",
    }
}
