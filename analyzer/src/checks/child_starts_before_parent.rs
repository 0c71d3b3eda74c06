use super::hosts;
use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::time::fmt_ns;

/// T003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T003,
    name: "child-starts-before-parent",
    summary: "A child span starts before its parent (beyond the skew tolerance across hosts)",
    doc: "\
What it checks
  A child span starts no earlier than its parent, with no tolerance when both spans come
  from one host (one clock) and the skew tolerance (`--skew-tolerance`, default 1ms) when they
  come from different or unknown hosts. This holds for every kind of relation, asynchronous ones included: a consumer
  cannot start before the message was produced. When the two spans come from different hosts,
  the finding says so, and T005 estimates the offset between their clocks.

Why it matters
  On one host it means the times are wrong (a start time set by hand, reused, or converted
  wrongly). Across hosts it usually means the clocks disagree, which distorts every
  cross-service latency. tracecheck never shifts timestamps to hide it.

Example
  sample-traces/checks/T003-child-starts-before-parent.jsonl:4: span 00f067aa0ba90015 \"early\"
  starts 5.00ms before its parent \"job\"

How to fix
  Same host: let the SDK take start times. Different hosts: synchronise clocks (NTP/PTP) and
  check T005 for the estimated offset.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for (p, c) in cx.parent_edges() {
        let (ps, cs) = (cx.span(p), cx.span(c));
        let tol = hosts::tolerance(cx, ps, cs);
        if ps.start == 0 || cs.start == 0 || cs.start.saturating_add(tol) >= ps.start {
            continue;
        }
        let msg = format!(
            "span {} {:?} starts {} before its parent {:?}{}",
            cs.span_id,
            cx.dump.str(cs.name),
            fmt_ns(ps.start - cs.start),
            cx.dump.str(ps.name),
            hosts::host_note(cx.dump, ps, cs)
        );
        out.push(super::on_span(INFO.code, cx, c, msg).with_spans([ps.span_id]));
    }
}
