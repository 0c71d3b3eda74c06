use super::{CheckInfo, Code, Severity};

/// S007. Found by the orphan resolution in `orphan_span.rs`, which looks the parent id up
/// across all traces.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S007,
    name: "parent-in-other-trace",
    severity: Severity::Error,
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
  traces.json:40: span 1c2d3e4f5a6b7c8d \"peer_query\" names parent 0a0b0c0d0e0f1011, which is
  in trace 4bf92f3577b34da6a3ce929d0e0e4736, not in 00f067aa0ba902b7a3ce929d0e0e4736

How to fix
  Propagate the whole context (W3C traceparent carries both ids) and start child spans from
  the extracted context, not from a new trace with a copied parent id.
",
};
