use super::{CheckInfo, Code, Finding, TraceCx, span_ids};

/// S002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S002,
    name: "missing-root",
    summary: "A trace has no root span",
    doc: "\
What it checks
  Every trace has at least one span without a parent (a parent id that is absent, empty,
  \"0\", null or all zeros). The finding names the spans at the top of what is there.

Why it matters
  Without its root a trace has no known start, end or entry point: its duration and its
  operation name are unknown, and rules about the operation cannot be evaluated.

Example
  sample-traces/checks/S002-missing-root.jsonl:4: trace 4bf92f3577b34da6a3ce929d0e0e0002 has
  no root span (1 span at the top names a parent that is not in the dump)

How to fix
  The root is usually lost at the entry service: check it exports, flushes on shutdown,
  and is included in the dump.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    let g = cx.graph;
    if !g.roots.is_empty() {
        return;
    }
    let mut tops: Vec<_> = g.orphans.iter().chain(&g.self_parents).copied().collect();
    tops.sort();
    let Some(&first) = tops.first() else {
        // Every span hangs off a cycle: S004 explains; still say the root is missing.
        let f = super::on_span(
            INFO.code,
            cx,
            petgraph::graph::NodeIndex::new(0),
            format!("trace {} has no root span", g.trace_id),
        );
        out.push(f);
        return;
    };
    let msg = format!(
        "trace {} has no root span ({} span{} at the top name{} a parent that is not in the dump)",
        g.trace_id,
        tops.len(),
        if tops.len() == 1 { "" } else { "s" },
        if tops.len() == 1 { "s" } else { "" }
    );
    let mut f = super::on_span(INFO.code, cx, first, msg);
    f.span_ids = span_ids(cx, &tops);
    out.push(f);
}
