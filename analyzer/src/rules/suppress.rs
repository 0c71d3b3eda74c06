//! Suppressions: which findings each silences, and how the outcomes change.

use super::RuleSet;
use super::eval::Cx;
use super::outcome::{RuleResult, SuppressionResult};
use super::pack::Target;
use crate::finding::{CheckId, Collected, Finding};
use crate::graph::Traces;
use crate::model::{Dump, Span, Sym};

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
                && !s.expired
                && s.trace_id.is_none_or(|t| f.trace_id == Some(t))
                && s.span_id.is_none_or(|id| f.span_ids.contains(&id)))
            .then_some(i)
        })
    }

    /// Whether a suppression with a `where` selector names `code`.
    pub fn where_targets(&self, code: &CheckId) -> bool {
        self.suppressions().iter().any(|s| {
            s.where_.is_some()
                && !s.expired
                && match (&s.target, code) {
                    (Target::Builtin(a), CheckId::Builtin(b)) => a == b,
                    (Target::Rule(a), CheckId::Rule(b)) => a == b,
                    _ => false,
                }
        })
    }

    /// Whether suppression `i` has a `where` selector.
    pub fn suppression_has_where(&self, i: usize) -> bool {
        self.suppressions().get(i).is_some_and(|s| s.where_.is_some())
    }

    /// The suppression that silences `f`: the first candidate without a `where`, or whose
    /// `where` holds (`where_holds(i)`, see [`RuleSet::where_holds_on`]).
    pub fn suppressed_by(&self, f: &Finding, where_holds: &dyn Fn(usize) -> bool) -> Option<usize> {
        let sups = self.suppressions();
        if sups.is_empty() {
            return None;
        }
        self.suppression_candidates(f).find(|&i| sups[i].where_.is_none() || where_holds(i))
    }

    /// Whether the `where` of suppression `i` holds on `span` (true without a `where`).
    pub fn where_holds_on(&self, dump: &Dump, syms: &[Option<Sym>], span: &Span, i: usize) -> bool {
        let Some(w) = self.suppressions().get(i).and_then(|s| s.where_.as_ref()) else { return true };
        Cx::span_only(dump, self.tables(), syms).test(&w.compiled, span, None)
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
        let span = f.trace_id.zip(f.span_ids.first()).and_then(|(t, s)| traces.span(dump, t, *s));
        span.is_some_and(|span| self.where_holds_on(dump, syms, span, i))
    }

    /// Settles each rule's outcome from the findings `collected` counted (reported and
    /// suppressed), and says what each suppression silenced.
    pub fn settle_suppressed(&self, results: &mut [RuleResult], collected: &Collected) -> Vec<SuppressionResult> {
        for r in results.iter_mut() {
            let code = CheckId::Rule(r.id.clone());
            r.findings = collected.count(&code);
            r.suppressed = collected.suppressed(&code);
            r.settle();
        }
        self.suppressions()
            .iter()
            .enumerate()
            .map(|(i, s)| SuppressionResult {
                rule: match &s.target {
                    Target::Builtin(c) => c.as_str().to_string(),
                    Target::Rule(id) => id.to_string(),
                },
                reason: s.reason.clone(),
                suppressed: collected.silenced_by(i),
                source: s.source.clone(),
                expires: s.expires.clone(),
                expired: s.expired,
            })
            .collect()
    }

    /// One finding (R001) per expired suppression: it silences nothing any more.
    pub fn expired_findings(&self) -> impl Iterator<Item = Finding> + '_ {
        self.suppressions().iter().filter(|s| s.expired).map(|s| {
            let rule = match &s.target {
                Target::Builtin(c) => c.as_str(),
                Target::Rule(id) => id,
            };
            Finding::new(
                crate::finding::Code::R001,
                format!(
                    "{}: the suppression of {rule} ({:?}) expired on {}: it no longer silences findings; fix the cause, or renew it with a later date",
                    s.source,
                    s.reason,
                    s.expires.as_deref().unwrap_or_default()
                ),
            )
        })
    }
}
