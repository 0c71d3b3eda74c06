//! Running rules: per-trace evaluation (quantifiers, expectations, order and containment,
//! samples for aggregates), the dump-wide settlement of each rule's outcome, and
//! suppressions.

use super::RuleSet;
use super::compile::{Aggregate, Function, Lit};
use super::eval::{Cx, RegexMemo, Rv};
use super::pack::{Quantifier, Rule, Scope, Sourced, Target};
use crate::checks::{CheckId, Finding, RuleDetail, Severity};
use crate::graph::{TraceGraph, Traces};
use crate::model::time::fmt_ns;
use crate::model::{Dump, Span, SpanKind, SpanRef, StatusCode, Sym, ValueType};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The outcome of a rule (or of one aggregate group).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleOutcome {
    Pass,
    /// Nothing to judge: no span matched, or too few samples.
    Inconclusive,
    Fail,
    /// The rule cannot be evaluated as written (for example a non-numeric aggregate).
    Error,
}

impl RuleOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Pass => "pass",
            RuleOutcome::Inconclusive => "inconclusive",
            RuleOutcome::Fail => "fail",
            RuleOutcome::Error => "error",
        }
    }
}

/// One aggregate over one group of matches (dump scope).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AggregateResult {
    pub aggregate: String,
    /// `name = "dht.put"` for rules with `group_by`.
    pub group: Option<String>,
    pub samples: u64,
    /// The aggregate's value as text (`612.00ms`, `0.25`).
    pub value: Option<String>,
    pub outcome: RuleOutcome,
    /// Why it is inconclusive or an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What became of one rule.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleResult {
    pub id: Arc<str>,
    pub pack: String,
    pub title: String,
    pub severity: Severity,
    pub quantifier: Quantifier,
    pub outcome: RuleOutcome,
    /// Spans the selector matched.
    pub matched: u64,
    /// Findings reported (after suppressions).
    pub findings: u64,
    pub suppressed: u64,
    pub allow_inconclusive: bool,
    /// One line on why the outcome is what it is.
    pub reason: String,
    pub aggregates: Vec<AggregateResult>,
    /// `file:line` of the rule.
    pub source: String,
    #[serde(skip)]
    inconclusive: Option<String>,
    #[serde(skip)]
    error: Option<String>,
    #[serde(skip)]
    raw_findings: u64,
}

impl RuleResult {
    /// Whether this result fails a run that fails on `fail_on`.
    pub fn fails_run(&self, fail_on: Severity) -> bool {
        match self.outcome {
            RuleOutcome::Fail => self.severity >= fail_on,
            RuleOutcome::Inconclusive => !self.allow_inconclusive && self.severity >= fail_on,
            RuleOutcome::Error => true,
            RuleOutcome::Pass => false,
        }
    }

    fn settle(&mut self) {
        let (outcome, reason) = if let Some(e) = &self.error {
            (RuleOutcome::Error, e.clone())
        } else if self.findings > 0 {
            (RuleOutcome::Fail, format!("{} finding(s) on {} matched span(s)", self.findings, self.matched))
        } else if let Some(why) = &self.inconclusive {
            (RuleOutcome::Inconclusive, why.clone())
        } else if self.suppressed > 0 {
            (RuleOutcome::Pass, format!("{} matched span(s); {} finding(s) suppressed", self.matched, self.suppressed))
        } else {
            (RuleOutcome::Pass, format!("{} matched span(s), all as expected", self.matched))
        };
        self.outcome = outcome;
        self.reason = reason;
    }
}

/// How many findings a suppression silenced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SuppressionResult {
    pub rule: String,
    pub reason: String,
    pub suppressed: u64,
    pub source: String,
}

/// A group key part: a field value that can be hashed and ordered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum KeyPart {
    Nil,
    Str(Sym),
    Int(i64),
    Float(u64),
    Bool(bool),
    Duration(u64),
    Status(StatusCode),
    Kind(SpanKind),
    Other(ValueType),
}

impl KeyPart {
    fn of(v: Rv) -> KeyPart {
        match v {
            Rv::Nil | Rv::Text(_) => KeyPart::Nil,
            Rv::Str(s) => KeyPart::Str(s),
            Rv::Int(n) => KeyPart::Int(n),
            Rv::Float(f) => KeyPart::Float(f.to_bits()),
            Rv::Bool(b) => KeyPart::Bool(b),
            Rv::Duration(d) => KeyPart::Duration(d),
            Rv::Status(s) => KeyPart::Status(s),
            Rv::Kind(k) => KeyPart::Kind(k),
            Rv::Other(t) => KeyPart::Other(t),
        }
    }

    fn value(self) -> Rv {
        match self {
            KeyPart::Nil => Rv::Nil,
            KeyPart::Str(s) => Rv::Str(s),
            KeyPart::Int(n) => Rv::Int(n),
            KeyPart::Float(b) => Rv::Float(f64::from_bits(b)),
            KeyPart::Bool(b) => Rv::Bool(b),
            KeyPart::Duration(d) => Rv::Duration(d),
            KeyPart::Status(s) => Rv::Status(s),
            KeyPart::Kind(k) => Rv::Kind(k),
            KeyPart::Other(t) => Rv::Other(t),
        }
    }
}

type GroupKey = Vec<KeyPart>;

/// Matches of one group: counts and, per aggregate with an argument, its values with the
/// span (dump index) each came from.
#[derive(Debug, Default)]
struct GroupAcc {
    matched: u64,
    errors: u64,
    values: Vec<Vec<(f64, u32)>>,
    /// The first value that is not a number, described.
    bad: Option<String>,
}

impl GroupAcc {
    fn merge(&mut self, other: GroupAcc) {
        self.matched += other.matched;
        self.errors += other.errors;
        if self.values.len() < other.values.len() {
            self.values.resize_with(other.values.len(), Vec::new);
        }
        for (a, b) in self.values.iter_mut().zip(other.values) {
            a.extend(b);
        }
        self.bad = self.bad.take().or(other.bad);
    }
}

/// Per-rule counts from the traces seen so far.
#[derive(Clone, Debug, Default)]
struct Tally {
    matched: u64,
    /// `any`: matches satisfying every expectation.
    satisfied: u64,
    /// Trace-scope aggregates: groups that were inconclusive, with the first reason.
    inconclusive: u64,
    inconclusive_reason: Option<String>,
    error: Option<String>,
}

/// What the rules found in some traces; merged across traces, then settled by
/// [`RuleSet::finish`].
#[derive(Debug, Default)]
pub struct TracePartial {
    pub findings: Vec<Finding>,
    tallies: Vec<Tally>,
    groups: HashMap<(u32, GroupKey), GroupAcc>,
    /// Regex outcomes of the worker filling this partial (not merged: only a cache).
    memo: RegexMemo,
}

impl TracePartial {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: TracePartial) {
        self.findings.extend(other.findings);
        if self.tallies.len() < other.tallies.len() {
            self.tallies.resize(other.tallies.len(), Tally::default());
        }
        for (a, b) in self.tallies.iter_mut().zip(other.tallies) {
            a.matched += b.matched;
            a.satisfied += b.satisfied;
            a.inconclusive += b.inconclusive;
            a.inconclusive_reason = a.inconclusive_reason.take().or(b.inconclusive_reason);
            a.error = a.error.take().or(b.error);
        }
        for (k, v) in other.groups {
            self.groups.entry(k).or_default().merge(v);
        }
    }

    /// Rewrites the dump indexes that kept values carry through `global` (index in one
    /// partition → index in the whole dump), before partitions are merged.
    pub fn globalize(&mut self, global: &[u32]) {
        for acc in self.groups.values_mut() {
            for v in acc.values.iter_mut().flatten() {
                v.1 = global[v.1 as usize];
            }
        }
    }
}

/// Builds a rule finding.
fn rule_finding(rule: &Rule, span: Option<SpanRef>, expected: String, actual: String) -> Finding {
    Finding {
        code: CheckId::Rule(rule.id.clone()),
        severity: rule.severity,
        trace_id: span.map(|s| s.trace_id),
        span_ids: span.map(|s| s.span_id).into_iter().collect(),
        message: format!("{}: expected {expected}; found {actual}", rule.title),
        loc: span.map(|s| s.loc),
        detail: Some(Box::new(RuleDetail { expected, actual, hint: rule.hint.clone() })),
    }
}

fn numeric_rhs(l: &Lit) -> f64 {
    match l {
        Lit::Int(n) => *n as f64,
        Lit::Float(f) => *f,
        Lit::Duration(d) => *d as f64,
        _ => f64::NAN,
    }
}

fn holds(v: f64, op: super::lang::CmpOp, rhs: f64) -> bool {
    use super::lang::CmpOp::*;
    match op {
        Eq => v == rhs,
        Ne => v != rhs,
        Lt => v < rhs,
        Le => v <= rhs,
        Gt => v > rhs,
        Ge => v >= rhs,
        Match | NotMatch => false,
    }
}

/// An aggregate evaluated over one group.
struct AggValue {
    value: Option<f64>,
    /// The span the value was read from (percentiles, min, max).
    span: Option<u32>,
    samples: u64,
    outcome: RuleOutcome,
    reason: Option<String>,
}

fn evaluate(agg: &Aggregate, index: usize, acc: &mut GroupAcc, min_samples: usize) -> AggValue {
    let done = |value: f64, span: Option<u32>, samples: u64| AggValue {
        value: Some(value),
        span,
        samples,
        outcome: if holds(value, agg.op, numeric_rhs(&agg.rhs)) { RuleOutcome::Pass } else { RuleOutcome::Fail },
        reason: None,
    };
    let inconclusive = |samples: u64, why: String| AggValue {
        value: None,
        span: None,
        samples,
        outcome: RuleOutcome::Inconclusive,
        reason: Some(why),
    };
    // Count and error rate need no values; the rest are statistics over the values.
    let stat = match agg.function {
        Function::Count => return done(acc.matched as f64, None, acc.matched),
        Function::ErrorRate if acc.matched == 0 => return inconclusive(0, "no spans to take an error rate of".into()),
        Function::ErrorRate => return done(acc.errors as f64 / acc.matched as f64, None, acc.matched),
        Function::Min => Stat::Min,
        Function::Max => Stat::Max,
        Function::Sum => Stat::Sum,
        Function::Mean => Stat::Mean,
        Function::Percentile(p) => Stat::Percentile(p),
    };
    if let Some(bad) = &acc.bad {
        return AggValue {
            value: None,
            span: None,
            samples: 0,
            outcome: RuleOutcome::Error,
            reason: Some(bad.clone()),
        };
    }
    let values = match acc.values.get_mut(index) {
        Some(v) if !v.is_empty() => v,
        _ => return inconclusive(0, "no values to aggregate".into()),
    };
    let n = values.len() as u64;
    values.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    match stat {
        Stat::Min => done(values[0].0, Some(values[0].1), n),
        Stat::Max => {
            let last = values[values.len() - 1];
            done(last.0, Some(last.1), n)
        }
        Stat::Sum => done(values.iter().map(|v| v.0).sum(), None, n),
        Stat::Mean => done(values.iter().map(|v| v.0).sum::<f64>() / n as f64, None, n),
        Stat::Percentile(_) if values.len() < min_samples => {
            inconclusive(n, format!("{n} sample(s), fewer than min_samples = {min_samples}"))
        }
        Stat::Percentile(p) => match crate::stats::nearest_rank(values, p) {
            Some((v, span)) => done(v, Some(span), n),
            None => inconclusive(0, "no values to aggregate".into()),
        },
    }
}

/// Statistics over the values of a group.
enum Stat {
    Min,
    Max,
    Sum,
    Mean,
    Percentile(f64),
}

impl AggregateResult {
    /// Why the result is inconclusive or an error, naming the aggregate and its group.
    fn why(&self) -> String {
        let group = self.group.as_ref().map(|g| format!(" for {g}")).unwrap_or_default();
        format!("{}{group}: {}", self.aggregate, self.reason.as_deref().unwrap_or_default())
    }
}

/// Evaluates every aggregate of `rule` over one group of matches. A failure becomes a
/// finding in `out`, at the span holding the value (else at `fallback`); returns one result
/// per aggregate.
fn judge_group(
    span_at: &dyn Fn(u32) -> Option<SpanRef>,
    rule: &Rule,
    acc: &mut GroupAcc,
    label: Option<String>,
    fallback: Option<SpanRef>,
    over: &str,
    out: &mut Vec<Finding>,
) -> Vec<AggregateResult> {
    let mut results = Vec::with_capacity(rule.aggregates.len());
    for (ai, agg) in rule.aggregates.iter().enumerate() {
        let v = evaluate(&agg.compiled, ai, acc, rule.min_samples);
        if v.outcome == RuleOutcome::Fail {
            let span = v.span.and_then(span_at).or(fallback);
            out.push(aggregate_finding(rule, agg, label.as_deref(), &v, span, over));
        }
        results.push(AggregateResult {
            aggregate: agg.text.clone(),
            group: label.clone(),
            samples: v.samples,
            value: v.value.map(|x| show_agg_value(&agg.compiled, x)),
            outcome: v.outcome,
            reason: v.reason,
        });
    }
    results
}

fn show_agg_value(agg: &Aggregate, v: f64) -> String {
    let is_duration = agg.arg.as_ref().is_some_and(|f| f.ty() == super::compile::Ty::Duration);
    match agg.function {
        Function::Count => format!("{v}"),
        Function::ErrorRate => format!("{:.4}", v),
        _ if is_duration => fmt_ns(v.round() as u64),
        _ if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => format!("{v:.4}"),
    }
}

impl RuleSet {
    /// Evaluates every rule on one trace, adding what it finds to `p`.
    pub fn eval_trace(&self, dump: &Dump, syms: &[Option<Sym>], graph: &TraceGraph, p: &mut TracePartial) {
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
                        check_match(&cx, rule, k, &mut p.findings);
                    }
                }
                Quantifier::Any => {
                    let sat =
                        matches.iter().filter(|&&k| rule.expect.iter().all(|e| cx.test_node(&e.compiled, k))).count();
                    p.tallies[ri].satisfied += sat as u64;
                    if rule.scope == Scope::Trace && sat == 0 {
                        let root = graph.roots.first().map_or(0, |r| r.index());
                        let actual = format!("none in this trace ({} span(s) matched the selector)", matches.len());
                        let at = SpanRef::of(cx.span(root));
                        p.findings.push(rule_finding(rule, Some(at), expected_any(rule), actual));
                    }
                }
                Quantifier::None => {
                    let last = rule.selector.compiled.rest.last().map_or(&rule.selector.compiled.first, |(_, p)| p);
                    for &k in &matches {
                        let span = cx.span(k);
                        let actual = format!("{:?} matches ({})", dump.str(span.name), cx.actual(last, span, Some(k)));
                        p.findings.push(rule_finding(
                            rule,
                            Some(SpanRef::of(span)),
                            format!("no span matching {}", rule.selector.text),
                            actual,
                        ));
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
                        let fallback = graph.roots.first().map(|r| SpanRef::of(cx.span(r.index())));
                        let at = |i: u32| dump.spans.get(i as usize).map(SpanRef::of);
                        for (label, _, mut acc) in groups {
                            for a in judge_group(&at, rule, &mut acc, label, fallback, "this trace", &mut p.findings) {
                                let t = &mut p.tallies[ri];
                                match a.outcome {
                                    RuleOutcome::Inconclusive => {
                                        t.inconclusive += 1;
                                        t.inconclusive_reason.get_or_insert_with(|| a.why());
                                    }
                                    RuleOutcome::Error => {
                                        t.error.get_or_insert_with(|| a.reason.clone().unwrap_or_default());
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

    /// Settles every rule over the dump: `any` and `each` with no matches, dump-scope
    /// aggregates. `span_at` names the span of a dump index, as the values of `merged` hold
    /// them. Returns per-rule results (outcomes settled by [`RuleSet::suppress`]) and the
    /// findings of all rules.
    pub fn finish(
        &self,
        dump: &Dump,
        syms: &[Option<Sym>],
        mut merged: TracePartial,
        span_at: &dyn Fn(u32) -> Option<SpanRef>,
    ) -> (Vec<RuleResult>, Vec<Finding>) {
        let cx = Cx::span_only(dump, self.tables(), syms);
        let rules = self.rules();
        merged.tallies.resize(rules.len(), Tally::default());
        let mut groups: BTreeMap<(u32, GroupKey), GroupAcc> = merged.groups.into_iter().collect();
        let mut findings = merged.findings;
        let mut results = Vec::with_capacity(rules.len());
        for (ri, rule) in rules.iter().enumerate() {
            let t = &merged.tallies[ri];
            let mut inconclusive = t.inconclusive_reason.clone().map(|r| {
                if t.inconclusive > 1 { format!("{r} (and {} more trace group(s))", t.inconclusive - 1) } else { r }
            });
            let mut error = t.error.clone();
            if rule.quantifier == Quantifier::Each && t.matched == 0 {
                inconclusive = Some(format!("no span matched {}", rule.selector.text));
            }
            if rule.quantifier == Quantifier::Any && rule.scope == Scope::Dump && t.satisfied == 0 {
                let actual = if t.matched == 0 {
                    "no span in the dump matched the selector".to_string()
                } else {
                    format!("{} span(s) matched the selector, none satisfied the expectations", t.matched)
                };
                findings.push(rule_finding(rule, None, expected_any(rule), actual));
            }
            let mut aggregates = Vec::new();
            if rule.scope == Scope::Dump && !rule.aggregates.is_empty() {
                // Groups in the order of their printed values: symbols follow input order.
                let mut keys: Vec<(Option<String>, (u32, GroupKey))> = groups
                    .range((ri as u32, Vec::new())..)
                    .take_while(|(k, _)| k.0 == ri as u32)
                    .map(|(k, _)| (group_label(&cx, rule, &k.1), k.clone()))
                    .collect();
                keys.sort();
                if keys.is_empty() && inconclusive.is_none() {
                    inconclusive = Some(format!("no span matched {}", rule.selector.text));
                }
                for (label, key) in keys {
                    let Some(acc) = groups.get_mut(&key) else { continue };
                    for a in judge_group(span_at, rule, acc, label, None, "the dump", &mut findings) {
                        match a.outcome {
                            RuleOutcome::Inconclusive if inconclusive.is_none() => inconclusive = Some(a.why()),
                            RuleOutcome::Error if error.is_none() => error = a.reason.clone(),
                            _ => {}
                        }
                        aggregates.push(a);
                    }
                }
            }
            results.push(RuleResult {
                id: rule.id.clone(),
                pack: self.packs()[rule.pack].name.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                quantifier: rule.quantifier,
                outcome: RuleOutcome::Pass,
                matched: t.matched,
                findings: 0,
                suppressed: 0,
                allow_inconclusive: rule.allow_inconclusive,
                reason: String::new(),
                aggregates,
                source: rule.source.clone(),
                inconclusive,
                error,
                raw_findings: 0,
            });
        }
        for f in &findings {
            if let CheckId::Rule(id) = &f.code
                && let Some(r) = results.iter_mut().find(|r| &r.id == id)
            {
                r.raw_findings += 1;
            }
        }
        (results, findings)
    }

    /// The suppressions that silence `f` if their `where` (when they have one) holds on
    /// its span, in pack order.
    pub fn suppression_candidates<'a>(&'a self, f: &'a Finding) -> impl Iterator<Item = usize> + 'a {
        self.suppressions().iter().enumerate().filter_map(move |(i, s)| {
            let target = match (&s.target, &f.code) {
                (Target::Builtin(a), CheckId::Builtin(b)) => a == b,
                (Target::Rule(a), CheckId::Rule(b)) => a == b,
                _ => false,
            };
            (target
                && s.trace_id.is_none_or(|t| f.trace_id == Some(t))
                && s.span_id.is_none_or(|id| f.span_ids.contains(&id)))
            .then_some(i)
        })
    }

    /// Whether suppression `i` has a `where` selector.
    pub fn suppression_has_where(&self, i: usize) -> bool {
        self.suppressions().get(i).is_some_and(|s| s.where_.is_some())
    }

    /// Whether the `where` of suppression `i` holds on the span `f` is about (its trace and
    /// first span id), looked up in `dump`, whose spans `traces` orders.
    pub fn suppression_where_holds(
        &self,
        dump: &Dump,
        syms: &[Option<Sym>],
        traces: &Traces,
        f: &Finding,
        i: usize,
    ) -> bool {
        let Some(w) = self.suppressions().get(i).and_then(|s| s.where_.as_ref()) else { return true };
        let cx = Cx::span_only(dump, self.tables(), syms);
        let span_of = || -> Option<&Span> {
            let (t, s) = (f.trace_id?, *f.span_ids.first()?);
            let k = traces.order.partition_point(|&i| {
                let x = &dump.spans[i as usize];
                (x.trace_id, x.span_id) < (t, s)
            });
            traces.order.get(k).map(|&i| &dump.spans[i as usize]).filter(|x| x.trace_id == t && x.span_id == s)
        };
        span_of().is_some_and(|span| cx.test(&w.compiled, span, None))
    }

    /// Removes the findings suppressions silence, counts them per suppression and per
    /// rule, and settles each rule's outcome. `where_holds(k, f, i)` tells whether the
    /// `where` of suppression `i` holds for `f`, which is `findings[k]` (see
    /// [`RuleSet::suppression_where_holds`]).
    pub fn suppress(
        &self,
        findings: &mut Vec<Finding>,
        results: &mut [RuleResult],
        where_holds: &dyn Fn(usize, &Finding, usize) -> bool,
    ) -> Vec<SuppressionResult> {
        let sups = self.suppressions();
        let mut counts = vec![0u64; sups.len()];
        if !sups.is_empty() {
            let mut k = 0;
            findings.retain(|f| {
                let hit = self.suppression_candidates(f).find(|&i| sups[i].where_.is_none() || where_holds(k, f, i));
                k += 1;
                match hit {
                    Some(i) => {
                        counts[i] += 1;
                        false
                    }
                    None => true,
                }
            });
        }
        let mut remaining: HashMap<&str, u64> = HashMap::new();
        for f in findings.iter() {
            if let CheckId::Rule(id) = &f.code {
                *remaining.entry(id).or_default() += 1;
            }
        }
        for r in results.iter_mut() {
            r.findings = remaining.get(&*r.id).copied().unwrap_or(0);
            r.suppressed = r.raw_findings - r.findings;
            r.settle();
        }
        sups.iter()
            .zip(counts)
            .map(|(s, n)| SuppressionResult {
                rule: match &s.target {
                    Target::Builtin(c) => c.as_str().to_string(),
                    Target::Rule(id) => id.to_string(),
                },
                reason: s.reason.clone(),
                suppressed: n,
                source: s.source.clone(),
            })
            .collect()
    }
}

fn expected_any(rule: &Rule) -> String {
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

fn aggregate_finding(
    rule: &Rule,
    agg: &Sourced<Aggregate>,
    label: Option<&str>,
    v: &AggValue,
    span: Option<SpanRef>,
    over: &str,
) -> Finding {
    let text = agg.text.as_str();
    let group = label.map(|l| format!(" for {l}")).unwrap_or_default();
    let value = v.value.map(|x| show_agg_value(&agg.compiled, x)).unwrap_or_default();
    let head = text.split(['<', '>', '=', '!']).next().unwrap_or(text).trim();
    let from = if v.span.is_some() { "; the span shown has that value" } else { "" };
    let actual = format!("{head} = {value} over {} span(s) in {over}{from}", v.samples);
    rule_finding(rule, span, format!("{text}{group}"), actual)
}

fn group_label(cx: &Cx<'_>, rule: &Rule, key: &GroupKey) -> Option<String> {
    if rule.group_by.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        rule.group_by.iter().zip(key).map(|(f, k)| format!("{} = {}", f.display(), cx.show(k.value()))).collect();
    Some(parts.join(", "))
}

fn collect_groups(cx: &Cx<'_>, rule: &Rule, matches: &[usize]) -> HashMap<GroupKey, GroupAcc> {
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
                        format!(
                            "{} is {} ({}) on span {} ({}); aggregates need numbers",
                            field.display(),
                            v.type_name(),
                            cx.show(v),
                            span.span_id,
                            cx.dump.location(span.loc)
                        )
                    });
                }
            }
        }
    }
    groups
}

/// Checks one match of an `each` rule: expectations, children order, containment.
fn check_match(cx: &Cx<'_>, rule: &Rule, k: usize, out: &mut Vec<Finding>) {
    let span = cx.span(k);
    for e in &rule.expect {
        if !cx.test_node(&e.compiled, k) {
            out.push(rule_finding(
                rule,
                Some(SpanRef::of(span)),
                e.text.clone(),
                cx.actual(&e.compiled, span, Some(k)),
            ));
        }
    }
    if !rule.children_in_order.is_empty() {
        check_order(cx, rule, k, out);
    }
    if rule.within_parent {
        let g = cx.graph.expect("rules run on trace graphs");
        if let Some(p) = g.parent[k] {
            let parent = cx.span(p.index());
            let tol = rule.tolerance;
            let times = span.start != 0 && span.end != 0 && parent.start != 0 && parent.end != 0;
            if times {
                let early = parent.start.saturating_sub(span.start);
                let late = span.end.saturating_sub(parent.end);
                if early > tol || late > tol {
                    let actual = if early > tol {
                        format!("starts {} before its parent", fmt_ns(early))
                    } else {
                        format!("ends {} after its parent", fmt_ns(late))
                    };
                    let expected =
                        format!("within its parent {:?} (tolerance {})", cx.dump.str(parent.name), fmt_ns(tol));
                    let mut f = rule_finding(rule, Some(SpanRef::of(span)), expected, actual);
                    f.span_ids.push(parent.span_id);
                    out.push(f);
                }
            }
        }
    }
}

fn check_order(cx: &Cx<'_>, rule: &Rule, k: usize, out: &mut Vec<Finding>) {
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
            let actual = if present.is_empty() {
                "no children".to_string()
            } else {
                format!("no child matching {}; children: {}", rule.children_in_order[i].text, present.join(", "))
            };
            out.push(rule_finding(rule, Some(SpanRef::of(span)), format!("children in order: {order_text}"), actual));
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
            && b.start.saturating_add(rule.tolerance) < a.end
        {
            let actual = format!(
                "{:?} ({}) starts {} before {:?} ({}) ends",
                cx.dump.str(b.name),
                b.span_id,
                fmt_ns(a.end - b.start),
                cx.dump.str(a.name),
                a.span_id
            );
            let mut f = rule_finding(rule, Some(SpanRef::of(span)), format!("children in order: {order_text}"), actual);
            f.span_ids.extend([a.span_id, b.span_id]);
            out.push(f);
        }
    }
}
