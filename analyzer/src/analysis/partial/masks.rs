//! Suppressions with a `where` selector test the span a finding is about. Dump-wide findings
//! are made only when partials are settled, maybe on another machine, without the spans: so
//! each partial says, for every span such a finding may name, which `where` selectors hold
//! on it.

use super::Partial;
use crate::finding::{CheckId, Code, Finding};
use crate::model::{Dump, SpanId, Sym, TraceId};
use crate::rules::RuleSet;
use std::collections::{BTreeMap, HashSet};

/// For spans dump-wide findings may name, the suppressions whose `where` holds on them.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "Vec<(TraceId, SpanId, Vec<u32>)>", into = "Vec<(TraceId, SpanId, Vec<u32>)>")]
pub struct Masks(BTreeMap<(TraceId, SpanId), Vec<u32>>);

impl From<Vec<(TraceId, SpanId, Vec<u32>)>> for Masks {
    fn from(v: Vec<(TraceId, SpanId, Vec<u32>)>) -> Masks {
        Masks(v.into_iter().map(|(t, s, m)| ((t, s), m)).collect())
    }
}

impl From<Masks> for Vec<(TraceId, SpanId, Vec<u32>)> {
    fn from(m: Masks) -> Self {
        m.0.into_iter().map(|((t, s), v)| (t, s, v)).collect()
    }
}

impl Masks {
    /// The masks of the spans of `dump` that the dump-wide findings of `p` (and the input's
    /// findings) may name, for the codes a suppression with a `where` targets.
    pub(crate) fn of(set: &RuleSet, dump: &Dump, syms: &[Option<Sym>], p: &Partial, inputs: &[Finding]) -> Masks {
        let with_where: Vec<usize> = (0..set.suppressions().len()).filter(|&i| set.suppression_has_where(i)).collect();
        if with_where.is_empty() {
            return Masks::default();
        }
        let targets = |c: Code| set.where_targets(&CheckId::Builtin(c));
        let mut wanted: HashSet<(TraceId, SpanId)> = HashSet::new();
        if targets(Code::S001) || targets(Code::S007) {
            wanted.extend(p.dump.orphans.iter().map(|o| (o.span.trace_id, o.span.span_id)));
        }
        if [Code::A001, Code::A002, Code::A003].into_iter().any(targets) {
            wanted.extend(p.dump.resources.iter().flat_map(|r| r.used.iter().map(|u| (u.2.trace_id, u.2.span_id))));
        }
        if targets(Code::A004) {
            wanted.extend(p.dump.types.iter().flat_map(|t| t.seen.iter().map(|s| (s.2.trace_id, s.2.span_id))));
        }
        if targets(Code::T005) {
            wanted.extend(p.dump.skew.iter().filter_map(|s| s.worst.map(|w| (w.1, w.2))));
        }
        for (ri, rule) in set.rules().iter().enumerate() {
            if set.where_targets(&CheckId::Rule(rule.id.clone())) {
                wanted.extend(p.rules.value_spans(ri).map(|s| (s.trace_id, s.span_id)));
            }
        }
        for f in inputs.iter().filter(|f| set.where_targets(&f.code)) {
            if let (Some(t), Some(&s)) = (f.trace_id, f.span_ids.first()) {
                wanted.insert((t, s));
            }
        }
        let mut out = BTreeMap::new();
        if wanted.is_empty() {
            return Masks(out);
        }
        for span in &dump.spans {
            let key = (span.trace_id, span.span_id);
            if !wanted.contains(&key) || out.contains_key(&key) {
                continue;
            }
            let holds: Vec<u32> =
                with_where.iter().filter(|&&i| set.where_holds_on(dump, syms, span, i)).map(|&i| i as u32).collect();
            out.insert(key, holds);
        }
        Masks(out)
    }

    /// Adds the masks of other spans.
    pub fn merge(&mut self, other: Masks) {
        for (k, v) in other.0 {
            self.0.entry(k).or_insert(v);
        }
    }

    /// Whether the `where` of suppression `i` holds on the span `f` is about.
    pub fn holds(&self, f: &Finding, i: usize) -> bool {
        let (Some(t), Some(&s)) = (f.trace_id, f.span_ids.first()) else { return false };
        self.0.get(&(t, s)).is_some_and(|m| m.contains(&(i as u32)))
    }
}
