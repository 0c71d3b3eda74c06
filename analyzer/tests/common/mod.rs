//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod dumps;
pub mod otlp_receiver;

use std::path::PathBuf;
use tracecheck::analysis::{Options, analyze_loaded};
use tracecheck::checks::Severity;
use tracecheck::input::{LoadOptions, Loaded, load_bytes};
use tracecheck::report::{Report, VerdictOptions};

/// A test that cannot run here: under `TRACECHECK_REQUIRE_ALL=1` (set by `.ci/run`) it fails,
/// so CI's summary shows it; elsewhere it says SKIPPED on stderr and the caller returns.
pub fn cannot_run(reason: &str) {
    if std::env::var_os("TRACECHECK_REQUIRE_ALL").is_some_and(|v| !v.is_empty() && v != "0") {
        panic!("cannot run: {reason} (TRACECHECK_REQUIRE_ALL is set: CI must provide it)");
    }
    eprintln!("SKIPPED: {reason}");
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Reads a file relative to the workspace root.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// Analyses named byte buffers as one dump (names appear in the report as given).
pub fn report_of(inputs: &[(&str, &[u8])]) -> Report {
    report_with(inputs, &LoadOptions::default())
}

/// As [`report_of`], with load options (small chunks exercise the parallel merge).
pub fn report_with(inputs: &[(&str, &[u8])], load: &LoadOptions) -> Report {
    let mut loaded = Loaded::default();
    for (name, bytes) in inputs {
        load_bytes(&mut loaded, name, bytes, load);
    }
    let a = analyze_loaded(loaded, &Options::default());
    Report::new(&a, VerdictOptions { fail_on: Severity::Error, allow_empty: false })
}

/// Analyses files given relative to the workspace root, reported under those names.
pub fn report_of_files(rels: &[&str]) -> Report {
    let data: Vec<(String, Vec<u8>)> = rels.iter().map(|r| (r.to_string(), read(r))).collect();
    let refs: Vec<(&str, &[u8])> = data.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    report_of(&refs)
}

/// The report as JSON without what depends on how the same spans were written: file names
/// and sizes, byte counts, formats, and the source locations of findings.
pub fn encoding_independent(r: &Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("report serializes");
    v["inputs"] = serde_json::Value::Null;
    v["counts"]["bytes"] = serde_json::Value::Null;
    for f in v["findings"].as_array_mut().expect("findings") {
        f["source"] = serde_json::Value::Null;
        f["offset"] = serde_json::Value::Null;
        f["location"] = serde_json::Value::Null;
    }
    v
}

/// Analyses named byte buffers with a rule pack given as text, failing on `fail_on`.
pub fn report_with_rules_bytes(inputs: &[(&str, &[u8])], pack: &str, fail_on: Severity) -> Report {
    let rules = tracecheck::rules::RuleSet::parse("test.toml", pack).unwrap_or_else(|e| panic!("pack: {e}"));
    let mut loaded = Loaded::default();
    for (name, bytes) in inputs {
        load_bytes(&mut loaded, name, bytes, &LoadOptions::default());
    }
    let opts = Options { rules: Some(std::sync::Arc::new(rules)), ..Options::default() };
    let a = analyze_loaded(loaded, &opts);
    Report::new(&a, VerdictOptions { fail_on, allow_empty: false })
}

/// Analyses files (relative to the workspace root) with a rule pack given as text.
pub fn report_with_rules(rels: &[&str], pack: &str, fail_on: Severity) -> Report {
    let data: Vec<(String, Vec<u8>)> = rels.iter().map(|r| (r.to_string(), read(r))).collect();
    let refs: Vec<(&str, &[u8])> = data.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    report_with_rules_bytes(&refs, pack, fail_on)
}

/// Runs `check FILE --shard K/N --partial-out` (no config) for every K of `n` into `dir`;
/// the partial files, in shard order.
pub fn shard_partials(file: &str, n: usize, dir: &std::path::Path) -> Vec<String> {
    (0..n)
        .map(|k| {
            let part = dir.join(format!("p{k}.json")).display().to_string();
            let out = assert_cmd::Command::cargo_bin("tracecheck")
                .expect("binary")
                .args(["--no-config", "check", file, "--shard", &format!("{k}/{n}"), "--partial-out", &part])
                .current_dir(root())
                .output()
                .expect("runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            part
        })
        .collect()
}

/// Runs the binary in `dir` (threads as the machine gives) and returns its exit code, stdout
/// and stderr.
pub fn tracecheck_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = assert_cmd::Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(args)
        .current_dir(dir)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `tracecheck --no-config ARGS --format json` from the workspace root: the exit code,
/// the JSON report (null when stdout is not JSON) and stderr.
pub fn json_report(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut all = vec!["--no-config"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let (code, out, err) = tracecheck_in(&root(), &all);
    (code, serde_json::from_str(&out).unwrap_or(serde_json::Value::Null), err)
}
