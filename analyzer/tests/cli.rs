//! The `tracecheck` binary: exit codes 0/1/2/3/4, outputs, `explain`, `rules list`.

mod common;

use assert_cmd::Command;
use common::root;

fn tracecheck() -> Command {
    let mut c = Command::cargo_bin("tracecheck").expect("binary built");
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = tracecheck().args(args).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

#[test]
fn healthy_dump_passes_with_exit_0() {
    let (code, out, _) = run(&["check", "sample-traces/healthy/checkout.jsonl"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS"), "{out}");
    assert!(out.contains("spans:   21 in 3 traces"), "{out}");
    assert!(!out.contains('\x1b'), "no colour when piped: {out:?}");
}

#[test]
fn error_findings_fail_with_exit_1() {
    let (code, out, _) = run(&["check", "sample-traces/checks/S004-parent-cycle.jsonl"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("S004 parent-cycle"), "{out}");
    assert!(out.contains("sample-traces/checks/S004-parent-cycle.jsonl:4"), "{out}");
}

#[test]
fn fail_on_sets_the_threshold() {
    let warn = "sample-traces/checks/E001-error-without-message.jsonl";
    assert_eq!(run(&["check", warn]).0, 0);
    assert_eq!(run(&["check", warn, "--fail-on", "warning"]).0, 1);
    assert_eq!(run(&["check", warn, "--fail-on", "info"]).0, 1);
    assert_eq!(run(&["check", "sample-traces/healthy/checkout.jsonl", "--fail-on", "info"]).0, 0);
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(run(&["check"]).0, 2);
    assert_eq!(run(&["check", "x.json", "--fail-on", "sometimes"]).0, 2);
    assert_eq!(run(&["check", "x.json", "--skew-tolerance", "5"]).0, 2);
    assert_eq!(run(&["frobnicate"]).0, 2);
    let (code, _, err) = run(&["explain", "Z999"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown check code"), "{err}");
}

#[test]
fn unreadable_empty_or_garbage_input_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").expect("write");
    let blank = dir.path().join("blank.json");
    std::fs::write(&blank, "\n\n  \n").expect("write");
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 1, 2, 3, 255, 254]).expect("write");
    let missing = dir.path().join("missing.json");
    for (path, says) in [
        (&empty, "the input is empty"),
        (&blank, "the input is empty"),
        (&garbage, "not in a known format"),
        (&missing, "cannot read"),
    ] {
        let (code, out, _) = run(&["check", path.to_str().expect("utf-8 path")]);
        assert_eq!(code, 3, "{}: {out}", path.display());
        assert!(out.contains(says), "{}: {out}", path.display());
    }
    // One unreadable file among good ones still exits 3: the dump is incomplete.
    let (code, _, _) = run(&["check", "sample-traces/healthy/checkout.jsonl", missing.to_str().expect("utf-8")]);
    assert_eq!(code, 3);
    assert_eq!(run(&["check", "--allow-empty", empty.to_str().expect("utf-8")]).0, 0);
}

#[test]
fn json_report_has_schema_counts_latency_and_findings() {
    let (code, out, _) = run(&["check", "--format", "json", "sample-traces/checks/T005-clock-skew.jsonl"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema"], "tracecheck.report/v3");
    assert_eq!(v["verdict"]["exit_code"], 0);
    assert_eq!(v["counts"]["spans"], 13);
    assert!(v["latency"]["method"].as_str().expect("method").contains("nearest-rank"));
    let f = v["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "T005").expect("T005");
    for key in ["severity", "trace_id", "span_ids", "message", "source"] {
        assert!(!f[key].is_null(), "finding lacks {key}: {f}");
    }
    assert_eq!(v["clock_skew"][1]["offset_ns"], 50_000_000);
}

#[test]
fn stdin_and_directories_are_read() {
    let bytes = std::fs::read(root().join("sample-traces/healthy/checkout.jsonl")).expect("read");
    let out = tracecheck().args(["check", "-", "--format", "json"]).write_stdin(bytes).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["counts"]["spans"], 21);
    let (code, out, _) = run(&["check", "sample-traces/healthy", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"].as_array().expect("inputs").len(), 2);
    assert_eq!(v["counts"]["spans"], 28);
}

#[test]
fn rotated_files_by_pattern_form_one_dump() {
    // A trace split over two rotated files: only together is it whole.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join("sample-traces/healthy/checkout.jsonl")).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(dir.path().join("data-2026-11-21T10-00-00.000.json"), lines[..4].join("\n")).expect("write");
    std::fs::write(dir.path().join("data-2026-11-21T11-00-00.000.json"), lines[4..].join("\n")).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a dump").expect("write");
    let pattern = dir.path().join("data-*.json");
    let (code, out, _) = run(&["check", pattern.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"].as_array().expect("inputs").len(), 2);
    assert_eq!((v["counts"]["spans"].as_u64(), v["structure"]["orphans"].as_u64()), (Some(21), Some(0)));
    // The folder itself reads the same dump; the text file and a hidden file are not inputs
    // then (hidden files are skipped; the text file is reported as an unknown format).
    std::fs::remove_file(dir.path().join("notes.txt")).expect("remove");
    std::fs::write(dir.path().join(".partial.json"), "{\"resourceSpans\": [").expect("write");
    let (code, out, _) = run(&["check", dir.path().to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!((v["inputs"].as_array().map(Vec::len), v["counts"]["spans"].as_u64()), (Some(2), Some(21)));
    let (code, out, _) = run(&["check", dir.path().join("nothing-*.json").to_str().expect("utf-8")]);
    assert_eq!(code, 3);
    assert!(out.contains("no file matches this pattern"), "{out}");
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let (_, out, _) = run(&["check", "--color", "always", "sample-traces/checks/S004-parent-cycle.jsonl"]);
    assert!(out.contains("\x1b[1;31m"), "{out:?}");
    let out = tracecheck()
        .args(["check", "sample-traces/checks/S004-parent-cycle.jsonl"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn explain_prints_the_check_docs() {
    let (code, out, _) = run(&["explain", "t004"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("T004 child-ends-after-parent (warning)"), "{out}");
    for section in ["What it checks", "Why it matters", "Example", "How to fix", "PRODUCER"] {
        assert!(out.contains(section), "{section}: {out}");
    }
}

#[test]
fn rules_list_lists_every_code() {
    let (code, out, _) = run(&["rules", "list"]);
    assert_eq!(code, 0);
    for c in tracecheck::checks::REGISTRY {
        assert!(out.contains(c.code.as_str()) && out.contains(c.name), "{}: {out}", c.code);
    }
}

#[test]
fn human_report_snapshot() {
    let (code, out, err) = run(&[
        "check",
        "sample-traces/checks/T005-clock-skew.jsonl",
        "sample-traces/checks/I001-malformed-record.jsonl",
    ]);
    insta::assert_snapshot!(format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}"));
}

#[test]
fn rules_check_validates_packs_with_exit_0_or_2() {
    let (code, out, _) = run(&["rules", "check", "rules/"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rules/p2p-marketplace.toml: ok, pack \"p2p-marketplace\" with 24 rule(s)"), "{out}");
    let (code, _, err) = run(&["rules", "check", "analyzer/tests/data/rules-broken/06-unknown-field.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("analyzer/tests/data/rules-broken/06-unknown-field.toml:7:11: unknown field `nmae`"),
        "{err}"
    );
    // A broken pack stops `check` before anything is analysed.
    let (code, out, _) = run(&[
        "check",
        "sample-traces/p2p/healthy.jsonl",
        "--rules",
        "analyzer/tests/data/rules-broken/09-bad-regex.toml",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
}

#[test]
fn explain_and_list_know_rule_ids() {
    let (code, out, _) = run(&["explain", "MKT010"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("MKT010 Publishing validates, stores in the DHT, then announces (error)"), "{out}");
    assert!(out.contains("Every span matching\n    { name = \"p2p.package.publish\" }"), "{out}");
    let (code, out, _) = run(&["rules", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("MKT071") && out.contains("OTEL030") && out.contains("S001"), "{out}");
    let (code, _, _) = run(&["explain", "NOPE42"]);
    assert_eq!(code, 2);
}

#[test]
fn check_with_rules_writes_junit_and_the_github_step_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let summary = dir.path().join("summary.md");
    let (code, _, _) = run(&[
        "check",
        "sample-traces/p2p/wrong-order.jsonl",
        "-r",
        "rules/p2p-marketplace.toml",
        "--format",
        "junit",
        "-o",
        junit.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 1);
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<testcase classname=\"tracecheck.rules.p2p-marketplace\" name=\"MKT010 "), "{xml}");

    let out = tracecheck()
        .args(["check", "sample-traces/p2p/healthy.jsonl", "-r", "rules/p2p-marketplace.toml", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(&summary).expect("summary appended");
    assert!(md.starts_with("## tracecheck: ✅ PASS"), "{md}");
}

/// An output that cannot be written is exit 4 for every command that writes one, whatever
/// the verdict would have been; it is not bad usage (2).
#[test]
fn an_unwritable_output_is_exit_4_for_every_command() {
    let out = "/nonexistent-dir/tracecheck-out";
    let healthy = "sample-traces/healthy/checkout.jsonl";
    for args in [
        vec!["check", healthy, "-o", out],
        vec!["check", "sample-traces/checks/S004-parent-cycle.jsonl", "--format", "json", "-o", out],
        vec!["stats", healthy, "-o", out],
        vec!["stats", healthy, "--format", "parquet", "-o", out],
        vec!["diff", healthy, healthy, "-o", out],
        vec!["show", healthy, "--worst", "1", "-o", out],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 4, "{args:?}: {err}");
        assert!(err.contains("tracecheck: cannot"), "{args:?}: {err}");
    }
}

/// `--color` takes the same three values wherever it is accepted.
#[test]
fn color_is_one_flag_with_the_same_values_everywhere() {
    for cmd in [
        vec!["check", "sample-traces/healthy/checkout.jsonl"],
        vec!["show", "sample-traces/healthy/checkout.jsonl", "--worst", "1"],
    ] {
        let mut args = cmd.clone();
        args.extend(["--color", "always"]);
        let (code, out, _) = run(&args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains('\x1b'), "{args:?}: colour when asked");
        let mut args = cmd.clone();
        args.extend(["--color", "sometimes"]);
        assert_eq!(run(&args).0, 2, "{args:?}: an unknown value is bad usage");
    }
}
