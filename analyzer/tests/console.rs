//! SDK console exporters, as the real SDKs print them (fixtures in sample-traces/console,
//! made by the scripts beside them): every span, its parent, kind, status, times, events and
//! attributes, and a note on what the format leaves out.

mod common;

use tracecheck::model::Dialect;
use tracecheck::report::Report;

fn report(rel: &str) -> Report {
    common::report_of(&[(rel, &common::read(rel))])
}

/// Counts, names, the failed charge and durations, from the report; kind, status message,
/// events and typed attributes are checked by rules ([`rules_hold`]).
fn check_fixture(rel: &str, dialect: Dialect, service: &str) {
    let r = report(rel);
    assert_eq!(r.inputs[0].dialects, vec![dialect], "{rel}");
    assert!(!r.inputs[0].notes.is_empty(), "{rel}: the report says what the format leaves out");
    let mut human = Vec::new();
    tracecheck::report::human::write(&r, Default::default(), &mut human).expect("human report");
    let human = String::from_utf8(human).expect("utf-8");
    assert!(human.contains(&format!("  note: {}", r.inputs[0].notes[0])), "{rel}: people are told too:\n{human}");
    // The scripts print "4 spans": a server root, its three children, one trace.
    assert_eq!((r.counts.spans, r.counts.traces, r.structure.roots, r.structure.orphans), (4, 1, 1, 0), "{rel}");
    assert_eq!(r.counts.input.spans_dropped, 0);
    let names: Vec<(&str, &str)> = r.latency.operations.iter().map(|o| (o.service.as_str(), o.name.as_str())).collect();
    for n in ["POST /checkout", "SELECT orders", "charge", "render"] {
        assert!(names.contains(&(service, n)), "{rel}: {n} of {service} in {names:?}");
    }
    let charge = r.latency.operations.iter().find(|o| o.name == "charge").expect("charge");
    assert_eq!(charge.errors, 1, "{rel}: the failed charge has status ERROR");
    let db = r.latency.operations.iter().find(|o| o.name == "SELECT orders").expect("db");
    assert!(db.min.is_some_and(|d| d > 0), "{rel}: the database span has a duration");
    assert!(r.findings.is_empty(), "{rel}: {:?}", r.findings);
}

/// Rules that hold only when kind, status message, events and typed attributes came through.
const PACK: &str = r#"schema = 1
name = "console"

[[rule]]
id = "C1"
title = "the root is a server span"
any = '{ name = "POST /checkout" && kind = server && span.http.response.status_code = 200 }'

[[rule]]
id = "C2"
title = "the charge failed with a message and an exception event"
any = '{ name = "charge" && status = error && statusMessage = "card declined" && event.exception.message = "declined" }'

[[rule]]
id = "C3"
title = "typed attributes"
any = '{ name = "SELECT orders" && span.rows = 3 && kind = client }'
"#;

fn rules_hold(rel: &str) {
    let set = std::sync::Arc::new(tracecheck::rules::RuleSet::parse("console.toml", PACK).expect("pack"));
    let mut loaded = tracecheck::input::Loaded::default();
    tracecheck::input::load_bytes(&mut loaded, rel, &common::read(rel), &Default::default());
    let a = tracecheck::analysis::analyze_loaded(
        loaded,
        &tracecheck::analysis::Options { rules: Some(set), ..Default::default() },
    );
    for r in &a.rules {
        assert_eq!(r.outcome, tracecheck::rules::RuleOutcome::Pass, "{rel}: {} {}: {}", r.id, r.title, r.reason);
    }
}

#[test]
fn the_python_sdk_console_exporter() {
    check_fixture("sample-traces/console/python-console.txt", Dialect::PythonConsole, "checkout-py");
    rules_hold("sample-traces/console/python-console.txt");
}

#[test]
fn the_js_sdk_console_exporter_as_node_prints_it() {
    check_fixture("sample-traces/console/js-console.txt", Dialect::JsConsole, "checkout-js");
    rules_hold("sample-traces/console/js-console.txt");
}

#[test]
fn the_go_sdk_stdouttrace_exporter() {
    check_fixture("sample-traces/console/go-stdout.json", Dialect::GoStdout, "checkout-go");
    rules_hold("sample-traces/console/go-stdout.json");
}

/// The AWS Lambda OTLP stdout envelope, as the real exporter printed it (protobuf payload),
/// and with an OTLP JSON payload.
#[test]
fn the_lambda_otlp_stdout_envelope() {
    use std::io::Write as _;
    let rel = "sample-traces/console/lambda-otlp-stdout.jsonl";
    let r = report(rel);
    assert_eq!((r.counts.spans, r.counts.traces, r.structure.roots, r.structure.orphans), (3, 1, 1, 0));
    let charge = r.latency.operations.iter().find(|o| o.name == "charge").expect("charge");
    assert_eq!((charge.service.as_str(), charge.errors), ("checkout-lambda", 1));

    let line = String::from_utf8(common::read("sample-traces/healthy/checkout.jsonl")).expect("utf-8");
    let line = line.lines().find(|l| l.contains("resourceSpans")).expect("a span line");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(line.as_bytes()).expect("gzip");
    let payload = tracecheck_wire::base64::encode(&gz.finish().expect("gzip"));
    let envelope = serde_json::json!({"__otel_otlp_stdout": "0.17.3", "content-type": "application/json",
        "content-encoding": "gzip", "payload": payload, "base64": true});
    let wrapped = common::report_of(&[("env.jsonl", format!("{envelope}\n").as_bytes())]);
    let plain = common::report_of(&[("plain.jsonl", format!("{line}\n").as_bytes())]);
    assert!(plain.counts.spans > 0);
    assert_eq!(wrapped.counts.spans, plain.counts.spans);
    assert_eq!(wrapped.digest.spans, plain.digest.spans, "the same spans");
    let broken = serde_json::json!({"__otel_otlp_stdout": "0.17.3", "payload": "not base64!", "base64": true});
    let bad = common::report_of(&[("bad.jsonl", format!("{broken}\n").as_bytes())]);
    assert!(
        bad.findings.iter().any(|f| f.message.contains("is not base64") && f.source.is_some()),
        "{:?}",
        bad.findings
    );
}

#[test]
fn the_rust_sdk_stdout_exporter() {
    check_fixture("sample-traces/console/rust-stdout.txt", Dialect::RustStdout, "checkout-rs");
    rules_hold("sample-traces/console/rust-stdout.txt");
    let r = report("sample-traces/console/rust-stdout.txt");
    assert_eq!(r.counts.input.decoded_by_dialect.get(&Dialect::RustStdout).copied(), Some(4));
}

/// A link whose id does not decode is reported, located, and the span is still read.
#[test]
fn a_console_link_with_a_bad_id_is_reported() {
    let text =
        std::fs::read_to_string(common::root().join("sample-traces/console/python-console.txt")).expect("fixture");
    let bad = text.replacen(
        "\"links\": [],",
        "\"links\": [{\"context\": {\"trace_id\": \"0xnothex\", \"span_id\": \"0x00f067aa0ba902b7\"}}],",
        1,
    );
    assert_ne!(bad, text);
    let r = common::report_of(&[("bad.txt", bad.as_bytes())]);
    assert_eq!(r.counts.spans, 4, "the span is kept");
    let f = r.findings.iter().find(|f| f.message.starts_with("link ignored")).expect("an I004 for the link");
    assert_eq!(f.code.as_str(), "I004");
    assert!(f.source.as_deref().is_some_and(|s| s.starts_with("bad.txt:")), "{:?}", f.source);
}
