use super::{CheckInfo, Code};

/// I003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I003,
    name: "unknown-format",
    summary: "An input file is in no format tracecheck reads",
    doc: "\
What it checks
  The format of each input is detected from its bytes. A file that matches none of the
  formats tracecheck reads is reported once, with what it starts with and what was expected.

Why it matters
  Passing the wrong file (a log, a binary, an HTML error page saved by curl) to a CI gate
  must not look like a clean trace dump.

Example
  sample-traces/checks/I003-unknown-format.txt:1: sample-traces/checks/I003-unknown-format.txt
  is not in a known format: expected OTLP JSON or protobuf (records or one message; plain,
  gzip or zstd), Jaeger or Zipkin JSON; it starts with \"this is a plain \"

How to fix
  Point tracecheck at the Collector's file exporter output (or another supported dump).
",
};
