use super::{CheckInfo, Code};

/// L003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::L003,
    name: "log-outside-span",
    summary: "A log record's time lies outside the span it names, beyond the skew tolerance",
    doc: "\
What it checks
  A log record that names a span of the dump was written between the span's start and
  end, within --skew-tolerance (logs and spans of one process share a clock).

Why it matters
  A log stamped outside its span was written after the span ended (work continuing after
  the span was closed, so its time is not in the trace) or carries a wrong context (a
  context leaked into a later task).

Example
  sample-traces/logs/spans-and-logs.jsonl:13: log \"receipt queued\" at 205.00ms after the
  start of span 00f067aa0ba90003 \"enqueue receipt\", which lasts 5.00ms

How to fix
  End spans after the work they measure, and do not carry a context into work that
  outlives it (start a new span linked to the first).
",
};
