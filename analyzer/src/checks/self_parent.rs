use super::{CheckInfo, Code, Finding, TraceCx};

/// S006.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S006,
    name: "self-parent",
    summary: "A span names itself as its parent",
    doc: "\
What it checks
  A span's parent id differs from its own span id.

Why it matters
  A span cannot cause itself. It is usually a propagation bug where the outgoing context
  was written with the current span id in both places, and the real parent is lost.

Example
  sample-traces/checks/S006-self-parent.jsonl:4: span 00f067aa0ba90015 \"me\" names itself as
  parent

How to fix
  When injecting context for a child, the child's parent is the current span; when creating
  the child, generate a new span id instead of copying the parent's.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for &n in &cx.graph.self_parents {
        let s = cx.span(n);
        let msg = format!("span {} {:?} names itself as parent", s.span_id, cx.dump.str(s.name));
        out.push(super::on_span(INFO.code, cx, n, msg));
    }
}
