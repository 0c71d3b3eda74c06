//! `tracecheck capture -- COMMAND`: a real SDK's exports received on loopback, written in the
//! file exporter's layout, and checked.

mod common;

use assert_cmd::Command;
use std::path::Path;

/// Whether Python's OpenTelemetry SDK and OTLP/HTTP exporter are installed.
fn python_sdk() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("capture's test needs opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http");
    }
    ok
}

fn capture(out: &Path, report: &Path, command: &[&str]) -> std::process::Output {
    Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["capture", "--format", "json", "-o"])
        .arg(report)
        .arg("--out")
        .arg(out)
        .arg("--")
        .args(command)
        .output()
        .expect("capture")
}

#[test]
fn a_two_process_python_program_is_captured_whole() {
    if !python_sdk() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let script = common::root().join("analyzer/tests/capture/two_processes.py");
    let (out, report) = (tmp.path().join("run"), tmp.path().join("report.json"));
    let run = capture(&out, &report, &["python3", script.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("captured") && stderr.contains("traces"), "{stderr}");
    assert!(stderr.contains("logs") && stderr.contains("metrics"), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    // The SDK sent protobuf; every signal was written as file-exporter JSON lines.
    let lines = |name: &str| -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"))).collect()
    };
    let spans: Vec<serde_json::Value> = lines("traces.jsonl")
        .iter()
        .flat_map(|d| d["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|rs| rs["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|ss| ss["spans"].as_array().cloned().unwrap_or_default())
        .collect();
    let work = spans.iter().find(|s| s["name"] == "work").expect("the child's span");
    let records: Vec<serde_json::Value> = lines("logs.jsonl")
        .iter()
        .flat_map(|d| d["resourceLogs"][0]["scopeLogs"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["logRecords"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["body"]["stringValue"], "working on 3 steps");
    assert_eq!((&records[0]["traceId"], &records[0]["spanId"]), (&work["traceId"], &work["spanId"]), "hex ids");
    let metric = lines("metrics.jsonl")
        .iter()
        .flat_map(|d| d["resourceMetrics"][0]["scopeMetrics"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["metrics"].as_array().cloned().unwrap_or_default())
        .find(|m| m["name"] == "steps.done")
        .expect("the counter");
    assert_eq!(metric["sum"]["dataPoints"][0]["asInt"], "3", "{metric}");
    assert_eq!(metric["sum"]["isMonotonic"], true);
    assert!(r["counts"]["other_signals"]["logs"].as_u64() >= Some(1), "{}", r["counts"]);
    assert!(r["counts"]["other_signals"]["metrics"].as_u64() >= Some(1), "{}", r["counts"]);
    assert_eq!(r["counts"]["spans"], 6, "{r}");
    assert_eq!(r["counts"]["traces"], 1, "the context crossed the process boundary");
    assert_eq!((r["structure"]["roots"].as_u64(), r["structure"]["orphans"].as_u64()), (Some(1), Some(0)));
    assert_eq!(r["structure"]["max_depth"], 3);
    let services: std::collections::BTreeSet<&str> =
        r["latency"]["operations"].as_array().expect("ops").iter().filter_map(|o| o["service"].as_str()).collect();
    assert_eq!(services.into_iter().collect::<Vec<_>>(), ["app-child", "app-parent"]);
    assert_eq!(r["verdict"]["outcome"], "pass");
    // The captured file is an ordinary input.
    let again = Command::cargo_bin("tracecheck")
        .expect("binary")
        .arg("check")
        .arg(out.join("traces.jsonl"))
        .output()
        .expect("check");
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn a_failing_command_fails_the_run_and_says_both() {
    if !python_sdk() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let script = common::root().join("analyzer/tests/capture/two_processes.py");
    let (out, report) = (tmp.path().join("run"), tmp.path().join("report.json"));
    let run = capture(&out, &report, &["python3", script.to_str().expect("utf-8"), "fail"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("exited with exit status: 3") && stderr.contains("the check's verdict is exit 0"),
        "{stderr}"
    );
}

#[test]
fn a_command_that_sends_nothing_is_unusable_input() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (out, report) = (tmp.path().join("run"), tmp.path().join("report.json"));
    let run = capture(&out, &report, &["true"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("sent no spans to http://127.0.0.1:"), "{stderr}");
}

/// The receiver speaks OTLP/HTTP as the specification says: JSON and gzip bodies, an empty
/// success, 404 elsewhere, and it never listens beyond loopback.
#[test]
fn the_receiver_takes_json_and_gzip_and_answers_as_otlp_says() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (out, report) = (tmp.path().join("run"), tmp.path().join("report.json"));
    let line = String::from_utf8(common::read("sample-traces/healthy/checkout.jsonl")).expect("utf-8");
    let body = line.lines().find(|l| l.contains("resourceSpans")).expect("a span line").to_string();
    std::fs::write(tmp.path().join("body.json"), &body).expect("body");
    let client = format!(
        r#"import gzip, os, urllib.request, urllib.error
base = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
assert base.startswith("http://127.0.0.1:"), base
body = open({body:?}, "rb").read()
r = urllib.request.urlopen(urllib.request.Request(base + "/v1/traces", data=body, headers={{"Content-Type": "application/json"}}))
assert r.status == 200 and r.read() == b"{{}}"
r = urllib.request.urlopen(urllib.request.Request(base + "/v1/traces", data=gzip.compress(body), headers={{"Content-Type": "application/json", "Content-Encoding": "gzip"}}))
assert r.status == 200
try:
    urllib.request.urlopen(urllib.request.Request(base + "/other", data=b"x"))
    raise SystemExit("no 404")
except urllib.error.HTTPError as e:
    assert e.code == 404
try:
    urllib.request.urlopen(urllib.request.Request(base + "/v1/traces", data=b"\x0a\xff\x01", headers={{"Content-Type": "application/x-protobuf"}}))
    raise SystemExit("a broken protobuf body was taken")
except urllib.error.HTTPError as e:
    assert e.code == 400, e.code
"#,
        body = tmp.path().join("body.json").display().to_string()
    );
    let run = capture(&out, &report, &["python3", "-c", &client]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // The same spans sent twice: duplicate span ids (S005) fail the check.
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("exited with"), "the command itself succeeded: {stderr}");
    assert!(
        stderr.contains("1 refused, the first because a traces protobuf body: invalid protobuf at byte"),
        "{stderr}"
    );
    let lines = std::fs::read_to_string(out.join("traces.jsonl")).expect("JSON lines");
    assert_eq!(lines.lines().count(), 2, "both bodies, one line each");
    let plain = common::report_of(&[("b.jsonl", format!("{body}\n").as_bytes())]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(r["counts"]["spans"].as_u64(), Some(2 * plain.counts.spans));
    assert!(r["summary"]["by_code"]["S005"].as_u64().is_some_and(|n| n > 0), "{}", r["summary"]);
}
