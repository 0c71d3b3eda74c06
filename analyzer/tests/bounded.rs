//! Bounded reports: every finding is counted exactly, each code or rule lists at most
//! `--max-findings` of them (the first in report order, whatever the split), and
//! `--findings-out` holds every one, in memory mode and in streaming mode.

mod common;

use assert_cmd::Command;
use common::root;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A real service dump on which the P2P pack fails on nearly every span (MKT060), and the
/// scenario dumps of the emitter.
fn inputs() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("sample-traces/scenario"))
        .expect("scenario dumps")
        .map(|e| format!("sample-traces/scenario/{}", e.expect("entry").file_name().to_string_lossy()))
        .collect();
    files.sort();
    let real = "../shared/real-traces/otel-tui/otel-demo-fileexporter-mixed.jsonl";
    if root().join(real).exists() {
        files.push(real.to_string());
    } else {
        common::cannot_run("../shared/real-traces is missing: the bound is tested on the scenario dumps only");
    }
    files
}

fn check(files: &[String], extra: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("tracecheck")
        .expect("binary built")
        .current_dir(root())
        .arg("check")
        .args(files)
        .args(["--rules", "rules/p2p-marketplace.toml", "--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().expect("exit code"), report)
}

/// What identifies a finding whatever file it was read from.
fn key(f: &Value) -> String {
    format!("{} {} {} {}", f["code"], f["trace_id"], f["span_ids"], f["message"])
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("findings file");
    text.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

fn multiset<'a>(it: impl Iterator<Item = &'a Value>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for f in it {
        *m.entry(key(f)).or_default() += 1;
    }
    m
}

#[test]
fn counts_are_exact_lists_are_bounded_and_the_findings_file_holds_every_one() {
    let files = inputs();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("findings.jsonl");
    let (rc_all, all) = check(&files, &["--max-findings", "100000000"]);
    let (rc, capped) = check(&files, &["--max-findings", "3", "--findings-out", out.to_str().expect("utf-8")]);
    assert_eq!(rc, rc_all);
    for k in ["findings", "by_code", "by_severity", "suppressed"] {
        assert_eq!(capped["summary"][k], all["summary"][k], "summary.{k}");
    }
    let total = all["summary"]["findings"].as_u64().expect("count");
    let listed_all = all["findings"].as_array().expect("findings");
    assert_eq!(listed_all.len() as u64, total, "nothing left out with a large bound");
    // The hard case is there: one rule failing on most spans.
    let worst = all["summary"]["by_code"].as_object().expect("by_code").values().filter_map(Value::as_u64).max();
    assert!(worst.unwrap_or(0) > 50, "a code with many findings: {worst:?}");

    // The listed findings are the first three of each code in report order.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let expected: Vec<String> = listed_all
        .iter()
        .filter(|f| {
            let n = seen.entry(f["code"].to_string()).or_default();
            *n += 1;
            *n <= 3
        })
        .map(key)
        .collect();
    let listed: Vec<String> = capped["findings"].as_array().expect("findings").iter().map(key).collect();
    assert_eq!(listed, expected);
    assert_eq!(capped["summary"]["listed"].as_u64(), Some(listed.len() as u64));
    for (code, n) in all["summary"]["by_code"].as_object().expect("by_code") {
        let n = n.as_u64().expect("count");
        let omitted = capped["summary"]["omitted"].get(code).and_then(Value::as_u64).unwrap_or(0);
        assert_eq!(omitted, n.saturating_sub(3), "{code}");
    }

    // The findings file holds every finding, with its file and offset.
    let written = lines(&out);
    assert_eq!(written.len() as u64, total);
    assert_eq!(multiset(written.iter()), multiset(listed_all.iter()));
    assert!(written.iter().all(|f| f["severity"].is_string() && f["name"].is_string()));
    // Findings about a record carry its place; the Collector's counters (C…) are about no one
    // record.
    let about_a_record = |f: &&Value| f["code"] != "I003" && !f["code"].as_str().is_some_and(|c| c.starts_with('C'));
    assert!(written.iter().filter(about_a_record).all(|f| f["file"].is_string() && f["offset"].is_u64()));

    // Without a findings file the text of findings that cannot be listed is never made:
    // the report is the same.
    let (rc_lazy, lazy) = check(&files, &["--max-findings", "3"]);
    assert_eq!((rc_lazy, &lazy), (rc, &capped));

    // Nothing listed, still every count.
    let (_, none) = check(&files, &["--max-findings", "0"]);
    assert_eq!(none["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(none["summary"]["by_code"], all["summary"]["by_code"]);
}

#[test]
fn the_listed_findings_do_not_depend_on_how_the_input_is_split_or_ordered() {
    let files = inputs();
    let dir = tempfile::tempdir().expect("temp dir");
    // The same records in one file, in reverse order.
    let mut records: Vec<String> = Vec::new();
    for f in &files {
        let text = String::from_utf8(common::read(f)).expect("utf-8");
        records.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    records.reverse();
    let one = dir.path().join("all.jsonl");
    std::fs::write(&one, records.join("\n") + "\n").expect("write");
    let (_, split) = check(&files, &["--max-findings", "2"]);
    let (_, joined) = check(&[one.to_string_lossy().into_owned()], &["--max-findings", "2"]);
    let keys = |r: &Value| r["findings"].as_array().expect("findings").iter().map(key).collect::<Vec<_>>();
    assert!(keys(&split).len() > 5);
    assert_eq!(keys(&split), keys(&joined));
    assert_eq!(split["summary"]["by_code"], joined["summary"]["by_code"]);
    assert_eq!(split["digest"]["spans"], joined["digest"]["spans"]);
}

#[test]
fn streaming_mode_writes_the_same_findings_and_report() {
    let files = inputs();
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("memory.jsonl"), dir.path().join("stream.jsonl"));
    let (rc_mem, mem) = check(&files, &["--max-findings", "4", "--findings-out", a.to_str().expect("utf-8")]);
    let temp = dir.path().to_str().expect("utf-8");
    let streamed_args = [
        "--max-findings",
        "4",
        "--findings-out",
        b.to_str().expect("utf-8"),
        "--max-memory",
        "256KiB",
        "--temp-dir",
        temp,
    ];
    let (rc_stream, streamed) = check(&files, &streamed_args);
    assert_eq!(rc_mem, rc_stream);
    assert_eq!(mem, streamed);
    let (la, lb) = (lines(&a), lines(&b));
    assert!(!la.is_empty());
    assert_eq!(multiset(la.iter()), multiset(lb.iter()));
}

#[test]
fn the_findings_file_can_be_parquet() {
    let files = inputs();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("findings.parquet");
    let (_, r) = check(&files, &["--max-findings", "1", "--findings-out", out.to_str().expect("utf-8")]);
    let script = "import sys, pandas\n\
                  d = pandas.read_parquet(sys.argv[1])\n\
                  print(len(d), d.groupby('code').size().to_dict(), d['offset'].notna().sum())";
    let py = std::process::Command::new("python3").args(["-c", script]).arg(&out).output();
    let Some(py) = py.ok().filter(|o| o.status.success()) else {
        common::cannot_run("python3 with pandas and pyarrow is needed to read the Parquet findings file");
        return;
    };
    let text = String::from_utf8_lossy(&py.stdout);
    let total = r["summary"]["findings"].as_u64().expect("count");
    assert!(text.starts_with(&format!("{total} ")), "{text}");
    let by_code: Vec<String> =
        r["summary"]["by_code"].as_object().expect("by_code").iter().map(|(c, n)| format!("'{c}': {n}")).collect();
    for c in by_code {
        assert!(text.contains(&c), "{c} in {text}");
    }
}

/// A rule that fails on every span of a dump larger than a Parquet row group: the count is
/// exact, two are listed, and both findings files hold every one (written by parallel
/// workers while the run goes, with row groups encoded on the way).
#[test]
fn a_rule_failing_on_every_span_is_counted_and_written_out_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (traces, per_trace) = (7_000u64, 10u64);
    let mut text = String::new();
    for t in 0..traces {
        let spans: Vec<String> = (0..per_trace)
            .map(|k| {
                let parent = if k == 0 { String::new() } else { format!("{:016x}", t * 100 + 1) };
                format!(
                    r#"{{"traceId":"{:032x}","spanId":"{:016x}","parentSpanId":"{parent}","name":"op-{k}","kind":1,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","status":{{}}}}"#,
                    t + 1,
                    t * 100 + k + 1,
                    1_700_000_000_000_000_000u64 + t * 1_000_000 + k,
                    1_700_000_000_000_500_000u64 + t * 1_000_000 - k,
                )
            })
            .collect();
        text.push_str(&format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        ));
        text.push('\n');
    }
    let dump = dir.path().join("dump.jsonl");
    std::fs::write(&dump, text).expect("write dump");
    let pack = dir.path().join("every-span.toml");
    let rule = "schema = 1\nname = \"every-span\"\n\n[[rule]]\nid = \"ALL001\"\ntitle = \"Every span is tagged\"\n\
                severity = \"warning\"\neach = '{ }'\nexpect = ['span.tag != nil']\n";
    std::fs::write(&pack, rule).expect("write pack");
    let total = traces * per_trace;
    for name in ["findings.jsonl", "findings.parquet"] {
        let out = dir.path().join(name);
        let run = Command::cargo_bin("tracecheck")
            .expect("binary built")
            .timeout(std::time::Duration::from_secs(300))
            .arg("check")
            .arg(&dump)
            .arg("--rules")
            .arg(&pack)
            .args(["--format", "json", "--max-findings", "2", "-j", "2", "--findings-out"])
            .arg(&out)
            .output()
            .expect("runs");
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        let r: Value = serde_json::from_slice(&run.stdout).expect("json");
        assert_eq!(r["summary"]["by_code"]["ALL001"].as_u64(), Some(total));
        assert_eq!(r["summary"]["omitted"]["ALL001"].as_u64(), Some(total - 2));
        assert_eq!(r["findings"].as_array().map(Vec::len), Some(2));
        if name.ends_with(".jsonl") {
            assert_eq!(lines(&out).len() as u64, total);
            continue;
        }
        let script = "import sys, pandas\nd = pandas.read_parquet(sys.argv[1])\nprint(len(d), d['span_ids'].nunique())";
        match std::process::Command::new("python3").args(["-c", script]).arg(&out).output() {
            Ok(o) if o.status.success() => {
                assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("{total} {total}"));
            }
            _ => common::cannot_run("python3 with pandas and pyarrow is needed to read the Parquet findings file"),
        }
    }
}
