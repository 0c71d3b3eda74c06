//! What a CI user meets first: thread counts that are refused with a reason, a byte-order
//! mark that costs nothing, and JSON errors said in words.

mod common;

use assert_cmd::Command;

fn tracecheck(args: &[&str]) -> (Option<i32>, String, String) {
    common::tracecheck_in(&common::root(), args)
}

#[test]
fn absurd_thread_counts_are_refused_with_the_limit() {
    let (code, out, err) = tracecheck(&["-j", "100000", "check", "sample-traces/healthy/checkout.jsonl"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.starts_with("tracecheck: -j 100000: at most ") && err.contains(" per core"), "{err}");
    let (code, _, err) = tracecheck(&["-j", "2", "check", "sample-traces/healthy/checkout.jsonl"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_byte_order_mark_loses_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let plain = common::read("sample-traces/healthy/checkout.jsonl");
    let with_bom = tmp.path().join("bom.jsonl");
    std::fs::write(&with_bom, [b"\xEF\xBB\xBF".as_slice(), &plain].concat()).expect("write");
    let a = common::report_of(&[("plain.jsonl", &plain)]);
    let b = common::report_of(&[("bom.jsonl", &std::fs::read(&with_bom).expect("read"))]);
    assert!(b.findings.iter().all(|f| f.code.as_str() != "I001"), "{:?}", b.findings);
    assert_eq!((b.counts.spans, b.counts.input.records_decoded), (a.counts.spans, a.counts.input.records_decoded));
    assert_eq!(b.digest.spans, a.digest.spans);
}

#[test]
fn json_errors_are_said_in_words_with_their_place() {
    let lines = [
        r#"{"resourceSpans":[{"scopeSpans":[]}],}"#,
        r#"{"resourceSpans": [ "#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a" "kind":1}]}]}]}"#,
        r#"{"resourceSpans":[1,,2]}"#,
    ];
    let text = lines.join("\n") + "\n";
    let r = common::report_of(&[("bad.jsonl", text.as_bytes())]);
    let mut messages: Vec<(String, &str)> = r
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "I001")
        .map(|f| (f.source.clone().unwrap_or_default(), f.message.as_str()))
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            ("bad.jsonl:1".to_string(), "invalid JSON at column 38: key must be a string"),
            ("bad.jsonl:2".to_string(), "invalid JSON at column 20: EOF while parsing a list"),
            ("bad.jsonl:3".to_string(), "invalid JSON at column 56: expected `,` or `}`"),
            ("bad.jsonl:4".to_string(), "invalid JSON at column 21: expected value"),
        ],
    );
    // A record spread over lines (a JSON document) is located inside the record.
    let r = common::report_of(&[("doc.json", b"{\"resourceSpans\":\n  [1,,2]\n}\n")]);
    let m: Vec<&str> = r.findings.iter().filter(|f| f.code.as_str() == "I001").map(|f| f.message.as_str()).collect();
    assert_eq!(m, ["invalid JSON at line +1, column 6 of the record: expected value"]);
}

#[test]
fn a_file_named_twice_is_read_once_and_said() {
    let (code, out, err) =
        tracecheck(&["check", "sample-traces/healthy/", "sample-traces/healthy/checkout.jsonl", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "tracecheck: warning: sample-traces/healthy/checkout.jsonl is named twice (a directory given holds it?); it is read once\n"
    );
    let r: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(r["summary"]["by_code"].get("S005").is_none(), "no duplicate-span flood: {}", r["summary"]);
}

#[test]
fn an_output_that_cannot_be_written_is_named() {
    let (code, _, err) = tracecheck(&["check", "sample-traces/healthy/checkout.jsonl", "-o", "/nonexistent/dir/r.txt"]);
    assert_eq!(code, Some(4));
    assert_eq!(err, "tracecheck: cannot write /nonexistent/dir/r.txt: No such file or directory (os error 2)\n");
    // An unwritable step summary is said with its path, and the annotations still go out.
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args([
            "check",
            "sample-traces/p2p/missing-child.jsonl",
            "--rules",
            "rules/p2p-marketplace.toml",
            "--format",
            "github",
        ])
        .current_dir(common::root())
        .env("GITHUB_STEP_SUMMARY", "/nonexistent/summary.md")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stdout.lines().filter(|l| l.starts_with("::error file=")).count() >= 2, "{stdout}");
    assert_eq!(
        stderr,
        "tracecheck: cannot append the summary to $GITHUB_STEP_SUMMARY (/nonexistent/summary.md): No such file or directory (os error 2)\n"
    );
}

#[test]
fn help_says_the_exit_codes_and_what_each_argument_is() {
    let (code, out, _) = tracecheck(&["--help"]);
    assert_eq!(code, Some(0));
    for line in ["Exit codes:", "  0  pass", "  1  fail", "  2  usage", "  3  unusable input", "  4  incomplete"] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    let (_, out, _) = tracecheck(&["rules", "check", "--help"]);
    assert!(out.contains("<PACK>...  Rule pack files, directories"), "{out}");
    let (code, _, err) = tracecheck(&["show", "sample-traces/healthy/checkout.jsonl", "--worst", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("0 shows nothing: give 1 or more"), "{err}");
}

/// A trace without a root has one critical path, through the fragment that ends last.
#[test]
fn a_rootless_trace_has_one_critical_path() {
    let t0 = 1_700_000_000_000_000_000u64;
    let span = |id: &str, parent: &str, start: u64, end: u64| {
        format!(
            r#"{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"{id}","parentSpanId":"{parent}","name":"s{id}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
            t0 + start,
            t0 + end
        )
    };
    let spans = [
        span("00000000000000a1", "00000000000000f1", 0, 50),
        span("00000000000000a2", "00000000000000a1", 10, 40),
        span("00000000000000b1", "00000000000000f2", 5, 90),
        span("00000000000000b2", "00000000000000b1", 20, 80),
        span("00000000000000c1", "00000000000000f3", 1, 30),
    ];
    let line = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, spans.join(","));
    let mut loaded = tracecheck::input::Loaded::default();
    tracecheck::input::load_bytes(&mut loaded, "r.jsonl", line.as_bytes(), &Default::default());
    let traces = tracecheck::graph::group(&loaded.dump);
    let g = traces.graph(&loaded.dump, 0);
    let on = tracecheck::graph::critical_path(&loaded.dump, &g);
    let mut marked: Vec<String> = (0..g.len())
        .filter(|&n| on[n])
        .map(|n| loaded.dump.spans[g.span_index(petgraph::graph::NodeIndex::new(n))].span_id.to_string())
        .collect();
    marked.sort();
    assert_eq!(marked, ["00000000000000b1", "00000000000000b2"]);
}

#[test]
fn quiet_prints_the_findings_and_the_verdict_only() {
    let (code, out, err) =
        tracecheck(&["-q", "check", "sample-traces/p2p/missing-child.jsonl", "--rules", "rules/p2p-marketplace.toml"]);
    assert_eq!(code, Some(1));
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("findings (2)\n"), "{out}");
    assert!(out.ends_with("FAIL: 2 finding(s) at or above error (2 errors; fail-on error)\n"), "{out}");
    assert!(!out.contains("latency:") && !out.contains("digest:"), "{out}");
    // Warnings are notes: quiet drops them; errors stay.
    let (_, _, err) =
        tracecheck(&["--quiet", "check", "sample-traces/healthy/", "sample-traces/healthy/checkout.jsonl"]);
    assert!(err.is_empty(), "{err}");
    let (code, _, err) = tracecheck(&["--quiet", "--progress", "never", "check", "/nonexistent.json"]);
    assert_eq!(code, Some(3));
    assert_eq!(err, "tracecheck: /nonexistent.json: No such file or directory (os error 2)\n");
}

/// `stats --by` any span or resource field, as TraceQL's `by()`: groups partition the spans.
#[test]
fn stats_groups_by_any_field() {
    let (code, out, err) = tracecheck(&[
        "stats",
        "sample-traces/p2p/healthy.jsonl",
        "--by",
        "resource.service.instance.id,status",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["by"], serde_json::json!(["resource.service.instance.id", "status"]));
    let groups = v["groups"].as_array().expect("groups");
    let instances: std::collections::BTreeSet<&str> =
        groups.iter().map(|g| g["resource.service.instance.id"].as_str().expect("instance")).collect();
    assert_eq!(instances.into_iter().collect::<Vec<_>>(), ["node-0", "node-1", "node-2", "node-3"]);
    let total: u64 = groups.iter().map(|g| g["count"].as_u64().expect("count")).sum();
    assert_eq!(total, v["spans"].as_u64().expect("spans"));
    // A field absent on every span: one group, `nil`; a field that needs the trace: refused.
    let (_, out, _) =
        tracecheck(&["stats", "sample-traces/p2p/healthy.jsonl", "--by", "span.no.such", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["groups"][0]["span.no.such"], "nil");
    let (code, _, err) = tracecheck(&["stats", "sample-traces/p2p/healthy.jsonl", "--by", "trace:duration"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("needs the trace"), "{err}");
}

/// One request as a test endpoint saw it: header names lower-cased, and the body.
type Seen = (Vec<(String, String)>, Vec<u8>);

/// A loopback endpoint answering every request with `status` and `body`; returns its URL and
/// the requests it saw once `n` arrived.
fn endpoint(status: &'static str, body: Vec<u8>, n: usize) -> (String, std::thread::JoinHandle<Vec<Seen>>) {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while seen.len() < n {
            let Ok((stream, _)) = listener.accept() else { break };
            let mut r = std::io::BufReader::new(stream);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let mut headers = vec![(":path".to_string(), line.split_whitespace().nth(1).unwrap_or("").to_string())];
                let mut length = 0;
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).expect("header");
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                        if k == "content-length" {
                            length = v.parse().expect("length");
                        }
                        headers.push((k, v));
                    }
                }
                let mut b = vec![0; length];
                r.read_exact(&mut b).expect("body");
                seen.push((headers, b));
                let out = r.get_mut();
                write!(
                    out,
                    "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                )
                .expect("respond");
                out.write_all(&body).expect("body");
                out.flush().expect("flush");
                if seen.len() >= n {
                    break;
                }
            }
        }
        seen
    });
    (url, handle)
}

#[test]
fn replay_speaks_to_real_backends() {
    use prost::Message as _;
    let (url, server) = endpoint("200 OK", Vec::new(), 1);
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["replay", "sample-traces/healthy/checkout.jsonl", "--header", "X-Scope-OrgID=acme", "--gzip"])
        .args(["--format", "json"])
        .current_dir(common::root())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &url)
        .env("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20xyz")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["schema"], "tracecheck.replay/v1");
    assert!(report["tool"]["version"].is_string());
    assert_eq!(report["endpoint"], format!("{url}/v1/traces"));
    let seen = server.join().expect("endpoint");
    let (headers, body) = &seen[0];
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(header(":path"), Some("/v1/traces"));
    assert_eq!(header("x-scope-orgid"), Some("acme"));
    assert_eq!(header("authorization"), Some("Bearer xyz"), "OTEL_EXPORTER_OTLP_HEADERS, percent-decoded");
    assert_eq!(header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain).expect("gzip body");
    let td = opentelemetry_proto::tonic::trace::v1::TracesData::decode(&plain[..]).expect("protobuf");
    let spans: usize = td.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
    assert_eq!(spans, 21);

    // A refusal says what the endpoint said: a google.rpc.Status message.
    let status = [vec![0x08, 0x03, 0x12, 14], b"tenant missing".to_vec()].concat();
    let (url, server) = endpoint("400 Bad Request", status, 1);
    let (code, _, err) = tracecheck(&["replay", "sample-traces/healthy/checkout.jsonl", "--otlp-endpoint", &url]);
    server.join().expect("endpoint");
    assert_eq!(code, Some(1));
    assert!(err.contains("HTTP 400: tenant missing after 1 attempt(s)"), "{err}");
    // No endpoint at all: said, exit 2.
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["replay", "sample-traces/healthy/checkout.jsonl"])
        .current_dir(common::root())
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --otlp-endpoint, or set OTEL_EXPORTER_OTLP_ENDPOINT"));
}

/// The GitHub Action's script (not GitHub itself) on a sample dump: annotations on stdout,
/// the summary appended, SARIF and JUnit written, the exit code in the step outputs.
#[test]
fn the_github_action_script_checks_and_hands_over_the_exit_code() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = |n: &str| tmp.path().join(n);
    let bin = assert_cmd::cargo::cargo_bin("tracecheck");
    let out = std::process::Command::new("bash")
        .arg(common::root().join("action/run.sh"))
        .arg("check")
        .current_dir(common::root())
        .env("TRACECHECK", &bin)
        .env("INPUT_FILES", "sample-traces/p2p/missing-child.jsonl")
        .env("INPUT_RULES", "rules/p2p-marketplace.toml")
        .env("INPUT_FAIL_ON", "error")
        .env("INPUT_SARIF", p("results.sarif"))
        .env("INPUT_JUNIT", p("junit.xml"))
        .env("GITHUB_OUTPUT", p("output"))
        .env("GITHUB_STEP_SUMMARY", p("summary.md"))
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "the step hands the verdict over: {}", String::from_utf8_lossy(&out.stderr));
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::error file=")).collect();
    assert_eq!(annotations.len(), 2, "{stdout}");
    assert!(annotations[0].starts_with("::error file=sample-traces/p2p/missing-child.jsonl,line=5,title=MKT010"));
    let output = std::fs::read_to_string(p("output")).expect("GITHUB_OUTPUT");
    assert_eq!(output, format!("exit-code=1\nsarif={}\n", p("results.sarif").display()));
    let summary = std::fs::read_to_string(p("summary.md")).expect("summary");
    assert!(summary.contains("MKT010"), "{summary}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p("results.sarif")).expect("sarif")).expect("json");
    assert_eq!(sarif["runs"][0]["results"].as_array().map(Vec::len), Some(2));
    assert!(std::fs::read_to_string(p("junit.xml")).expect("junit").contains("<failure"));
    // action.yml runs exactly this script, and declares what it reads.
    let action = std::fs::read_to_string(common::root().join("action.yml")).expect("action.yml");
    for needle in ["action/run.sh\" install", "action/run.sh\" check", "upload-sarif@v3", "exit-code", "INPUT_FILES"] {
        assert!(action.contains(needle), "{needle}");
    }
}

/// `show` for people who click spans: traces found by a selector, spans with their details.
#[test]
fn show_lists_traces_by_selector_and_details_spans() {
    let (code, out, err) = tracecheck(&[
        "show",
        "sample-traces/p2p/healthy.jsonl",
        "--list",
        "--where",
        r#"{ name = "p2p.package.search" }"#,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 12, "{out}");
    assert!(rows.iter().all(|r| r.ends_with("ggen-p2p-marketplace: p2p.package.search")), "{out}");
    let id = rows[0].split_whitespace().next().expect("id");
    // The listed id is what --trace takes; --attributes shows each span's attributes.
    let (code, out, _) = tracecheck(&["show", "sample-traces/p2p/healthy.jsonl", "--trace", id, "--attributes"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("attributes: ") && out.contains("kind server"), "{out}");
    let (code, _, err) =
        tracecheck(&["show", "sample-traces/p2p/healthy.jsonl", "--list", "--where", r#"{ name = "none" }"#]);
    assert_eq!((code, err.as_str()), (Some(1), "tracecheck: no trace matches\n"));
}

/// `--select` and `--ignore` shape what is counted, listed and judged, in every format.
#[test]
fn select_and_ignore_shape_the_verdict() {
    let pack = ["--rules", "rules/p2p-marketplace.toml"];
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "sample-traces/p2p/missing-child.jsonl", "--format", "json"];
        args.extend_from_slice(&pack);
        args.extend_from_slice(extra);
        let (code, out, err) = tracecheck(&args);
        (code, serde_json::from_str::<serde_json::Value>(&out).ok(), err)
    };
    let (code, all, _) = run(&[]);
    let all = all.expect("json");
    assert_eq!(code, Some(1));
    assert_eq!(all["summary"]["by_code"]["MKT010"], 2);
    let (code, ignored, _) = run(&["--ignore", "MKT010"]);
    let ignored = ignored.expect("json");
    assert_eq!(code, Some(0), "{}", ignored["verdict"]);
    assert!(ignored["summary"]["by_code"].get("MKT010").is_none());
    assert!(ignored["rules"].as_array().expect("rules").iter().all(|r| r["id"] != "MKT010"));
    assert_eq!(ignored["findings"].as_array().map(Vec::len), Some(0));
    // A prefix selects a family; only what is selected is judged.
    let (code, only_s, _) = run(&["--select", "S,I"]);
    let only_s = only_s.expect("json");
    assert_eq!(code, Some(0));
    assert!(only_s["rules"].as_array().expect("rules").is_empty());
    let (code, _, err) = run(&["--select", "MKT999"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("MKT999 match no check code or rule id"), "{err}");
}
