//! The orphan pass, shared by S001 and S007: spans whose parent is not in their own trace
//! are collected per trace, then resolved against every span of the dump (or of every
//! partition) into S001 (the parent is nowhere) or S007 (it is in another trace).

use super::{Finding, TraceCx, orphan_span, parent_in_other_trace};
use crate::model::{Dump, Parent, SpanId, SpanRef, Sym, TraceId};
use std::collections::{HashMap, HashSet};

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
                Parent::Span(parent) => Some(Orphan { span: SpanRef::of(s), name: s.name, parent }),
                _ => None,
            }
        })
        .collect()
}

/// For each parent id the orphans name, the distinct traces holding a span with that id,
/// sorted, from the (span id, trace id) of every span of the dump.
pub fn parent_traces(
    orphans: &[Orphan],
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

/// Reports each orphan as S001, or as S007 when its parent id exists in another trace
/// (the lowest such trace id is named); `traces_of` is from [`parent_traces`].
pub fn resolve(dump: &Dump, orphans: &[Orphan], traces_of: &HashMap<SpanId, Vec<TraceId>>, out: &mut Vec<Finding>) {
    for o in orphans {
        let span = &o.span;
        let elsewhere = traces_of.get(&o.parent).and_then(|ts| ts.iter().find(|&&t| t != span.trace_id));
        let finding = match elsewhere {
            Some(&other) => parent_in_other_trace::finding(dump, o, other),
            None => orphan_span::finding(dump, o),
        };
        out.push(Finding {
            trace_id: Some(span.trace_id),
            span_ids: vec![span.span_id],
            loc: Some(span.loc),
            ..finding
        });
    }
}
