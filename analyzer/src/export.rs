//! `tracecheck export`: the spans of a dump as Parquet rows in the Collector's `otel_traces`
//! layout, plus the columns of ours that make the round trip lossless (the layout is in
//! [`crate::input::otel_traces`], beside its reader).

use crate::input::otel_traces::{Col, INVALID_PARENT, LAYOUT, LAYOUT_KEY, TypeCode, kind_name, status_name};
use crate::model::{Attr, Dump, NO_SCOPE, Parent, Span, SpanFlags, Value};
use polars_arrow::array::{Array, ListArray, MapArray, PrimitiveArray, StructArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, TimeUnit};
use polars_arrow::offset::OffsetsBuffer;
use polars_arrow::record_batch::RecordBatchT;
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::parquet::schema::types::{GroupConvertedType, GroupLogicalType};
use polars_parquet::write::{
    CompressionOptions, Encoding, FileWriter, KeyValue, ParquetType, SchemaDescriptor, StatisticsOptions, Version,
    WriteOptions, ZstdLevel, row_group_iter, to_parquet_type,
};
use std::io::Write;
use std::sync::Arc;

/// Rows per row group (at least: a group ends where no resource of its rows is used
/// after it): about 64 MB of spans shaped like real services.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Writes the spans of `dump` (those `keep` marks, by index, when given) to `out` as
/// Parquet, in dump order; returns how many rows were written.
pub fn write_parquet<W: Write>(dump: &Dump, keep: Option<&[bool]>, out: W) -> Result<u64, String> {
    let schema = Arc::new(schema());
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(Some(ZstdLevel::try_new(3).map_err(|e| e.to_string())?)),
        data_page_size: None,
    };
    let types = |layout| -> Result<Vec<ParquetType>, String> {
        schema.iter_values().map(|f| parquet_type(f, layout)).collect::<Result<_, _>>().map_err(|e| e.to_string())
    };
    // The file says the standard MAP layout; the encoder of polars wants a group for the
    // entries' struct in between, which (being required) changes no level of any column.
    let fields = types(MapLayout::Encoder)?;
    let parquet_schema = SchemaDescriptor::new("otel_traces".into(), types(MapLayout::File)?);
    let mut writer = FileWriter::new_with_parquet_schema(out, (*schema).clone(), parquet_schema, options);
    let encodings: Vec<Vec<Encoding>> =
        schema.iter_values().map(|f| polars_parquet::write::get_dtype_encoding(&f.dtype)).collect();
    let ids = Ids::of(dump);
    let mut rows = 0u64;
    let mut group = Rows::default();
    let flush = |group: &mut Rows, writer: &mut FileWriter<W>| -> Result<(), String> {
        if group.len == 0 {
            return Ok(());
        }
        let batch = std::mem::take(group).into_batch(schema.clone());
        let n = batch.len() as u64;
        let columns = row_group_iter(batch, encodings.clone().into(), fields.clone(), options);
        writer.write(n, columns).map_err(|e| e.to_string())?;
        Ok(())
    };
    let kept = dump.spans.iter().enumerate().filter(|(i, _)| keep.is_none_or(|k| k.get(*i).copied().unwrap_or(false)));
    // A row group ends only where no resource of the rows before it is used after it: a
    // reader makes one resource of the rows of one ResourceIndex in a row group, as the
    // dump had one.
    let kept: Vec<&Span> = kept.map(|(_, s)| s).collect();
    let mut last_use = vec![0usize; dump.resources.len()];
    for (p, s) in kept.iter().enumerate() {
        last_use[s.resource as usize] = p;
    }
    let mut reach = 0;
    for (p, span) in kept.iter().enumerate() {
        if group.len >= ROW_GROUP_ROWS && reach < p {
            flush(&mut group, &mut writer)?;
        }
        reach = reach.max(last_use[span.resource as usize]);
        group.push(dump, &ids, span);
        rows += 1;
    }
    flush(&mut group, &mut writer)?;
    // No Arrow schema in the footer: readers take the Parquet types (plain strings, not
    // views), which every Arrow, Spark and DuckDB reads.
    let layout = KeyValue { key: LAYOUT_KEY.into(), value: Some(LAYOUT.into()) };
    writer.end(Some(vec![layout])).map_err(|e| e.to_string())?;
    Ok(rows)
}

/// Dense numbers for resources and scopes in order of first use, so that a file written
/// from several inputs numbers them from 0 (`ResourceIndex`, `ScopeIndex`).
struct Ids {
    resources: Vec<i64>,
    scopes: Vec<i64>,
}

impl Ids {
    fn of(dump: &Dump) -> Ids {
        let mut resources = vec![-1; dump.resources.len()];
        let mut scopes = vec![-1; dump.scopes.len()];
        let (mut nr, mut ns) = (0, 0);
        for s in &dump.spans {
            let r = &mut resources[s.resource as usize];
            if *r < 0 {
                *r = nr;
                nr += 1;
            }
            if let Some(sc) = scopes.get_mut(s.scope as usize)
                && *sc < 0
            {
                *sc = ns;
                ns += 1;
            }
        }
        Ids { resources, scopes }
    }
}

fn utf8() -> ArrowDataType {
    ArrowDataType::Utf8View
}

fn micros() -> ArrowDataType {
    ArrowDataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list_of(dtype: ArrowDataType) -> ArrowDataType {
    ArrowDataType::LargeList(Box::new(Field::new("item".into(), dtype, true)))
}

fn entries() -> ArrowDataType {
    ArrowDataType::Struct(vec![Field::new("key".into(), utf8(), false), Field::new("value".into(), utf8(), true)])
}

fn string_map() -> ArrowDataType {
    ArrowDataType::Map(Box::new(Field::new("entries".into(), entries(), false)), false)
}

/// The type of each column.
fn dtype(c: Col) -> ArrowDataType {
    use Col::*;
    match c {
        Timestamp => micros(),
        Duration
        | StartTimeUnixNano
        | EndTimeUnixNano
        | DroppedAttributesCount
        | DroppedEventsCount
        | DroppedLinksCount
        | DroppedNestedAttributesCount
        | ResourceDroppedAttributesCount
        | ScopeDroppedAttributesCount
        | ResourceIndex
        | ScopeIndex
        | TracecheckFlags => ArrowDataType::Int64,
        ResourceAttributes | SpanAttributes | ScopeAttributes => string_map(),
        EventsTimestamp => list_of(micros()),
        EventsTimeUnixNano => list_of(ArrowDataType::Int64),
        EventsAttributes | LinksAttributes => list_of(string_map()),
        EventsName | EventsAttributeTypes | LinksTraceId | LinksSpanId | LinksTraceState | LinksAttributeTypes => {
            list_of(utf8())
        }
        _ => utf8(),
    }
}

/// How a map column is described: as the file says it, or as the encoder walks it.
#[derive(Clone, Copy)]
enum MapLayout {
    /// `MAP` → repeated `key_value` → `key`, `value`: the standard layout.
    File,
    /// The same with a required group for the entries' struct above `key` and `value`.
    Encoder,
}

/// The Parquet type of a column: a string map as a `MAP` group (which the Arrow-to-Parquet
/// conversion of polars does not write), a list of them as a `LIST` of it.
fn parquet_type(field: &Field, layout: MapLayout) -> Result<ParquetType, polars_error::PolarsError> {
    let optional = if field.is_nullable { Repetition::Optional } else { Repetition::Required };
    let map = |name: &str, repetition| {
        let kv = match entries() {
            ArrowDataType::Struct(kv) => kv.iter().map(to_parquet_type).collect::<Result<Vec<_>, _>>(),
            _ => Ok(Vec::new()),
        }?;
        let kv = match layout {
            MapLayout::File => kv,
            MapLayout::Encoder => {
                vec![ParquetType::from_group("entries".into(), Repetition::Required, None, None, kv, None)]
            }
        };
        let key_value = ParquetType::from_group("key_value".into(), Repetition::Repeated, None, None, kv, None);
        Ok::<_, polars_error::PolarsError>(ParquetType::from_group(
            name.into(),
            repetition,
            Some(GroupConvertedType::Map),
            Some(GroupLogicalType::Map),
            vec![key_value],
            None,
        ))
    };
    match &field.dtype {
        ArrowDataType::Map(..) => map(&field.name, optional),
        ArrowDataType::LargeList(item) if matches!(item.dtype, ArrowDataType::Map(..)) => {
            let list = ParquetType::from_group(
                "list".into(),
                Repetition::Repeated,
                None,
                None,
                vec![map("element", Repetition::Optional)?],
                None,
            );
            Ok(ParquetType::from_group(
                field.name.clone(),
                optional,
                Some(GroupConvertedType::List),
                Some(GroupLogicalType::List),
                vec![list],
                None,
            ))
        }
        _ => to_parquet_type(field),
    }
}

fn schema() -> ArrowSchema {
    Col::ALL.iter().map(|&c| Field::new(c.name().into(), dtype(c), !matches!(c, Col::TraceId | Col::SpanId))).collect()
}

/// A map column under construction: entries of every row, and where each row's start.
#[derive(Default)]
struct MapCol {
    offsets: Vec<i32>,
    keys: Vec<String>,
    values: Vec<String>,
}

impl MapCol {
    fn push_row(&mut self, kvs: impl Iterator<Item = (String, String)>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        for (k, v) in kvs {
            self.keys.push(k);
            self.values.push(v);
        }
        self.offsets.push(i32::try_from(self.keys.len()).unwrap_or(i32::MAX));
    }

    fn into_array(mut self) -> Box<dyn Array> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let keys = Utf8ViewArray::from_slice_values(&self.keys);
        let values = Utf8ViewArray::from_slice_values(&self.values);
        let field = StructArray::new(entries(), keys.len(), vec![keys.boxed(), values.boxed()], None);
        let offsets = OffsetsBuffer::try_from(self.offsets).unwrap_or_default();
        MapArray::new(string_map(), offsets, field.boxed(), None).boxed()
    }
}

/// A list column under construction: the offsets of every row over `values`.
struct ListCol<T> {
    offsets: Vec<i64>,
    values: T,
}

impl<T: Default> Default for ListCol<T> {
    fn default() -> Self {
        ListCol { offsets: vec![0], values: T::default() }
    }
}

impl<T> ListCol<T> {
    fn end_row(&mut self, len: usize) {
        self.offsets.push(len as i64);
    }

    fn wrap(self, item: ArrowDataType, values: Box<dyn Array>) -> Box<dyn Array> {
        let offsets = OffsetsBuffer::try_from(self.offsets).unwrap_or_default();
        ListArray::<i64>::new(list_of(item), offsets, values, None).boxed()
    }
}

/// One row group under construction, column by column.
#[derive(Default)]
struct Rows {
    len: usize,
    timestamp: Vec<i64>,
    text: [Vec<String>; 11],
    ints: [Vec<i64>; 12],
    maps: [MapCol; 3],
    /// The type strings beside each map of [`MAP_COLS`].
    types: [Vec<String>; 3],
    event_micros: ListCol<Vec<i64>>,
    event_nanos: ListCol<Vec<i64>>,
    event_names: ListCol<Vec<String>>,
    event_types: ListCol<Vec<String>>,
    event_attrs: ListCol<MapCol>,
    link_texts: [ListCol<Vec<String>>; 4],
    link_attrs: ListCol<MapCol>,
}

/// Indexes into [`Rows::text`].
const TEXT_COLS: [Col; 11] = [
    Col::TraceId,
    Col::SpanId,
    Col::ParentSpanId,
    Col::TraceState,
    Col::SpanName,
    Col::SpanKind,
    Col::ServiceName,
    Col::ScopeName,
    Col::ScopeVersion,
    Col::StatusCode,
    Col::StatusMessage,
];
/// Indexes into [`Rows::ints`].
const INT_COLS: [Col; 12] = [
    Col::Duration,
    Col::StartTimeUnixNano,
    Col::EndTimeUnixNano,
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
/// Indexes into [`Rows::maps`].
const MAP_COLS: [Col; 3] = [Col::ResourceAttributes, Col::ScopeAttributes, Col::SpanAttributes];
/// Indexes into [`Rows::link_texts`].
const LINK_TEXT_COLS: [Col; 4] = [Col::LinksTraceId, Col::LinksSpanId, Col::LinksTraceState, Col::LinksAttributeTypes];
/// The type strings that stand beside each map of [`MAP_COLS`].
const MAP_TYPE_COLS: [Col; 3] = [Col::ResourceAttributeTypes, Col::ScopeAttributeTypes, Col::SpanAttributeTypes];

/// Attributes as map entries (key, text) and the type string beside them.
fn entries_of<'a>(dump: &'a Dump, attrs: &'a [Attr]) -> (impl Iterator<Item = (String, String)> + 'a, String) {
    let types: String = attrs.iter().map(|a| TypeCode::of(a.value_type()).0).collect();
    (attrs.iter().map(|a| (dump.str(a.key).to_owned(), value_text(dump, a.value()))), types)
}

/// A value as the exporter writes it in a string map: strings as they are, numbers and
/// booleans as their text (doubles in the shortest form that reads back the same), bytes
/// in base64, arrays and maps as JSON, an empty value as nothing.
pub fn value_text(dump: &Dump, v: Value) -> String {
    match v {
        Value::Str(s) | Value::Bytes(s) | Value::Array(s) | Value::Map(s) => dump.str(s).to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Empty => String::new(),
    }
}

fn hex_or_empty(id: &[u8]) -> String {
    if id.iter().all(|&b| b == 0) { String::new() } else { tracecheck_wire::hex::encode(id) }
}

impl Rows {
    fn push(&mut self, dump: &Dump, ids: &Ids, s: &Span) {
        self.len += 1;
        self.timestamp.push((s.start / 1000) as i64);
        let resource = dump.resource(s);
        let scope = (s.scope != NO_SCOPE).then(|| dump.scope(s));
        let parent = match s.parent {
            Parent::Root => String::new(),
            Parent::Span(p) => p.to_string(),
            Parent::Invalid => INVALID_PARENT.to_owned(),
        };
        let text = [
            s.trace_id.to_string(),
            s.span_id.to_string(),
            parent,
            String::new(),
            dump.str(s.name).to_owned(),
            kind_name(s.kind).to_owned(),
            resource.service_name.map(|n| dump.str(n).to_owned()).unwrap_or_default(),
            scope.map(|sc| dump.str(sc.name).to_owned()).unwrap_or_default(),
            scope.map(|sc| dump.str(sc.version).to_owned()).unwrap_or_default(),
            status_name(s.status).to_owned(),
            dump.str(s.status_message).to_owned(),
        ];
        for (col, t) in self.text.iter_mut().zip(text) {
            col.push(t);
        }
        let duration = s.end.saturating_sub(s.start).min(i64::MAX as u64) as i64;
        let ints = [
            duration,
            s.start as i64,
            s.end as i64,
            i64::from(s.dropped.attrs),
            i64::from(s.dropped.events),
            i64::from(s.dropped.links),
            i64::from(s.dropped.nested_attrs),
            i64::from(resource.dropped_attrs),
            scope.map_or(0, |sc| i64::from(sc.dropped_attrs)),
            ids.resources[s.resource as usize],
            ids.scopes.get(s.scope as usize).copied().unwrap_or(-1),
            i64::from(s.flags.0 & (SpanFlags::SHARED | SpanFlags::FOLLOWS_FROM)),
        ];
        for (col, v) in self.ints.iter_mut().zip(ints) {
            col.push(v);
        }
        let attr_sets: [&[Attr]; 3] = [
            &dump.attrs[resource.attrs.range()],
            scope.map_or(&[][..], |sc| &dump.attrs[sc.attrs.range()]),
            dump.span_attrs(s),
        ];
        for (i, attrs) in attr_sets.into_iter().enumerate() {
            let (kvs, types) = entries_of(dump, attrs);
            self.maps[i].push_row(kvs);
            self.types[i].push(types);
        }
        for e in dump.span_events(s) {
            self.event_micros.values.push((e.time / 1000) as i64);
            self.event_nanos.values.push(e.time as i64);
            self.event_names.values.push(dump.str(e.name).to_owned());
            let (kvs, types) = entries_of(dump, &dump.attrs[e.attrs.range()]);
            self.event_attrs.values.push_row(kvs);
            self.event_types.values.push(types);
        }
        let n = self.event_names.values.len();
        self.event_micros.end_row(n);
        self.event_nanos.end_row(n);
        self.event_names.end_row(n);
        self.event_types.end_row(n);
        self.event_attrs.end_row(n);
        for l in dump.span_links(s) {
            let (kvs, types) = entries_of(dump, &dump.attrs[l.attrs.range()]);
            let texts = [hex_or_empty(&l.trace_id.0), hex_or_empty(&l.span_id.0), String::new(), types];
            for (col, t) in self.link_texts.iter_mut().zip(texts) {
                col.values.push(t);
            }
            self.link_attrs.values.push_row(kvs);
        }
        let links = self.link_texts[0].values.len();
        for col in &mut self.link_texts {
            col.end_row(links);
        }
        self.link_attrs.end_row(links);
    }

    fn into_batch(mut self, schema: Arc<ArrowSchema>) -> RecordBatchT<Box<dyn Array>> {
        let len = self.len;
        let mut by_col: Vec<(Col, Box<dyn Array>)> = Vec::new();
        by_col.push((Col::Timestamp, PrimitiveArray::<i64>::from_vec(self.timestamp).to(micros()).boxed()));
        for (c, v) in TEXT_COLS.into_iter().zip(self.text) {
            by_col.push((c, Utf8ViewArray::from_slice_values(&v).boxed()));
        }
        for (c, v) in MAP_TYPE_COLS.into_iter().zip(self.types) {
            by_col.push((c, Utf8ViewArray::from_slice_values(&v).boxed()));
        }
        for (c, v) in INT_COLS.into_iter().zip(self.ints) {
            by_col.push((c, PrimitiveArray::<i64>::from_vec(v).boxed()));
        }
        for (c, m) in MAP_COLS.into_iter().zip(self.maps) {
            by_col.push((c, m.into_array()));
        }
        let values =
            PrimitiveArray::<i64>::from_vec(std::mem::take(&mut self.event_micros.values)).to(micros()).boxed();
        by_col.push((Col::EventsTimestamp, self.event_micros.wrap(micros(), values)));
        let values = PrimitiveArray::<i64>::from_vec(std::mem::take(&mut self.event_nanos.values)).boxed();
        by_col.push((Col::EventsTimeUnixNano, self.event_nanos.wrap(ArrowDataType::Int64, values)));
        let values = Utf8ViewArray::from_slice_values(&self.event_names.values).boxed();
        by_col.push((Col::EventsName, self.event_names.wrap(utf8(), values)));
        let values = Utf8ViewArray::from_slice_values(&self.event_types.values).boxed();
        by_col.push((Col::EventsAttributeTypes, self.event_types.wrap(utf8(), values)));
        let values = std::mem::take(&mut self.event_attrs.values).into_array();
        by_col.push((Col::EventsAttributes, self.event_attrs.wrap(string_map(), values)));
        for (c, l) in LINK_TEXT_COLS.into_iter().zip(self.link_texts) {
            let values = Utf8ViewArray::from_slice_values(&l.values).boxed();
            by_col.push((c, l.wrap(utf8(), values)));
        }
        let values = std::mem::take(&mut self.link_attrs.values).into_array();
        by_col.push((Col::LinksAttributes, self.link_attrs.wrap(string_map(), values)));
        let mut arrays: Vec<Option<Box<dyn Array>>> = (0..Col::ALL.len()).map(|_| None).collect();
        for (c, a) in by_col {
            arrays[c as usize] = Some(a);
        }
        let arrays = arrays
            .into_iter()
            .map(|a| a.unwrap_or_else(|| PrimitiveArray::<i64>::new_null(ArrowDataType::Int64, len).boxed()))
            .collect();
        RecordBatchT::new(len, schema, arrays)
    }
}
