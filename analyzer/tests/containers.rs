//! One dump, every container: JSON lines, length-prefixed protobuf, zstd per record (JSON and
//! proto), a zstd stream, gzip, and stdin all give the identical report. The protobuf is
//! encoded by `opentelemetry-proto`'s prost types, independently of the analyzer, and the
//! analyzer's protobuf decoder is compared with prost's field by field.

mod common;

use common::{encoding_independent, read, report_of};
use opentelemetry_proto::tonic::trace::v1::TracesData;
use prost::Message;
use serde_json::Value;
use tracecheck::input::{Compression, Format, LoadOptions, Loaded, load_bytes};

/// Trace lines of several fixtures (no other signals: the proto format holds traces only).
fn json_lines() -> String {
    let mut out = String::new();
    for f in [
        "sample-traces/healthy/checkout.jsonl",
        "sample-traces/checks/S004-parent-cycle.jsonl",
        "sample-traces/checks/T005-clock-skew.jsonl",
        "sample-traces/checks/A004-inconsistent-attribute-type.jsonl",
        "sample-traces/checks/E001-error-without-message.jsonl",
        "sample-traces/checks/A005-dropped-by-sdk.jsonl",
    ] {
        let text = String::from_utf8(read(f)).expect("utf-8");
        let salt = format!("{:02x}", out.len() % 251);
        for l in text.lines().filter(|l| l.starts_with("{\"resourceSpans\"")) {
            out.push_str(&l.replace("\"traceId\":\"4bf9", &format!("\"traceId\":\"{salt}f9")));
            out.push('\n');
        }
    }
    // Every kind of attribute value, events and links, to compare decoders on all of them.
    out.push_str(r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"all-types"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"typed","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000","attributes":[{"key":"s","value":{"stringValue":"x"}},{"key":"b","value":{"boolValue":true}},{"key":"i","value":{"intValue":"-42"}},{"key":"d","value":{"doubleValue":2.5}},{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"two"},{"doubleValue":3.5}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}},{"key":"y","value":{"bytesValue":"AQID"}}],"events":[{"timeUnixNano":"1500","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"E"}}]}],"links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203332"}],"status":{"code":2,"message":"boom"}},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203332","parentSpanId":"b7ad6b7169203331","name":"child","kind":3,"startTimeUnixNano":"1100","endTimeUnixNano":"1900","status":{}}]}]}]}"#);
    out.push('\n');
    out
}

fn traces_data(line: &str) -> TracesData {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("opentelemetry-proto cannot read the line: {e}\n{line}"))
}

fn framed(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(&(r.len() as u32).to_be_bytes());
        out.extend_from_slice(r);
    }
    out
}

fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(b, 3).expect("zstd")
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, b).expect("gzip");
    e.finish().expect("gzip")
}

fn proto_records(json: &str) -> Vec<Vec<u8>> {
    json.lines().map(|l| traces_data(l).encode_to_vec()).collect()
}

#[test]
fn every_container_gives_the_identical_report() {
    let json = json_lines();
    let want = encoding_independent(&report_of(&[("d.jsonl", json.as_bytes())]));
    assert!(want["summary"]["findings"].as_u64().unwrap_or(0) >= 5, "{want:#}");
    let protos = proto_records(&json);
    let json_records: Vec<Vec<u8>> = json.lines().map(|l| l.as_bytes().to_vec()).collect();
    let variants: Vec<(&str, Vec<u8>, Format, Compression)> = vec![
        ("proto", framed(&protos), Format::Records, Compression::None),
        (
            "zstd records of JSON",
            framed(&json_records.iter().map(|r| zstd(r)).collect::<Vec<_>>()),
            Format::Records,
            Compression::ZstdRecords,
        ),
        (
            "zstd records of proto",
            framed(&protos.iter().map(|r| zstd(r)).collect::<Vec<_>>()),
            Format::Records,
            Compression::ZstdRecords,
        ),
        ("zstd stream of JSON lines", zstd(json.as_bytes()), Format::JsonLines, Compression::Zstd),
        ("zstd stream of proto", zstd(&framed(&protos)), Format::Records, Compression::Zstd),
        ("gzip of JSON lines", gzip(json.as_bytes()), Format::JsonLines, Compression::Gzip),
        ("gzip of proto", gzip(&framed(&protos)), Format::Records, Compression::Gzip),
    ];
    for (what, bytes, format, compression) in variants {
        let r = report_of(&[("d.bin", &bytes)]);
        assert_eq!((r.inputs[0].format, r.inputs[0].compression), (format, compression), "{what}");
        assert_eq!(encoding_independent(&r), want, "{what}");
    }
}

#[test]
fn stdin_takes_proto_and_compressed_input() {
    let json = json_lines();
    let want = encoding_independent(&report_of(&[("d.jsonl", json.as_bytes())]));
    for bytes in [framed(&proto_records(&json)), zstd(json.as_bytes())] {
        let out = assert_cmd::Command::cargo_bin("tracecheck")
            .expect("binary")
            .args(["check", "-", "--format", "json"])
            .write_stdin(bytes)
            .output()
            .expect("runs");
        let mut got: Value = serde_json::from_slice(&out.stdout).expect("json");
        got["tool"] = want["tool"].clone();
        assert_eq!(out.status.code(), want["verdict"]["exit_code"].as_i64().map(|c| c as i32));
        let normalized = {
            let mut v = got.clone();
            v["inputs"] = Value::Null;
            v["counts"]["bytes"] = Value::Null;
            for f in v["findings"].as_array_mut().expect("findings") {
                f["source"] = Value::Null;
                f["offset"] = Value::Null;
                f["location"] = Value::Null;
            }
            v
        };
        assert_eq!(normalized, want);
    }
}

#[test]
fn proto_decoder_agrees_with_prost_field_by_field() {
    // Plus a scope with a version and attributes, and a link with attributes.
    let json = json_lines()
        + r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"scope":{"name":"lib","version":"2.1","attributes":[{"key":"lang","value":{"stringValue":"go"}},{"key":"n","value":{"intValue":"3"}}]},"spans":[{"traceId":"11112222333344445555666677778888","spanId":"1111222233334444","name":"linked","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2","links":[{"traceId":"21112222333344445555666677778888","spanId":"2111222233334444","attributes":[{"key":"why","value":{"stringValue":"batch"}}]}]}]}]}]}"#
        + "\n";
    let protos = proto_records(&json);
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, "d.bin", &framed(&protos), &LoadOptions::default());
    let d = &loaded.dump;
    assert!(loaded.issues.is_empty(), "{:?}", loaded.issues);
    let mut seen = 0;
    let mut seen_drops = 0;
    for p in &protos {
        let td = TracesData::decode(&p[..]).expect("prost decodes");
        for rs in &td.resource_spans {
            let service = rs.resource.as_ref().and_then(|r| {
                r.attributes
                    .iter()
                    .find(|a| a.key == "service.name")
                    .and_then(|a| a.value.as_ref())
                    .map(|v| format!("{:?}", v.value))
            });
            for ss in &rs.scope_spans {
                let scope = ss.scope.clone().unwrap_or_default();
                for ps in &ss.spans {
                    seen += 1;
                    let mine = d
                        .spans
                        .iter()
                        .find(|s| {
                            s.trace_id.0[..] == ps.trace_id[..]
                                && s.span_id.0[..] == ps.span_id[..]
                                && s.start == ps.start_time_unix_nano
                                && d.str(s.name) == ps.name
                        })
                        .unwrap_or_else(|| panic!("span {:?} not decoded", ps.name));
                    assert_eq!(mine.end, ps.end_time_unix_nano);
                    let nested: u32 = ps.events.iter().map(|e| e.dropped_attributes_count).sum::<u32>()
                        + ps.links.iter().map(|l| l.dropped_attributes_count).sum::<u32>();
                    let dropped =
                        (mine.dropped.attrs, mine.dropped.events, mine.dropped.links, mine.dropped.nested_attrs);
                    let want = (ps.dropped_attributes_count, ps.dropped_events_count, ps.dropped_links_count, nested);
                    assert_eq!(dropped, (want.0 as u16, want.1 as u16, want.2 as u16, want.3 as u16), "{}", ps.name);
                    seen_drops += u64::from(want.0 + want.1 + want.2 + want.3);
                    let res_dropped = rs.resource.as_ref().map_or(0, |r| r.dropped_attributes_count);
                    assert_eq!(d.resource(mine).dropped_attrs, res_dropped);
                    assert_eq!(d.scope(mine).dropped_attrs, scope.dropped_attributes_count);
                    let sc = d.scope(mine);
                    assert_eq!((d.str(sc.name), d.str(sc.version)), (scope.name.as_str(), scope.version.as_str()));
                    let scope_keys: Vec<&str> = d.attrs[sc.attrs.range()].iter().map(|a| d.str(a.key)).collect();
                    assert_eq!(scope_keys, scope.attributes.iter().map(|a| a.key.as_str()).collect::<Vec<_>>());
                    assert_eq!(mine.kind as i32, ps.kind, "{}", ps.name);
                    let status = ps.status.clone().unwrap_or_default();
                    assert_eq!(mine.status as i32, status.code);
                    assert_eq!(d.str(mine.status_message), status.message);
                    match &mine.parent {
                        tracecheck::model::Parent::Span(p) => assert_eq!(p.0[..], ps.parent_span_id[..]),
                        _ => assert!(ps.parent_span_id.is_empty()),
                    }
                    let my_service = d.resource(mine).service_name.map(|s| {
                        format!(
                            "{:?}",
                            Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                                d.str(s).to_string()
                            ))
                        )
                    });
                    assert_eq!(my_service, service);
                    let attrs = d.span_attrs(mine);
                    assert_eq!(attrs.len(), ps.attributes.len());
                    for (a, pa) in attrs.iter().zip(&ps.attributes) {
                        assert_eq!(d.str(a.key), pa.key);
                        use opentelemetry_proto::tonic::common::v1::any_value::Value as P;
                        use tracecheck::model::Value as M;
                        match (a.value(), pa.value.as_ref().and_then(|v| v.value.as_ref())) {
                            (M::Str(s), Some(P::StringValue(t))) => assert_eq!(d.str(s), t),
                            (M::Bool(b), Some(P::BoolValue(c))) => assert_eq!(b, *c),
                            (M::Int(i), Some(P::IntValue(j))) => assert_eq!(i, *j),
                            (M::Double(x), Some(P::DoubleValue(y))) => assert_eq!(x, *y),
                            (M::Bytes(_), Some(P::BytesValue(_)))
                            | (M::Array(_), Some(P::ArrayValue(_)))
                            | (M::Map(_), Some(P::KvlistValue(_))) => {}
                            (m, p) => panic!("{}: {m:?} vs {p:?}", pa.key),
                        }
                    }
                    let events = d.span_events(mine);
                    assert_eq!(events.len(), ps.events.len());
                    for (e, pe) in events.iter().zip(&ps.events) {
                        assert_eq!((d.str(e.name), e.time), (pe.name.as_str(), pe.time_unix_nano));
                        assert_eq!(d.attrs[e.attrs.range()].len(), pe.attributes.len());
                    }
                    let links = d.span_links(mine);
                    assert_eq!(links.len(), ps.links.len());
                    for (l, pl) in links.iter().zip(&ps.links) {
                        assert_eq!((&l.trace_id.0[..], &l.span_id.0[..]), (&pl.trace_id[..], &pl.span_id[..]));
                        let keys: Vec<&str> = d.attrs[l.attrs.range()].iter().map(|a| d.str(a.key)).collect();
                        assert_eq!(keys, pl.attributes.iter().map(|a| a.key.as_str()).collect::<Vec<_>>());
                    }
                }
            }
        }
    }
    assert_eq!(seen, d.spans.len());
    assert_eq!(seen_drops, 12 + 3 + 2 + 1, "the A005 fixture's drops are decoded");
    assert!(seen > 30);
    assert!(d.scopes.iter().any(|s| d.attrs[s.attrs.range()].len() == 2), "the scope attributes were seen");
    assert!(d.links.iter().any(|l| l.attrs.len == 1), "the link attributes were seen");
}

#[test]
fn broken_frames_are_located_and_the_rest_is_analysed() {
    let json = json_lines();
    let mut protos = proto_records(&json);
    let n = protos.len() as u64;
    protos[1] = b"\x0a\xff\xff\xff\xff\x0f garbage".to_vec();
    let mut bytes = framed(&protos);
    // A last record whose length prefix runs past the end.
    bytes.extend_from_slice(&1000u32.to_be_bytes());
    bytes.extend_from_slice(b"\x0a\x02");
    let r = report_of(&[("d.bin", &bytes)]);
    let at: Vec<(String, Option<String>)> = r
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with('I'))
        .map(|f| (f.code.to_string(), f.source.clone()))
        .collect();
    assert_eq!(
        at,
        vec![("I001".into(), Some("d.bin:record 2".into())), ("I002".into(), Some(format!("d.bin:record {}", n + 1)))]
    );
    assert_eq!((r.counts.input.records_read, r.counts.input.records_decoded), (n + 1, n - 1));
    // Compressed streams cut short (input large enough for several zstd blocks; this one
    // compresses to one large first block and many small ones): what came before the cut is
    // analysed, and the cut is reported.
    let big = json.repeat(40);
    for (what, bytes) in [("zstd", zstd(big.as_bytes())), ("gzip", gzip(big.as_bytes()))] {
        let r = report_of(&[("d.z", &bytes[..bytes.len() - 20])]);
        assert!(r.counts.spans > 100, "{what}: {} spans", r.counts.spans);
        let stops = format!("{what} stream stops");
        assert!(r.findings.iter().any(|f| f.code.as_str() == "I002" && f.message.contains(&stops)), "{what}");
    }
}

#[test]
fn a_proto_record_that_breaks_inside_a_span_is_skipped_whole() {
    let json = json_lines();
    let mut protos = proto_records(&json);
    let spans_in = |p: &[u8]| -> usize {
        TracesData::decode(p)
            .expect("prost")
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum()
    };
    let lost = spans_in(&protos[0]);
    assert!(lost >= 2);
    // Break the first record inside its last span, after the others decoded: the key of the
    // span's name field (5, length-delimited: 0x2a) becomes wire type 3, which OTLP never uses.
    let name = b"\x2a\x09pdf.write";
    let at = protos[0].windows(name.len()).rposition(|w| w == name).expect("a pdf.write span in record 1");
    protos[0][at] = 0x2b;
    let r = report_of(&[("d.bin", &framed(&protos))]);
    let total: usize = proto_records(&json).iter().map(|p| spans_in(p)).sum();
    assert_eq!(r.counts.spans as usize, total - lost);
    assert_eq!((r.counts.input.spans_read, r.counts.input.spans_dropped), (r.counts.spans, 0));
    assert_eq!(r.findings.iter().filter(|f| f.code.as_str() == "I001").count(), 1);
}

/// Inputs that once broke an invariant under the fuzzers (see fuzz/README.md).
#[test]
fn fuzz_regressions_keep_every_record_and_span_accounted_for() {
    let dir = common::root().join("analyzer/tests/data/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions folder") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read");
        // The targets frame their input (otlp_proto) or prefix a magic number (containers).
        let mut framed_input = (data.len() as u32).to_be_bytes().to_vec();
        framed_input.extend_from_slice(&data);
        for bytes in [data.clone(), framed_input] {
            let mut loaded = Loaded::default();
            load_bytes(&mut loaded, "f", &bytes, &LoadOptions { chunk_bytes: 64, ..LoadOptions::default() });
            let c = loaded.accounting.clone();
            assert_eq!(
                c.records_read,
                c.records_decoded + c.records_skipped + c.records_other_signal,
                "{}",
                path.display()
            );
            assert_eq!(c.spans_read, loaded.dump.spans.len() as u64 + c.spans_dropped, "{}", path.display());
        }
        n += 1;
    }
    assert!(n >= 2);
}

/// Protobuf records transcoded to OTLP/JSON lines (what `capture` writes) read back to the
/// same report, digest included.
#[test]
fn protobuf_transcoded_to_json_lines_gives_the_identical_report() {
    use tracecheck::input::otlp_transcode::{Signal, to_json};
    let json = json_lines();
    let want = encoding_independent(&report_of(&[("d.jsonl", json.as_bytes())]));
    let mut lines = String::new();
    for r in proto_records(&json) {
        lines.push_str(&to_json(Signal::Traces, &r).expect("transcodes").json);
        lines.push('\n');
    }
    assert_eq!(encoding_independent(&report_of(&[("d.jsonl", lines.as_bytes())])), want);
}
