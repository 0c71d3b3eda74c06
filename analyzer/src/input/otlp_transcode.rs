//! OTLP protobuf to OTLP/JSON, losslessly: what `tracecheck capture` writes for the protobuf
//! bodies an SDK sends, so that every signal lands as file-exporter JSON lines.
//!
//! The walk is driven by a table of the OTLP messages (`opentelemetry/proto/{common,resource,
//! trace,logs,metrics}/v1`), and writes the OTLP/JSON mapping: lowerCamelCase field names,
//! trace and span ids in hex, other bytes in base64, 64-bit integers as decimal strings, enums
//! as integers, non-finite doubles as `"NaN"`, `"Infinity"`, `"-Infinity"`. Fields appear in
//! the order of the `.proto` files. What is on the wire is written, so an explicit zero in a
//! `oneof` (`"intValue":"0"`) or an `optional` field survives; proto3 senders omit other
//! defaults. Protobuf's own rules hold: a repeated scalar may come packed or not, a
//! singular message sent twice is merged, the last member of a `oneof` wins. Fields the table
//! does not know are skipped and counted.

use super::otlp_proto::{Reader, Wire, WireError};
use std::fmt::Write as _;

/// The signal a body carries; its top-level message (`Export*ServiceRequest` and `*Data` have
/// the same layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Logs,
    Metrics,
}

impl Signal {
    /// `traces`, `logs` or `metrics`: the signal's name in OTLP paths and file names.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }
}

/// One message as OTLP/JSON, and how many fields of it the table did not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcoded {
    pub json: String,
    pub unknown_fields: u64,
}

/// Transcodes one `TracesData` / `LogsData` / `MetricsData` (or export request) to a single
/// line of OTLP/JSON.
pub fn to_json(signal: Signal, bytes: &[u8]) -> Result<Transcoded, WireError> {
    let top = match signal {
        Signal::Traces => &TRACES_DATA,
        Signal::Logs => &LOGS_DATA,
        Signal::Metrics => &METRICS_DATA,
    };
    let mut w = Writer { out: String::with_capacity(bytes.len() * 2), unknown_fields: 0 };
    w.message(top, &[(bytes, 0)], 0)?;
    Ok(Transcoded { json: w.out, unknown_fields: w.unknown_fields })
}

/// How deeply messages may nest (`AnyValue` arrays and maps are the only recursion).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    /// Bytes written in hex: trace and span ids.
    Id,
    /// Other bytes, in base64.
    Bytes,
    Bool,
    /// Varint, written as a JSON number: `uint32`, `int32`, enums.
    Uint32,
    Int32,
    Enum,
    /// Zigzag varint.
    Sint32,
    /// Varint written as a string.
    Int64,
    Uint64,
    Fixed32,
    /// Little-endian 8 bytes written as a string.
    Fixed64,
    Sfixed64,
    Double,
    Msg(&'static Message),
}

#[derive(Debug)]
struct Field {
    num: u64,
    json: &'static str,
    kind: Kind,
    repeated: bool,
    /// Members of one `oneof` share a group number (0: none).
    oneof: u8,
}

#[derive(Debug)]
struct Message {
    fields: &'static [Field],
}

const fn one(num: u64, json: &'static str, kind: Kind) -> Field {
    Field { num, json, kind, repeated: false, oneof: 0 }
}
const fn many(num: u64, json: &'static str, kind: Kind) -> Field {
    Field { num, json, kind, repeated: true, oneof: 0 }
}
const fn either(num: u64, json: &'static str, kind: Kind, group: u8) -> Field {
    Field { num, json, kind, repeated: false, oneof: group }
}

use Kind::{Bool, Bytes, Double, Enum, Fixed32, Fixed64, Id, Int32, Int64, Msg, Sfixed64, Sint32, Str, Uint32, Uint64};

// common/v1
static ANY_VALUE: Message = Message {
    fields: &[
        either(1, "stringValue", Str, 1),
        either(2, "boolValue", Bool, 1),
        either(3, "intValue", Int64, 1),
        either(4, "doubleValue", Double, 1),
        either(5, "arrayValue", Msg(&ARRAY_VALUE), 1),
        either(6, "kvlistValue", Msg(&KEY_VALUE_LIST), 1),
        either(7, "bytesValue", Bytes, 1),
        either(8, "stringValueStrindex", Int32, 1),
    ],
};
static ARRAY_VALUE: Message = Message { fields: &[many(1, "values", Msg(&ANY_VALUE))] };
static KEY_VALUE_LIST: Message = Message { fields: &[many(1, "values", Msg(&KEY_VALUE))] };
static KEY_VALUE: Message =
    Message { fields: &[one(1, "key", Str), one(2, "value", Msg(&ANY_VALUE)), one(3, "keyStrindex", Int32)] };
static SCOPE: Message = Message {
    fields: &[
        one(1, "name", Str),
        one(2, "version", Str),
        many(3, "attributes", Msg(&KEY_VALUE)),
        one(4, "droppedAttributesCount", Uint32),
    ],
};
static ENTITY_REF: Message = Message {
    fields: &[one(1, "schemaUrl", Str), one(2, "type", Str), many(3, "idKeys", Str), many(4, "descriptionKeys", Str)],
};
// resource/v1
static RESOURCE: Message = Message {
    fields: &[
        many(1, "attributes", Msg(&KEY_VALUE)),
        one(2, "droppedAttributesCount", Uint32),
        many(3, "entityRefs", Msg(&ENTITY_REF)),
    ],
};

// trace/v1
static TRACES_DATA: Message = Message { fields: &[many(1, "resourceSpans", Msg(&RESOURCE_SPANS))] };
static RESOURCE_SPANS: Message = Message {
    fields: &[one(1, "resource", Msg(&RESOURCE)), many(2, "scopeSpans", Msg(&SCOPE_SPANS)), one(3, "schemaUrl", Str)],
};
static SCOPE_SPANS: Message =
    Message { fields: &[one(1, "scope", Msg(&SCOPE)), many(2, "spans", Msg(&SPAN)), one(3, "schemaUrl", Str)] };
static SPAN: Message = Message {
    fields: &[
        one(1, "traceId", Id),
        one(2, "spanId", Id),
        one(3, "traceState", Str),
        one(4, "parentSpanId", Id),
        one(16, "flags", Fixed32),
        one(5, "name", Str),
        one(6, "kind", Enum),
        one(7, "startTimeUnixNano", Fixed64),
        one(8, "endTimeUnixNano", Fixed64),
        many(9, "attributes", Msg(&KEY_VALUE)),
        one(10, "droppedAttributesCount", Uint32),
        many(11, "events", Msg(&EVENT)),
        one(12, "droppedEventsCount", Uint32),
        many(13, "links", Msg(&LINK)),
        one(14, "droppedLinksCount", Uint32),
        one(15, "status", Msg(&STATUS)),
    ],
};
static EVENT: Message = Message {
    fields: &[
        one(1, "timeUnixNano", Fixed64),
        one(2, "name", Str),
        many(3, "attributes", Msg(&KEY_VALUE)),
        one(4, "droppedAttributesCount", Uint32),
    ],
};
static LINK: Message = Message {
    fields: &[
        one(1, "traceId", Id),
        one(2, "spanId", Id),
        one(3, "traceState", Str),
        many(4, "attributes", Msg(&KEY_VALUE)),
        one(5, "droppedAttributesCount", Uint32),
        one(6, "flags", Fixed32),
    ],
};
static STATUS: Message = Message { fields: &[one(2, "message", Str), one(3, "code", Enum)] };

// logs/v1
static LOGS_DATA: Message = Message { fields: &[many(1, "resourceLogs", Msg(&RESOURCE_LOGS))] };
static RESOURCE_LOGS: Message = Message {
    fields: &[one(1, "resource", Msg(&RESOURCE)), many(2, "scopeLogs", Msg(&SCOPE_LOGS)), one(3, "schemaUrl", Str)],
};
static SCOPE_LOGS: Message = Message {
    fields: &[one(1, "scope", Msg(&SCOPE)), many(2, "logRecords", Msg(&LOG_RECORD)), one(3, "schemaUrl", Str)],
};
static LOG_RECORD: Message = Message {
    fields: &[
        one(1, "timeUnixNano", Fixed64),
        one(11, "observedTimeUnixNano", Fixed64),
        one(2, "severityNumber", Enum),
        one(3, "severityText", Str),
        one(5, "body", Msg(&ANY_VALUE)),
        many(6, "attributes", Msg(&KEY_VALUE)),
        one(7, "droppedAttributesCount", Uint32),
        one(8, "flags", Fixed32),
        one(9, "traceId", Id),
        one(10, "spanId", Id),
        one(12, "eventName", Str),
    ],
};

// metrics/v1
static METRICS_DATA: Message = Message { fields: &[many(1, "resourceMetrics", Msg(&RESOURCE_METRICS))] };
static RESOURCE_METRICS: Message = Message {
    fields: &[
        one(1, "resource", Msg(&RESOURCE)),
        many(2, "scopeMetrics", Msg(&SCOPE_METRICS)),
        one(3, "schemaUrl", Str),
    ],
};
static SCOPE_METRICS: Message =
    Message { fields: &[one(1, "scope", Msg(&SCOPE)), many(2, "metrics", Msg(&METRIC)), one(3, "schemaUrl", Str)] };
static METRIC: Message = Message {
    fields: &[
        one(1, "name", Str),
        one(2, "description", Str),
        one(3, "unit", Str),
        either(5, "gauge", Msg(&GAUGE), 1),
        either(7, "sum", Msg(&SUM), 1),
        either(9, "histogram", Msg(&HISTOGRAM), 1),
        either(10, "exponentialHistogram", Msg(&EXP_HISTOGRAM), 1),
        either(11, "summary", Msg(&SUMMARY), 1),
        many(12, "metadata", Msg(&KEY_VALUE)),
    ],
};
static GAUGE: Message = Message { fields: &[many(1, "dataPoints", Msg(&NUMBER_POINT))] };
static SUM: Message = Message {
    fields: &[
        many(1, "dataPoints", Msg(&NUMBER_POINT)),
        one(2, "aggregationTemporality", Enum),
        one(3, "isMonotonic", Bool),
    ],
};
static HISTOGRAM: Message =
    Message { fields: &[many(1, "dataPoints", Msg(&HISTOGRAM_POINT)), one(2, "aggregationTemporality", Enum)] };
static EXP_HISTOGRAM: Message =
    Message { fields: &[many(1, "dataPoints", Msg(&EXP_HISTOGRAM_POINT)), one(2, "aggregationTemporality", Enum)] };
static SUMMARY: Message = Message { fields: &[many(1, "dataPoints", Msg(&SUMMARY_POINT))] };
static NUMBER_POINT: Message = Message {
    fields: &[
        many(7, "attributes", Msg(&KEY_VALUE)),
        one(2, "startTimeUnixNano", Fixed64),
        one(3, "timeUnixNano", Fixed64),
        either(4, "asDouble", Double, 1),
        either(6, "asInt", Sfixed64, 1),
        many(5, "exemplars", Msg(&EXEMPLAR)),
        one(8, "flags", Uint32),
    ],
};
static HISTOGRAM_POINT: Message = Message {
    fields: &[
        many(9, "attributes", Msg(&KEY_VALUE)),
        one(2, "startTimeUnixNano", Fixed64),
        one(3, "timeUnixNano", Fixed64),
        one(4, "count", Fixed64),
        one(5, "sum", Double),
        many(6, "bucketCounts", Fixed64),
        many(7, "explicitBounds", Double),
        many(8, "exemplars", Msg(&EXEMPLAR)),
        one(10, "flags", Uint32),
        one(11, "min", Double),
        one(12, "max", Double),
    ],
};
static EXP_HISTOGRAM_POINT: Message = Message {
    fields: &[
        many(1, "attributes", Msg(&KEY_VALUE)),
        one(2, "startTimeUnixNano", Fixed64),
        one(3, "timeUnixNano", Fixed64),
        one(4, "count", Fixed64),
        one(5, "sum", Double),
        one(6, "scale", Sint32),
        one(7, "zeroCount", Fixed64),
        one(8, "positive", Msg(&BUCKETS)),
        one(9, "negative", Msg(&BUCKETS)),
        one(10, "flags", Uint32),
        many(11, "exemplars", Msg(&EXEMPLAR)),
        one(12, "min", Double),
        one(13, "max", Double),
        one(14, "zeroThreshold", Double),
    ],
};
static BUCKETS: Message = Message { fields: &[one(1, "offset", Sint32), many(2, "bucketCounts", Uint64)] };
static SUMMARY_POINT: Message = Message {
    fields: &[
        many(7, "attributes", Msg(&KEY_VALUE)),
        one(2, "startTimeUnixNano", Fixed64),
        one(3, "timeUnixNano", Fixed64),
        one(4, "count", Fixed64),
        one(5, "sum", Double),
        many(6, "quantileValues", Msg(&QUANTILE)),
        one(8, "flags", Uint32),
    ],
};
static QUANTILE: Message = Message { fields: &[one(1, "quantile", Double), one(2, "value", Double)] };
static EXEMPLAR: Message = Message {
    fields: &[
        many(7, "filteredAttributes", Msg(&KEY_VALUE)),
        one(2, "timeUnixNano", Fixed64),
        either(3, "asDouble", Double, 1),
        either(6, "asInt", Sfixed64, 1),
        one(4, "spanId", Id),
        one(5, "traceId", Id),
    ],
};

/// What a field collected: the JSON of its values (one for a singular scalar, the last
/// seen), or for a singular message the encodings to merge.
enum Slot<'a> {
    Empty,
    Values(Vec<String>),
    Parts(Vec<(&'a [u8], usize)>),
}

struct Writer {
    out: String,
    unknown_fields: u64,
}

impl Writer {
    /// Writes `msg` decoded from the concatenation of `parts` (each with its offset in the
    /// top-level body), which is how protobuf merges a singular message sent twice.
    fn message(&mut self, msg: &'static Message, parts: &[(&[u8], usize)], depth: usize) -> Result<(), WireError> {
        if depth > MAX_DEPTH {
            return Err(WireError { at: parts.first().map_or(0, |p| p.1), what: "messages nested too deeply" });
        }
        let mut slots: Vec<Slot<'_>> = msg.fields.iter().map(|_| Slot::Empty).collect();
        for &(bytes, base) in parts {
            let mut r = Reader::new(bytes, base);
            while let Some((num, wire, at)) = r.field()? {
                let Some(i) = msg.fields.iter().position(|f| f.num == num) else {
                    self.unknown_fields += 1;
                    continue;
                };
                let f = &msg.fields[i];
                if f.oneof != 0 {
                    for (j, g) in msg.fields.iter().enumerate() {
                        if j != i && g.oneof == f.oneof {
                            slots[j] = Slot::Empty;
                        }
                    }
                }
                match (f.kind, wire) {
                    (Msg(_), Wire::Bytes(b)) if !f.repeated => match &mut slots[i] {
                        Slot::Parts(p) => p.push((b, at)),
                        s => *s = Slot::Parts(vec![(b, at)]),
                    },
                    (Msg(m), Wire::Bytes(b)) => {
                        let start = self.out.len();
                        self.message(m, &[(b, at)], depth + 1)?;
                        let text = self.out.split_off(start);
                        push_value(&mut slots[i], text, true);
                    }
                    _ => {
                        let values = scalars(f, wire, at)?;
                        for v in values {
                            push_value(&mut slots[i], v, f.repeated);
                        }
                    }
                }
            }
        }
        self.out.push('{');
        let mut first = true;
        for (f, slot) in msg.fields.iter().zip(slots) {
            if matches!(slot, Slot::Empty) {
                continue;
            }
            if !first {
                self.out.push(',');
            }
            first = false;
            let _ = write!(self.out, "\"{}\":", f.json);
            match slot {
                Slot::Empty => {}
                Slot::Parts(p) => {
                    if let Msg(m) = f.kind {
                        self.message(m, &p, depth + 1)?;
                    }
                }
                Slot::Values(v) if f.repeated => {
                    self.out.push('[');
                    self.out.push_str(&v.join(","));
                    self.out.push(']');
                }
                Slot::Values(v) => self.out.push_str(v.last().map_or("null", String::as_str)),
            }
        }
        self.out.push('}');
        Ok(())
    }
}

fn push_value(slot: &mut Slot<'_>, text: String, repeated: bool) {
    match slot {
        Slot::Values(v) if repeated => v.push(text),
        s => *s = Slot::Values(vec![text]),
    }
}

/// The JSON of one scalar field's value(s): several for a packed repeated field.
fn scalars(f: &Field, wire: Wire<'_>, at: usize) -> Result<Vec<String>, WireError> {
    let bad = |what| WireError { at, what };
    let packable = f.repeated && !matches!(f.kind, Str | Bytes | Id | Msg(_));
    match (f.kind, wire) {
        (Str, Wire::Bytes(b)) => {
            let s = std::str::from_utf8(b).map_err(|_| bad("a string field is not UTF-8"))?;
            Ok(vec![serde_json::to_string(s).map_err(|_| bad("a string cannot be written"))?])
        }
        (Id, Wire::Bytes(b)) => Ok(vec![format!("\"{}\"", tracecheck_wire::hex::encode(b))]),
        (Bytes, Wire::Bytes(b)) => Ok(vec![format!("\"{}\"", tracecheck_wire::base64::encode(b))]),
        (Bytes | Str | Id | Msg(_), _) => Err(bad("a length-delimited field has another wire type")),
        (_, Wire::Bytes(b)) if packable => {
            let mut p = Reader::new(b, at);
            let mut out = Vec::new();
            while p.pos < b.len() {
                let w = match f.kind {
                    Fixed64 | Sfixed64 | Double => {
                        let v = p.take(8)?;
                        Wire::Fixed64(u64::from_le_bytes(v.try_into().map_err(|_| p.err("short fixed64"))?))
                    }
                    Fixed32 => {
                        let v = p.take(4)?;
                        Wire::Fixed32(u32::from_le_bytes(v.try_into().map_err(|_| p.err("short fixed32"))?))
                    }
                    _ => Wire::Varint(p.varint()?),
                };
                out.push(scalar(f.kind, w).ok_or_else(|| bad("a packed value has the wrong width"))?);
            }
            Ok(out)
        }
        (kind, w) => {
            scalar(kind, w).map(|v| vec![v]).ok_or_else(|| bad("a field has the wrong wire type for its type"))
        }
    }
}

/// One numeric or boolean value as JSON, if the wire type fits the field's type.
fn scalar(kind: Kind, wire: Wire<'_>) -> Option<String> {
    Some(match (kind, wire) {
        (Bool, Wire::Varint(v)) => (v != 0).to_string(),
        // int32 and enums are sign-extended to 64 bits on the wire; uint32 is truncated.
        (Int32 | Enum, Wire::Varint(v)) => (v as i64 as i32).to_string(),
        (Uint32, Wire::Varint(v)) => (v as u32).to_string(),
        (Sint32, Wire::Varint(v)) => {
            let v = v as u32;
            ((v >> 1) as i32 ^ -((v & 1) as i32)).to_string()
        }
        (Int64, Wire::Varint(v)) => format!("\"{}\"", v as i64),
        (Uint64, Wire::Varint(v)) => format!("\"{v}\""),
        (Fixed32, Wire::Fixed32(v)) => v.to_string(),
        (Fixed64, Wire::Fixed64(v)) => format!("\"{v}\""),
        (Sfixed64, Wire::Fixed64(v)) => format!("\"{}\"", v as i64),
        (Double, Wire::Fixed64(v)) => double(f64::from_bits(v)),
        _ => return None,
    })
}

fn double(d: f64) -> String {
    if d.is_nan() {
        "\"NaN\"".into()
    } else if d.is_infinite() {
        if d > 0.0 { "\"Infinity\"".into() } else { "\"-Infinity\"".into() }
    } else {
        serde_json::Number::from_f64(d).map_or_else(|| "0".into(), |n| n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn ld(num: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![num << 3 | 2, u8::try_from(body.len()).expect("short")];
        v.extend_from_slice(body);
        v
    }

    /// `{resourceMetrics:[{scopeMetrics:[{metrics:[METRIC]}]}]}`
    fn metrics(metric: &[u8]) -> Vec<u8> {
        ld(1, &ld(2, &ld(2, metric)))
    }

    fn json(signal: Signal, bytes: &[u8]) -> serde_json::Value {
        serde_json::from_str(&to_json(signal, bytes).expect("decodes").json).expect("json")
    }

    #[test]
    fn repeated_scalars_may_come_packed_or_one_by_one() {
        // Histogram point: bucketCounts (6, fixed64) once packed, then one unpacked; bounds.
        let mut point = ld(6, &[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        point.extend([6 << 3 | 1, 3, 0, 0, 0, 0, 0, 0, 0]);
        point.extend([7 << 3 | 1]);
        point.extend(0.5f64.to_le_bytes());
        let v = json(Signal::Metrics, &metrics(&ld(9, &ld(1, &point))));
        let p = &v["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]["dataPoints"][0];
        assert_eq!(p["bucketCounts"], serde_json::json!(["1", "2", "3"]));
        assert_eq!(p["explicitBounds"], serde_json::json!([0.5]));
    }

    #[test]
    fn a_message_sent_twice_merges_and_the_last_oneof_member_wins() {
        // Span with status {message:"a"} then status {code:2}; an attribute whose value is
        // first a string, then an int.
        let mut span = ld(15, &ld(2, b"a"));
        span.extend(ld(15, &[3 << 3, 2]));
        let mut kv = ld(1, b"k");
        let mut value = ld(1, b"text");
        value.extend([3 << 3, 0]);
        kv.extend(ld(2, &value));
        span.extend(ld(9, &kv));
        let v = json(Signal::Traces, &ld(1, &ld(2, &ld(2, &span))));
        let s = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["status"], serde_json::json!({"message": "a", "code": 2}));
        assert_eq!(s["attributes"][0]["value"], serde_json::json!({"intValue": "0"}), "explicit zero kept");
    }

    #[test]
    fn unknown_fields_are_counted_and_bad_bytes_located() {
        let mut rs = ld(2, &[]);
        rs.extend([0x98, 0x06, 5]); // field 99 (key 792 as a varint), the varint 5
        let t = to_json(Signal::Traces, &ld(1, &rs)).expect("decodes");
        assert_eq!((t.json.as_str(), t.unknown_fields), (r#"{"resourceSpans":[{"scopeSpans":[{}]}]}"#, 1));
        let cut = ld(1, &ld(2, &ld(2, &ld(5, b"name"))));
        let e = to_json(Signal::Traces, &cut[..cut.len() - 2]).expect_err("truncated");
        assert_eq!(e.what, "field runs past the end");
        let not_utf8 = ld(1, &ld(2, &ld(2, &ld(5, &[0xff]))));
        assert_eq!(to_json(Signal::Traces, &not_utf8).expect_err("bad string").what, "a string field is not UTF-8");
        let wrong = ld(1, &ld(2, &ld(2, &[6 << 3 | 2, 0])));
        assert!(to_json(Signal::Traces, &wrong).is_err(), "kind sent as bytes");
    }

    #[test]
    fn nesting_is_bounded() {
        // AnyValue{arrayValue{values:[AnyValue{…}]}} 200 deep, as the log body.
        let mut deep: Vec<u8> = ld(1, b"x");
        for _ in 0..100 {
            let array = {
                let mut a = vec![1 << 3 | 2];
                push_len(&mut a, deep.len());
                a.extend(&deep);
                a
            };
            deep = vec![5 << 3 | 2];
            push_len(&mut deep, array.len());
            deep.extend(array);
        }
        let mut record = vec![5 << 3 | 2];
        push_len(&mut record, deep.len());
        record.extend(deep);
        let body = ld_long(1, &ld_long(2, &ld_long(2, &record)));
        assert_eq!(to_json(Signal::Logs, &body).expect_err("too deep").what, "messages nested too deeply");
    }

    fn push_len(out: &mut Vec<u8>, mut n: usize) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn ld_long(num: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![num << 3 | 2];
        push_len(&mut v, body.len());
        v.extend_from_slice(body);
        v
    }
}
