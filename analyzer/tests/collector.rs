//! The Collector's own telemetry (C001-C005): each spelling Collector versions use, in the
//! dump and beside it (Prometheus text, OTLP JSON, OTLP protobuf), each lossy fixture with
//! its findings and a healthy twin with none; loss fails the run whatever --fail-on; shards
//! and merge report it once.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;

const HEALTHY: &str = "sample-traces/healthy/checkout.jsonl";

fn run(args: &[&str]) -> (Option<i32>, Value, String) {
    common::json_report(args)
}

/// The C findings of a report: code → messages.
fn collector_findings(r: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in r["findings"].as_array().into_iter().flatten() {
        let code = f["code"].as_str().unwrap_or("");
        if code.starts_with('C') {
            out.entry(code.to_string()).or_default().push(f["message"].as_str().unwrap_or("").to_string());
        }
    }
    out
}

/// (fixture, the codes it gives with a fragment of each message).
const LOSSY: &[(&str, &[(&str, &str)])] = &[
    (
        "otlp-json-old.json",
        &[
            ("C002", "processor \"memory_limiter\" dropped 42 span(s)"),
            ("C003", "exporter \"otlp/backend\" failed to send 7 span(s)"),
            ("C004", "exported 83.33 % of its spans (35 sent, 7 failed)"),
            ("C005", "accepted 63 span(s); the dump holds 21: 42 missing"),
        ],
    ),
    (
        "otlp-json-new.json",
        &[
            ("C001", "receiver \"otlp\" refused 3 span(s) (accepted 26)"),
            ("C002", "processor \"batch\" passed on 21 of 26 span(s): 5 not passed on"),
            ("C003", "exporter \"file\" failed to send 0 span(s) and to queue 2 (sent 21)"),
            ("C004", "exported 91.30 % of its spans (21 sent, 2 failed)"),
            ("C005", "accepted 26 span(s); the dump holds 21: 5 missing"),
        ],
    ),
    ("prometheus-total.txt", &[("C001", "Collector \"otelcol-c\" receiver \"otlp\" refused 5 span(s) (accepted 21)")]),
    (
        "prometheus-old.txt",
        &[
            ("C003", "exporter \"file\" failed to send 1 span(s) and to queue 0 (sent 20)"),
            ("C004", "exported 95.24 % of its spans (20 sent, 1 failed)"),
        ],
    ),
];

fn assert_findings(r: &Value, want: &[(&str, &str)], what: &str) {
    let got = collector_findings(r);
    let codes: Vec<&str> = got.keys().map(String::as_str).collect();
    let want_codes: Vec<&str> = want.iter().map(|w| w.0).collect();
    assert_eq!(codes, want_codes, "{what}: {got:#?}");
    for (code, fragment) in want {
        assert!(got[*code].iter().any(|m| m.contains(fragment)), "{what} {code}: {:?} lacks {fragment:?}", got[*code]);
    }
}

#[test]
fn every_spelling_is_read_and_each_healthy_twin_is_clean() {
    for (fixture, want) in LOSSY {
        let path = format!("sample-traces/collector/{fixture}");
        let (code, r, err) = run(&["check", HEALTHY, "--collector-metrics", &path]);
        assert_eq!(code, Some(1), "{fixture}: {err}");
        assert_findings(&r, want, fixture);
        let twin = path.replacen(".json", "-healthy.json", 1).replacen(".txt", "-healthy.txt", 1);
        let (code, r, err) = run(&["check", HEALTHY, "--collector-metrics", &twin]);
        assert_eq!(code, Some(0), "{twin}: {err}");
        assert!(collector_findings(&r).is_empty(), "{twin}: {r}");
    }
}

/// The OTLP JSON fixtures as protobuf `MetricsData` (encoded by Python's protobuf library,
/// `make_collector_fixtures.py`), one message and length-prefixed records: the same findings.
#[test]
fn protobuf_metrics_give_the_same_findings() {
    for (fixture, want) in LOSSY.iter().filter(|(f, _)| f.ends_with(".json")) {
        for suffix in [".pb", ".records.pb"] {
            let file = format!("sample-traces/collector/{}", fixture.replace(".json", suffix));
            let (code, r, err) = run(&["check", HEALTHY, "--collector-metrics", &file]);
            assert_eq!(code, Some(1), "{file}: {err}");
            assert_findings(&r, want, &file);
        }
    }
}

/// The report: the Collector's own metric records in the dump say 42 spans were
/// dropped and 7 failed to export. The run fails (errors), whatever --fail-on.
#[test]
fn telemetry_in_the_dump_fails_the_run() {
    let lossy = "sample-traces/collector/dump-with-lossy-telemetry.jsonl";
    for fail_on in ["error", "warning", "info"] {
        let (code, r, _) = run(&["check", lossy, "--fail-on", fail_on]);
        assert_eq!(code, Some(1), "--fail-on {fail_on}");
        assert_findings(&r, LOSSY[0].1, lossy);
        assert_eq!(r["verdict"]["outcome"], "fail");
    }
    let (code, r, _) =
        run(&["check", "sample-traces/collector/dump-with-healthy-telemetry.jsonl", "--fail-on", "info"]);
    assert_eq!(code, Some(0), "{r}");
    assert!(collector_findings(&r).is_empty());
    // Streaming mode reads the same counters.
    let (_, streamed, _) = run(&["check", lossy, "--max-memory", "1KB"]);
    assert_findings(&streamed, LOSSY[0].1, "streaming");
    // A lower threshold accepts 83 %; C004 goes, the losses stay.
    let (_, r, _) = run(&["check", lossy, "--min-export-success", "80%"]);
    assert!(!collector_findings(&r).contains_key("C004"));
    assert!(collector_findings(&r).contains_key("C003"));
}

/// The same dumps as the file exporter's protobuf records: the Collector's `MetricsData`
/// record is read for its counters (it was decoded as broken spans once), and the spans are
/// all there.
#[test]
fn telemetry_records_in_a_protobuf_dump_are_read() {
    let lossy = "sample-traces/collector/dump-with-lossy-telemetry.pb";
    for args in [&["check", lossy][..], &["check", lossy, "--max-memory", "1KB"][..]] {
        let (code, r, _) = run(args);
        assert_eq!(code, Some(1), "{args:?}");
        assert_findings(&r, LOSSY[0].1, lossy);
        let others: Vec<&str> = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .filter(|c| !c.starts_with('C'))
            .collect();
        assert!(others.is_empty(), "{others:?}");
        assert_eq!(r["counts"]["spans"], 21);
        assert_eq!(r["counts"]["other_signals"]["metrics"], 2, "{}", r["counts"]);
    }
    let (code, r, _) = run(&["check", "sample-traces/collector/dump-with-healthy-telemetry.pb", "--fail-on", "info"]);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["summary"]["findings"], 0, "{}", r["summary"]);
}

/// Every shard reads the telemetry; the merge reports it once.
#[test]
fn shards_and_merge_report_the_collector_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let lossy = "sample-traces/collector/dump-with-lossy-telemetry.jsonl";
    let (_, single, _) = run(&["check", lossy]);
    let parts = common::shard_partials(lossy, 3, tmp.path());
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    let (code, merged, err) = run(&args);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(collector_findings(&merged), collector_findings(&single));
    assert_eq!(collector_findings(&merged).values().map(Vec::len).sum::<usize>(), 4);
}

#[test]
fn a_broken_metrics_file_is_named_with_its_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("scrape.txt");
    std::fs::write(&bad, "# TYPE x counter\notelcol_receiver_refused_spans{receiver=\"otlp} 3\n").expect("write");
    let (code, _, err) = run(&["check", HEALTHY, "--collector-metrics", bad.to_str().expect("utf-8")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("scrape.txt: line 2: labels not closed or not quoted"), "{err}");
    // A file without any Collector counter is said, not silently ignored.
    let empty = tmp.path().join("other.txt");
    std::fs::write(&empty, "http_requests_total{code=\"200\"} 3\n").expect("write");
    let (code, _, err) = run(&["check", HEALTHY, "--collector-metrics", empty.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0));
    assert!(err.contains("holds no Collector span counters"), "{err}");
}
