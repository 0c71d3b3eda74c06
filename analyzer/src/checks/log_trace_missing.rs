use super::{CheckInfo, Code};

/// L001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::L001,
    name: "log-trace-missing",
    summary: "A log record names a trace that has no span in the dump",
    doc: "\
What it checks
  Log records in the dump (the file exporter writes `resourceLogs` lines beside the spans)
  that carry a trace id are matched with the spans: each log whose trace has no span at all
  is reported, at the log's line.

Why it matters
  A service logged inside a trace that never arrived: its spans were lost (not sampled by
  one side, dropped on the way, exported elsewhere), and with them the context the log was
  written in. Logs are often the only witness of such loss.

Example
  sample-traces/logs/spans-and-logs.jsonl:11: log \"payment declined\" names trace
  4bf92f3577b34da6a3ce929d0e0e00ff, which has no span in the dump

How to fix
  Make sure every service exports its spans to the same pipeline, and that sampling
  decisions are shared (parent-based sampling) so logs and spans of one request agree.
",
};
