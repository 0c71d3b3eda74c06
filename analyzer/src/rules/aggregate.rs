//! Aggregates over groups of matches: their statistics, thresholds and findings.

use super::compile::{Aggregate, Function, Lit};
use super::outcome::{AggregateResult, RuleOutcome};
use super::pack::{Rule, Sourced};
use super::partial::GroupAcc;
use super::trace_eval::rule_finding;
use crate::finding::Finding;
use crate::model::SpanRef;
use crate::model::time::fmt_ns;

pub(super) fn numeric_rhs(l: &Lit) -> f64 {
    match l {
        Lit::Int(n) => *n as f64,
        Lit::Float(f) => *f,
        Lit::Duration(d) => *d as f64,
        _ => f64::NAN,
    }
}

pub(super) fn holds(v: f64, op: super::lang::CmpOp, rhs: f64) -> bool {
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

/// An aggregate evaluated over one group; `S` names a span ([`GroupAcc`]).
pub(super) struct AggValue<S> {
    pub(super) value: Option<f64>,
    /// The span the value was read from (percentiles, min, max).
    pub(super) span: Option<S>,
    pub(super) samples: u64,
    pub(super) outcome: RuleOutcome,
    pub(super) reason: Option<String>,
}

pub(super) fn evaluate<S: Copy + Ord>(
    agg: &Aggregate,
    index: usize,
    acc: &mut GroupAcc<S>,
    min_samples: usize,
) -> AggValue<S> {
    let done = |value: f64, span: Option<S>, samples: u64| AggValue {
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
            reason: Some(bad.1.clone()),
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
pub(super) enum Stat {
    Min,
    Max,
    Sum,
    Mean,
    Percentile(f64),
}

impl AggregateResult {
    /// Why the result is inconclusive or an error, naming the aggregate and its group.
    pub(super) fn why(&self) -> String {
        let group = self.group.as_ref().map(|g| format!(" for {g}")).unwrap_or_default();
        format!("{}{group}: {}", self.aggregate, self.reason.as_deref().unwrap_or_default())
    }
}

/// Evaluates every aggregate of `rule` over one group of matches. A failure becomes a
/// finding in `out`, at the span holding the value (else at `fallback`); returns one result
/// per aggregate.
pub(super) fn judge_group<S: Copy + Ord>(
    span_at: &dyn Fn(S) -> Option<SpanRef>,
    rule: &Rule,
    acc: &mut GroupAcc<S>,
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

pub(super) fn show_agg_value(agg: &Aggregate, v: f64) -> String {
    let is_duration = agg.arg.as_ref().is_some_and(|f| f.ty() == super::compile::Ty::Duration);
    match agg.function {
        Function::Count => format!("{v}"),
        Function::ErrorRate => format!("{:.4}", v),
        _ if is_duration => fmt_ns(v.round() as u64),
        _ if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        _ => format!("{v:.4}"),
    }
}

pub(super) fn aggregate_finding<S>(
    rule: &Rule,
    agg: &Sourced<Aggregate>,
    label: Option<&str>,
    v: &AggValue<S>,
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
