//! Per-trace evaluation: quantifiers, expectations, children order and containment, and
//! the samples aggregates need.

use super::RuleSet;
use super::aggregate::judge_group;
use super::eval::{Cx, Rv};
use super::outcome::RuleOutcome;
use super::pack::{Quantifier, Rule, Scope};
use super::partial::{GroupAcc, GroupKey, KeyPart, KeyVal, Tally, TracePartial};
use crate::finding::{CheckId, Finding, RuleDetail};
use crate::graph::TraceGraph;
use crate::model::time::fmt_ns;
use crate::model::{Dump, Span, SpanId, SpanRef, StatusCode, Sym};
use std::collections::HashMap;

/// Builds a rule finding.
pub(super) fn rule_finding(rule: &Rule, span: Option<SpanRef>, expected: String, actual: String) -> Finding {
    let mut f = bare_finding(rule, span);
    describe(&mut f, rule, expected, actual);
    f
}

/// A rule finding without its text: code, severity, ids and location.
fn bare_finding(rule: &Rule, span: Option<SpanRef>) -> Finding {
    Finding {
        code: CheckId::Rule(rule.id.clone()),
        severity: rule.severity,
        trace_id: span.map(|s| s.trace_id),
        span_ids: span.map(|s| s.span_id).into_iter().collect(),
        message: String::new(),
        loc: span.map(|s| s.loc),
        detail: None,
    }
}

fn describe(f: &mut Finding, rule: &Rule, expected: String, actual: String) {
    f.message = format!("{}: expected {expected}; found {actual}", rule.title);
    f.detail = Some(Box::new(RuleDetail { expected, actual, hint: rule.hint.clone() }));
}

/// Adds a finding of `rule` about `span` (and `more` span ids) to `out`. Its text, which
/// `text` makes, is written only when `listed` says the finding may be listed in the report
/// (or written out): a rule failing on every span costs a count, not a message per span.
fn emit(
    rule: &Rule,
    dump: &Dump,
    span: &Span,
    more: &[SpanId],
    listed: &dyn Fn(&Finding) -> bool,
    out: &mut Vec<Finding>,
    text: impl FnOnce() -> (String, String),
) {
    let mut f = bare_finding(rule, Some(SpanRef::of(dump, span)));
    f.span_ids.extend_from_slice(more);
    if listed(&f) {
        let (expected, actual) = text();
        describe(&mut f, rule, expected, actual);
        if dump.span_lost_data(span) {
            f.message.push_str(
                " (the SDK dropped attributes, events or links of this span, its scope or its resource: see A005; this outcome may depend on data not in the dump)",
            );
        }
    }
    out.push(f);
}

impl RuleSet {
    /// Evaluates every rule on one trace, adding what it finds to `p`. `listed(f)` tells
    /// whether a finding may be listed (or written out) given its code, severity, ids and
    /// location; the text of the findings it rejects is not made, and they are only counted.
    pub fn eval_trace(
        &self,
        dump: &Dump,
        syms: &[Option<Sym>],
        graph: &TraceGraph,
        p: &mut TracePartial,
        listed: &dyn Fn(&Finding) -> bool,
    ) {
        let cx = Cx::trace(dump, self.tables(), syms, graph).with_memo(&p.memo);
        let rules = self.rules();
        if p.tallies.len() < rules.len() {
            p.tallies.resize(rules.len(), Tally::default());
        }
        for (ri, rule) in rules.iter().enumerate() {
            let mask = cx.select(&rule.selector.compiled);
            let matches: Vec<usize> = (0..mask.len()).filter(|&k| mask[k]).collect();
            p.tallies[ri].matched += matches.len() as u64;
            match rule.quantifier {
                Quantifier::Each => {
                    for &k in &matches {
                        check_match(&cx, rule, k, listed, &mut p.findings);
                    }
                }
                Quantifier::Any => {
                    let sat =
                        matches.iter().filter(|&&k| rule.expect.iter().all(|e| cx.test_node(&e.compiled, k))).count();
                    p.tallies[ri].satisfied += sat as u64;
                    if rule.scope == Scope::Trace && sat == 0 {
                        let root = graph.roots.first().map_or(0, |r| r.index());
                        let actual = format!("none in this trace ({} span(s) matched the selector)", matches.len());
                        let at = SpanRef::of(cx.dump, cx.span(root));
                        p.findings.push(rule_finding(rule, Some(at), expected_any(rule), actual));
                    }
                }
                Quantifier::None => {
                    let last = rule.selector.compiled.last_filter();
                    for &k in &matches {
                        let span = cx.span(k);
                        emit(rule, dump, span, &[], listed, &mut p.findings, || {
                            let actual =
                                format!("{:?} matches ({})", dump.str(span.name), cx.actual(last, span, Some(k)));
                            (format!("no span matching {}", rule.selector.text), actual)
                        });
                    }
                }
            }
            if !rule.aggregates.is_empty() && !matches.is_empty() {
                let groups = collect_groups(&cx, rule, &matches);
                match rule.scope {
                    Scope::Dump => {
                        for (key, acc) in groups {
                            p.groups.entry((ri as u32, key)).or_default().merge(acc);
                        }
                    }
                    Scope::Trace => {
                        let mut groups: Vec<(Option<String>, GroupKey, GroupAcc)> =
                            groups.into_iter().map(|(k, a)| (group_label(&cx, rule, &k), k, a)).collect();
                        groups.sort_by(|a, b| a.0.cmp(&b.0));
                        let fallback = graph.roots.first().map(|r| SpanRef::of(dump, cx.span(r.index())));
                        let at = |i: u32| dump.spans.get(i as usize).map(|s| SpanRef::of(dump, s));
                        let trace = graph.trace_id;
                        for (label, _, mut acc) in groups {
                            for a in judge_group(&at, rule, &mut acc, label, fallback, "this trace", &mut p.findings) {
                                let t = &mut p.tallies[ri];
                                match a.outcome {
                                    RuleOutcome::Inconclusive => {
                                        t.inconclusive += 1;
                                        t.inconclusive_reason.get_or_insert_with(|| (trace, a.why()));
                                    }
                                    RuleOutcome::Error => {
                                        t.error.get_or_insert_with(|| (trace, a.reason.clone().unwrap_or_default()));
                                    }
                                    RuleOutcome::Pass | RuleOutcome::Fail => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn expected_any(rule: &Rule) -> String {
    let mut e = format!("at least one span matching {}", rule.selector.text);
    if !rule.expect.is_empty() {
        let list: Vec<&str> = rule.expect.iter().map(|e| e.text.as_str()).collect();
        e.push_str(&format!(" with {}", list.join(" and ")));
    }
    if rule.scope == Scope::Trace {
        e.push_str(" in every trace");
    }
    e
}

pub(super) fn group_label(cx: &Cx<'_>, rule: &Rule, key: &GroupKey) -> Option<String> {
    if rule.group_by.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        rule.group_by.iter().zip(key).map(|(f, k)| format!("{} = {}", f.display(), cx.show(k.value()))).collect();
    Some(parts.join(", "))
}

/// [`group_label`] of a key with its strings spelled out.
pub(super) fn key_label(rule: &Rule, key: &[KeyVal]) -> Option<String> {
    if rule.group_by.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        rule.group_by.iter().zip(key).map(|(f, k)| format!("{} = {}", f.display(), k.show())).collect();
    Some(parts.join(", "))
}

pub(super) fn collect_groups(cx: &Cx<'_>, rule: &Rule, matches: &[usize]) -> HashMap<GroupKey, GroupAcc> {
    let mut groups: HashMap<GroupKey, GroupAcc> = HashMap::new();
    for &k in matches {
        let span = cx.span(k);
        let key: GroupKey = rule.group_by.iter().map(|f| KeyPart::of(cx.field(f, span, Some(k)))).collect();
        let acc = groups.entry(key).or_default();
        acc.matched += 1;
        acc.errors += u64::from(span.status == StatusCode::Error);
        acc.values.resize_with(rule.aggregates.len(), Vec::new);
        for (ai, agg) in rule.aggregates.iter().enumerate() {
            let Some(field) = &agg.compiled.arg else { continue };
            let v = cx.field(field, span, Some(k));
            match v.number() {
                Some(x) => acc.values[ai].push((x, cx.graph.map_or(0, |g| g.spans[k]))),
                None if v == Rv::Nil => {}
                None => {
                    acc.bad.get_or_insert_with(|| {
                        (
                            span.trace_id,
                            format!(
                                "{} is {} ({}) on span {} ({}); aggregates need numbers",
                                field.display(),
                                v.type_name(),
                                cx.show(v),
                                span.span_id,
                                cx.dump.location(cx.dump.loc(span))
                            ),
                        )
                    });
                }
            }
        }
    }
    groups
}

/// Checks one match of an `each` rule: expectations, children order, containment.
pub(super) fn check_match(
    cx: &Cx<'_>,
    rule: &Rule,
    k: usize,
    listed: &dyn Fn(&Finding) -> bool,
    out: &mut Vec<Finding>,
) {
    let span = cx.span(k);
    for e in &rule.expect {
        if !cx.test_node(&e.compiled, k) {
            emit(rule, cx.dump, span, &[], listed, out, || (e.text.clone(), cx.actual(&e.compiled, span, Some(k))));
        }
    }
    if !rule.children_in_order.is_empty() {
        check_order(cx, rule, k, listed, out);
    }
    if rule.within_parent {
        let g = cx.graph.expect("rules run on trace graphs");
        if let Some(p) = g.parent[k] {
            let parent = cx.span(p.index());
            // One clock needs no tolerance (as in the built-in checks).
            let tol = if cx.dump.same_clock(parent, span) { 0 } else { rule.tolerance };
            let times = span.start != 0 && span.end != 0 && parent.start != 0 && parent.end != 0;
            if times {
                let early = parent.start.saturating_sub(span.start);
                let late = span.end.saturating_sub(parent.end);
                if early > tol || late > tol {
                    emit(rule, cx.dump, span, &[parent.span_id], listed, out, || {
                        let actual = if early > tol {
                            format!("starts {} before its parent", fmt_ns(early))
                        } else {
                            format!("ends {} after its parent", fmt_ns(late))
                        };
                        let expected =
                            format!("within its parent {:?} (tolerance {})", cx.dump.str(parent.name), fmt_ns(tol));
                        (expected, actual)
                    });
                }
            }
        }
    }
}

pub(super) fn check_order(
    cx: &Cx<'_>,
    rule: &Rule,
    k: usize,
    listed: &dyn Fn(&Finding) -> bool,
    out: &mut Vec<Finding>,
) {
    let span = cx.span(k);
    let children = cx.related(super::lang::Relation::Child, k);
    let sets: Vec<Vec<usize>> = rule
        .children_in_order
        .iter()
        .map(|p| children.iter().copied().filter(|&c| cx.test_node(&p.compiled, c)).collect())
        .collect();
    let order_text = rule.children_in_order.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" then ");
    for (i, set) in sets.iter().enumerate() {
        if set.is_empty() {
            let present: Vec<String> =
                children.iter().map(|&c| format!("{:?}", cx.dump.str(cx.span(c).name))).collect();
            emit(rule, cx.dump, span, &[], listed, out, || {
                let actual = if present.is_empty() {
                    "no children".to_string()
                } else {
                    format!("no child matching {}; children: {}", rule.children_in_order[i].text, present.join(", "))
                };
                (format!("children in order: {order_text}"), actual)
            });
            return;
        }
    }
    for i in 1..sets.len() {
        // The latest end among the earlier group against the earliest start of the later.
        let last_end =
            sets[i - 1].iter().map(|&c| cx.span(c)).filter(|s| s.end != 0).max_by_key(|s| (s.end, s.span_id));
        let first_start =
            sets[i].iter().map(|&c| cx.span(c)).filter(|s| s.start != 0).min_by_key(|s| (s.start, s.span_id));
        if let (Some(a), Some(b)) = (last_end, first_start)
            && b.start.saturating_add(if cx.dump.same_clock(a, b) { 0 } else { rule.tolerance }) < a.end
        {
            emit(rule, cx.dump, span, &[a.span_id, b.span_id], listed, out, || {
                let actual = format!(
                    "{:?} ({}) starts {} before {:?} ({}) ends",
                    cx.dump.str(b.name),
                    b.span_id,
                    fmt_ns(a.end - b.start),
                    cx.dump.str(a.name),
                    a.span_id
                );
                (format!("children in order: {order_text}"), actual)
            });
        }
    }
}
