//! Parquet files in the `otel_traces` layout, decoded into the compact span model a row
//! group at a time: ours (with the columns that make the round trip exact) or anyone's
//! (ClickHouse exports, otlp2parquet, Spark), whose string maps give attribute types by
//! inference.

use super::{Col, INVALID_PARENT, REQUIRED};
use crate::input::IssueKind;
use crate::input::batch::{Batch, arena_len, since};
use crate::model::{
    Attr, Dropped, Event, Link, NO_SCOPE, Parent, Resource, Scope, SourceLoc, Span, SpanFlags, SpanId, SpanKind,
    StatusCode, TraceId, Value, decode_id,
};
use polars_arrow::array::{
    Array, BinaryArray, BinaryViewArray, ListArray, MapArray, PrimitiveArray, StructArray, Utf8Array, Utf8ViewArray,
};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, TimeUnit};
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, PageReader, RowGroupMetadata, column_iter_to_arrays, infer_schema, read_metadata,
};
use std::io::Cursor;

/// A column of a batch: its name and its values.
pub type Column = (String, Box<dyn Array>);

/// The magic bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Whether `bytes` look like a Parquet file.
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(MAGIC) && bytes.ends_with(MAGIC)
}

/// A Parquet file opened for reading spans: its footer and which columns it has.
#[allow(missing_debug_implementations)] // the footer of polars-parquet has no Debug
pub struct SpanFile<'a> {
    bytes: &'a [u8],
    meta: FileMetadata,
    schema: ArrowSchema,
    /// Whether it has our typed columns (else attribute types are inferred).
    pub typed: bool,
}

impl<'a> SpanFile<'a> {
    /// Opens `bytes`; an error says what is wrong (not Parquet, or which columns of the
    /// layout it lacks).
    pub fn open(bytes: &'a [u8]) -> Result<SpanFile<'a>, String> {
        let meta = guarded(|| read_metadata(&mut Cursor::new(bytes)))
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        let schema = guarded(|| infer_schema(&meta))
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| format!("a Parquet schema this tool cannot read: {e}"))?;
        let missing: Vec<&str> = REQUIRED.iter().map(|c| c.name()).filter(|n| schema.get(n).is_none()).collect();
        if !missing.is_empty() {
            return Err(format!(
                "a Parquet file without the columns of the otel_traces layout: missing {} (it has {})",
                missing.join(", "),
                schema.iter_names().take(12).map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let typed = [Col::SpanAttributeTypes, Col::StartTimeUnixNano].iter().all(|c| schema.get(c.name()).is_some());
        Ok(SpanFile { bytes, meta, schema, typed })
    }

    /// How many row groups it has.
    pub fn row_groups(&self) -> usize {
        self.meta.row_groups.len()
    }

    /// Rows before row group `g`.
    pub fn first_row(&self, g: usize) -> u64 {
        self.meta.row_groups[..g].iter().map(|rg| rg.num_rows() as u64).sum()
    }

    /// Decodes row group `g` into a batch; spans are located at `file`, line = row number.
    pub fn decode(&self, g: usize, file: u32) -> Batch {
        let mut batch = Batch::fresh();
        let rg = &self.meta.row_groups[g];
        let first = self.first_row(g);
        match guarded(|| self.columns(rg)).and_then(|r| r) {
            Ok(cols) => {
                RowDecoder {
                    batch: &mut batch,
                    cols: &View::of(&cols),
                    file,
                    first,
                    typed: self.typed,
                    resource_keys: Vec::new(),
                }
                .rows(rg.num_rows());
            }
            Err(e) => {
                // Every row of the group is a record skipped.
                let rows = rg.num_rows();
                batch.accounting.records_read += rows as u64;
                for _ in 0..rows {
                    batch.accounting.skip(IssueKind::Malformed);
                }
                let loc = SourceLoc { file, line: first + 1, offset: 0 };
                let message =
                    format!("row group {g} (rows {} to {}) cannot be read: {e}", first + 1, first + rows as u64);
                batch.issue(IssueKind::Malformed, loc, message, None, None);
            }
        }
        batch
    }

    /// The arrays of row group `g`, by column name: the columns of the layout this file
    /// has, as [`decode_arrays`] takes them.
    pub fn arrays(&self, g: usize) -> Result<Vec<Column>, String> {
        let rg = self.meta.row_groups.get(g).ok_or_else(|| format!("no row group {g}"))?;
        let Columns(cols) = guarded(|| self.columns(rg)).and_then(|r| r)?;
        Ok(Col::ALL.iter().zip(cols).filter_map(|(c, a)| Some((c.name().to_string(), a?))).collect())
    }

    /// The arrays of every column this tool reads, for one row group.
    fn columns(&self, rg: &RowGroupMetadata) -> Result<Columns, String> {
        let mut out: Vec<Option<Box<dyn Array>>> = Vec::with_capacity(Col::ALL.len());
        for c in Col::ALL {
            let array = self.column(rg, c.name())?;
            if let Some(a) = &array
                && a.len() != rg.num_rows()
            {
                return Err(format!("column {} has {} values for {} rows", c.name(), a.len(), rg.num_rows()));
            }
            out.push(array);
        }
        Ok(Columns(out))
    }

    fn column(&self, rg: &RowGroupMetadata, name: &str) -> Result<Option<Box<dyn Array>>, String> {
        let (Some(field), Some(chunks)) = (self.schema.get(name), rg.columns_under_root_iter(name)) else {
            return Ok(None);
        };
        let (readers, types): (Vec<_>, Vec<_>) = chunks
            .map(|meta| {
                let range = meta.byte_range();
                let bytes = self.bytes.get(range.start as usize..range.end as usize).unwrap_or(&[]);
                let pages = PageReader::new(Cursor::new(bytes.to_vec().into()), meta, vec![], usize::MAX);
                (BasicDecompressor::new(pages, vec![]), &meta.descriptor().descriptor.primitive_type)
            })
            .unzip();
        let (arrays, _) =
            column_iter_to_arrays(readers, types, field.clone(), None).map_err(|e| format!("column {name}: {e}"))?;
        let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
        match refs.len() {
            0 => Ok(None),
            1 => Ok(arrays.into_iter().next()),
            _ => polars_arrow::compute::concatenate::concatenate(&refs)
                .map(Some)
                .map_err(|e| format!("column {name}: {e}")),
        }
    }
}

/// Decodes one Arrow record batch in the `otel_traces` layout, given as its columns by name
/// (as Spark's `mapInArrow` hands them over): rows are located at `file`, line = `first` +
/// row number. An error names the missing columns, or a column of the wrong length.
pub fn decode_arrays(columns: &[Column], file: u32, first: u64) -> Result<Decoded, String> {
    let find = |c: Col| columns.iter().find(|(n, _)| n == c.name()).map(|(_, a)| a);
    let missing: Vec<&str> = REQUIRED.iter().filter(|c| find(**c).is_none()).map(|c| c.name()).collect();
    if !missing.is_empty() {
        let has: Vec<&str> = columns.iter().take(12).map(|(n, _)| n.as_str()).collect();
        return Err(format!(
            "Arrow batches without the columns of the otel_traces layout: missing {} (they have {})",
            missing.join(", "),
            has.join(", ")
        ));
    }
    let rows = columns.first().map_or(0, |(_, a)| a.len());
    if let Some((name, a)) = columns.iter().find(|(_, a)| a.len() != rows) {
        return Err(format!("column {name} has {} values for {rows} rows", a.len()));
    }
    let cols = Columns(Col::ALL.iter().map(|c| find(*c).cloned()).collect());
    let typed = [Col::SpanAttributeTypes, Col::StartTimeUnixNano].iter().all(|c| find(*c).is_some());
    let mut batch = Batch::fresh();
    let view = View::of(&cols);
    let mut decoder = RowDecoder { batch: &mut batch, cols: &view, file, first, typed, resource_keys: Vec::new() };
    decoder.rows(rows);
    let resource_keys = decoder.resource_keys;
    Ok(Decoded { batch, typed, resource_keys })
}

/// One Arrow batch decoded by [`decode_arrays`].
#[allow(missing_debug_implementations)] // a batch is too large to print
pub struct Decoded {
    pub batch: Batch,
    /// Whether it had our typed columns (else attribute types were inferred).
    pub typed: bool,
    /// What identifies each resource of the batch, in order: a resource met again in a
    /// later batch of the same input is the same one.
    pub resource_keys: Vec<RecordKey>,
}

thread_local! {
    /// Set while this thread runs the Parquet decoder of polars, whose panics on damaged
    /// files [`guarded`] turns into errors (without the panic message on stderr).
    static IN_DECODER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (the Parquet decoder, not ours) so that a panic on a damaged file becomes an
/// error naming it, as every other bad input does.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    IN_DECODER.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_DECODER.with(|q| q.set(false));
    result.map_err(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".to_owned());
        format!("the Parquet decoder failed ({why})")
    })
}

/// One row group's arrays, by [`Col`] (absent columns are `None`).
struct Columns(Vec<Option<Box<dyn Array>>>);

/// A string (or binary) array of one of the types readers give, told once for many reads.
#[derive(Clone, Copy)]
enum Texts<'a> {
    View(&'a Utf8ViewArray),
    Large(&'a Utf8Array<i64>),
    Small(&'a Utf8Array<i32>),
    BinaryView(&'a BinaryViewArray),
    LargeBinary(&'a BinaryArray<i64>),
    SmallBinary(&'a BinaryArray<i32>),
    /// Absent, or not text: every value reads as "".
    None,
}

impl<'a> Texts<'a> {
    fn of(a: &'a dyn Array) -> Texts<'a> {
        let any = a.as_any();
        if let Some(s) = any.downcast_ref::<Utf8ViewArray>() {
            Texts::View(s)
        } else if let Some(s) = any.downcast_ref::<Utf8Array<i64>>() {
            Texts::Large(s)
        } else if let Some(s) = any.downcast_ref::<Utf8Array<i32>>() {
            Texts::Small(s)
        } else if let Some(b) = any.downcast_ref::<BinaryViewArray>() {
            Texts::BinaryView(b)
        } else if let Some(b) = any.downcast_ref::<BinaryArray<i64>>() {
            Texts::LargeBinary(b)
        } else if let Some(b) = any.downcast_ref::<BinaryArray<i32>>() {
            Texts::SmallBinary(b)
        } else {
            Texts::None
        }
    }

    /// The text at row `i`; "" when null, not UTF-8, or past the end.
    fn at(self, i: usize) -> &'a str {
        fn bytes(b: &[u8]) -> &str {
            std::str::from_utf8(b).unwrap_or("")
        }
        match self {
            Texts::View(s) if i < s.len() && !s.is_null(i) => s.value(i),
            Texts::Large(s) if i < s.len() && !s.is_null(i) => s.value(i),
            Texts::Small(s) if i < s.len() && !s.is_null(i) => s.value(i),
            Texts::BinaryView(b) if i < b.len() && !b.is_null(i) => bytes(b.value(i)),
            Texts::LargeBinary(b) if i < b.len() && !b.is_null(i) => bytes(b.value(i)),
            Texts::SmallBinary(b) if i < b.len() && !b.is_null(i) => bytes(b.value(i)),
            _ => "",
        }
    }
}

/// Text at row `i` of a string (or binary) array; "" when null or absent.
fn text_at(a: &dyn Array, i: usize) -> &str {
    Texts::of(a).at(i)
}

/// A number at row `i` of an integer or timestamp array, in nanoseconds for timestamps.
fn int_at(a: &dyn Array, i: usize) -> Option<i64> {
    if a.is_null(i) {
        return None;
    }
    let scale = match a.dtype() {
        ArrowDataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
        ArrowDataType::Timestamp(TimeUnit::Millisecond, _) => 1_000_000,
        ArrowDataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        _ => 1,
    };
    let any = a.as_any();
    let v = if let Some(p) = any.downcast_ref::<PrimitiveArray<i64>>() {
        p.value(i)
    } else if let Some(p) = any.downcast_ref::<PrimitiveArray<u64>>() {
        i64::try_from(p.value(i)).unwrap_or(i64::MAX)
    } else if let Some(p) = any.downcast_ref::<PrimitiveArray<i32>>() {
        i64::from(p.value(i))
    } else if let Some(p) = any.downcast_ref::<PrimitiveArray<u32>>() {
        i64::from(p.value(i))
    } else {
        return None;
    };
    Some(v.saturating_mul(scale))
}

/// The range of items of row `i` of a list array, and the items.
fn list_at(a: &dyn Array, i: usize) -> Option<(std::ops::Range<usize>, &dyn Array)> {
    let any = a.as_any();
    if let Some(l) = any.downcast_ref::<ListArray<i64>>() {
        let (s, e) = l.offsets().start_end(i);
        Some((s..e, l.values().as_ref()))
    } else if let Some(l) = any.downcast_ref::<ListArray<i32>>() {
        let (s, e) = l.offsets().start_end(i);
        Some((s..e, l.values().as_ref()))
    } else {
        None
    }
}

/// A column of string maps (or lists of key/value structs), told once for many reads.
#[derive(Clone, Copy)]
struct Entries<'a> {
    offsets: Offsets<'a>,
    keys: Texts<'a>,
    values: Texts<'a>,
}

#[derive(Clone, Copy)]
enum Offsets<'a> {
    Small(&'a polars_arrow::offset::OffsetsBuffer<i32>),
    Large(&'a polars_arrow::offset::OffsetsBuffer<i64>),
}

impl<'a> Entries<'a> {
    fn of(a: &'a dyn Array) -> Option<Entries<'a>> {
        let any = a.as_any();
        let (offsets, entries): (Offsets<'a>, &'a dyn Array) = if let Some(m) = any.downcast_ref::<MapArray>() {
            (Offsets::Small(m.offsets()), m.field().as_ref())
        } else if let Some(l) = any.downcast_ref::<ListArray<i64>>() {
            (Offsets::Large(l.offsets()), l.values().as_ref())
        } else if let Some(l) = any.downcast_ref::<ListArray<i32>>() {
            (Offsets::Small(l.offsets()), l.values().as_ref())
        } else {
            return None;
        };
        let kv = entries.as_any().downcast_ref::<StructArray>()?;
        let [keys, values] = kv.values() else { return None };
        Some(Entries { offsets, keys: Texts::of(keys.as_ref()), values: Texts::of(values.as_ref()) })
    }

    /// The entries of row `i` (none past the end).
    fn at(self, i: usize) -> Vec<(&'a str, &'a str)> {
        let (start, end) = match self.offsets {
            Offsets::Small(o) if i < o.len_proxy() => o.start_end(i),
            Offsets::Large(o) if i < o.len_proxy() => o.start_end(i),
            _ => return Vec::new(),
        };
        (start..end).map(|j| (self.keys.at(j), self.values.at(j))).collect()
    }
}

/// The entries of row `i` of a map array (or a list of key/value structs).
fn map_at(a: &dyn Array, i: usize) -> Vec<(&str, &str)> {
    Entries::of(a).map_or_else(Vec::new, |e| e.at(i))
}

/// A batch's columns with the type of each told once, for reading row after row.
struct View<'c> {
    cols: &'c Columns,
    texts: Vec<Texts<'c>>,
    maps: Vec<Option<Entries<'c>>>,
}

impl<'c> View<'c> {
    fn of(cols: &'c Columns) -> View<'c> {
        let texts = cols.0.iter().map(|a| a.as_deref().map_or(Texts::None, Texts::of)).collect();
        let maps = cols.0.iter().map(|a| a.as_deref().and_then(Entries::of)).collect();
        View { cols, texts, maps }
    }

    fn text(&self, c: Col, i: usize) -> &'c str {
        self.texts[c as usize].at(i)
    }

    fn map(&self, c: Col, i: usize) -> Vec<(&'c str, &'c str)> {
        self.maps[c as usize].map_or_else(Vec::new, |e| e.at(i))
    }

    fn int(&self, c: Col, i: usize) -> Option<i64> {
        self.cols.int(c, i)
    }

    fn list(&self, c: Col, i: usize) -> Option<(std::ops::Range<usize>, &'c dyn Array)> {
        self.cols.list(c, i)
    }
}

impl Columns {
    fn get(&self, c: Col) -> Option<&dyn Array> {
        self.0[c as usize].as_deref()
    }

    fn int(&self, c: Col, i: usize) -> Option<i64> {
        self.get(c).and_then(|a| int_at(a, i))
    }

    /// The items of row `i` of list column `c`: their range and the values array.
    fn list(&self, c: Col, i: usize) -> Option<(std::ops::Range<usize>, &dyn Array)> {
        self.get(c).and_then(|a| list_at(a, i))
    }
}

/// The value an attribute's text stands for, by its type code; without one (a file with
/// string maps only) the type is inferred: integers, decimals, `true`/`false`, JSON arrays
/// and objects, else a string.
fn typed_value(batch: &mut Batch, text: &str, code: Option<char>) -> Value {
    let intern = |batch: &mut Batch, s: &str| batch.part.strings.intern(s);
    match code {
        Some('s') => Value::Str(intern(batch, text)),
        Some('b') => Value::Bool(text == "true"),
        Some('i') => text.parse().map_or_else(|_| Value::Str(intern(batch, text)), Value::Int),
        Some('d') => text.parse().map_or_else(|_| Value::Str(intern(batch, text)), Value::Double),
        Some('y') => Value::Bytes(intern(batch, text)),
        Some('a') => Value::Array(intern(batch, text)),
        Some('m') => Value::Map(intern(batch, text)),
        Some('e') => Value::Empty,
        _ => infer(batch, text),
    }
}

fn infer(batch: &mut Batch, text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>()
        && !text.starts_with('+')
        && (text == "0" || !text.trim_start_matches('-').starts_with('0'))
    {
        return Value::Int(i);
    }
    if text.contains(['.', 'e', 'E'])
        && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && let Ok(d) = text.parse::<f64>()
    {
        return Value::Double(d);
    }
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let s = batch.part.strings.intern(text);
    let json = |open: char, close: char| {
        text.starts_with(open) && text.ends_with(close) && serde_json::from_str::<serde_json::Value>(text).is_ok()
    };
    if json('[', ']') {
        Value::Array(s)
    } else if json('{', '}') {
        Value::Map(s)
    } else {
        Value::Str(s)
    }
}

/// The `n`-th item of a row's list (its index in the values array, and the array), if the
/// list has that many.
fn nth<'a>(list: &Option<(std::ops::Range<usize>, &'a dyn Array)>, n: usize) -> Option<(usize, &'a dyn Array)> {
    let (range, values) = list.as_ref()?;
    let k = range.start + n;
    (k < range.end && k < values.len()).then_some((k, *values))
}

/// What tells one resource (or scope) record from another in these rows: the index our
/// files give it within the file it was exported from, and a hash of its content. Rows of
/// several exports mixed together (a Spark partition, a table filled from many files) may
/// share an index for different resources; the content tells them apart. Anyone's file has
/// no index (-1): a new record starts where the content changes from the row before.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RecordKey {
    pub index: i64,
    pub content: u64,
}

/// Resources (or scopes) made so far in a batch.
#[derive(Default)]
struct Shared {
    by_key: std::collections::HashMap<RecordKey, u32>,
    last: Option<(RecordKey, u32)>,
}

impl Shared {
    fn find(&self, key: RecordKey) -> Option<u32> {
        if key.index >= 0 {
            self.by_key.get(&key).copied()
        } else {
            self.last.filter(|(k, _)| *k == key).map(|(_, i)| i)
        }
    }

    fn remember(&mut self, key: RecordKey, idx: u32) {
        if key.index >= 0 {
            self.by_key.insert(key, idx);
        } else {
            self.last = Some((key, idx));
        }
    }
}

/// A hash of what makes a resource or scope: its fields' text (every row has one: a fast
/// hash). Seeded at random once per process, so that a file cannot be made for two
/// resources to collide.
fn content_hash(parts: &[&str], entries: &[(&str, &str)], number: i64) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    static SEED: std::sync::OnceLock<foldhash::quality::RandomState> = std::sync::OnceLock::new();
    let mut h = SEED.get_or_init(Default::default).build_hasher();
    parts.hash(&mut h);
    entries.hash(&mut h);
    number.hash(&mut h);
    h.finish()
}

struct RowDecoder<'b, 'v, 'c> {
    batch: &'b mut Batch,
    cols: &'v View<'c>,
    file: u32,
    first: u64,
    typed: bool,
    /// The key of each resource made, in order.
    resource_keys: Vec<RecordKey>,
}

impl RowDecoder<'_, '_, '_> {
    /// Attributes from a map and the type string beside it (when the file has types).
    fn attrs(&mut self, entries: &[(&str, &str)], types: &str) -> crate::model::Slice {
        // One type letter per entry, in order (none in a file without our columns).
        let mut codes = types.chars().filter(|_| self.typed);
        let start = arena_len(&self.batch.part.attrs);
        for (k, v) in entries {
            let code = codes.next();
            let key = self.batch.part.strings.intern(k);
            let value = typed_value(self.batch, v, code);
            self.batch.part.attrs.push(Attr::new(key, value));
        }
        since(&self.batch.part.attrs, start)
    }

    fn rows(&mut self, n: usize) {
        // Resources and scopes: one per index (ours); in anyone's file, a new one where the
        // content changes from the row before.
        let mut resource = Shared::default();
        let mut scope = Shared::default();
        for i in 0..n {
            self.row(i, &mut resource, &mut scope);
        }
    }

    fn row(&mut self, i: usize, resource: &mut Shared, scope: &mut Shared) {
        let c = self.cols;
        let loc = SourceLoc { file: self.file, line: self.first + i as u64 + 1, offset: 0 };
        self.batch.accounting.records_read += 1;
        self.batch.accounting.records_decoded += 1;
        *self.batch.accounting.decoded_by_dialect.entry(crate::model::Dialect::OtelTraces).or_default() += 1;
        self.batch.accounting.spans_read += 1;
        // Resource.
        let res_entries = c.map(Col::ResourceAttributes, i);
        let res_types = c.text(Col::ResourceAttributeTypes, i);
        let service = c.text(Col::ServiceName, i);
        let dropped_attrs = c.int(Col::ResourceDroppedAttributesCount, i).unwrap_or(0);
        let res_key = RecordKey {
            index: c.int(Col::ResourceIndex, i).unwrap_or(-1),
            content: content_hash(&[res_types, service], &res_entries, dropped_attrs),
        };
        let res = match resource.find(res_key) {
            Some(idx) => idx,
            None => {
                let idx = arena_len(&self.batch.part.resources);
                let mut attrs = self.attrs(&res_entries, res_types);
                // A file without resource attributes still names the service.
                if attrs.len == 0 && !service.is_empty() {
                    let key = self.batch.part.strings.intern("service.name");
                    let value = Value::Str(self.batch.part.strings.intern(service));
                    self.batch.part.attrs.push(Attr::new(key, value));
                    attrs = since(&self.batch.part.attrs, attrs.start);
                }
                let dropped_attrs = dropped_attrs as u32;
                self.batch.part.resources.push(Resource { attrs, loc, dropped_attrs, ..Resource::default() });
                self.batch.identify_resource(idx as usize);
                resource.remember(res_key, idx);
                self.resource_keys.push(res_key);
                idx
            }
        };
        // Scope.
        let scope_index = c.int(Col::ScopeIndex, i);
        let scope_idx = if scope_index == Some(-1) {
            NO_SCOPE
        } else {
            let name = c.text(Col::ScopeName, i);
            let version = c.text(Col::ScopeVersion, i);
            let scope_entries = c.map(Col::ScopeAttributes, i);
            let types = c.text(Col::ScopeAttributeTypes, i);
            let dropped_attrs = c.int(Col::ScopeDroppedAttributesCount, i).unwrap_or(0);
            let key = RecordKey {
                index: scope_index.unwrap_or(-1),
                content: content_hash(&[name, version, types], &scope_entries, dropped_attrs),
            };
            match scope.find(key) {
                Some(idx) => idx,
                None => {
                    let name = self.batch.part.strings.intern(name);
                    let version = self.batch.part.strings.intern(version);
                    let attrs = self.attrs(&scope_entries, types);
                    let idx = arena_len(&self.batch.part.scopes);
                    self.batch.part.scopes.push(Scope { name, version, attrs, dropped_attrs: dropped_attrs as u32 });
                    scope.remember(key, idx);
                    idx
                }
            }
        };
        // Ids.
        let trace_id = match decode_id::<16>(c.text(Col::TraceId, i)) {
            Ok(t) => TraceId(t),
            Err(why) => {
                self.batch.drop_span(loc, format!("span dropped: TraceId {why}"), None);
                return;
            }
        };
        let span_id = match decode_id::<8>(c.text(Col::SpanId, i)) {
            Ok(s) => SpanId(s),
            Err(why) => {
                self.batch.drop_span(loc, format!("span dropped: SpanId {why}"), Some(trace_id));
                return;
            }
        };
        let parent_text = c.text(Col::ParentSpanId, i);
        let parent = if parent_text.is_empty() || parent_text.bytes().all(|b| b == b'0') {
            Parent::Root
        } else {
            match decode_id::<8>(parent_text) {
                Ok(p) => Parent::Span(SpanId(p)),
                Err(why) => {
                    let message = if parent_text == INVALID_PARENT {
                        "parent id was not an id in the exported dump".to_owned()
                    } else {
                        format!("ParentSpanId {why}")
                    };
                    self.batch.issue(IssueKind::InvalidId, loc, message, Some(trace_id), Some(span_id));
                    Parent::Invalid
                }
            }
        };
        // Times: ours exact; else Timestamp and Duration.
        let start = match c.int(Col::StartTimeUnixNano, i) {
            Some(t) => t.max(0) as u64,
            None => c.int(Col::Timestamp, i).unwrap_or(0).max(0) as u64,
        };
        let end = match c.int(Col::EndTimeUnixNano, i) {
            Some(t) => t.max(0) as u64,
            None => start.saturating_add(c.int(Col::Duration, i).unwrap_or(0).max(0) as u64),
        };
        let kind_text = c.text(Col::SpanKind, i);
        let kind = SpanKind::from_name(kind_text).unwrap_or_default();
        if !kind_text.is_empty() && SpanKind::from_name(kind_text).is_none() {
            let message = format!("SpanKind is {kind_text:?}, expected Server, Client, … or SPAN_KIND_*; ignored");
            self.batch.issue(IssueKind::InvalidField, loc, message, Some(trace_id), Some(span_id));
        }
        let status = StatusCode::from_name(c.text(Col::StatusCode, i)).unwrap_or_default();
        let name = self.batch.part.strings.intern(c.text(Col::SpanName, i));
        let status_message = self.batch.part.strings.intern(c.text(Col::StatusMessage, i));
        let attrs = self.attrs(&c.map(Col::SpanAttributes, i), c.text(Col::SpanAttributeTypes, i));
        let events = self.events(i);
        let links = self.links(i);
        let count = |col| Dropped::count(c.int(col, i).unwrap_or(0).max(0) as u64);
        let dropped = Dropped {
            attrs: count(Col::DroppedAttributesCount),
            events: count(Col::DroppedEventsCount),
            links: count(Col::DroppedLinksCount),
            nested_attrs: count(Col::DroppedNestedAttributesCount),
        };
        let flags = c.int(Col::TracecheckFlags, i).unwrap_or(0) as u8 & (SpanFlags::SHARED | SpanFlags::FOLLOWS_FROM);
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
            scope: scope_idx,
            attrs,
            events,
            links,
            flags: SpanFlags(flags),
            dropped,
            loc: span_loc,
        });
    }

    fn events(&mut self, i: usize) -> crate::model::Slice {
        let c = self.cols;
        let start = arena_len(&self.batch.part.events);
        let Some((range, names)) = c.list(Col::EventsName, i) else { return since(&self.batch.part.events, start) };
        let nanos = c.list(Col::EventsTimeUnixNano, i);
        let micros = c.list(Col::EventsTimestamp, i);
        let attrs = c.list(Col::EventsAttributes, i);
        let types = c.list(Col::EventsAttributeTypes, i);
        let mut out = Vec::with_capacity(range.len());
        for (n, j) in range.clone().enumerate() {
            let name = self.batch.part.strings.intern(text_at(names, j));
            let at = |l| nth(l, n);
            let time = at(&nanos).or(at(&micros)).and_then(|(k, v)| int_at(v, k)).unwrap_or(0).max(0) as u64;
            let entries = at(&attrs).map(|(k, v)| map_at(v, k)).unwrap_or_default();
            let type_text = at(&types).map_or("", |(k, v)| text_at(v, k));
            let attrs = self.attrs(&entries, type_text);
            out.push(Event { name, time, attrs });
        }
        self.batch.part.events.extend(out);
        since(&self.batch.part.events, start)
    }

    fn links(&mut self, i: usize) -> crate::model::Slice {
        let c = self.cols;
        let start = arena_len(&self.batch.part.links);
        let (Some((range, traces)), Some((_, spans))) = (c.list(Col::LinksTraceId, i), c.list(Col::LinksSpanId, i))
        else {
            return since(&self.batch.part.links, start);
        };
        let attrs = c.list(Col::LinksAttributes, i);
        let types = c.list(Col::LinksAttributeTypes, i);
        let mut out = Vec::with_capacity(range.len());
        for (n, j) in range.clone().enumerate() {
            let trace_id = TraceId(decode_id::<16>(text_at(traces, j)).unwrap_or_default());
            let span_id = SpanId(decode_id::<8>(text_at(spans, j)).unwrap_or_default());
            let at = |l| nth(l, n);
            let entries = at(&attrs).map(|(k, v)| map_at(v, k)).unwrap_or_default();
            let type_text = at(&types).map_or("", |(k, v)| text_at(v, k));
            let attrs = self.attrs(&entries, type_text);
            out.push(Link { trace_id, span_id, attrs });
        }
        self.batch.part.links.extend(out);
        since(&self.batch.part.links, start)
    }
}
