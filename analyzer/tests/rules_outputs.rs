//! CI outputs with rule packs: JUnit XML in the JUnit schema's shape, GitHub annotations at
//! the dump line, the Markdown summary, and per-rule outcomes in JSON.

mod common;

use tracecheck::checks::Severity;
use tracecheck::report::{self, Report};

fn p2p(file: &str) -> Report {
    let pack = String::from_utf8(common::read("rules/p2p-marketplace.toml")).expect("utf-8");
    common::report_with_rules(&[file], &pack, Severity::Error)
}

fn junit(r: &Report) -> String {
    let mut out = Vec::new();
    report::junit::write(r, None, &mut out).expect("writes");
    String::from_utf8(out).expect("utf-8")
}

fn int_attr(n: roxmltree::Node<'_, '_>, name: &str) -> usize {
    n.attribute(name).unwrap_or_else(|| panic!("{} lacks {name}", n.tag_name().name())).parse().expect("a count")
}

/// Checks the structure the JUnit XML schema requires (testsuites > testsuite > testcase,
/// counts that add up, failure/error/skipped with their attributes) and returns
/// (testcase name, verdict element or "passed", text) for each case.
fn validate(xml: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut cases = Vec::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert!(suite.attribute("name").is_some_and(|n| !n.is_empty()));
        let mut counted = [0usize; 4];
        for (k, case) in suite.children().filter(|n| n.is_element()).enumerate() {
            if case.tag_name().name() == "properties" {
                assert_eq!(k, 0, "properties come first in a testsuite");
                for p in case.children().filter(|n| n.is_element()) {
                    assert_eq!(p.tag_name().name(), "property");
                    assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
                }
                continue;
            }
            assert_eq!(case.tag_name().name(), "testcase");
            let name = case.attribute("name").expect("testcase name").to_string();
            assert!(case.attribute("classname").is_some(), "{name}: classname");
            counted[0] += 1;
            let mut verdict = ("passed".to_string(), String::new());
            for child in case.children().filter(|n| n.is_element()) {
                let tag = child.tag_name().name();
                match tag {
                    "failure" | "error" => {
                        assert!(child.attribute("message").is_some() && child.attribute("type").is_some(), "{name}");
                        counted[if tag == "failure" { 1 } else { 2 }] += 1;
                        verdict = (tag.to_string(), child.text().unwrap_or("").to_string());
                    }
                    "skipped" => {
                        counted[3] += 1;
                        verdict = (tag.to_string(), String::new());
                    }
                    "system-out" => {}
                    other => panic!("unexpected <{other}> in a testcase"),
                }
            }
            cases.push((name, verdict.0, verdict.1));
        }
        let declared = ["tests", "failures", "errors", "skipped"].map(|a| int_attr(suite, a));
        assert_eq!(declared, counted, "counts of suite {:?}", suite.attribute("name"));
        tests += counted[0];
        failures += counted[1];
        errors += counted[2];
        skipped += counted[3];
    }
    // The Jenkins xUnit schema has no `skipped` on <testsuites>.
    assert!(root.attribute("skipped").is_none());
    let _ = skipped;
    assert_eq!(["tests", "failures", "errors"].map(|a| int_attr(root, a)), [tests, failures, errors]);
    cases
}

/// Validates against the Jenkins xUnit plugin's `junit-10.xsd` (with Python's lxml).
fn validate_xsd(xml: &str) {
    let schemas = common::root().join("analyzer/tests/data/schemas");
    let ok = std::process::Command::new("python3").args(["-c", "import lxml"]).status().is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("JUnit schema validation needs Python's lxml");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("junit.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("python3")
        .arg(schemas.join("validate.py"))
        .arg(schemas.join("junit-10.xsd"))
        .arg(&file)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn junit_has_one_testcase_per_check_and_rule_with_failures_carrying_findings() {
    let file = "sample-traces/p2p/missing-child.jsonl";
    let r = p2p(file);
    let cases = validate(&junit(&r));
    assert_eq!(cases.len(), tracecheck::checks::REGISTRY.len() + 24);
    let failed: Vec<&(String, String, String)> = cases.iter().filter(|c| c.1 != "passed").collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let (name, verdict, text) = failed[0];
    assert!(name.starts_with("MKT010 "), "{name}");
    assert_eq!(verdict, "failure");
    let span = &r.findings[0].span_ids[0];
    assert!(text.contains(span) && text.contains(&format!("{file}:")), "{text}");
    // Every suite says what it can be re-checked against.
    let xml = junit(&r);
    let digest = format!("<property name=\"spans.sha256\" value=\"{}\"/>", r.digest.spans);
    let rules = format!("<property name=\"rules.sha256\" value=\"{}\"/>", r.digest.rules.clone().expect("rules"));
    assert_eq!(xml.matches(&digest).count(), xml.matches("<testsuite ").count());
    assert!(xml.contains(&rules));

    let healthy = validate(&junit(&p2p("sample-traces/p2p/healthy.jsonl")));
    assert!(healthy.iter().all(|c| c.1 == "passed"), "{healthy:#?}");
    // Failing findings are not repeated in the message.
    let reason = &r.rules.iter().find(|x| &*x.id == "MKT010").expect("MKT010").reason;
    assert!(xml.contains(&format!("message=\"{reason}\"")) && !xml.contains("finding(s): "), "{xml}");
    validate_xsd(&xml);
    let mut timed = Vec::new();
    report::junit::write(&r, Some(1.25), &mut timed).expect("writes");
    read_with_junitparser(&String::from_utf8(timed).expect("utf-8"), &cases, Some(1.25));
}

/// junitparser (under many CI test reporters) reads the same cases, results and totals.
fn read_with_junitparser(xml: &str, cases: &[(String, String, String)], seconds: Option<f64>) {
    let ok =
        std::process::Command::new("python3").args(["-c", "import junitparser"]).status().is_ok_and(|s| s.success());
    if !ok {
        common::cannot_run("reading JUnit with junitparser needs Python's junitparser");
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("junit.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("python3")
        .arg(common::root().join("analyzer/tests/data/schemas/junit_read.py"))
        .arg(&file)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got: Vec<(&str, &str)> = read["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or(""), c["verdict"].as_str().unwrap_or("")))
        .collect();
    let want: Vec<(&str, &str)> = cases.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect();
    assert_eq!(got, want);
    let count = |v: &str| cases.iter().filter(|c| c.1 == v).count() as u64;
    assert_eq!(read["tests"].as_u64(), Some(cases.len() as u64));
    assert_eq!(read["failures"].as_u64(), Some(count("failure")));
    assert_eq!(read["skipped"].as_u64(), Some(count("skipped")));
    // Testcases carry no time (the checks run together, in one pass); readers take 0. The
    // run's time is on the suites.
    assert!(read["cases"].as_array().expect("cases").iter().all(|c| c["time"].as_f64().unwrap_or(0.0) == 0.0));
    assert_eq!(read["time"].as_f64(), seconds, "{read}");
}

#[test]
fn junit_marks_inconclusive_rules_as_failures_or_skipped_and_escapes_text() {
    let pack = "schema = 1\nname = \"a&b <pack>\"\n\n[[rule]]\nid = \"R1\"\ntitle = \"quotes \\\" & <tags>\"\neach = '{ name = \"nope\" }'\n\n\
                [[rule]]\nid = \"R2\"\ntitle = \"allowed\"\neach = '{ name = \"nope\" }'\nallow_inconclusive = true\n";
    let r = common::report_with_rules(&["sample-traces/p2p/healthy.jsonl"], pack, Severity::Error);
    let xml = junit(&r);
    let cases = validate(&xml);
    let r1 = cases.iter().find(|c| c.0.starts_with("R1 ")).expect("R1");
    assert_eq!((r1.0.as_str(), r1.1.as_str()), ("R1 quotes \" & <tags>", "failure"));
    assert!(xml.contains("type=\"inconclusive\""));
    assert_eq!(cases.iter().find(|c| c.0.starts_with("R2 ")).expect("R2").1, "skipped");
}

#[test]
fn junit_reports_unusable_input_as_an_error() {
    let r = common::report_of(&[("empty.jsonl", b"")]);
    let cases = validate(&junit(&r));
    assert!(cases.iter().any(|c| c.1 == "error"), "{cases:#?}");
}

/// An input that cannot be read: the checks did not run, so none of them passed.
#[test]
fn junit_skips_every_check_when_nothing_was_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("junit.xml");
    let run = assert_cmd::Command::cargo_bin("tracecheck")
        .expect("binary")
        .args(["check", "/nonexistent/dump.json", "--rules", "rules/p2p-marketplace.toml", "--format", "junit", "-o"])
        .arg(&out)
        .current_dir(common::root())
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "tracecheck: /nonexistent/dump.json: No such file or directory (os error 2)\n"
    );
    let xml = std::fs::read_to_string(&out).expect("junit written");
    let cases = validate(&xml);
    let input: Vec<_> = cases.iter().filter(|c| c.1 == "error").collect();
    assert_eq!(input.len(), 1, "{cases:#?}");
    assert!(cases.iter().filter(|c| c.1 != "error").all(|c| c.1 == "skipped"), "{cases:#?}");
    assert_eq!(cases.len(), tracecheck::checks::REGISTRY.len() + 24 + 1);
    assert!(xml.contains("<skipped message=\"not run: no input was read"), "{xml}");
    let time = roxmltree::Document::parse(&xml).expect("xml").root_element().attribute("time").map(str::to_string);
    assert!(time.is_some_and(|t| t.parse::<f64>().is_ok()), "the run's time");
    validate_xsd(&xml);
}

#[test]
fn github_annotations_point_at_the_dump_line() {
    let file = "sample-traces/p2p/error-without-type.jsonl";
    let r = p2p(file);
    let mut out = Vec::new();
    report::github::write(&r, 10, &mut out).expect("writes");
    let text = String::from_utf8(out).expect("utf-8");
    let f = &r.findings[0];
    let line = f.source.as_deref().and_then(|s| s.rsplit(':').next()).expect("a line");
    let expected = format!("::error file={file},line={line},title=MKT062 An error span says what went wrong::");
    assert!(text.lines().any(|l| l.starts_with(&expected)), "{text}");
    // Messages are one line: newlines are escaped as workflow commands require.
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.starts_with("::error title=tracecheck::")), "{text}");
}

#[test]
fn markdown_summary_lists_rule_outcomes() {
    let r = p2p("sample-traces/p2p/slow-p99.jsonl");
    let mut out = Vec::new();
    report::markdown::write(&r, &mut out).expect("writes");
    let md = String::from_utf8(out).expect("utf-8");
    assert!(md.starts_with("## tracecheck: ❌ FAIL"), "{md}");
    assert!(md.contains("| ❌ fail | `MKT071` | DHT writes stay fast | 12 | 1 |"), "{md}");
    assert!(md.contains("| ✅ pass | `MKT001` |"), "{md}");
}

#[test]
fn json_carries_rule_outcomes_and_finding_details() {
    let r = p2p("sample-traces/p2p/slow-p99.jsonl");
    let v = serde_json::to_value(&r).expect("serializes");
    let rules = v["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 24);
    let mkt071 = rules.iter().find(|x| x["id"] == "MKT071").expect("MKT071");
    assert_eq!(mkt071["outcome"], "fail");
    assert_eq!(mkt071["aggregates"][0]["value"], "850.00ms");
    assert_eq!(mkt071["aggregates"][0]["samples"], 12);
    let f = v["findings"].as_array().expect("findings").iter().find(|f| f["code"] == "MKT071").expect("finding");
    for key in ["trace_id", "span_ids", "expected", "actual", "source"] {
        assert!(!f[key].is_null(), "{key} in {f}");
    }
    assert_eq!(v["rule_packs"][0]["name"], "p2p-marketplace");
}
