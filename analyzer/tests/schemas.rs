//! The JSON reports of check, merge, stats, diff and replay against the published schemas in
//! `schema/`: on every sample and real dump, with rule packs and a config, through shards,
//! for unreadable input, protobuf records and a replay. Each report must also carry the
//! `schema` value its file is named for.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Whether Python with jsonschema is here; otherwise says so (failing under CI).
fn jsonschema_available() -> bool {
    let ok =
        std::process::Command::new("python3").args(["-c", "import jsonschema"]).status().is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("report schema validation needs Python's jsonschema");
    }
    ok
}

/// Validates `files` against `schema/NAME` in one Python run.
fn validate(name: &str, files: &[PathBuf]) {
    assert!(!files.is_empty());
    let root = common::root();
    let out = std::process::Command::new("python3")
        .arg(root.join("analyzer/tests/data/schemas/validate.py"))
        .arg(root.join("schema").join(name))
        .args(files)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{name}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs tracecheck (no config) from the workspace root; stdout goes to `dir/file`, whose
/// `schema` must be `schema`.
fn report(dir: &Path, file: &str, schema: &str, args: &[&str]) -> PathBuf {
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .arg("--no-config")
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["schema"], schema, "{args:?}");
    let path = dir.join(file);
    std::fs::write(&path, &out.stdout).expect("write");
    path
}

/// Every sample dump and every real dump, as paths from the workspace root.
fn dumps() -> Vec<String> {
    let root = common::root();
    let mut out = Vec::new();
    for dir in ["sample-traces", "../shared/real-traces"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                let p = e.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if p.is_dir() {
                    stack.push(p);
                } else if !name.ends_with(".md") && !name.ends_with(".py") && !name.ends_with(".sh") {
                    out.push(p.strip_prefix(&root).map_or(p.clone(), Path::to_path_buf).display().to_string());
                }
            }
        }
    }
    out.sort();
    assert!(out.len() > 60, "{} dumps", out.len());
    out
}

#[test]
fn check_and_merge_reports_follow_their_schema() {
    if !jsonschema_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let mut files = Vec::new();
    for (k, dump) in dumps().iter().enumerate() {
        let args = ["check", dump.as_str(), "--format", "json", "--rules", "rules"];
        files.push(report(dir, &format!("check-{k}.json"), "tracecheck.report/v3", &args));
    }
    // An unreadable input among good ones; the suppressions of a config, one expired.
    let missing = dir.join("nowhere.jsonl").display().to_string();
    let args = ["check", "sample-traces/healthy/checkout.jsonl", &missing, "--format", "json"];
    files.push(report(dir, "missing.json", "tracecheck.report/v3", &args));
    let config = dir.join("tracecheck.toml");
    std::fs::write(
        &config,
        "schema = 1\nrules = []\n[[suppress]]\nrule = \"T005\"\nreason = \"r\"\nexpires = 2000-01-01\n[[suppress]]\nrule = \"T004\"\nreason = \"s\"\n",
    )
    .expect("write");
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["--config", config.to_str().expect("utf-8"), "check", "sample-traces/checks/T005-clock-skew.jsonl"])
        .args(["--format", "json"])
        .current_dir(common::root())
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["suppressions"].as_array().map(Vec::len), Some(2));
    std::fs::write(dir.join("config.json"), &out.stdout).expect("write");
    files.push(dir.join("config.json"));
    // Protobuf records: locations by record number.
    let proto = dir.join("spans.pb");
    std::fs::write(&proto, common::dumps::protobuf_records_with_an_error().0).expect("write");
    let records = report(
        dir,
        "records.json",
        "tracecheck.report/v3",
        &["check", proto.to_str().expect("utf-8"), "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&records).expect("read")).expect("json");
    let e001 = v["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "E001").expect("E001");
    assert_eq!((&e001["location"]["record"], &e001["location"]["line"]), (&Value::from(2), &Value::Null), "{v}");
    files.push(records);
    // One shard of three merged alone: missing buckets.
    let partial = dir.join("p0.json").display().to_string();
    let shard = ["check", "sample-traces/scenario/fail-dht.jsonl", "--rules", "rules", "--shard", "0/3"];
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .arg("--no-config")
        .args(shard)
        .args(["--partial-out", &partial])
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let merged = report(dir, "merge.json", "tracecheck.report/v3", &["merge", &partial, "--format", "json"]);
    let v: Value = serde_json::from_slice(&std::fs::read(&merged).expect("read")).expect("json");
    assert_eq!(v["missing_buckets"]["shards"], serde_json::json!(["1/3", "2/3"]));
    files.push(merged);

    // The schema is strict enough to refuse drift: a renamed field, a missing key, a key
    // that is not in the schema.
    let good: Value = serde_json::from_slice(&std::fs::read(dir.join("missing.json")).expect("read")).expect("json");
    assert!(!good["latency"]["operations"].as_array().expect("operations").is_empty());
    for (k, broken) in [
        ("renamed", rename_latency_field(&good)),
        ("absent", without(&good, "missing_buckets")),
        ("extra", with(&good, "surprise", Value::Bool(true))),
    ] {
        let path = dir.join(format!("broken-{k}.json"));
        std::fs::write(&path, serde_json::to_vec(&broken).expect("json")).expect("write");
        let out = std::process::Command::new("python3")
            .arg(common::root().join("analyzer/tests/data/schemas/validate.py"))
            .arg(common::root().join("schema/tracecheck.report.v3.schema.json"))
            .arg(&path)
            .output()
            .expect("python");
        assert!(!out.status.success(), "the {k} report passed the schema");
    }
    validate("tracecheck.report.v3.schema.json", &files);
}

fn rename_latency_field(v: &Value) -> Value {
    let mut v = v.clone();
    for op in v["latency"]["operations"].as_array_mut().into_iter().flatten() {
        let p50 = op.as_object_mut().and_then(|o| o.remove("p50_ns")).unwrap_or(Value::Null);
        op["p50"] = p50;
    }
    v
}

fn without(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    v.as_object_mut().map(|o| o.remove(key));
    v
}

fn with(v: &Value, key: &str, value: Value) -> Value {
    let mut v = v.clone();
    v[key] = value;
    v
}

#[test]
fn stats_diff_and_replay_reports_follow_their_schemas() {
    if !jsonschema_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let dumps = dumps();
    let mut stats = Vec::new();
    for (k, dump) in dumps.iter().enumerate().filter(|(k, _)| k % 3 == 0) {
        let by = ["service,name", "kind", "resource.service.instance.id,span.http.route"][k % 9 / 3];
        let out = Command::cargo_bin("tracecheck")
            .expect("binary")
            .args(["--no-config", "stats", dump, "--format", "json", "--by", by])
            .current_dir(common::root())
            .output()
            .expect("runs");
        // Dumps without spans have no statistics (exit 3); the rest have a report.
        if out.status.code() == Some(0) {
            std::fs::write(dir.join(format!("stats-{k}.json")), &out.stdout).expect("write");
            stats.push(dir.join(format!("stats-{k}.json")));
        }
    }
    assert!(stats.len() > 15, "{} stats reports", stats.len());
    validate("tracecheck.stats.v1.schema.json", &stats);

    let pairs = [
        ("sample-traces/scenario/healthy.jsonl", "sample-traces/scenario/fail-dht.jsonl"),
        ("sample-traces/scenario/healthy.jsonl", "sample-traces/scenario/drop-gossip.jsonl"),
        ("sample-traces/p2p/healthy.jsonl", "sample-traces/checks/S001-orphan-span.jsonl"),
        ("sample-traces/healthy/checkout.jsonl", "sample-traces/healthy/checkout.jsonl"),
    ];
    let mut diffs = Vec::new();
    for (k, (a, b)) in pairs.iter().enumerate() {
        diffs.push(report(
            dir,
            &format!("diff-{k}.json"),
            "tracecheck.diff/v2",
            &["diff", a, b, "--format", "json", "--all"],
        ));
    }
    let orphaned: Value = serde_json::from_slice(&std::fs::read(&diffs[2]).expect("read")).expect("json");
    let starts: Vec<&str> =
        orphaned["operations"].as_array().expect("ops").iter().filter_map(|o| o["path_start"].as_str()).collect();
    assert!(starts.contains(&"missing_parent") && starts.contains(&"root"), "{starts:?}");
    validate("tracecheck.diff.v2.schema.json", &diffs);

    // A replay that reaches a receiver, and one that cannot connect.
    let (url, server) = common::otlp_receiver::start();
    let sent = ["replay", "sample-traces/healthy/checkout.jsonl", "--otlp-endpoint", &url, "--format", "json"];
    let ok = report(dir, "replay-ok.json", "tracecheck.replay/v1", &sent);
    drop(server);
    let refused =
        ["replay", "sample-traces/healthy/checkout.jsonl", "--otlp-endpoint", "http://127.0.0.1:9", "--format", "json"];
    let failed = report(dir, "replay-failed.json", "tracecheck.replay/v1", &refused);
    let v: Value = serde_json::from_slice(&std::fs::read(&failed).expect("read")).expect("json");
    assert!(v["outcome"]["failed"].as_u64() > Some(0), "{v}");
    validate("tracecheck.replay.v1.schema.json", &[ok, failed]);
}
