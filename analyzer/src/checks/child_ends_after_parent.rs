use super::hosts;
use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::time::fmt_ns;

/// T004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T004,
    name: "child-ends-after-parent",
    summary: "A synchronous child span ends after its parent (beyond the skew tolerance across hosts)",
    doc: "\
What it checks
  For synchronous relations, a child span ends no later than its parent, with no tolerance
  when both spans come from one host (one clock) and the skew tolerance (`--skew-tolerance`,
  default 1ms) when they come from different or unknown hosts. Asynchronous relations are exempt, since there
  outliving the parent is normal: a parent of kind PRODUCER, or a child of kind PRODUCER or
  CONSUMER, or a Jaeger FOLLOWS_FROM reference. Links are never parent relations and are
  not checked.

Why it matters
  A parent that ends before its synchronous child did not wait for it: either the work was
  really detached (then model it as a link or a producer/consumer pair), the parent span was
  ended early on some path, or the clocks of two hosts disagree.

Example
  sample-traces/checks/T004-child-ends-after-parent.jsonl:4: span 00f067aa0ba90015 \"late\" ends
  10.00ms after its parent \"job\" ends

How to fix
  End the parent after awaiting its children; for fire-and-forget work use span kinds
  PRODUCER/CONSUMER or a link instead of a parent; synchronise clocks across hosts (see T005).
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for (p, c) in cx.parent_edges() {
        let (ps, cs) = (cx.span(p), cx.span(c));
        let tol = hosts::tolerance(cx, ps, cs);
        if hosts::is_async(ps, cs) || ps.end == 0 || cs.end == 0 || cs.end <= ps.end.saturating_add(tol) {
            continue;
        }
        let msg = format!(
            "span {} {:?} ends {} after its parent {:?} ends{}",
            cs.span_id,
            cx.dump.str(cs.name),
            fmt_ns(cs.end - ps.end),
            cx.dump.str(ps.name),
            hosts::host_note(cx.dump, ps, cs)
        );
        out.push(super::on_span(INFO.code, cx, c, msg).with_spans([ps.span_id]));
    }
}
