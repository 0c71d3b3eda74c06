//! `rules/p2p-marketplace.toml` on the hand-made marketplace dumps: the healthy run passes
//! every rule; each broken run fails exactly the rule for its defect, on the right span.
//! The faulty spans are found here by their attributes in the decoded dump.

mod common;

use std::collections::BTreeSet;
use tracecheck::checks::Severity;
use tracecheck::input::{LoadOptions, Loaded, load_bytes};
use tracecheck::model::Value;
use tracecheck::report::Report;
use tracecheck::rules::RuleOutcome;

fn pack() -> String {
    String::from_utf8(common::read("rules/p2p-marketplace.toml")).expect("utf-8")
}

fn check(file: &str) -> Report {
    common::report_with_rules(&[file], &pack(), Severity::Error)
}

/// The id of the one span named `name` whose span (or resource) attribute `key` is `value`.
fn span_where(file: &str, name: &str, key: &str, value: &str) -> String {
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, file, &common::read(file), &LoadOptions::default());
    let d = &loaded.dump;
    let has = |attrs: &[tracecheck::model::Attr]| {
        attrs.iter().any(|a| d.str(a.key) == key && matches!(a.value(), Value::Str(s) if d.str(s) == value))
    };
    let found: Vec<String> = d
        .spans
        .iter()
        .filter(|s| d.str(s.name) == name)
        .filter(|s| has(d.span_attrs(s)) || has(&d.attrs[d.resource(s).attrs.range()]))
        .map(|s| s.span_id.to_string())
        .collect();
    assert_eq!(found.len(), 1, "{name} with {key} = {value} in {file}");
    found[0].clone()
}

fn failing_rules(r: &Report) -> BTreeSet<String> {
    r.rules.iter().filter(|x| x.outcome != RuleOutcome::Pass).map(|x| x.id.to_string()).collect()
}

fn findings_of<'a>(r: &'a Report, id: &str) -> Vec<&'a tracecheck::report::FindingOut> {
    r.findings.iter().filter(|f| f.code.as_str() == id).collect()
}

#[test]
fn healthy_run_passes_every_rule() {
    let r = check("sample-traces/p2p/healthy.jsonl");
    assert_eq!(r.rules.len(), 24);
    assert_eq!(failing_rules(&r), BTreeSet::new(), "{:#?}", r.rules);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.verdict.exit_code, 0);
    // Percentile rules were really judged, not skipped.
    let p99 = r.rules.iter().find(|x| &*x.id == "MKT070").expect("MKT070");
    assert_eq!(p99.aggregates.len(), 5, "one p99 per operation: {:#?}", p99.aggregates);
    assert!(p99.aggregates.iter().all(|a| a.samples >= 10 && a.outcome == RuleOutcome::Pass));
}

#[test]
fn missing_child_fails_mkt010_on_that_publish() {
    let file = "sample-traces/p2p/missing-child.jsonl";
    let r = check(file);
    assert_eq!(failing_rules(&r), BTreeSet::from(["MKT010".to_string()]));
    let publish = span_where(file, "p2p.package.publish", "package_id", "pkg-3");
    let f = findings_of(&r, "MKT010");
    assert!(!f.is_empty() && f.iter().all(|f| f.span_ids[0] == publish), "{f:#?}");
    assert!(f.iter().any(|f| f.actual.as_deref() == Some(r#"count(> { name = "dht.put" }) = 0"#)), "{f:#?}");
    assert_eq!(r.verdict.exit_code, 1);
}

#[test]
fn wrong_order_fails_mkt010_naming_both_children() {
    let file = "sample-traces/p2p/wrong-order.jsonl";
    let r = check(file);
    assert_eq!(failing_rules(&r), BTreeSet::from(["MKT010".to_string()]));
    let publish = span_where(file, "p2p.package.publish", "package_id", "pkg-5");
    let put = span_where(file, "dht.put", "kad.key", "/ggen/pkg/pkg-5");
    let f = findings_of(&r, "MKT010");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].span_ids[0], publish);
    assert!(f[0].span_ids.contains(&put), "{:?}", f[0].span_ids);
    assert!(
        f[0].actual.as_deref().is_some_and(|a| a.contains("starts 9.00ms before \"dht.put\"")),
        "{:?}",
        f[0].actual
    );
}

#[test]
fn bad_peer_id_fails_mkt001_on_that_node_init() {
    let file = "sample-traces/p2p/bad-peer-id.jsonl";
    let r = check(file);
    assert_eq!(failing_rules(&r), BTreeSet::from(["MKT001".to_string()]));
    let init = span_where(file, "p2p.swarm.init", "service.instance.id", "node-2");
    let f = findings_of(&r, "MKT001");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].span_ids, vec![init]);
    assert!(f[0].actual.as_deref().is_some_and(|a| a.contains("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")));
}

#[test]
fn error_span_without_error_type_fails_mkt062() {
    let file = "sample-traces/p2p/error-without-type.jsonl";
    let r = check(file);
    assert_eq!(failing_rules(&r), BTreeSet::from(["MKT062".to_string()]));
    let put = span_where(file, "dht.put", "kad.key", "/ggen/pkg/pkg-7");
    let f = findings_of(&r, "MKT062");
    assert_eq!(f.len(), 1, "the publish carries both attributes, only dht.put lacks error.type: {f:#?}");
    assert_eq!(f[0].span_ids, vec![put]);
    assert!(f[0].actual.as_deref().is_some_and(|a| a.contains("span.error.type = nil")));
}

#[test]
fn slow_p99_fails_the_latency_rules_at_the_slowest_span() {
    let file = "sample-traces/p2p/slow-p99.jsonl";
    let r = check(file);
    let want = ["MKT070", "MKT071", "MKT076"].map(String::from);
    assert_eq!(failing_rules(&r), BTreeSet::from(want));
    // The two slow publishes' traces outlast 500 ms; no other.
    let slow_publishes: BTreeSet<String> =
        ["pkg-2", "pkg-9"].iter().map(|id| span_where(file, "p2p.package.publish", "package_id", id)).collect();
    let late: BTreeSet<String> = findings_of(&r, "MKT076").iter().flat_map(|f| f.span_ids.clone()).collect();
    assert_eq!(late, slow_publishes);
    // 12 samples: nearest-rank p99 is the largest, the 850 ms put of pkg-9.
    let put = span_where(file, "dht.put", "kad.key", "/ggen/pkg/pkg-9");
    let f = findings_of(&r, "MKT071");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].span_ids, vec![put]);
    assert!(
        f[0].actual.as_deref().is_some_and(|a| a.starts_with("p99(duration) = 850.00ms over 12 span(s)")),
        "{:?}",
        f[0].actual
    );
    let by_op = findings_of(&r, "MKT070");
    assert_eq!(by_op.len(), 1);
    assert!(by_op[0].expected.as_deref().is_some_and(|e| e.ends_with(r#"for name = "p2p.package.publish""#)));
}

#[test]
fn rule_results_do_not_depend_on_record_order() {
    for file in ["sample-traces/p2p/slow-p99.jsonl", "sample-traces/p2p/wrong-order.jsonl"] {
        let text = String::from_utf8(common::read(file)).expect("utf-8");
        let mut lines: Vec<&str> = text.lines().collect();
        lines.reverse();
        let reversed = lines.join("\n");
        let a = check(file);
        let b = common::report_with_rules_bytes(&[(file, reversed.as_bytes())], &pack(), Severity::Error);
        assert_eq!(a.rules, b.rules, "{file}");
        // Findings without their source (line numbers differ when records are reversed).
        let key = |r: &Report| -> Vec<String> {
            r.findings.iter().map(|f| format!("{} {:?} {:?} {:?}", f.code, f.span_ids, f.expected, f.actual)).collect()
        };
        assert_eq!(key(&a), key(&b), "{file}");
    }
}

/// The bundled runs of the real libp2p emitter (`sample-traces/make_scenario_dumps.sh`): the
/// healthy run passes every rule with nothing else to say; each fault fails the rules and
/// built-in checks `sample-traces/README.md` gives for it, and no others.
#[test]
fn emitter_runs_get_their_documented_verdicts() {
    let cases: [(&str, &[&str], &[&str]); 8] = [
        ("healthy", &[], &[]),
        ("healthy-with-logs", &[], &[]),
        ("kill-node", &["MKT050"], &["S001", "S002"]),
        // The dying node's last log names the publish span that never ended.
        ("kill-node-with-logs", &["MKT050"], &["L002", "S001", "S002"]),
        ("drop-gossip", &["MKT014", "MKT074", "MKT075"], &[]),
        // The failing stores are named (MKT015), and make most publishes fail (MKT063).
        ("fail-dht", &["MKT010", "MKT012", "MKT015", "MKT063", "MKT070", "MKT071", "MKT074", "MKT075", "MKT076"], &[]),
        ("slow-dht", &["MKT070", "MKT071", "MKT076"], &[]),
        // Fast publishes whose announcements arrive a second late: only the delivery rule.
        ("delay-gossip", &["MKT076"], &[]),
    ];
    for (name, rules, builtin) in cases {
        let r = check(&format!("sample-traces/scenario/{name}.jsonl"));
        let failed: BTreeSet<String> =
            r.rules.iter().filter(|x| x.outcome == RuleOutcome::Fail).map(|x| x.id.to_string()).collect();
        let want: BTreeSet<String> = rules.iter().map(|s| s.to_string()).collect();
        assert_eq!(failed, want, "{name}");
        let codes: BTreeSet<String> =
            r.findings.iter().map(|f| f.code.to_string()).filter(|c| !c.starts_with("MKT")).collect();
        let want: BTreeSet<String> = builtin.iter().map(|s| s.to_string()).collect();
        assert_eq!(codes, want, "{name}");
        let healthy = name.starts_with("healthy");
        assert_eq!(r.verdict.exit_code, if healthy { 0 } else { 1 }, "{name}");
        let instances: BTreeSet<&str> = r.findings.iter().filter_map(|f| f.trace_id.as_deref()).collect();
        assert!(healthy || !instances.is_empty(), "{name}: findings name their traces");
    }
}

/// The report (with the p2p pack) of the healthy emitter run with `edit` applied to its
/// spans (as JSON values, in file order).
fn mutated(edit: impl Fn(&mut Vec<serde_json::Value>)) -> Report {
    let out = mutated_text(edit);
    common::report_with_rules_bytes(&[("mutated.jsonl", out.as_bytes())], &pack(), Severity::Error)
}

/// The healthy emitter run's JSON lines with `edit` applied to its spans.
fn mutated_text(edit: impl Fn(&mut Vec<serde_json::Value>)) -> String {
    let text = String::from_utf8(common::read("sample-traces/scenario/healthy.jsonl")).expect("utf-8");
    let mut lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    // Every span in file order; edited, then put back in the same places.
    let mut spans: Vec<serde_json::Value> = Vec::new();
    for l in &lines {
        for rs in l["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                spans.extend(ss["spans"].as_array().into_iter().flatten().cloned());
            }
        }
    }
    edit(&mut spans);
    let mut it = spans.into_iter();
    for l in &mut lines {
        for rs in l["resourceSpans"].as_array_mut().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array_mut().into_iter().flatten() {
                for s in ss["spans"].as_array_mut().into_iter().flatten() {
                    *s = it.next().expect("as many spans");
                }
            }
        }
    }
    lines.iter().map(|l| l.to_string() + "\n").collect()
}

fn ns(s: &serde_json::Value, key: &str) -> u64 {
    s[key].as_str().expect("time").parse().expect("ns")
}

fn first_named(spans: &[serde_json::Value], name: &str) -> usize {
    spans.iter().position(|s| s["name"] == name).unwrap_or_else(|| panic!("a {name} span"))
}

fn child_of(spans: &[serde_json::Value], parent: &serde_json::Value, name: &str) -> usize {
    spans
        .iter()
        .position(|s| s["name"] == name && s["parentSpanId"] == parent["spanId"] && s["traceId"] == parent["traceId"])
        .unwrap_or_else(|| panic!("a {name} child"))
}

/// Failing rules and the built-in codes found at error severity.
fn verdict_of(r: &Report) -> (BTreeSet<String>, BTreeSet<String>) {
    let failed = r.rules.iter().filter(|x| x.outcome == RuleOutcome::Fail).map(|x| x.id.to_string()).collect();
    let errors = r
        .findings
        .iter()
        .filter(|f| !f.code.as_str().starts_with("MKT") && f.severity == Severity::Error)
        .map(|f| f.code.to_string())
        .collect();
    (failed, errors)
}

/// Siblings a few microseconds out of order on one node: no clock skew can excuse it, so
/// MKT011 fails on that validation span (the pack's 2 ms tolerance is for other hosts).
#[test]
fn microsecond_siblings_out_of_order_on_one_node_fail() {
    let validate_id = std::cell::RefCell::new(String::new());
    let r = mutated(|spans| {
        let v = first_named(spans, "p2p.package.validate");
        *validate_id.borrow_mut() = spans[v]["spanId"].as_str().expect("id").to_string();
        let (sig, hash) = (child_of(spans, &spans[v], "signature.verify"), child_of(spans, &spans[v], "content.hash"));
        let sig_end = ns(&spans[sig], "endTimeUnixNano");
        let len = ns(&spans[hash], "endTimeUnixNano") - ns(&spans[hash], "startTimeUnixNano");
        let start = sig_end - 3_000; // 3 µs before the signature check ends
        spans[hash]["startTimeUnixNano"] = (start.to_string()).into();
        spans[hash]["endTimeUnixNano"] = ((start + len).to_string()).into();
    });
    let (failed, _) = verdict_of(&r);
    assert_eq!(failed, BTreeSet::from(["MKT011".to_string()]), "{:#?}", r.rules);
    let f = findings_of(&r, "MKT011");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].span_ids[0], *validate_id.borrow());
    assert!(f[0].actual.as_deref().is_some_and(|a| a.contains("starts 3.0µs before")), "{:?}", f[0].actual);
}

/// Every search in ERROR, each with its reason: MKT062 is satisfied, MKT063 is not.
#[test]
fn all_searches_in_error_fail_the_error_rate_bound() {
    let r = mutated(|spans| {
        for s in spans.iter_mut().filter(|s| s["name"] == "p2p.package.search") {
            s["status"] = serde_json::json!({"code": 2, "message": "index unavailable"});
            let attrs = s["attributes"].as_array_mut().expect("attributes");
            attrs.push(serde_json::json!({"key": "error.message", "value": {"stringValue": "index unavailable"}}));
            attrs.push(serde_json::json!({"key": "error.type", "value": {"stringValue": "IndexError"}}));
        }
    });
    let (failed, _) = verdict_of(&r);
    assert_eq!(failed, BTreeSet::from(["MKT063".to_string()]), "{:#?}", r.rules);
    let mkt063 = r.rules.iter().find(|x| &*x.id == "MKT063").expect("MKT063");
    let failing: Vec<&str> = mkt063
        .aggregates
        .iter()
        .filter(|a| a.outcome == RuleOutcome::Fail)
        .filter_map(|a| a.group.as_deref())
        .collect();
    assert_eq!(failing, ["name = \"p2p.package.search\""], "{:#?}", mkt063.aggregates);
}

/// An orphan, and a child starting 40 ms before its parent: errors under the pack (its
/// `[settings] severity`), each on its span; warnings without the pack.
#[test]
fn an_orphan_and_an_early_child_are_errors_under_the_pack() {
    let ids = std::cell::RefCell::new((String::new(), String::new()));
    let text = mutated_text(|spans| {
        let o = first_named(spans, "dht.put");
        spans[o]["parentSpanId"] = "00000000deadbeef".into();
        let v = first_named(spans, "p2p.package.validate");
        let start = ns(&spans[v], "startTimeUnixNano");
        let parent = spans.iter().position(|s| s["spanId"] == spans[v]["parentSpanId"]).expect("parent");
        let parent_start = ns(&spans[parent], "startTimeUnixNano");
        let shift = start - (parent_start - 40_000_000);
        spans[v]["startTimeUnixNano"] = (start - shift).to_string().into();
        *ids.borrow_mut() =
            (spans[o]["spanId"].as_str().expect("id").into(), spans[v]["spanId"].as_str().expect("id").into());
    });
    let (orphan, early) = ids.into_inner();
    let r = common::report_with_rules_bytes(&[("mutated.jsonl", text.as_bytes())], &pack(), Severity::Error);
    let (_, errors) = verdict_of(&r);
    assert!(errors.contains("S001") && errors.contains("T003"), "{errors:?}");
    assert_eq!(r.verdict.exit_code, 1);
    let s001 = findings_of(&r, "S001");
    assert!(s001.iter().any(|f| f.span_ids.contains(&orphan) && f.severity == Severity::Error), "{s001:#?}");
    let t003 = findings_of(&r, "T003");
    assert!(t003.iter().any(|f| f.span_ids.contains(&early) && f.severity == Severity::Error), "{t003:#?}");
    assert!(t003.iter().any(|f| f.message.contains("40.00ms")), "{t003:#?}");
    // JUnit fails the S001 case (an error under the pack) and SARIF describes it as one.
    let mut junit = Vec::new();
    tracecheck::report::junit::write(&r, None, &mut junit).expect("junit");
    let junit = String::from_utf8(junit).expect("utf-8");
    let case = junit.split("<testcase ").find(|c| c.contains("name=\"S001 orphan-span\"")).expect("S001 case");
    assert!(case.contains("<failure") && case.contains("type=\"error\""), "{case}");
    let mut sarif = Vec::new();
    tracecheck::report::sarif::write(&r, None, &mut sarif).expect("sarif");
    let sarif: serde_json::Value = serde_json::from_slice(&sarif).expect("json");
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|x| x["id"] == "S001")
        .cloned();
    assert_eq!(rule.expect("S001")["defaultConfiguration"]["level"], "error");
    // Without the pack the same findings are warnings (the built-in severities), exit 0.
    let plain = common::report_of(&[("mutated.jsonl", text.as_bytes())]);
    let sev = |code: &str| {
        plain.findings.iter().filter(|f| f.code.as_str() == code).map(|f| f.severity).collect::<BTreeSet<_>>()
    };
    assert_eq!((sev("S001"), sev("T003")), (BTreeSet::from([Severity::Warning]), BTreeSet::from([Severity::Warning])));
    assert_eq!(plain.verdict.exit_code, 0);
}

/// A pack that disagrees with another on a built-in check's severity is refused, with where.
#[test]
fn packs_must_agree_on_built_in_severities() {
    let mut set = tracecheck::rules::RuleSet::default();
    set.add("a.toml", "schema = 2\nname = \"a\"\n[settings]\nseverity = { S001 = \"error\" }\n").expect("a");
    let e = set.add("b.toml", "schema = 2\nname = \"b\"\n[settings]\nseverity = { S001 = \"info\" }\n").expect_err("b");
    assert!(e.message.contains("S001 is already error by a.toml:4"), "{}", e.message);
    let e = tracecheck::rules::RuleSet::parse(
        "c.toml",
        "schema = 2\nname = \"c\"\n[settings]\nseverity = { MKT001 = \"error\" }\n",
    )
    .expect_err("c");
    assert!(e.message.contains("not a built-in check code"), "{}", e.message);
    assert_eq!(set.severity_of(tracecheck::checks::Code::S001), Some(Severity::Error));
}

/// Real emitter runs with the collector's own counters at the end of the dump: the healthy
/// one agrees with its spans; the one whose exporter lost every fourth batch says exactly
/// how many spans are missing, and its lost parents show as errors under the pack.
#[test]
fn emitter_runs_with_collector_telemetry_account_for_every_span() {
    let healthy = check("sample-traces/scenario/healthy-with-telemetry.jsonl");
    assert!(healthy.findings.is_empty(), "{:#?}", healthy.findings);
    assert_eq!(healthy.verdict.exit_code, 0);
    let lossy = check("sample-traces/scenario/lose-export-with-telemetry.jsonl");
    let codes: BTreeSet<String> =
        lossy.findings.iter().map(|f| f.code.to_string()).filter(|c| !c.starts_with("MKT")).collect();
    for code in ["C003", "C004", "C005", "S001"] {
        assert!(codes.contains(code), "{code}: {codes:?}");
    }
    let c005 = findings_of(&lossy, "C005");
    let spans = lossy.counts.spans;
    assert!(
        c005[0].message.contains(&format!("accepted {} span(s); the dump holds {spans}: {} missing", spans + 137, 137)),
        "{}",
        c005[0].message
    );
    let c003 = findings_of(&lossy, "C003");
    assert!(c003[0].message.contains("exporter \"file\" failed to send 137 span(s)"), "{}", c003[0].message);
    assert_eq!(lossy.verdict.exit_code, 1);
}
