//! Every construct of the rule language, each with a rule that passes and one that fails
//! (or is inconclusive / an error) on a fixture, outcome asserted.
//!
//! Facts of `sample-traces/p2p/healthy.jsonl` the rules below rely on (from
//! `make_p2p_fixtures.py`): 4 `p2p.swarm.init` (300 ms, 3 children), 12 publishes (120 ms,
//! children validate / dht.put / gossipsub.publish), 12 `dht.put` (48 ms, client,
//! `record_size_bytes` 512..=523, `kad.key`), each announcement handled by 3
//! `p2p.gossip.propagate` consumers on other nodes, 12 searches whose `peer_query` has
//! `peers.contacted = 3` and 3 `dht_peer_query` children, 10 discoveries with
//! `new_reputation_score` in [0.5, 0.725], status OK everywhere, no events.

mod common;

use common::{report_with_rules, report_with_rules_bytes};
use tracecheck::checks::Severity;
use tracecheck::report::Report;
use tracecheck::rules::RuleOutcome::{self, *};

const HEALTHY: &str = "sample-traces/p2p/healthy.jsonl";

fn pack(rule: &str) -> String {
    format!("schema = 1\nname = \"t\"\n\n[[rule]]\nid = \"R\"\ntitle = \"rule under test\"\n{rule}\n")
}

fn run_on(file: &str, rule: &str) -> Report {
    report_with_rules(&[file], &pack(rule), Severity::Error)
}

fn outcome(rule: &str) -> (RuleOutcome, u64) {
    let r = run_on(HEALTHY, rule);
    let x = &r.rules[0];
    (x.outcome, x.findings)
}

/// (construct, rule that passes, rule that does not, its outcome)
const CASES: &[(&str, &str, &str, RuleOutcome)] = &[
    (
        "string =, !=",
        r#"each = '{ name = "dht.put" }'
expect = ['span.kad.key != "x" && name = "dht.put"']"#,
        r#"each = '{ name = "dht.put" }'
expect = ['span.kad.key = "/ggen/pkg/pkg-0"']"#,
        Fail,
    ),
    (
        "numbers <, <=, >, >=",
        r#"each = '{ name = "dht.put" }'
expect = ['span.record_size_bytes >= 512 && span.record_size_bytes <= 523 && span.record_size_bytes > 511 && span.record_size_bytes < 524']"#,
        r#"each = '{ name = "dht.put" }'
expect = ['span.record_size_bytes > 520']"#,
        Fail,
    ),
    (
        "float attribute",
        r#"each = '{ name = "p2p.peer.discovery" }'
expect = ['span.new_reputation_score >= 0.5 && span.new_reputation_score <= 1']"#,
        r#"each = '{ name = "p2p.peer.discovery" }'
expect = ['span.new_reputation_score < 0.6']"#,
        Fail,
    ),
    (
        "types are kept: an int is not the string \"512\"",
        r#"each = '{ name = "dht.put" && span.record_size_bytes = 512 }'"#,
        r#"each = '{ name = "dht.put" && span.record_size_bytes = "512" }'"#,
        Inconclusive,
    ),
    (
        "regex =~ and !~",
        r#"each = '{ name =~ `^kad\.` }'
expect = ['name !~ "confirm" || name = "kad.confirm_storage"']"#,
        r#"each = '{ name =~ `^kad\.` }'
expect = ['name =~ "store"']"#,
        Fail,
    ),
    (
        "nil",
        r#"each = '{ name = "dht.put" }'
expect = ['span.kad.key != nil && span.no.such.key = nil']"#,
        r#"each = '{ name = "dht.put" }'
expect = ['span.no.such.key != nil']"#,
        Fail,
    ),
    (
        "&&, || and !",
        r#"each = '{ name = "dht.put" || name = "gossipsub.publish" }'
expect = ['!(kind = server) && (kind = client || kind = producer)']"#,
        r#"each = '{ name = "dht.put" || name = "gossipsub.publish" }'
expect = ['!(kind = client)']"#,
        Fail,
    ),
    (
        "durations with units",
        r#"each = '{ name = "dht.put" }'
expect = ['duration >= 48ms && duration < 0.05s && duration > 47999us']"#,
        r#"each = '{ name = "dht.put" }'
expect = ['duration < 10ms']"#,
        Fail,
    ),
    (
        "status and kind",
        r#"each = '{ kind = consumer }'
expect = ['status = ok && status != error']"#,
        r#"each = '{ kind = consumer }'
expect = ['status = unset']"#,
        Fail,
    ),
    (
        "start and end",
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['start > 1763712000000000000 && end > start']"#,
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['end < 1763712000000000000']"#,
        Fail,
    ),
    (
        "statusMessage",
        r#"each = '{ name = "dht.put" }'
expect = ['statusMessage = nil']"#,
        r#"each = '{ name = "dht.put" }'
expect = ['statusMessage != nil']"#,
        Fail,
    ),
    (
        "parent.name",
        r#"each = '{ name = "kad.store_value" }'
expect = ['parent.name = "dht.put"']"#,
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['parent.name != nil']"#,
        Fail,
    ),
    (
        "childCount",
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['childCount = 3']"#,
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['childCount > 3']"#,
        Fail,
    ),
    (
        "trace.rootName and trace.duration",
        r#"each = '{ name = "kad.store_value" }'
expect = ['trace.rootName = "p2p.package.publish" && trace.duration = 120ms']"#,
        r#"each = '{ name = "kad.store_value" }'
expect = ['trace.rootName = "p2p.package.search"']"#,
        Fail,
    ),
    (
        "resource attributes and unscoped .key",
        r#"each = '{ }'
expect = ['resource.service.name = "ggen-p2p-marketplace" && .service.instance.id =~ "^node-[0-3]$"']"#,
        r#"each = '{ }'
expect = ['resource.service.instance.id = "node-0"']"#,
        Fail,
    ),
    (
        "structural > (child)",
        r#"any = '{ name = "dht.put" } > { name = "kad.store_value" }'"#,
        r#"any = '{ name = "dht.put" } > { name = "content.hash" }'"#,
        Fail,
    ),
    (
        "structural >> (descendant)",
        r#"any = '{ name = "p2p.package.publish" } >> { name = "message_validation" }'"#,
        r#"any = '{ name = "p2p.package.search" } >> { name = "message_validation" }'"#,
        Fail,
    ),
    (
        "structural ~ (sibling)",
        r#"any = '{ name = "dht.put" } ~ { name = "gossipsub.publish" }'"#,
        r#"any = '{ name = "dht.put" } ~ { name = "kad.store_value" }'"#,
        Fail,
    ),
    (
        "structural < (parent)",
        r#"any = '{ name = "kad.store_value" } < { name = "dht.put" }'"#,
        r#"any = '{ name = "kad.store_value" } < { name = "p2p.package.publish" }'"#,
        Fail,
    ),
    (
        "structural << (ancestor)",
        r#"any = '{ name = "kad.store_value" } << { name = "p2p.package.publish" }'"#,
        r#"any = '{ name = "kad.store_value" } << { name = "p2p.package.search" }'"#,
        Fail,
    ),
    (
        "count(>) with an attribute on the right",
        r#"each = '{ name = "peer_query" }'
expect = ['count(> { name = "dht_peer_query" }) = span.peers.contacted']"#,
        r#"each = '{ name = "peer_query" }'
expect = ['count(> { name = "dht_peer_query" }) < span.peers.contacted']"#,
        Fail,
    ),
    (
        "count(>>), count(~), count(<), count(<<)",
        r#"each = '{ name = "kad.store_value" }'
expect = ['count(<< { }) = 2', 'count(< { name = "dht.put" }) = 1', 'count(~ { }) = 2', 'count(>> { }) = 0']"#,
        r#"each = '{ name = "p2p.package.publish" }'
expect = ['count(>> { name = "p2p.gossip.propagate" }) > 3']"#,
        Fail,
    ),
    ("none", r#"none = '{ status = error }'"#, r#"none = '{ name = "dht.put" && duration > 40ms }'"#, Fail),
    (
        "any with expect, dump scope",
        r#"any = '{ name = "dht.put" }'
expect = ['span.record_size_bytes = 523']"#,
        r#"any = '{ name = "dht.put" }'
expect = ['span.record_size_bytes = 600']"#,
        Fail,
    ),
    (
        "any with trace scope",
        r#"any = '{ name = "p2p.package.publish" || name = "p2p.package.search" || name = "p2p.swarm.init" || name =~ `^p2p\.(peer|content)\.` }'
scope = "trace""#,
        r#"any = '{ name = "p2p.package.publish" }'
scope = "trace""#,
        Fail,
    ),
    (
        "each with no match is inconclusive",
        r#"each = '{ name = "dht.put" }'"#,
        r#"each = '{ name = "dht.get" }'
expect = ['duration < 1s']"#,
        Inconclusive,
    ),
    (
        "aggregates count, min, max, mean, sum",
        r#"each = '{ name = "dht.put" }'
aggregate = ['count() = 12', 'min(span.record_size_bytes) = 512', 'max(span.record_size_bytes) = 523', 'mean(duration) = 48ms', 'sum(span.record_size_bytes) = 6210']"#,
        r#"each = '{ name = "dht.put" }'
aggregate = ['count() > 12']"#,
        Fail,
    ),
    (
        "percentiles p50, p90, p95, p99",
        r#"each = '{ name = "dht.put" }'
aggregate = ['p50(span.record_size_bytes) = 517', 'p90(span.record_size_bytes) = 522', 'p95(span.record_size_bytes) = 523', 'p99(duration) <= 48ms']"#,
        r#"each = '{ name = "dht.put" }'
aggregate = ['p50(span.record_size_bytes) = 518']"#,
        Fail,
    ),
    (
        "error_rate",
        r#"each = '{ name =~ `^p2p\.` }'
aggregate = ['error_rate() = 0', 'error_rate() < 1%']"#,
        r#"each = '{ name =~ `^p2p\.` }'
aggregate = ['error_rate() > 0']"#,
        Fail,
    ),
    (
        "group_by: one result per group",
        r#"each = '{ name =~ `^p2p\.package\.` }'
group_by = ["name"]
aggregate = ['count() = 12']"#,
        r#"each = '{ name =~ `^p2p\.package\.` }'
group_by = ["name", "resource.service.instance.id"]
aggregate = ['count() = 12']"#,
        Fail,
    ),
    (
        "trace-scope aggregates",
        r#"each = '{ name = "p2p.gossip.propagate" }'
scope = "trace"
aggregate = ['count() = 3']"#,
        r#"each = '{ name = "p2p.gossip.propagate" }'
scope = "trace"
aggregate = ['count() = 2']"#,
        Fail,
    ),
    (
        "min_samples makes a percentile over too few spans inconclusive",
        r#"each = '{ name = "dht.put" }'
min_samples = 12
aggregate = ['p99(duration) < 500ms']"#,
        r#"each = '{ name = "dht.put" }'
min_samples = 13
aggregate = ['p99(duration) < 500ms']"#,
        Inconclusive,
    ),
    (
        "a non-numeric aggregate is an error",
        r#"each = '{ name = "dht.put" }'
aggregate = ['max(span.record_size_bytes) < 1000']"#,
        r#"each = '{ name = "dht.put" }'
aggregate = ['max(span.kad.key) < 1000']"#,
        Error,
    ),
    (
        "children_in_order",
        r#"each = '{ name = "p2p.package.publish" }'
children_in_order = ['{ name = "p2p.package.validate" }', '{ name = "dht.put" }', '{ name = "gossipsub.publish" }']"#,
        r#"each = '{ name = "p2p.package.publish" }'
children_in_order = ['{ name = "gossipsub.publish" }', '{ name = "dht.put" }']"#,
        Fail,
    ),
];

#[test]
fn every_construct_passes_and_fails_as_asserted() {
    let mut wrong = Vec::new();
    for (construct, good, bad, want) in CASES {
        let (got, findings) = outcome(good);
        if got != Pass || findings != 0 {
            wrong.push(format!("{construct}: passing rule gave {got:?} with {findings} finding(s)"));
        }
        let (got, findings) = outcome(bad);
        if got != *want {
            wrong.push(format!("{construct}: other rule gave {got:?}, expected {want:?}"));
        }
        if got == Fail && findings == 0 {
            wrong.push(format!("{construct}: failed without findings"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn within_parent_passes_nested_spans_and_fails_a_child_outliving_its_parent() {
    let nested = run_on(HEALTHY, "each = '{ parent.name != nil }'\nwithin_parent = true");
    assert_eq!((nested.rules[0].outcome, nested.rules[0].findings), (Pass, 0), "{:#?}", nested.rules);
    // The T004 fixture: a child on the same host ends after its parent.
    let file = "sample-traces/checks/T004-child-ends-after-parent.jsonl";
    let r = run_on(file, "each = '{ parent.name != nil }'\nwithin_parent = true");
    assert_eq!(r.rules[0].outcome, Fail, "{:#?}", r.rules);
    let f = r.findings.iter().find(|f| f.code.as_str() == "R").expect("a finding of R");
    assert!(f.actual.as_deref().is_some_and(|a| a.contains("after its parent")), "{f:?}");
    assert_eq!(f.span_ids.len(), 2, "the span and its parent: {f:?}");
}

#[test]
fn event_fields_are_existential() {
    let line = |events: &str| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"op","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000","status":{{"code":2}},"events":[{events}]}}]}}]}}]}}"#
        )
    };
    let rule = "each = '{ status = error }'\nexpect = ['event.name = \"exception\" && event.exception.type != nil']";
    let with = line(
        r#"{"name":"retry","timeUnixNano":"1500"},{"name":"exception","timeUnixNano":"1600","attributes":[{"key":"exception.type","value":{"stringValue":"IOError"}}]}"#,
    );
    let r = report_with_rules_bytes(&[("e.jsonl", with.as_bytes())], &pack(rule), Severity::Error);
    assert_eq!(r.rules[0].outcome, Pass, "{:#?}", r.rules[0]);
    let without = line(r#"{"name":"retry","timeUnixNano":"1500"}"#);
    let r = report_with_rules_bytes(&[("e.jsonl", without.as_bytes())], &pack(rule), Severity::Error);
    assert_eq!(r.rules[0].outcome, Fail);
    let f = r.findings.iter().find(|f| f.code.as_str() == "R").expect("finding");
    assert_eq!(f.actual.as_deref(), Some(r#"event.name = ["retry"], event.exception.type = [nil]"#));
}

#[test]
fn severity_and_fail_on_decide_the_exit_code() {
    let rule = "severity = \"warning\"\neach = '{ name = \"dht.put\" }'\nexpect = ['duration < 10ms']";
    let at_error = report_with_rules(&[HEALTHY], &pack(rule), Severity::Error);
    assert_eq!((at_error.rules[0].outcome, at_error.verdict.exit_code), (Fail, 0));
    let at_warning = report_with_rules(&[HEALTHY], &pack(rule), Severity::Warning);
    assert_eq!(at_warning.verdict.exit_code, 1);
    assert_eq!(at_warning.rules[0].findings, 12);
}

#[test]
fn inconclusive_fails_the_run_unless_allowed() {
    let r = run_on(HEALTHY, "each = '{ name = \"dht.get\" }'");
    assert_eq!(r.verdict.exit_code, 1, "{}", r.verdict.reason);
    assert!(r.verdict.reason.contains("inconclusive (R)"), "{}", r.verdict.reason);
    let r = run_on(HEALTHY, "each = '{ name = \"dht.get\" }'\nallow_inconclusive = true");
    assert_eq!((r.rules[0].outcome, r.verdict.exit_code), (Inconclusive, 0));
}

#[test]
fn a_rule_error_exits_2() {
    let r = run_on(HEALTHY, "each = '{ name = \"dht.put\" }'\naggregate = ['max(span.kad.key) < 5']");
    assert_eq!(r.verdict.exit_code, 2);
    assert!(r.rules[0].reason.contains("span.kad.key is a string"), "{}", r.rules[0].reason);
}

#[test]
fn suppressions_need_a_reason_silence_findings_and_are_counted() {
    let body = "each = '{ name = \"dht.put\" }'\nexpect = ['span.record_size_bytes < 520']\n\n\
        [[suppress]]\nrule = \"R\"\nreason = \"sizes above 520 are the test packages\"\n\
        where = '{ span.record_size_bytes >= 520 }'\n";
    let r = run_on(HEALTHY, body);
    assert_eq!(r.rules[0].outcome, Pass, "{:#?}", r.rules[0]);
    assert_eq!((r.rules[0].suppressed, r.summary.suppressed), (4, 4));
    assert_eq!(r.suppressions[0].suppressed, 4);
    // A narrower suppression leaves the rest as findings.
    let narrow = body.replace(">= 520", ">= 522");
    let r = run_on(HEALTHY, &narrow);
    assert_eq!((r.rules[0].outcome, r.rules[0].findings, r.rules[0].suppressed), (Fail, 2, 2));
    // Built-in codes can be suppressed too.
    let builtin = "none = '{ name = \"x\" }'\n\n[[suppress]]\nrule = \"T004\"\nreason = \"known slow consumer\"\n";
    let r = run_on("sample-traces/checks/T004-child-ends-after-parent.jsonl", builtin);
    assert!(r.findings.iter().all(|f| f.code.as_str() != "T004"), "{:#?}", r.findings);
    assert!(r.summary.suppressed >= 1);
}

#[test]
fn rule_findings_say_expected_actual_and_where() {
    let r = run_on(
        HEALTHY,
        "hint = \"keep records small\"\neach = '{ name = \"dht.put\" }'\nexpect = ['span.record_size_bytes < 523']",
    );
    let f = r.findings.iter().find(|f| f.code.as_str() == "R").expect("a finding");
    assert_eq!(f.expected.as_deref(), Some("span.record_size_bytes < 523"));
    assert_eq!(f.actual.as_deref(), Some("span.record_size_bytes = 523"));
    assert_eq!(f.hint.as_deref(), Some("keep records small"));
    assert!(f.trace_id.is_some() && f.span_ids.len() == 1);
    assert!(f.source.as_deref().is_some_and(|s| s.starts_with("sample-traces/p2p/healthy.jsonl:")), "{f:?}");
}
