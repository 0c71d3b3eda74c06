use super::{CheckInfo, Code, Finding, TraceCx};

/// T002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T002,
    name: "missing-timestamp",
    summary: "A span has no start or no end time (missing or zero)",
    doc: "\
What it checks
  Every span has a non-zero start time and a non-zero end time.

Why it matters
  A span without an end was never finished (the work hung, or the process died before the
  span ended) or its time was lost in conversion. It has no duration, so it is left out of
  latency figures, and time checks cannot be applied to it.

Example
  sample-traces/checks/T002-missing-timestamp.jsonl:4: span 00f067aa0ba90015 \"never ended\" has
  no end time

How to fix
  End every span on every path, errors included (a guard or `finally`), and flush the
  tracer provider on shutdown.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        let what = match (s.start == 0, s.end == 0) {
            (true, true) => "no start and no end time",
            (true, false) => "no start time",
            (false, true) => "no end time",
            (false, false) => continue,
        };
        let msg = format!("span {} {:?} has {what}", s.span_id, cx.dump.str(s.name));
        out.push(super::on_span(INFO.code, cx, n, msg));
    }
}
