//! OTLP/JSON as the Collector's file exporter writes it (the pdata JSON marshaler): camelCase
//! field names, ids as lowercase hex, 64-bit integers as decimal strings, enums as numbers,
//! empty and zero fields left out (except `parentSpanId` and `status`, which pdata always
//! writes), `status` with `message` before `code`.

use crate::collector::LogRecord;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, TracesData, span};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use std::fmt::Write as _;

/// One line of a file-exporter dump, without the trailing newline.
pub fn encode_traces_data(data: &TracesData) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"resourceSpans\":[");
    for (i, rs) in data.resource_spans.iter().enumerate() {
        sep(&mut out, i);
        resource_spans(&mut out, rs);
    }
    out.push_str("]}");
    out
}

/// Log records of one node as one `resourceLogs` line, without the trailing newline: one
/// `scopeLogs` per scope (event target), in order of first appearance; the fields of each
/// record in the order of `logs.proto`, as pdata writes them.
pub(crate) fn encode_logs(resource_attrs: &ResourceAttributesWithSchema, records: &[LogRecord]) -> String {
    let mut scopes: Vec<&str> = Vec::new();
    for r in records {
        if !scopes.contains(&r.scope) {
            scopes.push(r.scope);
        }
    }
    let mut out = String::with_capacity(256 * records.len() + 256);
    out.push_str("{\"resourceLogs\":[{\"resource\":");
    let r = Resource { attributes: resource_attrs.attributes.0.clone(), ..Resource::default() };
    resource(&mut out, &r);
    out.push_str(",\"scopeLogs\":[");
    for (i, name) in scopes.iter().enumerate() {
        sep(&mut out, i);
        out.push_str("{\"scope\":{\"name\":");
        string(&mut out, name);
        out.push_str("},\"logRecords\":[");
        for (j, rec) in records.iter().filter(|r| r.scope == *name).enumerate() {
            sep(&mut out, j);
            log_record(&mut out, rec);
        }
        out.push_str("]}");
    }
    out.push(']');
    if let Some(url) = resource_attrs.schema_url.as_deref().filter(|u| !u.is_empty()) {
        out.push_str(",\"schemaUrl\":");
        string(&mut out, url);
    }
    out.push_str("}]}");
    out
}

fn log_record(out: &mut String, r: &LogRecord) {
    // OpenTelemetry's severity numbers: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17.
    let (number, text) = match r.level {
        tracing::Level::TRACE => (1, "TRACE"),
        tracing::Level::DEBUG => (5, "DEBUG"),
        tracing::Level::INFO => (9, "INFO"),
        tracing::Level::WARN => (13, "WARN"),
        tracing::Level::ERROR => (17, "ERROR"),
    };
    out.push('{');
    let mut first = true;
    nanos(out, &mut first, "timeUnixNano", r.time_ns);
    nanos(out, &mut first, "observedTimeUnixNano", r.time_ns);
    key(out, &mut first, "severityNumber");
    let _ = write!(out, "{number}");
    key(out, &mut first, "severityText");
    string(out, text);
    key(out, &mut first, "body");
    out.push_str("{\"stringValue\":");
    string(out, &r.body);
    out.push('}');
    attributes(out, &mut first, &r.attributes, 0);
    if let Some((trace, span)) = &r.ids {
        // Sampled, as the spans are.
        count(out, &mut first, "flags", 1);
        key(out, &mut first, "traceId");
        hex(out, trace);
        key(out, &mut first, "spanId");
        hex(out, span);
    }
    out.push('}');
}

fn sep(out: &mut String, i: usize) {
    if i > 0 {
        out.push(',');
    }
}

fn string(out: &mut String, s: &str) {
    // serde_json's escaping is the JSON standard's; it cannot fail for a str.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn hex(out: &mut String, bytes: &[u8]) {
    out.push('"');
    tracecheck_wire::hex::push(out, bytes);
    out.push('"');
}

/// Writes `,"name":` (or `"name":` first in an object).
fn key(out: &mut String, first: &mut bool, name: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn resource_spans(out: &mut String, rs: &ResourceSpans) {
    out.push('{');
    let mut first = true;
    if let Some(r) = &rs.resource {
        key(out, &mut first, "resource");
        resource(out, r);
    }
    key(out, &mut first, "scopeSpans");
    out.push('[');
    for (i, ss) in rs.scope_spans.iter().enumerate() {
        sep(out, i);
        scope_spans(out, ss);
    }
    out.push(']');
    if !rs.schema_url.is_empty() {
        key(out, &mut first, "schemaUrl");
        string(out, &rs.schema_url);
    }
    out.push('}');
}

fn resource(out: &mut String, r: &Resource) {
    out.push('{');
    let mut first = true;
    attributes(out, &mut first, &r.attributes, r.dropped_attributes_count);
    out.push('}');
}

fn scope_spans(out: &mut String, ss: &ScopeSpans) {
    out.push('{');
    let mut first = true;
    if let Some(s) = &ss.scope {
        key(out, &mut first, "scope");
        scope(out, s);
    }
    key(out, &mut first, "spans");
    out.push('[');
    for (i, s) in ss.spans.iter().enumerate() {
        sep(out, i);
        span(out, s);
    }
    out.push(']');
    if !ss.schema_url.is_empty() {
        key(out, &mut first, "schemaUrl");
        string(out, &ss.schema_url);
    }
    out.push('}');
}

fn scope(out: &mut String, s: &InstrumentationScope) {
    out.push('{');
    let mut first = true;
    if !s.name.is_empty() {
        key(out, &mut first, "name");
        string(out, &s.name);
    }
    if !s.version.is_empty() {
        key(out, &mut first, "version");
        string(out, &s.version);
    }
    attributes(out, &mut first, &s.attributes, s.dropped_attributes_count);
    out.push('}');
}

fn nanos(out: &mut String, first: &mut bool, name: &str, v: u64) {
    if v != 0 {
        key(out, first, name);
        let _ = write!(out, "\"{v}\"");
    }
}

fn count(out: &mut String, first: &mut bool, name: &str, v: u32) {
    if v != 0 {
        key(out, first, name);
        let _ = write!(out, "{v}");
    }
}

fn span(out: &mut String, s: &Span) {
    out.push('{');
    let mut first = true;
    key(out, &mut first, "traceId");
    hex(out, &s.trace_id);
    key(out, &mut first, "spanId");
    hex(out, &s.span_id);
    if !s.trace_state.is_empty() {
        key(out, &mut first, "traceState");
        string(out, &s.trace_state);
    }
    key(out, &mut first, "parentSpanId");
    hex(out, &s.parent_span_id);
    count(out, &mut first, "flags", s.flags);
    key(out, &mut first, "name");
    string(out, &s.name);
    if s.kind != 0 {
        key(out, &mut first, "kind");
        let _ = write!(out, "{}", s.kind);
    }
    nanos(out, &mut first, "startTimeUnixNano", s.start_time_unix_nano);
    nanos(out, &mut first, "endTimeUnixNano", s.end_time_unix_nano);
    attributes(out, &mut first, &s.attributes, s.dropped_attributes_count);
    if !s.events.is_empty() {
        key(out, &mut first, "events");
        out.push('[');
        for (i, e) in s.events.iter().enumerate() {
            sep(out, i);
            event(out, e);
        }
        out.push(']');
    }
    count(out, &mut first, "droppedEventsCount", s.dropped_events_count);
    if !s.links.is_empty() {
        key(out, &mut first, "links");
        out.push('[');
        for (i, l) in s.links.iter().enumerate() {
            sep(out, i);
            link(out, l);
        }
        out.push(']');
    }
    count(out, &mut first, "droppedLinksCount", s.dropped_links_count);
    key(out, &mut first, "status");
    out.push('{');
    let mut first_in_status = true;
    if let Some(st) = &s.status {
        if !st.message.is_empty() {
            key(out, &mut first_in_status, "message");
            string(out, &st.message);
        }
        if st.code != 0 {
            key(out, &mut first_in_status, "code");
            let _ = write!(out, "{}", st.code);
        }
    }
    out.push_str("}}");
}

fn event(out: &mut String, e: &span::Event) {
    out.push('{');
    let mut first = true;
    nanos(out, &mut first, "timeUnixNano", e.time_unix_nano);
    key(out, &mut first, "name");
    string(out, &e.name);
    attributes(out, &mut first, &e.attributes, e.dropped_attributes_count);
    out.push('}');
}

fn link(out: &mut String, l: &span::Link) {
    out.push('{');
    let mut first = true;
    key(out, &mut first, "traceId");
    hex(out, &l.trace_id);
    key(out, &mut first, "spanId");
    hex(out, &l.span_id);
    if !l.trace_state.is_empty() {
        key(out, &mut first, "traceState");
        string(out, &l.trace_state);
    }
    attributes(out, &mut first, &l.attributes, l.dropped_attributes_count);
    count(out, &mut first, "flags", l.flags);
    out.push('}');
}

fn attributes(out: &mut String, first: &mut bool, kvs: &[KeyValue], dropped: u32) {
    if !kvs.is_empty() {
        key(out, first, "attributes");
        key_values(out, kvs);
    }
    count(out, first, "droppedAttributesCount", dropped);
}

fn key_values(out: &mut String, kvs: &[KeyValue]) {
    out.push('[');
    for (i, kv) in kvs.iter().enumerate() {
        sep(out, i);
        out.push_str("{\"key\":");
        string(out, &kv.key);
        out.push_str(",\"value\":");
        any_value(out, kv.value.as_ref());
        out.push('}');
    }
    out.push(']');
}

fn any_value(out: &mut String, v: Option<&AnyValue>) {
    use any_value::Value;
    match v.and_then(|v| v.value.as_ref()) {
        None => out.push_str("{}"),
        Some(Value::StringValue(s)) => {
            out.push_str("{\"stringValue\":");
            string(out, s);
            out.push('}');
        }
        Some(Value::BoolValue(b)) => {
            let _ = write!(out, "{{\"boolValue\":{b}}}");
        }
        Some(Value::IntValue(i)) => {
            let _ = write!(out, "{{\"intValue\":\"{i}\"}}");
        }
        Some(Value::DoubleValue(d)) => {
            if d.is_finite() {
                let _ = write!(out, "{{\"doubleValue\":{d}}}");
            } else {
                let text = if d.is_nan() {
                    "NaN"
                } else if *d > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                let _ = write!(out, "{{\"doubleValue\":\"{text}\"}}");
            }
        }
        Some(Value::ArrayValue(a)) => {
            out.push_str("{\"arrayValue\":{");
            if !a.values.is_empty() {
                out.push_str("\"values\":[");
                for (i, v) in a.values.iter().enumerate() {
                    sep(out, i);
                    any_value(out, Some(v));
                }
                out.push(']');
            }
            out.push_str("}}");
        }
        Some(Value::KvlistValue(kv)) => {
            out.push_str("{\"kvlistValue\":{");
            if !kv.values.is_empty() {
                out.push_str("\"values\":");
                key_values(out, &kv.values);
            }
            out.push_str("}}");
        }
        Some(Value::BytesValue(b)) => {
            out.push_str("{\"bytesValue\":\"");
            tracecheck_wire::base64::push(out, b);
            out.push_str("\"}");
        }
        // Reference to a profile's string table; not used by traces.
        #[allow(unreachable_patterns)]
        Some(_) => out.push_str("{}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::Status;

    #[test]
    fn writes_a_span_as_pdata_does() {
        let span = Span {
            trace_id: vec![0xab; 16],
            span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
            flags: 257,
            name: "dht.put".into(),
            kind: 3,
            start_time_unix_nano: 1_700_000_000_000_000_001,
            end_time_unix_nano: 1_700_000_000_000_000_002,
            attributes: vec![
                KeyValue {
                    key: "n".into(),
                    value: Some(AnyValue { value: Some(any_value::Value::IntValue(-3)) }),
                    ..KeyValue::default()
                },
                KeyValue {
                    key: "b".into(),
                    value: Some(AnyValue { value: Some(any_value::Value::BytesValue(b"hi!?".to_vec())) }),
                    ..KeyValue::default()
                },
            ],
            status: Some(Status { message: "no \"quorum\"".into(), code: 2 }),
            ..Span::default()
        };
        let data = TracesData {
            resource_spans: vec![ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans { scope: None, spans: vec![span], schema_url: String::new() }],
                schema_url: String::new(),
            }],
        };
        assert_eq!(
            encode_traces_data(&data),
            concat!(
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abababababababababababababababab","#,
                r#""spanId":"0102030405060708","parentSpanId":"","flags":257,"name":"dht.put","kind":3,"#,
                r#""startTimeUnixNano":"1700000000000000001","endTimeUnixNano":"1700000000000000002","#,
                r#""attributes":[{"key":"n","value":{"intValue":"-3"}},{"key":"b","value":{"bytesValue":"aGkhPw=="}}],"#,
                r#""status":{"message":"no \"quorum\"","code":2}}]}]}]}"#
            )
        );
    }
}
