//! Jaeger and Zipkin JSON decode into the same model with the same checks: the healthy
//! sample in three formats gives one result, and each format's own semantics hold
//! (FOLLOWS_FROM, error tags, Zipkin shared spans, 64-bit ids, v1 annotations).

mod common;

use common::{report_of, report_of_files};
use tracecheck::checks::Code;
use tracecheck::input::Dialect;

#[test]
fn healthy_checkout_gives_the_same_result_in_otlp_jaeger_and_zipkin() {
    let otlp = report_of_files(&["sample-traces/healthy/checkout.jsonl"]);
    for (rel, dialect) in [
        ("sample-traces/formats/checkout.jaeger.json", Dialect::Jaeger),
        ("sample-traces/formats/checkout.zipkin.json", Dialect::Zipkin),
    ] {
        let r = report_of_files(&[rel]);
        assert_eq!(r.inputs[0].dialects, vec![dialect], "{rel}");
        assert!(r.findings.is_empty(), "{rel}: {:#?}", r.findings);
        assert_eq!(r.counts.spans, otlp.counts.spans, "{rel}");
        assert_eq!(r.structure, otlp.structure, "{rel}");
        // Zipkin has no status code, so error counts are equal but OK/unset are not compared.
        assert_eq!(r.latency, otlp.latency, "{rel}");
    }
}

fn codes(json: &str) -> Vec<tracecheck::checks::CheckId> {
    report_of(&[("x.json", json.as_bytes())]).findings.iter().map(|f| f.code.clone()).collect()
}

fn jaeger(child_ref: &str, child_tags: &str, child_logs: &str) -> String {
    format!(
        r#"{{"data":[{{"traceID":"5af7183fb1d4cf5f","processes":{{"p1":{{"serviceName":"svc","tags":[{{"key":"hostname","type":"string","value":"h1"}}]}}}},
        "spans":[
          {{"traceID":"5af7183fb1d4cf5f","spanID":"00000000000000a1","operationName":"parent","references":[],"startTime":1000,"duration":100,"tags":[],"processID":"p1"}},
          {{"traceID":"5af7183fb1d4cf5f","spanID":"00000000000000b2","operationName":"child","references":[{{"refType":"{child_ref}","traceID":"5af7183fb1d4cf5f","spanID":"00000000000000a1"}}],
            "startTime":1050,"duration":500,"tags":[{child_tags}],"logs":[{child_logs}],"processID":"p1"}}
        ]}}]}}"#
    )
}

#[test]
fn jaeger_follows_from_may_outlive_its_parent_child_of_may_not() {
    assert_eq!(codes(&jaeger("FOLLOWS_FROM", "", "")), Vec::<Code>::new());
    assert_eq!(codes(&jaeger("CHILD_OF", "", "")), vec![Code::T004]);
}

#[test]
fn jaeger_error_tags_set_status_and_error_logs_explain_them() {
    let err = r#"{"key":"error","type":"bool","value":true}"#;
    assert_eq!(codes(&jaeger("FOLLOWS_FROM", err, "")), vec![Code::E001]);
    let log = r#"{"timestamp":1100,"fields":[{"key":"event","type":"string","value":"error"},{"key":"message","type":"string","value":"boom"}]}"#;
    assert_eq!(codes(&jaeger("FOLLOWS_FROM", err, log)), Vec::<Code>::new());
    let described = r#"{"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"otel.status_description","type":"string","value":"boom"}"#;
    assert_eq!(codes(&jaeger("FOLLOWS_FROM", described, "")), Vec::<Code>::new());
}

#[test]
fn jaeger_64_bit_trace_ids_are_widened() {
    let r = report_of(&[("x.json", jaeger("FOLLOWS_FROM", "", "").as_bytes())]);
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(r.counts.spans, 2);
    assert_eq!(r.structure.roots, 1);
    let r2 = report_of(&[("x.json", jaeger("CHILD_OF", "", "").as_bytes())]);
    assert_eq!(r2.findings[0].trace_id.as_deref(), Some("00000000000000005af7183fb1d4cf5f"), "{json}");
}

fn zipkin(spans: &[&str]) -> String {
    format!("[{}]", spans.join(","))
}

const CLIENT: &str = r#"{"traceId":"5af7183fb1d4cf5f","id":"00000000000000c1","name":"get","kind":"CLIENT","timestamp":1000,"duration":100,"localEndpoint":{"serviceName":"front","ipv4":"10.0.0.1"}}"#;

#[test]
fn zipkin_shared_server_half_is_the_clients_child_not_a_duplicate() {
    let server = r#"{"traceId":"5af7183fb1d4cf5f","id":"00000000000000c1","name":"get","kind":"SERVER","shared":true,"timestamp":1010,"duration":80,"localEndpoint":{"serviceName":"back","ipv4":"10.0.0.2"}}"#;
    let db = r#"{"traceId":"5af7183fb1d4cf5f","parentId":"00000000000000c1","id":"00000000000000d1","name":"db","kind":"CLIENT","timestamp":1020,"duration":10,"localEndpoint":{"serviceName":"back","ipv4":"10.0.0.2"}}"#;
    let r = report_of(&[("z.json", zipkin(&[CLIENT, server, db]).as_bytes())]);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!((r.structure.roots, r.structure.max_depth, r.structure.duplicate_span_ids), (1, 2, 0));
    // Two clients with one id are a real duplicate.
    assert_eq!(codes(&zipkin(&[CLIENT, CLIENT])), vec![Code::S005, Code::S003]);
}

#[test]
fn zipkin_missing_duration_is_reported_and_error_tags_carry_their_message() {
    let no_duration = r#"{"traceId":"5af7183fb1d4cf5f","id":"00000000000000e1","name":"late","timestamp":1000,"localEndpoint":{"serviceName":"s"}}"#;
    assert_eq!(codes(&zipkin(&[no_duration])), vec![Code::T002]);
    let error = r#"{"traceId":"5af7183fb1d4cf5f","id":"00000000000000e1","name":"x","timestamp":1000,"duration":5,"localEndpoint":{"serviceName":"s"},"tags":{"error":"connection refused"}}"#;
    let r = report_of(&[("z.json", zipkin(&[error]).as_bytes())]);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.latency.operations[0].errors, 1);
    let bare = error.replace("connection refused", "");
    assert_eq!(codes(&zipkin(&[&bare])), vec![Code::E001]);
}

#[test]
fn zipkin_v1_times_kind_and_service_come_from_annotations() {
    let v1 = r#"[[{"traceId":"5af7183fb1d4cf5f","id":"00000000000000f1","name":"op","annotations":[
        {"timestamp":2000,"value":"sr","endpoint":{"serviceName":"api","ipv4":"10.0.0.9"}},
        {"timestamp":2500,"value":"ss","endpoint":{"serviceName":"api","ipv4":"10.0.0.9"}}],
        "binaryAnnotations":[{"key":"http.path","value":"/x","endpoint":{"serviceName":"api"}}]}]]"#;
    let r = report_of(&[("v1.json", v1.as_bytes())]);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let op = &r.latency.operations[0];
    assert_eq!((op.service.as_str(), op.name.as_str(), op.p50), ("api", "op", Some(500_000)));
}
