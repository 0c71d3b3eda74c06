//! Suppressions: which findings each silences, and how the outcomes change.

use super::RuleSet;
use super::eval::Cx;
use super::outcome::{RuleResult, SuppressionResult};
use super::pack::Target;
use crate::finding::{CheckId, Finding};
use crate::graph::Traces;
use crate::model::{Dump, Span, Sym};
use std::collections::HashMap;

impl RuleSet {
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
