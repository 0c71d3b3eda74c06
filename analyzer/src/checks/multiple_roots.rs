use super::{CheckInfo, Code, Finding, TraceCx, span_ids};

/// S003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S003,
    name: "multiple-roots",
    summary: "A trace has more than one root span",
    doc: "\
What it checks
  A trace normally has exactly one span without a parent. The finding lists every root of a
  trace that has several.

Why it matters
  Several roots usually mean a service started a new span tree instead of continuing the
  incoming context (the context was not extracted), or a trace id was reused.

Example
  sample-traces/checks/S003-multiple-roots.jsonl:4: trace 4bf92f3577b34da6a3ce929d0e0e0002 has
  2 root spans: \"job\", \"second root\"

How to fix
  Extract the incoming context (traceparent) and start server spans as its children; never
  reuse trace ids across requests.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    let roots = &cx.graph.roots;
    if roots.len() < 2 {
        return;
    }
    let names: Vec<String> = roots.iter().take(5).map(|&r| format!("{:?}", cx.dump.str(cx.span(r).name))).collect();
    let more = if roots.len() > 5 { format!(" and {} more", roots.len() - 5) } else { String::new() };
    let msg = format!("trace {} has {} root spans: {}{more}", cx.graph.trace_id, roots.len(), names.join(", "));
    let mut f = super::on_span(INFO.code, cx, roots[0], msg);
    f.span_ids = span_ids(cx, roots);
    out.push(f);
}
