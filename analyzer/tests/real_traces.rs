//! Conformance over ../shared/real-traces: every OTLP file decodes with exactly the span
//! counts of its PROVENANCE.md, and no file makes the analyzer panic or lose a record.
//! Without ../shared (a bare clone) the tests say they were skipped.

mod common;

use common::report_of;
use std::path::PathBuf;
use tracecheck::checks::Code;

fn real_traces() -> Option<PathBuf> {
    let dir = common::root().parent()?.join("shared/real-traces");
    if dir.is_dir() {
        Some(dir)
    } else {
        common::cannot_run(&format!("{} is not present; real-trace conformance not checked", dir.display()));
        None
    }
}

fn report(dir: &std::path::Path, rel: &str) -> tracecheck::report::Report {
    let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    report_of(&[(rel, &bytes)])
}

/// (file, spans, traces, roots, orphans) from PROVENANCE.md. `None` where it gives no figure.
type Counts = (&'static str, u64, Option<u64>, Option<u64>, Option<u64>);

const OTLP: &[Counts] = &[
    ("highlight/traces.json", 512, Some(28), Some(27), Some(1)),
    ("highlight/fs.json", 218, Some(2), Some(2), Some(8)),
    ("highlight/nextjs.json", 8, Some(1), Some(0), Some(1)),
    ("jaeger-ui/hotrod-apiv3-getTrace-response.json", 40, None, None, None),
    ("otel-tui/otel-demo-fileexporter-mixed.jsonl", 547, Some(141), Some(140), Some(1)),
    ("robotframework-trace-report/otel-traces.json", 1066, Some(168), None, None),
    ("robotframework-trace-report/pabot_trace.json", 18, None, None, Some(6)),
    ("robotframework-trace-report/diverse_suite.json", 67, None, None, None),
    ("robotframework-trace-report/diverse_trace_full.json", 1632, None, Some(0), Some(20)),
    ("robotframework-trace-report/all_types_trace.json", 11, None, None, None),
    ("robotframework-trace-report/malformed_trace.json", 3, None, None, None),
];

/// Jaeger and Zipkin files: (file, spans, traces, roots, orphans) from PROVENANCE.md.
const FOREIGN: &[Counts] = &[
    ("zipkin-lens/smartthings-mobile-web-install.json", 1041, Some(1), Some(1), Some(0)),
    ("zipkin-lens/smartthings-oauth-authorization.json", 175, Some(1), Some(1), Some(0)),
    ("zipkin-lens/yelp.json", 16, Some(1), Some(1), Some(0)),
    ("zipkin-lens/netflix.json", 8, Some(1), Some(1), Some(0)),
    ("zipkin-lens/ascend.json", 8, Some(1), Some(1), Some(0)),
    ("zipkin-lens/messaging-kafka.json", 28, Some(1), Some(1), Some(0)),
    ("zipkin-lens/messaging.json", 4, Some(1), Some(1), Some(0)),
    ("zipkin-lens/messaging2.json", 11, Some(1), Some(1), Some(6)),
    ("zipkin-lens/simple-db-p6.json", 5, Some(1), Some(1), Some(0)),
    ("zipkin-lens/skew.json", 4, Some(1), Some(1), Some(0)),
    ("zipkin-lens/envoy.json", 1, Some(1), Some(1), Some(0)),
    ("otelcol-zipkin/sample1.json", 9, None, None, None),
    ("otelcol-zipkin/zipkin_v1_multiple_batches.json", 5, None, None, None),
    ("otelcol-zipkin/zipkin_v2_notimestamp.json", 1, None, None, None),
    ("jaeger-ui/ride-sharing-uimodel-testTrace.json", 4, None, None, None),
    // The OpenTelemetry JS ConsoleSpanExporter's records, as JSON lines.
    ("otel-js-console/preflight-realworld-spans.jsonl", 4127, Some(6), Some(6), Some(0)),
];

#[test]
fn every_trace_file_decodes_with_the_documented_counts() {
    let Some(dir) = real_traces() else { return };
    for &(rel, spans, traces, roots, orphans) in OTLP.iter().chain(FOREIGN) {
        let r = report(&dir, rel);
        assert_eq!(r.counts.spans, spans, "{rel}: spans");
        assert_eq!(r.counts.input.spans_dropped, 0, "{rel}: dropped");
        if let Some(t) = traces {
            assert_eq!(r.counts.traces, t, "{rel}: traces");
        }
        if let Some(n) = roots {
            assert_eq!(r.structure.roots, n, "{rel}: roots");
        }
        if let Some(n) = orphans {
            assert_eq!(r.structure.orphans, n, "{rel}: orphans");
        }
    }
}

#[test]
fn mixed_signal_file_counts_every_line() {
    let Some(dir) = real_traces() else { return };
    let r = report(&dir, "otel-tui/otel-demo-fileexporter-mixed.jsonl");
    let c = &r.counts;
    assert_eq!(
        (c.input.records_read, c.input.records_decoded, c.input.records_other_signal, c.input.records_skipped),
        (97, 41, 56, 0)
    );
    let logs = c.input.other_signals.get(&tracecheck::input::Signal::Logs).copied();
    let metrics = c.input.other_signals.get(&tracecheck::input::Signal::Metrics).copied();
    assert_eq!((logs, metrics), (Some(16), Some(40)));
}

#[test]
fn malformed_lines_are_located_and_the_rest_is_analysed() {
    let Some(dir) = real_traces() else { return };
    let rel = "robotframework-trace-report/malformed_trace.json";
    let r = report(&dir, rel);
    let at = |code| {
        r.findings.iter().filter(|f| f.code == code).map(|f| f.source.clone().unwrap_or_default()).collect::<Vec<_>>()
    };
    assert_eq!(at(Code::I001), vec![format!("{rel}:2"), format!("{rel}:5")]);
    assert_eq!(at(Code::I005), vec![format!("{rel}:3")]);
    assert_eq!(r.counts.input.records_read, 6);
    assert_eq!(r.counts.input.records_decoded + r.counts.input.records_skipped, 6);
}

#[test]
fn highlight_late_children_are_all_reported() {
    // PROVENANCE: 470 children start or end after their parent ended (same host, so no
    // tolerance applies).
    let Some(dir) = real_traces() else { return };
    let r = report(&dir, "highlight/traces.json");
    assert_eq!(r.summary.by_code.get(&Code::T004.into()).copied(), Some(470));
}

#[test]
fn every_file_is_analysed_without_panic_and_accounted_for() {
    let Some(dir) = real_traces() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read dir")
        .flat_map(|d| std::fs::read_dir(d.expect("entry").path()).into_iter().flatten())
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 25, "expected the whole corpus, found {}", files.len());
    for path in files {
        let rel = path.strip_prefix(&dir).expect("inside").display().to_string();
        let r = report(&dir, &rel);
        let c = &r.counts;
        assert_eq!(
            c.input.records_read,
            c.input.records_decoded + c.input.records_skipped + c.input.records_other_signal,
            "{rel}: every record accounted for"
        );
        assert_eq!(c.input.spans_read, c.spans + c.input.spans_dropped, "{rel}: every span accounted for");
        if c.spans == 0 {
            // Not OTLP (Zipkin, Jaeger, console exporter, not JSON) or no valid span id: a clear
            // skip reason or an I004 per dropped span, exit 3.
            assert!(c.input.records_skipped + c.input.spans_dropped > 0, "{rel}: nothing decoded and nothing said");
            assert_eq!(r.verdict.exit_code, 3, "{rel}");
        }
    }
}

#[test]
fn files_that_are_not_trace_data_get_a_clear_message_and_exit_3() {
    let Some(dir) = real_traces() else { return };
    let rel = "zipkin-lens/malformed.json";
    let r = report(&dir, rel);
    assert_eq!(r.verdict.exit_code, 3, "{rel}");
    assert!(r.findings.iter().any(|f| f.message.contains("invalid JSON")), "{rel}: {:?}", &r.findings[..1]);
}

#[test]
fn zipkin_skew_example_is_estimated() {
    // skew.json: a server half that starts before its client, on another host.
    let Some(dir) = real_traces() else { return };
    let r = report(&dir, "zipkin-lens/skew.json");
    assert_eq!(r.summary.by_code.get(&Code::T005.into()).copied(), Some(1), "{:#?}", r.findings);
    assert_eq!(r.summary.by_code.get(&Code::S005.into()), None);
}

/// Both bundled rule packs run over every real dump: no rule is in error, every rule ends
/// with an outcome, and the rules change no count of what was read.
#[test]
fn bundled_rule_packs_run_on_every_real_dump() {
    let Some(dir) = real_traces() else { return };
    let set = std::sync::Arc::new(
        tracecheck::rules::RuleSet::load(&[common::root().join("rules")]).unwrap_or_else(|e| panic!("{e:?}")),
    );
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    for f in files {
        let rel = f.strip_prefix(&dir).expect("under dir").to_string_lossy().to_string();
        let bytes = std::fs::read(&f).expect("readable");
        let mut loaded = tracecheck::input::Loaded::default();
        tracecheck::input::load_bytes(&mut loaded, &rel, &bytes, &Default::default());
        let plain = tracecheck::analysis::analyze_loaded(
            {
                let mut l = tracecheck::input::Loaded::default();
                tracecheck::input::load_bytes(&mut l, &rel, &bytes, &Default::default());
                l
            },
            &Default::default(),
        );
        let opts = tracecheck::analysis::Options { rules: Some(set.clone()), ..Default::default() };
        let a = tracecheck::analysis::analyze_loaded(loaded, &opts);
        assert_eq!(a.rules.len(), set.rules().len(), "{rel}");
        assert!(a.rules.iter().all(|r| r.outcome != tracecheck::rules::RuleOutcome::Error), "{rel}: {:#?}", a.rules);
        assert_eq!(a.accounting, plain.accounting, "{rel}");
        let builtin = |x: &tracecheck::analysis::Analysis| {
            x.findings.iter().filter(|f| matches!(f.code, tracecheck::checks::CheckId::Builtin(_))).count()
        };
        assert_eq!(builtin(&a), builtin(&plain), "{rel}: rules must not change built-in findings");
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x != "md") {
            out.push(p);
        }
    }
    out
}

/// PROVENANCE.md's part 2: each file's class (`exact`, `gap`, `reject`, `optional`).
fn part2_classes(dir: &std::path::Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("PROVENANCE.md")).expect("PROVENANCE.md");
    let part2 = &text[text.find("# Part 2").expect("a part 2")..];
    part2
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let class = *cells.get(2)?;
            ["exact", "gap", "reject", "optional"].contains(&class).then(|| (cells[1].to_string(), class.to_string()))
        })
        .collect()
}

/// Where tracecheck's reading differs, on purpose, from count.py's literal one: Zipkin v1
/// client and server halves share a span id, and tracecheck joins them as Zipkin does (the
/// server half under the client half), where count.py counts a duplicate and a second root;
/// a parent id that does not decode is reported (I004) and not counted as an orphan.
const READ_DIFFERENTLY: &[(&str, &str)] = &[
    ("otelcol-zipkinv1/zipkin_v1_single_batch.json", "roots dup"),
    ("otelcol-zipkinv1/zipkin_v1_error_batch.json", "orphans"),
];

/// Every file of part 2 against the counts of count.py (the independent script beside it):
/// `exact` and `gap` files decode with every count, `reject` files are refused with a
/// located finding, `optional` ones decode exactly or are refused cleanly.
#[test]
fn part_two_files_decode_with_the_independent_counts() {
    let Some(dir) = real_traces() else { return };
    let out = match std::process::Command::new("python3").arg("count.py").arg("--json").current_dir(&dir).output() {
        Ok(o) if o.status.success() => o.stdout,
        _ => return common::cannot_run("python3 count.py --json did not run"),
    };
    let counts: Vec<serde_json::Value> = serde_json::from_slice(&out).expect("count.py's JSON");
    let classes = part2_classes(&dir);
    assert!(classes.len() >= 28, "{} files in part 2", classes.len());
    for (rel, class) in classes {
        let c = counts.iter().find(|c| c["file"] == rel.as_str()).unwrap_or_else(|| panic!("{rel}: not counted"));
        let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{rel}: {k}"));
        let r = report(&dir, &rel);
        let exit = r.verdict.exit_code;
        let located = r.findings.iter().any(|f| f.code.as_str().starts_with('I') && f.source.is_some());
        match class.as_str() {
            "exact" | "gap" => {
                assert!(exit <= 1, "{rel}: exit {exit}: {}", r.verdict.reason);
                assert_eq!((r.counts.spans, r.counts.traces), (n("spans"), n("traces")), "{rel}: spans, traces");
                let differs =
                    |what: &str| READ_DIFFERENTLY.iter().any(|(f, w)| *f == rel && w.split(' ').any(|x| x == what));
                for (what, got) in [
                    ("roots", r.structure.roots),
                    ("orphans", r.structure.orphans),
                    ("dup", r.structure.duplicate_span_ids),
                ] {
                    if !differs(what) {
                        assert_eq!(got, n(what), "{rel}: {what}");
                    }
                }
            }
            "reject" => assert!(matches!(exit, 1 | 3) && located, "{rel}: exit {exit}, located finding {located}"),
            _ => assert!(
                r.counts.spans == n("spans") || (exit == 3 && !r.findings.is_empty()),
                "{rel}: {} spans, exit {exit}",
                r.counts.spans
            ),
        }
    }
}

/// A bare OTLP/HTTP body gzip-compressed, as a client sends it with `Content-Encoding: gzip`.
#[test]
fn a_gzipped_bare_protobuf_body_decodes() {
    use std::io::Write as _;
    let Some(dir) = real_traces() else { return };
    let body = std::fs::read(dir.join("otlp2parquet/traces.pb")).expect("traces.pb");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let r = report_of(&[("body.pb.gz", &gz.finish().expect("gzip"))]);
    assert_eq!((r.counts.spans, r.counts.traces, r.structure.orphans), (19, 19, 13));
    assert_eq!(r.inputs[0].format, tracecheck::model::Format::Message);
}

/// `capture` writes protobuf bodies as OTLP/JSON lines: the real bodies give the same report
/// (digest included) either way.
#[test]
fn real_protobuf_bodies_transcoded_to_json_give_the_same_report() {
    use tracecheck::input::otlp_transcode::{Signal, to_json};
    let Some(dir) = real_traces() else { return };
    for rel in ["otlp2parquet/traces.pb", "otel-proto/trace.protobuf-bin"] {
        let body = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let line = to_json(Signal::Traces, &body).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(line.unknown_fields, 0, "{rel}");
        let want = common::encoding_independent(&report_of(&[(rel, &body)]));
        let got = common::encoding_independent(&report_of(&[(rel, format!("{}\n", line.json).as_bytes())]));
        assert!(want["counts"]["spans"].as_u64() > Some(0), "{rel}");
        assert_eq!(got, want, "{rel}");
    }
}
