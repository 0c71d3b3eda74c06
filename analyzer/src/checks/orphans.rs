//! The orphan pass, shared by S001 and S007: spans whose parent is not in their own trace
//! are collected per trace, then resolved against every span of the dump (or of every
//! partition) into S001 (the parent is nowhere) or S007 (it is in another trace).

use super::{Finding, TraceCx, orphan_span, parent_in_other_trace};
use crate::model::{Dump, Parent, SpanId, SpanRef, Sym, TraceId};
use std::collections::{HashMap, HashSet};

/// An orphan in partial results: its name spelled out and, once resolved against every
/// span of the dump, the lowest other trace holding its parent id.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct OrphanRec {
    pub span: SpanRef,
    pub name: String,
    pub parent: SpanId,
    /// Whether `other` was looked up (orphans are resolved before results merge).
    pub resolved: bool,
    pub other: Option<TraceId>,
}

impl OrphanRec {
    /// `o`, not yet resolved.
    pub fn of(o: &Orphan, dump: &Dump) -> OrphanRec {
        OrphanRec { span: o.span, name: dump.str(o.name).to_string(), parent: o.parent, resolved: false, other: None }
    }

    /// Resolves against `traces_of` (from [`parent_traces`]).
    pub fn resolve(&mut self, traces_of: &HashMap<SpanId, Vec<TraceId>>) {
        let t = self.span.trace_id;
        self.other = traces_of.get(&self.parent).and_then(|ts| ts.iter().copied().find(|&x| x != t));
        self.resolved = true;
    }
}

/// A span whose parent id is not in its trace.
#[derive(Clone, Copy, Debug)]
pub struct Orphan {
    pub span: SpanRef,
    pub name: Sym,
    pub parent: SpanId,
}

/// Spans of this trace whose parent is not in it.
pub fn collect(cx: &TraceCx<'_>) -> Vec<Orphan> {
    cx.graph
        .orphans
        .iter()
        .filter_map(|&n| {
            let s = cx.span(n);
            match s.parent {
                Parent::Span(parent) => Some(Orphan { span: SpanRef::of(cx.dump, s), name: s.name, parent }),
                _ => None,
            }
        })
        .collect()
}

/// For each parent id the orphans name, the distinct traces holding a span with that id,
/// sorted, from the (span id, trace id) of every span of the dump.
pub fn parent_traces(
    orphans: &[OrphanRec],
    spans: impl Iterator<Item = (SpanId, TraceId)>,
) -> HashMap<SpanId, Vec<TraceId>> {
    let wanted: HashSet<SpanId> = orphans.iter().map(|o| o.parent).collect();
    let mut found: HashMap<SpanId, Vec<TraceId>> = HashMap::new();
    if wanted.is_empty() {
        return found;
    }
    for (span, trace) in spans {
        if wanted.contains(&span) {
            found.entry(span).or_default().push(trace);
        }
    }
    for traces in found.values_mut() {
        traces.sort_unstable();
        traces.dedup();
    }
    found
}

/// Reports each resolved orphan as S001, or as S007 when its parent id exists in another
/// trace (the lowest such trace id is named).
pub fn resolve(orphans: &[OrphanRec], out: &mut Vec<Finding>) {
    for o in orphans {
        let span = &o.span;
        let finding = match o.other {
            Some(other) => parent_in_other_trace::finding(o, other),
            None => orphan_span::finding(o),
        };
        out.push(Finding {
            trace_id: Some(span.trace_id),
            span_ids: vec![span.span_id],
            loc: Some(span.loc),
            ..finding
        });
    }
}
