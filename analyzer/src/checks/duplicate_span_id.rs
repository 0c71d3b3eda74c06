use super::{CheckInfo, Code, Finding, TraceCx, span_ids};

/// S005.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::S005,
    name: "duplicate-span-id",
    summary: "Several spans of one trace share a span id",
    doc: "\
What it checks
  Span ids are unique within a trace. Spans sharing one are reported once per id, with
  their count and whether they are exact repeats (same name and times: the same span
  exported twice) or different spans (an id collision).

Why it matters
  A parent reference to a duplicated id is ambiguous, so the tree may be wrong; repeated
  exports inflate counts and percentiles.

Example
  sample-traces/checks/S005-duplicate-span-id.jsonl:4: span id 00f067aa0ba90015 is used by 2
  spans of trace 4bf92f3577b34da6a3ce929d0e0e0002: \"twice\", \"twice\" (exact repeats: the span
  was exported more than once)

How to fix
  Repeats: make export idempotent (a retry after a timeout re-sends a batch that was in fact
  received), or deduplicate at the collector. Collisions: use a proper random id generator
  per process.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for group in &cx.graph.duplicates {
        let first = cx.span(group[0]);
        let repeats = group.iter().all(|&n| {
            let s = cx.span(n);
            s.name == first.name && s.start == first.start && s.end == first.end
        });
        let names: Vec<String> = group.iter().take(4).map(|&n| format!("{:?}", cx.dump.str(cx.span(n).name))).collect();
        let msg = format!(
            "span id {} is used by {} spans of trace {}: {}{}",
            first.span_id,
            group.len(),
            first.trace_id,
            names.join(", "),
            if repeats {
                " (exact repeats: the span was exported more than once)"
            } else {
                " (different spans: an id collision)"
            }
        );
        let mut f = super::on_span(INFO.code, cx, group[0], msg);
        f.span_ids = span_ids(cx, &group[..1]);
        out.push(f);
    }
}
