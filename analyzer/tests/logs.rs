//! Logs that point at spans (L001-L003): a dump of spans and logs with a known number of
//! uncorrelated logs, found exactly, in JSON lines and protobuf records, in memory, in
//! streaming mode and through shards.

mod common;

use serde_json::Value;

const MIXED: &str = "sample-traces/logs/spans-and-logs.jsonl";
const TWIN: &str = "sample-traces/logs/spans-and-correlated-logs.jsonl";

fn check(args: &[&str]) -> Value {
    let (_, report, err) = common::json_report(args);
    assert!(!report.is_null(), "{args:?}: no JSON report: {err}");
    report
}

/// (code, trace, span, message) of each L finding.
fn log_findings(r: &Value) -> Vec<(String, String, String, String)> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with('L')))
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            (s(&f["code"]), s(&f["trace_id"]), s(&f["span_ids"][0]), s(&f["message"]))
        })
        .collect()
}

fn log_counts(r: &Value) -> [u64; 3] {
    ["logs_read", "logs_with_trace", "logs_correlated"].map(|k| r["counts"][k].as_u64().unwrap_or(u64::MAX))
}

#[test]
fn each_log_is_found_with_its_span_or_reported() {
    let r = check(&["check", MIXED]);
    let found = log_findings(&r);
    let want = [
        ("L001", "4bf92f3577b34da6a3ce929d0e0e00ff", "00f067aa0ba900fe", "\"payment declined\" names trace"),
        (
            "L002",
            "4bf92f3577b34da6a3ce929d0e0e0001",
            "00f067aa0ba900ee",
            "\"retrying charge\" names span 00f067aa0ba900ee",
        ),
        ("L003", "4bf92f3577b34da6a3ce929d0e0e0001", "00f067aa0ba90003", "at 205.00ms after the start of span"),
    ];
    assert_eq!(found.len(), want.len(), "{found:#?}");
    for ((code, trace, span, msg), w) in found.iter().zip(want) {
        assert_eq!((code.as_str(), trace.as_str(), span.as_str()), (w.0, w.1, w.2));
        assert!(msg.contains(w.3), "{msg}");
    }
    let lines: Vec<&str> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["source"].as_str())
        .filter(|s| s.starts_with("sample-traces/logs/"))
        .collect();
    assert_eq!(lines, [format!("{MIXED}:11"), format!("{MIXED}:12"), format!("{MIXED}:13")]);
    // 11 log records: 3 without a trace id; of the 8 with one, 6 found with their span (the
    // late one among them), 2 not.
    assert_eq!(log_counts(&r), [11, 8, 6]);
    // Warnings: the run passes at the default --fail-on error.
    assert_eq!(r["verdict"]["exit_code"], 0);

    let twin = check(&["check", TWIN]);
    assert!(log_findings(&twin).is_empty(), "{:#?}", log_findings(&twin));
    assert_eq!(log_counts(&twin), [8, 5, 5]);
    assert_eq!(twin["digest"]["spans"], r["digest"]["spans"], "logs are not spans");
}

#[test]
fn protobuf_records_streaming_and_shards_agree() {
    let want = check(&["check", MIXED]);
    let proto = check(&["check", "sample-traces/logs/spans-and-logs.pb"]);
    let strip = |v: &[(String, String, String, String)]| v.to_vec();
    assert_eq!(strip(&log_findings(&proto)), strip(&log_findings(&want)));
    assert_eq!(log_counts(&proto), log_counts(&want));
    assert_eq!(proto["counts"]["other_signals"]["logs"], 7, "LogsData records are logs, not traces");
    assert!(proto["findings"].as_array().expect("findings").iter().all(|f| f["code"] != "I004"), "{proto}");

    let streamed = check(&["check", MIXED, "--max-memory", "1KB"]);
    assert_eq!(log_findings(&streamed), log_findings(&want));
    assert_eq!(log_counts(&streamed), log_counts(&want));

    let tmp = tempfile::tempdir().expect("tmp");
    let mut merge = vec!["merge".to_string()];
    merge.extend(common::shard_partials(MIXED, 3, tmp.path()));
    let args: Vec<&str> = merge.iter().map(String::as_str).collect();
    let merged = check(&args);
    assert_eq!(log_findings(&merged), log_findings(&want));
    assert_eq!(log_counts(&merged), log_counts(&want));
}
