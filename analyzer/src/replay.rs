//! Sending a dump (or part of it) to an OTLP/HTTP endpoint: spans re-encoded as OTLP protobuf
//! `ExportTraceServiceRequest`s (the same message as `TracesData`), batched per resource,
//! retried with backoff, with honest counts of what the endpoint accepted.

use crate::model::{Attr, Dump, Parent, Scope, Span, SpanKind, StatusCode, Value};
use std::collections::BTreeMap;
use tracecheck_wire::otlp_http;

// ---- protobuf wire format --------------------------------------------------------------

use tracecheck_wire::varint::put as varint;

fn tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn len_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    tag(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn str_field(out: &mut Vec<u8>, field: u32, s: &str) {
    if !s.is_empty() {
        len_field(out, field, s.as_bytes());
    }
}

fn fixed64(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        tag(out, field, 1);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        tag(out, field, 0);
        varint(out, v);
    }
}

fn message(out: &mut Vec<u8>, field: u32, build: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    build(&mut inner);
    len_field(out, field, &inner);
}

/// An `AnyValue` from the JSON text arrays and maps are kept as.
fn json_value(out: &mut Vec<u8>, v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => len_field(out, 1, s.as_bytes()),
        serde_json::Value::Bool(b) => {
            tag(out, 2, 0);
            varint(out, u64::from(*b));
        }
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => {
                tag(out, 3, 0);
                varint(out, i as u64);
            }
            None => {
                tag(out, 4, 1);
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        },
        serde_json::Value::Array(items) => message(out, 5, |a| {
            for item in items {
                message(a, 1, |x| json_value(x, item));
            }
        }),
        serde_json::Value::Object(map) => message(out, 6, |m| {
            for (k, item) in map {
                message(m, 1, |kv| {
                    str_field(kv, 1, k);
                    message(kv, 2, |x| json_value(x, item));
                });
            }
        }),
        serde_json::Value::Null => {}
    }
}

fn any_value(dump: &Dump, out: &mut Vec<u8>, v: &Value) {
    match *v {
        Value::Str(s) => len_field(out, 1, dump.str(s).as_bytes()),
        Value::Bool(b) => {
            tag(out, 2, 0);
            varint(out, u64::from(b));
        }
        Value::Int(i) => {
            tag(out, 3, 0);
            varint(out, i as u64);
        }
        Value::Double(d) => {
            tag(out, 4, 1);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::Bytes(s) => {
            let text = dump.str(s);
            len_field(
                out,
                7,
                &tracecheck_wire::base64::decode(text.as_bytes()).unwrap_or_else(|| text.as_bytes().to_vec()),
            );
        }
        Value::Array(s) | Value::Map(s) => match serde_json::from_str::<serde_json::Value>(dump.str(s)) {
            Ok(j) => json_value(out, &j),
            Err(_) => len_field(out, 1, dump.str(s).as_bytes()),
        },
        Value::Empty => {}
    }
}

fn key_values(dump: &Dump, out: &mut Vec<u8>, field: u32, attrs: &[Attr]) {
    for a in attrs {
        message(out, field, |kv| {
            str_field(kv, 1, dump.str(a.key));
            message(kv, 2, |x| any_value(dump, x, &a.value()));
        });
    }
}

fn kind_number(k: SpanKind) -> u64 {
    match k {
        SpanKind::Unspecified => 0,
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn span(dump: &Dump, out: &mut Vec<u8>, s: &Span, shift: i64) {
    let at = |t: u64| if t == 0 { 0 } else { t.saturating_add_signed(shift) };
    message(out, 2, |m| {
        len_field(m, 1, &s.trace_id.0);
        len_field(m, 2, &s.span_id.0);
        if let Parent::Span(p) = s.parent {
            len_field(m, 4, &p.0);
        }
        str_field(m, 5, dump.str(s.name));
        varint_field(m, 6, kind_number(s.kind));
        fixed64(m, 7, at(s.start));
        fixed64(m, 8, at(s.end));
        key_values(dump, m, 9, dump.span_attrs(s));
        for e in dump.span_events(s) {
            message(m, 11, |ev| {
                fixed64(ev, 1, at(e.time));
                str_field(ev, 2, dump.str(e.name));
                key_values(dump, ev, 3, &dump.attrs[e.attrs.range()]);
            });
        }
        for l in dump.span_links(s) {
            message(m, 13, |lk| {
                len_field(lk, 1, &l.trace_id.0);
                len_field(lk, 2, &l.span_id.0);
                key_values(dump, lk, 4, &dump.attrs[l.attrs.range()]);
            });
        }
        let code = match s.status {
            StatusCode::Unset => 0,
            StatusCode::Ok => 1,
            StatusCode::Error => 2,
        };
        message(m, 15, |st| {
            str_field(st, 2, dump.str(s.status_message));
            varint_field(st, 3, code);
        });
    });
}

/// A scope and the indices of its spans.
type ScopeSpans = (Scope, Vec<u32>);

/// One request body: the spans `ids` (indices into `dump.spans`), grouped by resource and
/// scope, times shifted by `shift` ns.
pub fn encode_request(dump: &Dump, ids: &[u32], shift: i64) -> Vec<u8> {
    // Scopes are grouped by name and version; the first one met gives the attributes.
    let mut by_resource: BTreeMap<u32, BTreeMap<(&str, &str), ScopeSpans>> = BTreeMap::new();
    for &i in ids {
        let s = &dump.spans[i as usize];
        let sc = dump.scope(s);
        let key = (dump.str(sc.name), dump.str(sc.version));
        by_resource.entry(s.resource).or_default().entry(key).or_insert_with(|| (sc, Vec::new())).1.push(i);
    }
    let mut out = Vec::new();
    for (resource, scopes) in by_resource {
        message(&mut out, 1, |rs| {
            let r = &dump.resources[resource as usize];
            message(rs, 1, |res| key_values(dump, res, 1, &dump.attrs[r.attrs.range()]));
            for ((name, version), (scope, spans)) in scopes {
                message(rs, 2, |ss| {
                    message(ss, 1, |sc| {
                        str_field(sc, 1, name);
                        str_field(sc, 2, version);
                        key_values(dump, sc, 3, &dump.attrs[scope.attrs.range()]);
                    });
                    for &i in &spans {
                        span(dump, ss, &dump.spans[i as usize], shift);
                    }
                });
            }
        });
    }
    out
}

/// What became of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub spans: u64,
    pub batches: u64,
    /// Spans the endpoint took (sent minus those it said it rejected).
    pub accepted: u64,
    /// Spans the endpoint answered as rejected (`partial_success.rejected_spans`).
    pub rejected: u64,
    /// Spans of batches that failed after every retry.
    pub failed: u64,
    pub retries: u64,
    pub errors: Vec<String>,
}

/// `rejected_spans` of an `ExportTraceServiceResponse` (0 when absent or unreadable).
fn rejected_spans(body: &[u8]) -> u64 {
    let read_varint = |b: &[u8], i: &mut usize| tracecheck_wire::varint::read(b, i).ok();
    // field 1 (partial_success, bytes) → field 1 (rejected_spans, varint)
    let mut i = 0;
    while i < body.len() {
        let Some(key) = read_varint(body, &mut i) else { return 0 };
        match (key >> 3, key & 7) {
            (1, 2) => {
                let Some(len) = read_varint(body, &mut i) else { return 0 };
                let end = (i + len as usize).min(body.len());
                let inner = &body[i..end];
                let mut j = 0;
                while j < inner.len() {
                    let Some(k) = read_varint(inner, &mut j) else { return 0 };
                    match k & 7 {
                        0 => {
                            let Some(v) = read_varint(inner, &mut j) else { return 0 };
                            if k >> 3 == 1 {
                                return v;
                            }
                        }
                        2 => {
                            let Some(l) = read_varint(inner, &mut j) else { return 0 };
                            j += l as usize;
                        }
                        _ => return 0,
                    }
                }
                i = end;
            }
            (_, 0) => {
                if read_varint(body, &mut i).is_none() {
                    return 0;
                }
            }
            (_, 2) => {
                let Some(len) = read_varint(body, &mut i) else { return 0 };
                i += len as usize;
            }
            _ => return 0,
        }
    }
    0
}

pub use tracecheck_wire::otlp_http::traces_url;

/// Where and how requests go: the traces URL (made by [`traces_url`]), extra headers, and
/// whether bodies are gzip-compressed.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub gzip: bool,
}

/// Sends `ids` in batches of `batch` spans to `target`.
pub fn send(dump: &Dump, ids: &[u32], shift: i64, target: &Target, batch: usize) -> Outcome {
    let agent = otlp_http::agent();
    let mut out = Outcome { spans: ids.len() as u64, ..Outcome::default() };
    let mut headers = target.headers.clone();
    if target.gzip {
        headers.push(("Content-Encoding".into(), "gzip".into()));
    }
    for chunk in ids.chunks(batch.max(1)) {
        out.batches += 1;
        let mut body = encode_request(dump, chunk, shift);
        if target.gzip {
            use std::io::Write as _;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            body = match gz.write_all(&body).and_then(|()| gz.finish()) {
                Ok(b) => b,
                Err(e) => {
                    out.failed += chunk.len() as u64;
                    out.errors.push(format!("batch {} ({} spans): cannot compress: {e}", out.batches, chunk.len()));
                    continue;
                }
            };
        }
        match otlp_http::export_with(&agent, &target.url, &headers, &body) {
            Ok(sent) => {
                out.retries += u64::from(sent.attempts - 1);
                let rejected = rejected_spans(&sent.response).min(chunk.len() as u64);
                out.rejected += rejected;
                out.accepted += chunk.len() as u64 - rejected;
            }
            Err(failed) => {
                out.retries += u64::from(failed.attempts - 1);
                out.failed += chunk.len() as u64;
                out.errors.push(format!("batch {} ({} spans): {failed}", out.batches, chunk.len()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_partial_success() {
        // partial_success { rejected_spans: 3, error_message: "x" }
        let body = [0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, b'x'];
        assert_eq!(rejected_spans(&body), 3);
        assert_eq!(rejected_spans(&[]), 0);
    }
}
