use super::{CheckInfo, Code, Finding, Severity, TraceCx, clock_skew};
use crate::model::time::fmt_ns;

/// T003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T003,
    name: "child-starts-before-parent",
    severity: Severity::Warning,
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
  traces.json:21: span 6e0c63257de34c92 \"peer_query\" starts 4.20ms before its parent
  \"p2p.package.search\" (different hosts: node-1 -> node-3)

How to fix
  Same host: let the SDK take start times. Different hosts: synchronise clocks (NTP/PTP) and
  check T005 for the estimated offset.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for (p, c) in cx.parent_edges() {
        let (ps, cs) = (cx.span(p), cx.span(c));
        let tol = clock_skew::tolerance(cx, ps, cs);
        if ps.start == 0 || cs.start == 0 || cs.start.saturating_add(tol) >= ps.start {
            continue;
        }
        let msg = format!(
            "span {} {:?} starts {} before its parent {:?}{}",
            cs.span_id,
            cx.dump.str(cs.name),
            fmt_ns(ps.start - cs.start),
            cx.dump.str(ps.name),
            clock_skew::host_note(cx.dump, ps, cs)
        );
        out.push(Finding::on_span(INFO.code, cx, c, msg).with_spans([ps.span_id]));
    }
}
