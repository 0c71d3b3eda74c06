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
    assert_eq!(r.rules.len(), 20);
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
    assert_eq!(failing_rules(&r), BTreeSet::from(["MKT070".to_string(), "MKT071".to_string()]));
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
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("healthy", &[], &[]),
        ("kill-node", &["MKT050"], &["S001", "S002"]),
        ("drop-gossip", &["MKT014", "MKT074"], &[]),
        ("fail-dht", &["MKT010", "MKT012", "MKT070", "MKT071", "MKT074"], &[]),
        ("slow-dht", &["MKT070", "MKT071"], &[]),
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
        assert_eq!(r.verdict.exit_code, if name == "healthy" { 0 } else { 1 }, "{name}");
        let instances: BTreeSet<&str> = r.findings.iter().filter_map(|f| f.trace_id.as_deref()).collect();
        assert!(name == "healthy" || !instances.is_empty(), "{name}: findings name their traces");
    }
}
