//! `tracecheck.toml`: found from the working directory up (or given), its defaults beneath the
//! command line, its suppressions with expiry dates, a strict schema, and the same report
//! through shards and merge.

mod common;

use serde_json::Value;
use std::path::Path;

const T004: &str = "sample-traces/checks/T004-child-ends-after-parent.jsonl";
const FAIL_DHT: &str = "sample-traces/scenario/fail-dht.jsonl";

fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    common::tracecheck_in(dir, args)
}

fn abs(rel: &str) -> String {
    common::root().join(rel).display().to_string()
}

/// A repository in a temporary directory: `tracecheck.toml` with `config`, the p2p pack
/// copied into `packs/`, and a subdirectory `deep/er` to run from.
fn repo(config: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(tmp.path().join("packs")).expect("mkdir");
    std::fs::create_dir_all(tmp.path().join("deep/er")).expect("mkdir");
    std::fs::copy(common::root().join("rules/p2p-marketplace.toml"), tmp.path().join("packs/p2p.toml")).expect("copy");
    std::fs::write(tmp.path().join("tracecheck.toml"), config).expect("write");
    tmp
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn count(report: &Value, code: &str) -> u64 {
    report["summary"]["by_code"][code].as_u64().unwrap_or(0)
}

#[test]
fn the_nearest_config_sets_packs_fail_on_and_max_findings_and_the_command_line_wins() {
    let tmp =
        repo("schema = 1\nrules = [\"packs\"]\nfail_on = \"warning\"\nmax_findings = 2\nskew_tolerance = \"100ms\"\n");
    let deep = tmp.path().join("deep/er");
    let dump = abs(FAIL_DHT);

    let (code, out, err) = run_in(&deep, &["check", &dump, "--format", "json"]);
    let r = json(&out);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(r["verdict"]["fail_on"], "warning");
    let packs: Vec<(&str, &str)> = r["rule_packs"]
        .as_array()
        .expect("packs")
        .iter()
        .map(|p| (p["name"].as_str().unwrap_or(""), p["kind"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(packs, [("p2p-marketplace", "rules"), ("tracecheck.toml", "config")]);
    // The p2p pack's MKT010 fails on this dump 24 times; the config lists at most 2.
    assert_eq!(count(&r, "MKT010"), 24);
    let listed = r["findings"].as_array().expect("findings").iter().filter(|f| f["code"] == "MKT010").count();
    assert_eq!(listed, 2);

    // The command line wins; --rules adds a pack (the same one is read once).
    let pack = tmp.path().join("packs/p2p.toml").display().to_string();
    let (code, out, err) = run_in(
        &deep,
        &["check", &dump, "--format", "json", "--fail-on", "error", "--max-findings", "5", "--rules", &pack],
    );
    let r2 = json(&out);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(r2["verdict"]["fail_on"], "error");
    assert_eq!(r2["rule_packs"].as_array().map(Vec::len), Some(2));
    assert_eq!(r2["findings"].as_array().expect("findings").iter().filter(|f| f["code"] == "MKT010").count(), 5);

    // --no-config: no packs, the built-in defaults.
    let (code, out, _) = run_in(&deep, &["--no-config", "check", &dump, "--format", "json"]);
    let r3 = json(&out);
    assert_eq!(r3["rule_packs"].as_array().map(Vec::len), Some(0));
    assert_eq!(r3["verdict"]["fail_on"], "error");
    assert_eq!(code, Some(0));

    // The config's skew tolerance (100 ms) hides the 50 ms host offset T005 reports at 1 ms.
    let t005 = abs("sample-traces/checks/T005-clock-skew.jsonl");
    let (_, out, _) = run_in(&deep, &["check", &t005, "--format", "json"]);
    assert_eq!(count(&json(&out), "T005"), 0);
    let (_, out, _) = run_in(&deep, &["check", &t005, "--format", "json", "--skew-tolerance", "1ms"]);
    assert_eq!(count(&json(&out), "T005"), 1);

    // `rules list` shows what check runs.
    let (code, out, _) = run_in(&deep, &["rules", "list"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("p2p-marketplace (") && out.contains("MKT010"), "{out}");
    assert!(out.contains("tracecheck.toml (config, 0 suppression(s))"), "{out}");
}

#[test]
fn a_suppression_silences_until_it_expires_and_then_is_a_finding() {
    let config = |expires: &str| {
        format!(
            "schema = 1\n\n[[suppress]]\nrule = \"T004\"\nreason = \"batch jobs end late; INFRA-231\"\nexpires = {expires}\n"
        )
    };
    let t004 = abs(T004);
    // Not yet expired (a TOML date): T004 is silenced and counted.
    let tmp = repo(&config("2999-12-31"));
    let (code, out, err) = run_in(tmp.path(), &["check", &t004, "--format", "json", "--fail-on", "warning"]);
    let r = json(&out);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((count(&r, "T004"), count(&r, "R001")), (0, 0));
    assert_eq!(r["suppressions"][0]["suppressed"], 1);
    assert_eq!(r["suppressions"][0]["expired"], false);
    assert_eq!(r["suppressions"][0]["expires"], "2999-12-31");

    // Expired (a string date works too): T004 is back, and R001 says which suppression.
    let tmp = repo(&config("\"2020-02-29\""));
    let (code, out, _) = run_in(tmp.path(), &["check", &t004, "--format", "json", "--fail-on", "warning"]);
    let r = json(&out);
    assert_eq!(code, Some(1));
    assert_eq!((count(&r, "T004"), count(&r, "R001")), (1, 1));
    let r001 = r["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "R001").expect("R001");
    assert_eq!(r001["severity"], "warning");
    assert_eq!(
        r001["message"],
        "tracecheck.toml:3: the suppression of T004 (\"batch jobs end late; INFRA-231\") expired on 2020-02-29: it no longer silences findings; fix the cause, or renew it with a later date"
    );
    assert_eq!(r["suppressions"][0]["suppressed"], 0);
    assert_eq!(r["suppressions"][0]["expired"], true);
    // The human report says it next to the suppression.
    let (_, out, _) = run_in(tmp.path(), &["check", &t004, "--color", "never"]);
    assert!(out.contains("[expired on 2020-02-29: silences nothing]"), "{out}");
    // `rules check` warns about it too.
    let (code, out, _) = run_in(tmp.path(), &["rules", "check", "tracecheck.toml"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("tracecheck.toml:3: warning: this suppression expired on 2020-02-29"), "{out}");

    // A rule pack's suppression may expire as well.
    let pack = "schema = 2\nname = \"p\"\n[[suppress]]\nrule = \"T004\"\nreason = \"r\"\nexpires = 2021-01-01\n";
    std::fs::write(tmp.path().join("packs/p.toml"), pack).expect("write");
    let (_, out, _) =
        run_in(tmp.path(), &["--no-config", "check", &t004, "--format", "json", "--rules", "packs/p.toml"]);
    let r = json(&out);
    assert_eq!((count(&r, "T004"), count(&r, "R001")), (1, 1));
}

#[test]
fn every_config_error_is_reported_at_once_with_its_place() {
    let text = "\
schema = 1
rules = [\"packs\"]
fail-on = \"warning\"
max_findings = -3
skew_tolerance = \"soon\"

[[suppress]]
rule = \"T004\"
reason = \"x\"
expires = \"2026-02-30\"

[[suppress]]
rule = \"NOPE1\"
reason = \"x\"
";
    let tmp = repo(text);
    let (code, out, err) = run_in(tmp.path(), &["check", &abs(T004)]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty(), "{out}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("tracecheck.toml:3:1: unknown key `fail-on` in tracecheck.toml; did you mean `fail_on`?"),
        "{err}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("tracecheck.toml:4:") && l.contains("max_findings must be 0 or more")),
        "{err}"
    );
    assert!(lines.iter().any(|l| l.starts_with("tracecheck.toml:5:")), "{err}");
    assert_eq!(lines.last().copied(), Some("tracecheck: 3 error(s) in tracecheck.toml; nothing was checked"), "{err}");

    // Once the settings are right, the suppressions are checked against the packs.
    let fixed = text.replace("fail-on", "fail_on").replace("= -3", "= 3").replace("\"soon\"", "\"2ms\"");
    std::fs::write(tmp.path().join("tracecheck.toml"), &fixed).expect("write");
    let (code, _, err) = run_in(tmp.path(), &["check", &abs(T004)]);
    assert_eq!(code, Some(2));
    assert!(err.contains("tracecheck.toml:10:11: expires must be a date, YYYY-MM-DD"), "{err}");
    // A date TOML itself refuses is a syntax error with its place.
    std::fs::write(tmp.path().join("tracecheck.toml"), fixed.replace("\"2026-02-30\"", "2026-02-30")).expect("write");
    let (code, _, err3) = run_in(tmp.path(), &["check", &abs(T004)]);
    assert_eq!(code, Some(2));
    assert!(err3.starts_with("tracecheck.toml:10:11: invalid date"), "{err3}");
    std::fs::write(tmp.path().join("tracecheck.toml"), &fixed).expect("write");
    assert!(err.contains("tracecheck.toml:13:8: suppression names \"NOPE1\""), "{err}");
    // `rules check` says the same without a dump.
    let (code, _, err2) = run_in(tmp.path(), &["rules", "check", "tracecheck.toml"]);
    assert_eq!(code, Some(2));
    assert!(err2.contains("expires must be a date") && err2.contains("NOPE1"), "{err2}");

    // --config names another file; a missing one is an error naming it.
    let (code, _, err) = run_in(tmp.path(), &["--config", "nowhere.toml", "check", &abs(T004)]);
    assert_eq!(code, Some(2));
    assert!(err.starts_with("nowhere.toml: cannot read: "), "{err}");
}

/// Shards carry the config's suppressions (and expiry) into their partials; merge gives the
/// report one check gives, and refuses partials made with different configs.
#[test]
fn shards_and_merge_keep_the_config() {
    let text = "schema = 1\nrules = [\"packs\"]\n\n[[suppress]]\nrule = \"MKT010\"\nreason = \"rework\"\nexpires = 2999-01-01\n\n[[suppress]]\nrule = \"MKT071\"\nreason = \"old\"\nexpires = 2001-01-01\n";
    let tmp = repo(text);
    let dir = tmp.path();
    let dump = abs(FAIL_DHT);
    let (_, single, _) = run_in(dir, &["check", &dump, "--format", "json"]);
    for k in 0..3 {
        let (code, _, err) =
            run_in(dir, &["check", &dump, "--shard", &format!("{k}/3"), "--partial-out", &format!("p{k}.json")]);
        assert_eq!(code, Some(0), "{err}");
    }
    let (_, merged, err) = run_in(dir, &["merge", "p0.json", "p1.json", "p2.json", "--format", "json"]);
    let (mut a, mut b) = (json(&single), json(&merged));
    assert_eq!(a["suppressions"], b["suppressions"], "{err}");
    assert_eq!(b["suppressions"][0]["suppressed"], 24);
    assert_eq!(count(&b, "R001"), 1);
    // Percentiles come from sketches in a merge; everything else is the same.
    for r in [&mut a, &mut b] {
        r["latency"] = Value::Null;
        r["rules"].as_array_mut().expect("rules").iter_mut().for_each(|x| x["aggregates"] = Value::Null);
    }
    assert_eq!(a, b);

    // Another config for one shard: refused.
    std::fs::write(dir.join("tracecheck.toml"), text.replace("rework", "other")).expect("write");
    let (code, _, err) = run_in(dir, &["check", &dump, "--shard", "2/3", "--partial-out", "q2.json"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run_in(dir, &["merge", "p0.json", "p1.json", "q2.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("other rule packs or tracecheck.toml than p0.json"), "{err}");
}
