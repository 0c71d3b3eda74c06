//! Grouping spans into traces and building each trace's graph with petgraph: parent
//! edges, link edges, and the structural facts checks and rules use (roots, orphans,
//! duplicate ids, self-parents, cycles, depth, child counts).

use crate::model::{Dump, Parent, Span, SpanFlags, SpanId, TraceId};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;
use std::collections::VecDeque;

mod structure;
mod timing;

pub use structure::Structure;
pub use timing::{children_by_start, critical_path, self_time, self_times, tops};

/// How two spans of a trace are related.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EdgeKind {
    /// Parent → child.
    Parent,
    /// Linked span → linking span (a causal but not parental relation).
    Link,
}

/// Spans grouped by trace: `order` holds span indices sorted by trace id, and each trace
/// is a contiguous range of it.
#[derive(Debug, Default)]
pub struct Traces {
    pub order: Vec<u32>,
    pub ranges: Vec<(TraceId, std::ops::Range<usize>)>,
}

impl Traces {
    /// Whether trace `t` has a span in the dump.
    pub fn has_trace(&self, t: TraceId) -> bool {
        self.ranges.binary_search_by_key(&t, |r| r.0).is_ok()
    }

    /// The span of trace `t` with id `s` in `dump` (the first of its order, should ids
    /// repeat), found by binary search in `order`.
    pub fn span<'d>(&self, dump: &'d Dump, t: TraceId, s: SpanId) -> Option<&'d Span> {
        let k = self.order.partition_point(|&i| {
            let x = &dump.spans[i as usize];
            (x.trace_id, x.span_id) < (t, s)
        });
        self.order.get(k).map(|&i| &dump.spans[i as usize]).filter(|x| x.trace_id == t && x.span_id == s)
    }

    /// The graph of the `i`-th trace.
    pub fn graph(&self, dump: &Dump, i: usize) -> TraceGraph {
        let (id, range) = &self.ranges[i];
        TraceGraph::build(dump, *id, &self.order[range.clone()])
    }

    /// Builds every trace's graph in parallel and folds it into an accumulator: one per
    /// worker from `identity`, combined with `reduce` in trace order (so a `reduce` that
    /// appends keeps the traces in order). Each graph is dropped once folded.
    pub fn fold_graphs<A, I, F, R>(&self, dump: &Dump, identity: I, fold: F, reduce: R) -> A
    where
        A: Send,
        I: Fn() -> A + Sync + Send,
        F: Fn(A, TraceGraph) -> A + Sync + Send,
        R: Fn(A, A) -> A + Sync + Send,
    {
        (0..self.ranges.len())
            .into_par_iter()
            .fold(&identity, |acc, i| fold(acc, self.graph(dump, i)))
            .reduce(&identity, reduce)
    }

    /// `f` of every trace's graph, in trace order, built in parallel.
    pub fn map_graphs<T: Send>(&self, dump: &Dump, f: impl Fn(&TraceGraph) -> T + Sync + Send) -> Vec<T> {
        self.fold_graphs(
            dump,
            Vec::new,
            |mut out, g| {
                out.push(f(&g));
                out
            },
            |mut a, mut b| {
                a.append(&mut b);
                a
            },
        )
    }
}

/// Groups the spans of `dump` by trace id. Within a trace, spans are ordered by span id,
/// start, end and source location, so the result does not depend on input order.
pub fn group(dump: &Dump) -> Traces {
    // The ids are sorted as integers in a compact array (big-endian keeps the byte order);
    // only spans sharing both ids look further, into the dump.
    let mut keys: Vec<(u128, u64, u32)> = dump
        .spans
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            (u128::from_be_bytes(s.trace_id.0), u64::from_be_bytes(s.span_id.0), i)
        })
        .collect();
    keys.par_sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            let (x, y) = (&dump.spans[a.2 as usize], &dump.spans[b.2 as usize]);
            (x.start, x.end).cmp(&(y.start, y.end)).then_with(|| dump.loc(x).cmp(&dump.loc(y)))
        })
    });
    let order: Vec<u32> = keys.into_par_iter().map(|k| k.2).collect();
    let mut ranges = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        let at_end = i == order.len();
        if at_end || dump.spans[order[i] as usize].trace_id != dump.spans[order[start] as usize].trace_id {
            if start < i {
                ranges.push((dump.spans[order[start] as usize].trace_id, start..i));
            }
            start = i;
        }
    }
    Traces { order, ranges }
}

/// One trace as a graph. Node weights are indices into [`Dump::spans`]; node `n` is
/// `spans[n]`.
#[derive(Debug)]
pub struct TraceGraph {
    pub trace_id: TraceId,
    pub spans: Vec<u32>,
    pub graph: DiGraph<u32, EdgeKind>,
    /// Parent of each node (by parent edge), if it is in the trace.
    pub parent: Vec<Option<NodeIndex>>,
    /// Spans without a parent reference.
    pub roots: Vec<NodeIndex>,
    /// Spans whose parent id is not in this trace.
    pub orphans: Vec<NodeIndex>,
    /// Spans that name themselves as parent.
    pub self_parents: Vec<NodeIndex>,
    /// Groups of spans sharing one span id (each group has 2+ nodes, in node order).
    pub duplicates: Vec<Vec<NodeIndex>>,
    /// Parent cycles (each a strongly connected set of 2+ spans, in node order).
    pub cycles: Vec<Vec<NodeIndex>>,
    /// Distance from the nearest root or orphan; `None` for spans only reachable from a cycle.
    pub depth: Vec<Option<u32>>,
    /// Number of parent-edge children.
    pub child_count: Vec<u32>,
}

impl TraceGraph {
    /// Builds the graph of one trace from its span indices (sorted by span id, as
    /// [`group`] leaves them).
    pub fn build(dump: &Dump, trace_id: TraceId, spans: &[u32]) -> TraceGraph {
        let n = spans.len();
        let mut graph = DiGraph::with_capacity(n, n);
        for &s in spans {
            graph.add_node(s);
        }
        let span_at = |k: usize| &dump.spans[spans[k] as usize];
        // Spans are sorted by span id: spans sharing an id are adjacent, lookups are binary
        // searches over a compact copy of the ids (not through the dump). Each id maps to its
        // range of nodes.
        let ids: Vec<(u64, bool)> = spans
            .iter()
            .map(|&s| {
                let span = &dump.spans[s as usize];
                (u64::from_be_bytes(span.span_id.0), span.flags.has(SpanFlags::SHARED))
            })
            .collect();
        let shared = |k: usize| ids[k].1;
        let range_of = |id: SpanId| -> std::ops::Range<usize> {
            let id = u64::from_be_bytes(id.0);
            let lo = ids.partition_point(|&(s, _)| s < id);
            let hi = lo + ids[lo..].iter().take_while(|&&(s, _)| s == id).count();
            lo..hi
        };
        // A parent reference resolves to the Zipkin server half when an id has one (children
        // of an RPC run on the server), else to the first span with that id.
        let find = |id: SpanId| -> Option<usize> {
            let r = range_of(id);
            r.clone().find(|&k| shared(k)).or((!r.is_empty()).then_some(r.start))
        };
        let mut duplicates = Vec::new();
        let mut k = 0;
        while k < n {
            let r = range_of(span_at(k).span_id);
            // A client span and its shared server half are one RPC, not a duplicate.
            let shared_count = r.clone().filter(|&x| shared(x)).count();
            if shared_count > 1 || r.len() - shared_count > 1 {
                duplicates.push(r.clone().map(NodeIndex::new).collect());
            }
            k = r.end;
        }
        let mut parent = vec![None; n];
        let (mut roots, mut orphans, mut self_parents) = (Vec::new(), Vec::new(), Vec::new());
        for (k, &s) in spans.iter().enumerate() {
            let span = &dump.spans[s as usize];
            // A shared server half is the child of the client span with its own id.
            let client = if shared(k) { range_of(span.span_id).find(|&c| !shared(c)) } else { None };
            let parent_node = match (client, span.parent) {
                (Some(c), _) => Some(c),
                (None, Parent::Root) => {
                    roots.push(NodeIndex::new(k));
                    None
                }
                (None, Parent::Invalid) => None,
                (None, Parent::Span(p)) if p == span.span_id => {
                    self_parents.push(NodeIndex::new(k));
                    None
                }
                (None, Parent::Span(p)) => {
                    let found = find(p);
                    if found.is_none() {
                        orphans.push(NodeIndex::new(k));
                    }
                    found
                }
            };
            if let Some(pk) = parent_node {
                graph.add_edge(NodeIndex::new(pk), NodeIndex::new(k), EdgeKind::Parent);
                parent[k] = Some(NodeIndex::new(pk));
            }
            for link in dump.span_links(span) {
                if link.trace_id == trace_id
                    && let Some(lk) = find(link.span_id)
                {
                    graph.add_edge(NodeIndex::new(lk), NodeIndex::new(k), EdgeKind::Link);
                }
            }
        }
        let mut child_count = vec![0u32; n];
        for p in parent.iter().flatten() {
            child_count[p.index()] += 1;
        }
        // Depth by breadth-first search from every span that starts a chain.
        let mut depth = vec![None; n];
        let mut queue: VecDeque<NodeIndex> = VecDeque::new();
        for k in 0..n {
            if parent[k].is_none() {
                depth[k] = Some(0);
                queue.push_back(NodeIndex::new(k));
            }
        }
        while let Some(v) = queue.pop_front() {
            let d = depth[v.index()].unwrap_or(0);
            for e in graph.edges_directed(v, Direction::Outgoing) {
                use petgraph::visit::EdgeRef;
                if *e.weight() == EdgeKind::Parent && depth[e.target().index()].is_none() {
                    depth[e.target().index()] = Some(d + 1);
                    queue.push_back(e.target());
                }
            }
        }
        // Spans never reached lie on or below a parent cycle; find the cycles themselves.
        let cycles = if depth.iter().any(Option::is_none) {
            let parent_only = graph.filter_map(|_, w| Some(*w), |_, e| (*e == EdgeKind::Parent).then_some(()));
            let mut sccs: Vec<Vec<NodeIndex>> = petgraph::algo::tarjan_scc(&parent_only)
                .into_iter()
                .filter(|c| c.len() > 1)
                .map(|mut c| {
                    c.sort();
                    c
                })
                .collect();
            sccs.sort();
            sccs
        } else {
            Vec::new()
        };
        TraceGraph {
            trace_id,
            spans: spans.to_vec(),
            graph,
            parent,
            roots,
            orphans,
            self_parents,
            duplicates,
            cycles,
            depth,
            child_count,
        }
    }

    /// The dump index of node `n`.
    pub fn span_index(&self, n: NodeIndex) -> usize {
        self.spans[n.index()] as usize
    }

    /// Number of spans.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the trace has no spans (never true for a built trace).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Greatest depth of any span.
    pub fn max_depth(&self) -> u32 {
        self.depth.iter().flatten().copied().max().unwrap_or(0)
    }

    /// Parent-edge children of `n`.
    pub fn children(&self, n: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        use petgraph::visit::EdgeRef;
        self.graph
            .edges_directed(n, Direction::Outgoing)
            .filter(|e| *e.weight() == EdgeKind::Parent)
            .map(|e| e.target())
    }
}

#[cfg(test)]
mod tests;
