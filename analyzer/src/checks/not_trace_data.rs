use super::{CheckInfo, Code};

/// I005.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I005,
    name: "not-trace-data",
    summary: "A record is valid JSON but holds no trace data and no other known signal",
    doc: "\
What it checks
  Each record should be OTLP trace data (resourceSpans), or logs, metrics or profiles (which
  are counted and skipped). Valid JSON with neither is skipped and reported, with a hint when
  it looks like another trace format.

Why it matters
  A file of the wrong shape should not pass as an empty but healthy dump.

Example
  sample-traces/checks/I005-not-trace-data.jsonl:4: valid JSON but no trace data (keys: valid,
  but)

How to fix
  Make sure only OTLP TracesData is written to the dump, or convert the dump to OTLP JSON.
",
};
