use super::{CheckInfo, Code, Finding, TraceCx, span_ids};

/// S004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S004,
    name: "parent-cycle",
    summary: "Parent references form a cycle",
    doc: "\
What it checks
  Following parent ids from any span must end at a root or at a missing parent. Spans whose
  parent chain loops (A's parent is B, B's parent is A) are reported once per cycle.

Why it matters
  A cycle is impossible in a real execution: ids were corrupted or reused. Depth, critical
  path and every tree-shaped view of the trace are undefined.

Example
  sample-traces/checks/S004-parent-cycle.jsonl:4: parent cycle of 2 spans: 00f067aa0ba90015
  \"a\" -> 00f067aa0ba90016 \"b\"

How to fix
  Look for span id reuse (a counter or a seeded generator shared by threads) or a bug in the
  code that converts or copies ids.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for cycle in &cx.graph.cycles {
        let parts: Vec<String> = cycle
            .iter()
            .take(6)
            .map(|&n| format!("{} {:?}", cx.span(n).span_id, cx.dump.str(cx.span(n).name)))
            .collect();
        let msg = format!("parent cycle of {} spans: {}", cycle.len(), parts.join(" -> "));
        let mut f = super::on_span(INFO.code, cx, cycle[0], msg);
        f.span_ids = span_ids(cx, cycle);
        out.push(f);
    }
}
