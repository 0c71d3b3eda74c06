use super::{CheckInfo, Code};

/// L002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::L002,
    name: "log-span-missing",
    summary: "A log record names a span that is not in its trace",
    doc: "\
What it checks
  A log record whose trace is in the dump but whose span id matches none of the trace's
  spans.

Why it matters
  The span the log was written in is missing from an otherwise present trace: dropped by
  an SDK limit or a processor, or never ended (spans are exported when they end).

Example
  sample-traces/logs/spans-and-logs.jsonl:12: log \"retrying charge\" names span
  00f067aa0ba900ee of trace 4bf92f3577b34da6a3ce929d0e0e0001, which is not in it

How to fix
  Look for spans that are never ended on that code path, and for processors or limits
  that drop spans.
",
};
