use super::{CheckInfo, Code, Finding, TraceCx};
use crate::model::time::fmt_ns;

/// T001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::T001,
    name: "end-before-start",
    summary: "A span ends before it starts",
    doc: "\
What it checks
  A span's end time is not earlier than its start time (equal is allowed: zero-length spans
  are real). Spans without one of the two are T002's.

Why it matters
  Negative durations poison every latency figure and cannot come from one monotonic clock:
  the times were set by hand, converted wrongly, or taken from two clocks.

Example
  sample-traces/checks/T001-end-before-start.jsonl:4: span 00f067aa0ba90015 \"backwards\" ends
  20.00ms before it starts

How to fix
  Let the SDK set both times, or take both from the same clock; check unit conversions
  (µs vs ns) in custom exporters.
",
};

pub fn run(cx: &TraceCx<'_>, out: &mut Vec<Finding>) {
    for n in cx.nodes() {
        let s = cx.span(n);
        if s.start != 0 && s.end != 0 && s.end < s.start {
            let msg = format!(
                "span {} {:?} ends {} before it starts",
                s.span_id,
                cx.dump.str(s.name),
                fmt_ns(s.start - s.end)
            );
            out.push(super::on_span(INFO.code, cx, n, msg));
        }
    }
}
