use super::{CheckInfo, Code, Finding, Severity, TraceCx, parent_in_other_trace};
use crate::model::{Dump, Parent, SpanId, TraceId};

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

/// Spans of this trace whose parent is not in it.
pub fn collect(cx: &TraceCx<'_>) -> Vec<(u32, SpanId)> {
    cx.graph
        .orphans
        .iter()
        .filter_map(|&n| match cx.span(n).parent {
            Parent::Span(p) => Some((cx.graph.spans[n.index()], p)),
            _ => None,
        })
        .collect()
}

/// Reports each orphan as S001, or as S007 when its parent id exists in another trace.
pub fn resolve(dump: &Dump, orphans: &[(u32, SpanId)], out: &mut Vec<Finding>) {
    if orphans.is_empty() {
        return;
    }
    let mut index: Vec<(SpanId, TraceId)> = dump.spans.iter().map(|s| (s.span_id, s.trace_id)).collect();
    index.sort_unstable();
    index.dedup();
    for &(si, parent) in orphans {
        let span = &dump.spans[si as usize];
        let start = index.partition_point(|e| e.0 < parent);
        let elsewhere = index[start..].iter().take_while(|e| e.0 == parent).find(|e| e.1 != span.trace_id);
        let name = dump.str(span.name);
        let finding = match elsewhere {
            Some(&(_, other)) => Finding::new(
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
