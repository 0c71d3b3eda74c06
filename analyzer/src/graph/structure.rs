//! Structural totals of traces, added up over a dump: used by `check`'s report and by
//! `diff`'s comparison of runs.

use super::TraceGraph;

/// Structural totals over all traces.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Structure {
    pub traces: u64,
    pub roots: u64,
    pub orphans: u64,
    pub traces_without_root: u64,
    pub duplicate_span_ids: u64,
    pub cycles: u64,
    pub max_depth: u32,
    pub largest_trace: u64,
}

impl Structure {
    /// The totals of one trace.
    pub fn of(g: &TraceGraph) -> Structure {
        Structure {
            traces: 1,
            roots: g.roots.len() as u64,
            orphans: g.orphans.len() as u64,
            traces_without_root: u64::from(g.roots.is_empty()),
            duplicate_span_ids: g.duplicates.len() as u64,
            cycles: g.cycles.len() as u64,
            max_depth: g.max_depth(),
            largest_trace: g.len() as u64,
        }
    }

    /// Adds the totals of other traces.
    pub fn add(&mut self, o: &Structure) {
        self.traces += o.traces;
        self.roots += o.roots;
        self.orphans += o.orphans;
        self.traces_without_root += o.traces_without_root;
        self.duplicate_span_ids += o.duplicate_span_ids;
        self.cycles += o.cycles;
        self.max_depth = self.max_depth.max(o.max_depth);
        self.largest_trace = self.largest_trace.max(o.largest_trace);
    }
}
