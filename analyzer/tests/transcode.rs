//! OTLP protobuf to OTLP/JSON (`capture`'s writer) against the protobuf library's own JSON
//! mapping, on random messages filling every field `opentelemetry-proto` knows.

mod common;

use tracecheck::input::otlp_transcode::{Signal, to_json};

/// Numbers compared by value (`1.0` and `1` are the same double), everything else exactly.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Number(x), Number(y)) => x.as_f64() == y.as_f64() && (x.is_f64() || y.is_f64() || x == y),
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Object(x), Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

#[test]
fn every_field_matches_the_protobuf_json_mapping() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import google.protobuf.json_format, opentelemetry.proto.metrics.v1.metrics_pb2"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("the transcoding reference needs Python's protobuf and opentelemetry-proto");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let script = common::root().join("analyzer/tests/transcode/reference.py");
    let run = std::process::Command::new("python3").arg(&script).arg(tmp.path()).arg("200").output().expect("python");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let cases = std::fs::read(tmp.path().join("cases.bin")).expect("cases");
    let expected = std::fs::read_to_string(tmp.path().join("expected.jsonl")).expect("expected");
    let mut expected = expected.lines();
    let (mut at, mut n, mut fields) = (0, 0, 0usize);
    while at < cases.len() {
        let signal = match cases[at] {
            b't' => Signal::Traces,
            b'l' => Signal::Logs,
            _ => Signal::Metrics,
        };
        let len = u32::from_be_bytes(cases[at + 1..at + 5].try_into().expect("len")) as usize;
        let body = &cases[at + 5..at + 5 + len];
        at += 5 + len;
        let got = to_json(signal, body).unwrap_or_else(|e| panic!("case {n} ({signal:?}): {e}"));
        assert_eq!(got.unknown_fields, 0, "case {n}: a field the table lacks");
        assert!(!got.json.contains('\n'), "one line per message");
        let got: serde_json::Value = serde_json::from_str(&got.json).expect("valid JSON");
        let want: serde_json::Value = serde_json::from_str(expected.next().expect("a line per case")).expect("json");
        assert!(same(&got, &want), "case {n} ({signal:?}) differs:\n got  {got}\n want {want}");
        fields += got.to_string().matches("\":").count();
        n += 1;
    }
    assert_eq!(n, 600);
    assert!(fields > 20_000, "the cases fill many fields ({fields})");
}
