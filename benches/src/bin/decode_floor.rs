//! What a JSON-lines dump costs to parse before any analysis, three ways, one thread:
//! `scan` (serde_json skipping every value), `serde` (the whole `TracesData` decoded in one
//! pass into typed records with borrowed strings: what a single-pass serde decoder costs at
//! least) and `tape` (simd-json's tape of each line, which tracecheck walks today).
//! Prints the mode, the seconds spent and what it counted.
//! Usage: decode-floor scan|serde|tape FILE

// The records are decoded to time the decoding; few of their fields are read.
#![allow(dead_code)]

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::time::Instant;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracesData<'a> {
    #[serde(default, borrow)]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    #[serde(default, borrow)]
    resource: Option<Resource<'a>>,
    #[serde(default, borrow)]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(default, borrow)]
    scope: Option<Scope<'a>>,
    #[serde(default, borrow)]
    spans: Vec<Span<'a>>,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    version: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Span<'a> {
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow)]
    span_id: Cow<'a, str>,
    #[serde(default, borrow)]
    parent_span_id: Cow<'a, str>,
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    kind: u8,
    #[serde(default, borrow)]
    start_time_unix_nano: Cow<'a, str>,
    #[serde(default, borrow)]
    end_time_unix_nano: Cow<'a, str>,
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(default, borrow)]
    events: Vec<Event<'a>>,
    #[serde(default, borrow)]
    links: Vec<Link<'a>>,
    #[serde(default)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    time_unix_nano: Cow<'a, str>,
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Link<'a> {
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow)]
    span_id: Cow<'a, str>,
    #[serde(default, borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(default)]
    code: u8,
    #[serde(default, borrow)]
    message: Cow<'a, str>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow)]
    value: AnyValue<'a>,
}

#[derive(Deserialize)]
enum AnyValue<'a> {
    #[serde(rename = "stringValue", borrow)]
    Str(Cow<'a, str>),
    #[serde(rename = "boolValue")]
    Bool(bool),
    #[serde(rename = "intValue", borrow)]
    Int(Cow<'a, str>),
    #[serde(rename = "doubleValue")]
    Double(f64),
    #[serde(rename = "bytesValue", borrow)]
    Bytes(Cow<'a, str>),
    #[serde(rename = "arrayValue")]
    Array(IgnoredAny),
    #[serde(rename = "kvlistValue")]
    Kvlist(IgnoredAny),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mode, path) = match (args.next(), args.next()) {
        (Some(m), Some(p)) => (m, p),
        _ => return Err("usage: decode-floor scan|serde|tape FILE".into()),
    };
    let bytes = std::fs::read(path)?;
    let start = Instant::now();
    let (mut records, mut counted) = (0u64, 0u64);
    let mut buf = Vec::new();
    let mut buffers = simd_json::Buffers::new(1 << 20);
    // Reused across lines, as tracecheck's parser reuses its tape.
    let mut spare_tape = Some(simd_json::Tape::null());
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        records += 1;
        counted += match mode.as_str() {
            "scan" => {
                serde_json::from_slice::<IgnoredAny>(line)?;
                0
            }
            "serde" => {
                let data: TracesData<'_> = serde_json::from_slice(line)?;
                let spans = data.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans);
                spans.map(|s| 1 + s.attributes.len() as u64).sum()
            }
            "tape" => {
                buf.clear();
                buf.extend_from_slice(line);
                buf.resize(line.len() + simd_json::INPUT_PADDING, 0);
                let mut tape = spare_tape.take().unwrap_or_else(simd_json::Tape::null).reset();
                simd_json::fill_tape_padded(&mut buf, line.len(), &mut buffers, &mut tape)?;
                let nodes = tape.0.len() as u64;
                spare_tape = Some(tape.reset());
                nodes
            }
            other => return Err(format!("unknown mode {other}").into()),
        };
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{mode}\t{secs:.3} s\t{records} records\t{counted} counted");
    Ok(())
}
