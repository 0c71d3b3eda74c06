use super::{CheckInfo, Code, Finding, Severity, TraceCx, parent_in_other_trace};
use crate::model::{Dump, Parent, SpanId, SpanRef, Sym, TraceId};
use std::collections::{HashMap, HashSet};

/// S001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S001,
    name: "orphan-span",
    severity: Severity::Warning,
    summary: "A span's parent id is not in the dump",
    doc: "\
What it checks
  Every span that names a parent must find that parent, with the same trace id, somewhere in
  the analysed input (all files together). A parent found under another trace id is reported
  as S007 instead.

Why it matters
  A missing parent means spans were lost: dropped by a sampler, an exporter queue that
  overflowed, a process that died before flushing, or a dump that starts mid-trace. Latency and
  structure of the trace cannot be trusted.

Example
  traces.json:12: span 5f1d2c0e7a9b3c44 \"dht.put\" names parent 9a8b7c6d5e4f3a2b, which is
  not in the dump

How to fix
  Flush the tracer provider on shutdown, make sure every service exports to the same place,
  sample by trace (parent-based) rather than per span, and analyse all rotated files together.
",
};

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
        let (span, parent) = (&o.span, o.parent);
        let elsewhere = traces_of.get(&parent).and_then(|ts| ts.iter().find(|&&t| t != span.trace_id));
        let name = dump.str(o.name);
        let finding = match elsewhere {
            Some(&other) => Finding::new(
                parent_in_other_trace::INFO.code,
                format!(
                    "span {} {name:?} names parent {parent}, which is in trace {other}, not in {}",
                    span.span_id, span.trace_id
                ),
            ),
            None => Finding::new(
                INFO.code,
                format!("span {} {name:?} names parent {parent}, which is not in the dump", span.span_id),
            ),
        };
        out.push(Finding {
            trace_id: Some(span.trace_id),
            span_ids: vec![span.span_id],
            loc: Some(span.loc),
            ..finding
        });
    }
}
