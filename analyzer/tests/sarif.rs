//! SARIF 2.1.0 and several reports from one run: the SARIF log is valid against the OASIS
//! schema, meets what GitHub code scanning requires of an upload (rules for every result,
//! relative artifact URIs, a location on every result), and points at lines or record
//! offsets; `--report FORMAT=PATH` writes every report of one analysis.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn schema_valid(file: &Path) {
    let ok =
        std::process::Command::new("python3").args(["-c", "import jsonschema"]).status().is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("SARIF schema validation needs Python's jsonschema");
        return;
    }
    let schemas = common::root().join("analyzer/tests/data/schemas");
    let out = std::process::Command::new("python3")
        .arg(schemas.join("validate.py"))
        .arg(schemas.join("sarif-schema-2.1.0.json"))
        .arg(file)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// What GitHub's code scanning upload requires beyond the schema.
fn github_acceptable(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().expect("id")).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    for r in rules {
        assert!(r["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(matches!(r["defaultConfiguration"]["level"].as_str(), Some("error" | "warning" | "note")));
    }
    for res in run["results"].as_array().expect("results") {
        let id = res["ruleId"].as_str().expect("ruleId");
        let i = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(ids[i], id, "ruleIndex points at the rule");
        let locs = res["locations"].as_array().expect("locations");
        assert!(!locs.is_empty(), "every result has a location: {res}");
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains(' '), "{uri}");
        if let Some(line) = locs[0]["physicalLocation"]["region"]["startLine"].as_u64() {
            assert!(line >= 1);
        }
    }
}

fn sarif_of(args: &[&str], dir: &Path) -> (Option<i32>, Value, std::path::PathBuf) {
    let file = dir.join(format!("{}.sarif", args.len()));
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .arg("check")
        .args(args)
        .args(["--format", "sarif", "-o"])
        .arg(&file)
        .current_dir(common::root())
        .output()
        .expect("runs");
    let log: Value = serde_json::from_slice(&std::fs::read(&file).expect("sarif written")).expect("json");
    (out.status.code(), log, file)
}

#[test]
fn sarif_is_valid_and_points_at_dump_lines_and_pack_rules() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, log, file) =
        sarif_of(&["sample-traces/p2p/missing-child.jsonl", "--rules", "rules/p2p-marketplace.toml"], tmp.path());
    assert_eq!(code, Some(1));
    schema_valid(&file);
    github_acceptable(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let r = common::report_with_rules(
        &["sample-traces/p2p/missing-child.jsonl"],
        &String::from_utf8(common::read("rules/p2p-marketplace.toml")).expect("utf-8"),
        tracecheck::checks::Severity::Error,
    );
    assert_eq!(results.len(), r.findings.len());
    let f = &r.findings[0];
    let line = f.location.as_ref().and_then(|l| l.line).expect("a line");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], line);
    assert_eq!(results[0]["ruleId"], "MKT010");
    // The rule's help is `tracecheck explain MKT010`.
    let explain = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["explain", "MKT010", "--rules", "rules/p2p-marketplace.toml"])
        .current_dir(common::root())
        .output()
        .expect("explain");
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    let mkt010 = rules.iter().find(|x| x["id"] == "MKT010").expect("MKT010");
    assert_eq!(mkt010["help"]["text"].as_str(), Some(String::from_utf8_lossy(&explain.stdout).as_ref()));
    // An inconclusive rule fails the run without findings: a result at the rule in its pack.
    let (_, log, file) =
        sarif_of(&["sample-traces/healthy/checkout.jsonl", "--rules", "rules/p2p-marketplace.toml"], tmp.path());
    schema_valid(&file);
    github_acceptable(&log);
    let at_pack: Vec<&Value> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "rules/p2p-marketplace.toml")
        .collect();
    assert!(
        !at_pack.is_empty()
            && at_pack.iter().all(|x| x["message"]["text"].as_str().is_some_and(|t| t.starts_with("inconclusive: ")))
    );
}

/// Length-prefixed protobuf records have no lines: a finding points at its record's offset.
#[test]
fn sarif_points_at_record_offsets_in_protobuf_files() {
    let (bytes, second) = common::dumps::protobuf_records_with_an_error();
    let tmp = tempfile::tempdir().expect("tmp");
    let dump = tmp.path().join("spans.pb");
    std::fs::write(&dump, &bytes).expect("write");
    let (_, log, file) = sarif_of(&[dump.to_str().expect("utf-8")], tmp.path());
    schema_valid(&file);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let e001 = results.iter().find(|x| x["ruleId"] == "E001").expect("the error span without message");
    let region = &e001["locations"][0]["physicalLocation"]["region"];
    assert!(region.get("startLine").is_none(), "{region}");
    assert_eq!(region["byteOffset"], second, "{e001}");
}

/// One analysis, every report: the files equal what `--format` writes alone.
#[test]
fn several_reports_from_one_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = |n: &str| tmp.path().join(n).to_str().expect("utf-8").to_string();
    let args = ["check", "sample-traces/p2p/missing-child.jsonl", "--rules", "rules/p2p-marketplace.toml"];
    let reports = [format!("json={}", p("r.json")), format!("sarif={}", p("r.sarif")), format!("junit={}", p("r.xml"))];
    let out = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(args)
        .args(reports.iter().flat_map(|r| ["--report", r.as_str()]))
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"), "the human report still goes to stdout");
    for (format, name) in [("json", "r.json"), ("sarif", "r.sarif")] {
        let alone = Command::cargo_bin("tracecheck")
            .expect("binary")
            .args(args)
            .args(["--format", format])
            .current_dir(common::root())
            .output()
            .expect("runs");
        assert_eq!(std::fs::read(p(name)).expect("written"), alone.stdout, "{format}");
    }
    let xml = std::fs::read_to_string(p("r.xml")).expect("junit");
    assert!(xml.contains("<failure"), "{xml}");
    let bad = Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(args)
        .args(["--report", "yaml=x.yaml"])
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("unknown format \"yaml\" (use human, json, junit, github, markdown, html, sarif)")
    );
}
