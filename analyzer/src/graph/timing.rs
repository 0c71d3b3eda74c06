//! Where a trace's time goes: the critical path through each tree, and each span's self
//! time. Used by `show`, `stats` and the reports.

use super::{TraceGraph, Traces};
use crate::model::Dump;
use petgraph::graph::NodeIndex;

/// The children of `n`, by start, end and span id.
pub fn children_by_start(dump: &Dump, g: &TraceGraph, n: NodeIndex) -> Vec<NodeIndex> {
    let mut c: Vec<NodeIndex> = g.children(n).collect();
    c.sort_by_key(|&k| {
        let s = &dump.spans[g.span_index(k)];
        (s.start, s.end, s.span_id)
    });
    c
}

/// The spans starting each tree: roots, then orphans (their parent is missing), by start.
pub fn tops(dump: &Dump, g: &TraceGraph) -> Vec<NodeIndex> {
    let mut t: Vec<NodeIndex> = g.roots.iter().chain(&g.orphans).copied().collect();
    t.sort_by_key(|&k| {
        let s = &dump.spans[g.span_index(k)];
        (s.start, s.span_id)
    });
    t
}

/// The trace's critical path, as a mask over the graph's nodes. It starts at the root that
/// ends last or, in a trace without a root, at the top span (an orphan) that ends last: one
/// path per trace, not one per fragment. From a span's end, the child that finished last (its
/// end clipped to the parent's) is on the path; the walk then continues from that child's
/// start with the children that finished before it, and recursively inside every child taken.
pub fn critical_path(dump: &Dump, g: &TraceGraph) -> Vec<bool> {
    let mut on = vec![false; g.len()];
    let starts = if g.roots.is_empty() { &g.orphans } else { &g.roots };
    let last = starts.iter().copied().max_by_key(|&k| {
        let s = &dump.spans[g.span_index(k)];
        (s.end, std::cmp::Reverse(s.start), std::cmp::Reverse(s.span_id))
    });
    let mut stack: Vec<NodeIndex> = last.into_iter().collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut on[n.index()], true) {
            continue;
        }
        let span = &dump.spans[g.span_index(n)];
        if span.duration().is_none() {
            continue;
        }
        let mut kids: Vec<NodeIndex> =
            g.children(n).filter(|&c| dump.spans[g.span_index(c)].duration().is_some()).collect();
        kids.sort_by_key(|&c| {
            let s = &dump.spans[g.span_index(c)];
            std::cmp::Reverse((s.end.min(span.end), s.start))
        });
        let mut cursor = span.end;
        for c in kids {
            let s = &dump.spans[g.span_index(c)];
            if s.end.min(span.end) <= cursor && s.start < cursor {
                stack.push(c);
                cursor = s.start;
            }
        }
    }
    on
}

/// Self time of every span (indexed like `dump.spans`): its duration minus the part of it its
/// children cover (the union of their intervals, clipped to the span). `None` for spans
/// without a usable duration.
pub fn self_times(dump: &Dump, traces: &Traces) -> Vec<Option<u64>> {
    let per_trace: Vec<Vec<(u32, u64)>> = traces.map_graphs(dump, |g| {
        let mut covered = Vec::new();
        (0..g.len())
            .filter_map(|k| {
                let node = petgraph::graph::NodeIndex::new(k);
                self_time_with(dump, g, node, &mut covered).map(|t| (g.spans[k], t))
            })
            .collect()
    });
    let mut times = vec![None; dump.spans.len()];
    for (i, t) in per_trace.into_iter().flatten() {
        times[i as usize] = Some(t);
    }
    times
}

/// The self time of one span of `g`: its duration minus what its children cover.
pub fn self_time(dump: &Dump, g: &TraceGraph, node: NodeIndex) -> Option<u64> {
    self_time_with(dump, g, node, &mut Vec::new())
}

fn self_time_with(dump: &Dump, g: &TraceGraph, node: NodeIndex, covered: &mut Vec<(u64, u64)>) -> Option<u64> {
    let span = &dump.spans[g.span_index(node)];
    let d = span.duration()?;
    covered.clear();
    for c in g.children(node) {
        let child = &dump.spans[g.span_index(c)];
        if child.duration().is_some() {
            let (s, e) = (child.start.max(span.start), child.end.min(span.end));
            if s < e {
                covered.push((s, e));
            }
        }
    }
    covered.sort_unstable();
    let (mut busy, mut reach) = (0u64, span.start);
    for &(s, e) in covered.iter() {
        let s = s.max(reach);
        if e > s {
            busy += e - s;
            reach = e;
        }
    }
    Some(d - busy.min(d))
}
