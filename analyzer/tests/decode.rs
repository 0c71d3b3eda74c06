//! The decoder: every tolerance rule of SPEC §2, re-encodings of one dump giving one report,
//! and shuffled records never changing the result.

mod common;

use common::{encoding_independent, read, report_of, report_with};
use proptest::prelude::*;
use serde_json::{Value, json};
use tracecheck::checks::Code;
use tracecheck::input::LoadOptions;

/// A dump with spans over many lines, other signals, and findings of several kinds.
fn mixed_dump() -> String {
    let mut s = String::new();
    for f in [
        "sample-traces/healthy/checkout.jsonl",
        "sample-traces/checks/T005-clock-skew.jsonl",
        "sample-traces/checks/S004-parent-cycle.jsonl",
        "sample-traces/checks/E001-error-without-message.jsonl",
        "sample-traces/checks/A004-inconsistent-attribute-type.jsonl",
        "sample-traces/checks/S007-parent-in-other-trace.jsonl",
    ] {
        // Fixtures reuse trace 1; keep each file's traces apart by salting the trace ids.
        let salt = format!("{:02x}", s.len() % 251);
        let text = String::from_utf8(read(f)).expect("utf-8");
        s.push_str(&text.replace("\"traceId\":\"4bf9", &format!("\"traceId\":\"{salt}f9")));
    }
    s
}

fn lines(dump: &str) -> Vec<String> {
    dump.lines().map(str::to_string).collect()
}

/// Rewrites every JSON line with `f` applied to each object, recursively.
fn rewrite(dump: &str, f: &dyn Fn(&str, &mut Value)) -> String {
    let mut out = String::new();
    for l in dump.lines() {
        let mut v: Value = serde_json::from_str(l).expect("fixture line is JSON");
        walk(&mut v, "", f);
        out.push_str(&serde_json::to_string(&v).expect("serializes"));
        out.push('\n');
    }
    out
}

fn walk(v: &mut Value, key: &str, f: &dyn Fn(&str, &mut Value)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                walk(child, k, f);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| walk(c, key, f)),
        _ => {}
    }
    f(key, v);
}

fn hex_to_base64(hex: &str) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> =
        (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex")).collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHA[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

fn snake(k: &str) -> String {
    let mut s = String::new();
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn base64_ids(dump: &str) -> String {
    rewrite(dump, &|key, v| {
        if matches!(key, "traceId" | "spanId" | "parentSpanId")
            && let Value::String(s) = v
            && !s.is_empty()
            && s.chars().all(|c| c.is_ascii_hexdigit())
        {
            *s = hex_to_base64(s);
        }
    })
}

fn uppercase_ids(dump: &str) -> String {
    rewrite(dump, &|key, v| {
        if matches!(key, "traceId" | "spanId" | "parentSpanId")
            && let Value::String(s) = v
        {
            *s = s.to_ascii_uppercase();
        }
    })
}

fn snake_case_keys(dump: &str) -> String {
    rewrite(dump, &|_, v| {
        if let Value::Object(m) = v {
            let old = std::mem::take(m);
            for (k, child) in old {
                m.insert(snake(&k), child);
            }
        }
    })
}

fn enum_names(dump: &str) -> String {
    const KINDS: [&str; 6] = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];
    const CODES: [&str; 3] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
    rewrite(dump, &|key, v| {
        if let Value::Object(m) = v {
            if key != "value"
                && let Some(Value::Number(n)) = m.get("kind")
                && let Some(i) = n.as_u64().filter(|&i| i < 6)
            {
                m.insert("kind".into(), json!(format!("SPAN_KIND_{}", KINDS[i as usize])));
            }
            if key == "status"
                && let Some(Value::Number(n)) = m.get("code")
                && let Some(i) = n.as_u64().filter(|&i| i < 3)
            {
                m.insert("code".into(), json!(CODES[i as usize]));
            }
        }
    })
}

fn numbers_as_numbers(dump: &str) -> String {
    rewrite(dump, &|key, v| {
        if matches!(key, "startTimeUnixNano" | "endTimeUnixNano" | "intValue")
            && let Value::String(s) = v
            && let Ok(n) = s.parse::<u64>()
        {
            *v = json!(n);
        }
    })
}

fn old_scope_names(dump: &str) -> String {
    rewrite(dump, &|_, v| {
        if let Value::Object(m) = v
            && let Some(spans) = m.remove("scopeSpans")
        {
            m.insert("instrumentationLibrarySpans".into(), spans);
        }
    })
}

fn report_json(name: &str, dump: &str) -> Value {
    encoding_independent(&report_of(&[(name, dump.as_bytes())]))
}

#[test]
fn reencoded_dumps_give_the_identical_report() {
    let base = mixed_dump();
    let want = report_json("base.jsonl", &base);
    assert!(want["summary"]["findings"].as_u64().unwrap_or(0) >= 5, "the dump should have findings: {want:#}");
    let variants: Vec<(&str, String)> = vec![
        ("base64 ids", base64_ids(&base)),
        ("uppercase hex ids", uppercase_ids(&base)),
        ("snake_case keys", snake_case_keys(&base)),
        ("enum names", enum_names(&base)),
        ("numbers as JSON numbers", numbers_as_numbers(&base)),
        ("instrumentationLibrarySpans", old_scope_names(&base)),
        ("everything at once", snake_case_keys(&numbers_as_numbers(&enum_names(&base64_ids(&base))))),
        ("no final newline", base.trim_end().to_string()),
    ];
    for (what, dump) in variants {
        assert_ne!(dump, base, "{what}: the re-encoding changed nothing");
        assert_eq!(report_json("variant.jsonl", &dump), want, "{what}");
    }
}

#[test]
fn pretty_printed_document_gives_the_same_findings_and_latency() {
    let base = mixed_dump();
    let want = report_json("base.jsonl", &base);
    // All trace lines as one tab-indented document in a Jaeger API v3 wrapper.
    let mut resource_spans = Vec::new();
    for l in base.lines() {
        let v: Value = serde_json::from_str(l).expect("json");
        if let Some(Value::Array(rs)) = v.get("resourceSpans") {
            resource_spans.extend(rs.iter().cloned());
        }
    }
    let doc = json!({"result": {"resourceSpans": resource_spans}});
    let mut text = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut text, fmt);
    serde::Serialize::serialize(&doc, &mut ser).expect("serializes");
    let got = report_json("doc.json", std::str::from_utf8(&text).expect("utf-8"));
    for key in ["findings", "latency", "structure", "clock_skew"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    assert_eq!(got["counts"]["spans"], want["counts"]["spans"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn shuffling_records_never_changes_the_result(
        shuffled in Just(lines(&mixed_dump())).prop_shuffle(),
        chunk in prop_oneof![Just(64usize), Just(1000), Just(1 << 20)],
    ) {
        let want = report_json("a.jsonl", &mixed_dump());
        let text = shuffled.join("\n");
        let got = encoding_independent(&report_with(&[("a.jsonl", text.as_bytes())], &LoadOptions { chunk_bytes: chunk, ..LoadOptions::default() }));
        prop_assert_eq!(got, want);
    }
}

fn one_span(fields: &str) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"op","startTimeUnixNano":"1000","endTimeUnixNano":"2000"{fields}}}]}}]}}]}}"#
    )
}

#[test]
fn every_root_marker_is_a_root() {
    for marker in [
        r#""#,
        r#","parentSpanId":"""#,
        r#","parentSpanId":"0""#,
        r#","parentSpanId":null"#,
        r#","parentSpanId":"0000000000000000""#,
        r#","parent_span_id":"AAAAAAAAAAA=""#,
    ] {
        let r = report_of(&[("x.jsonl", one_span(marker).as_bytes())]);
        assert_eq!(r.structure.roots, 1, "{marker}");
        assert!(r.findings.is_empty(), "{marker}: {:?}", r.findings);
    }
}

#[test]
fn sixty_four_bit_times_are_exact_as_strings_and_as_numbers() {
    // 2^63 + 1 ns and a duration of 1 ns: a float would lose both.
    let spans = [
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"n","startTimeUnixNano":"9223372036854775809","endTimeUnixNano":"9223372036854775810"}]}]}]}"#,
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319d","spanId":"b7ad6b7169203332","name":"n","startTimeUnixNano":9223372036854775809,"endTimeUnixNano":9223372036854775810}]}]}]}"#,
    ];
    let r = report_of(&[("x.jsonl", spans.join("\n").as_bytes())]);
    let op = &r.latency.operations[0];
    assert_eq!((op.timed, op.min, op.max), (2, Some(1), Some(1)));
}

#[test]
fn tolerated_oddities_decode_without_findings() {
    let odd = [
        r#","status":{}"#,
        r#","kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_OK"}"#,
        r#","kind":"server","status":{"code":"Ok"}"#,
        r#","attributes":[{"key":"d","value":{"doubleValue":"NaN"}},{"key":"i","value":{"doubleValue":"-Infinity"}},{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"x"}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":true}}]}}},{"key":"b","value":{"bytesValue":"AQID"}},{"key":"e","value":{}}]"#,
        r#","unknownField":{"deep":[1,2,{"x":null}]},"droppedAttributesCount":0,"flags":769,"traceState":"a=b""#,
        r#","events":[{"timeUnixNano":"1500","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"E"}}]}],"links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]"#,
    ];
    for fields in odd {
        let r = report_of(&[("x.jsonl", one_span(fields).as_bytes())]);
        assert_eq!(r.counts.spans, 1, "{fields}");
        assert!(r.findings.is_empty(), "{fields}: {:?}", r.findings);
    }
}

#[test]
fn wrappers_and_concatenated_documents() {
    let inner = one_span("");
    let inner: Value = serde_json::from_str(&inner).expect("json");
    let rs = inner["resourceSpans"].clone();
    let docs = [
        json!({"result": inner}).to_string(),
        json!({"trace": inner}).to_string(),
        json!({"data": inner}).to_string(),
        json!({"batches": rs}).to_string(),
        // Two pretty documents back to back.
        format!("{:#}\n{:#}", inner, json!({"resourceSpans": []})),
    ];
    for d in docs {
        let r = report_of(&[("x.json", d.as_bytes())]);
        assert_eq!(r.counts.spans, 1, "{d}");
        assert!(r.findings.is_empty(), "{d}: {:?}", r.findings);
    }
}

#[test]
fn bad_values_are_located_and_the_rest_still_analysed() {
    let good = one_span("");
    let dump = [
        good.clone(),
        one_span(r#","kind":42"#).replace("b7ad6b7169203331", "b7ad6b7169203332"),
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"xyz\"}]}]}]}".to_string(),
        "[1,2,3]".to_string(),
        "{\"resourceSpans\": [".to_string(),
        good.replace("0af7651916cd43dd8448eb211c80319c", "1af7651916cd43dd8448eb211c80319c"),
    ]
    .join("\n");
    let r = report_of(&[("bad.jsonl", dump.as_bytes())]);
    let c = &r.counts;
    assert_eq!((c.input.records_read, c.input.records_decoded, c.input.records_skipped), (6, 4, 2));
    assert_eq!((c.input.spans_read, c.input.spans_dropped, c.spans), (4, 1, 3));
    let at = |code: Code| {
        r.findings.iter().filter(|f| f.code == code).map(|f| f.source.clone().unwrap_or_default()).collect::<Vec<_>>()
    };
    assert_eq!(at(Code::I006), vec!["bad.jsonl:2"]);
    assert_eq!(at(Code::I004), vec!["bad.jsonl:3"]);
    assert_eq!(at(Code::I005), vec!["bad.jsonl:4"]);
    assert_eq!(at(Code::I001), vec!["bad.jsonl:5"]);
}

#[test]
fn truncated_last_record_is_reported_as_truncated() {
    let good = one_span("");
    let dump = format!("{good}\n{}", &good[..good.len() - 10]);
    let r = report_of(&[("cut.jsonl", dump.as_bytes())]);
    let f: Vec<_> = r.findings.iter().map(|f| (f.code.clone(), f.source.clone())).collect();
    assert_eq!(f, vec![(Code::I002.into(), Some("cut.jsonl:2".to_string()))]);
    assert_eq!(r.counts.spans, 1);
    // The same in a pretty document.
    let doc = format!("{:#}", serde_json::from_str::<Value>(&good).expect("json"));
    let r = report_of(&[("cut.json", &doc.as_bytes()[..doc.len() - 5])]);
    assert_eq!(r.findings.iter().map(|f| f.code.clone()).collect::<Vec<_>>(), vec![Code::I002]);
}

#[test]
fn findings_in_pretty_documents_point_at_the_span_line() {
    let text = read("sample-traces/healthy/checkout-document.json");
    let mut doc: Value = serde_json::from_slice(&text).expect("json");
    // Turn the payments server span (span 4) into an error without a message.
    let span = &mut doc["result"]["resourceSpans"][1]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "Payments/Charge");
    span["status"] = json!({"code": 2});
    let mut pretty = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut pretty, serde_json::ser::PrettyFormatter::with_indent(b"\t"));
    serde::Serialize::serialize(&doc, &mut ser).expect("serializes");
    let pretty = String::from_utf8(pretty).expect("utf-8");
    let r = report_of(&[("doc.json", pretty.as_bytes())]);
    let f = r.findings.iter().find(|f| f.code == Code::E001).expect("E001");
    // The finding points at the line of the span's first key: the line after the span
    // object's opening brace, which sits one tab left of the span's keys.
    let lines: Vec<&str> = pretty.lines().collect();
    let id_line = lines.iter().position(|l| l.contains("\"spanId\": \"00f067aa0ba90004\"")).expect("span 4");
    let indent = lines[id_line].len() - lines[id_line].trim_start_matches('\t').len();
    let open = format!("{}{{", "\t".repeat(indent - 1));
    let brace = (0..id_line).rev().find(|&i| lines[i] == open).expect("span object");
    let line = brace + 2;
    assert!(line > 100, "the span is deep in the document (line {line})");
    assert_eq!(f.source.as_deref(), Some(format!("doc.json:{line}").as_str()));
}
