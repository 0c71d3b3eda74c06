use super::orphans::OrphanRec;
use super::{CheckInfo, Code, Finding};
use crate::model::TraceId;

/// S007. Found by the orphan pass ([`super::orphans`]), which looks the parent id up across
/// all traces.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S007,
    name: "parent-in-other-trace",
    summary: "A span's parent id belongs to a span of another trace",
    doc: "\
What it checks
  When a span's parent is not in its own trace, tracecheck looks the parent id up across the
  whole dump. If a span with that id exists under a different trace id, the child was given
  the wrong trace id: context was propagated incompletely.

Why it matters
  The trace is split in two: each half looks incomplete, and neither shows the real causal
  chain, so latency and error attribution are wrong.

Example
  sample-traces/checks/S007-parent-in-other-trace.jsonl:4: span 00f067aa0ba90015 \"wrong trace\"
  names parent 00f067aa0ba90014, which is in trace 4bf92f3577b34da6a3ce929d0e0e0002, not in
  4bf92f3577b34da6a3ce929d0e0e0003

How to fix
  Propagate the whole context (W3C traceparent carries both ids) and start child spans from
  the extracted context, not from a new trace with a copied parent id.
",
};

/// The S007 finding for an orphan whose parent id is a span of trace `other`.
pub fn finding(o: &OrphanRec, other: TraceId) -> Finding {
    let name = &o.name;
    Finding::new(
        INFO.code,
        format!(
            "span {} {name:?} names parent {}, which is in trace {other}, not in {}",
            o.span.span_id, o.parent, o.span.trace_id
        ),
    )
}
