use super::{CheckInfo, Code};

/// I004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I004,
    name: "invalid-id",
    summary: "A trace, span, parent or link id is not 16/8 bytes of hex or base64, or is all zeros",
    doc: "\
What it checks
  Trace ids must decode to 16 bytes and span ids to 8 bytes, from hex (any case) or base64.
  All-zero trace and span ids are invalid. A parent id of \"\", \"0\", null or all zeros
  marks a root and is fine. A span whose own trace or span id is invalid cannot be placed and
  is dropped (and counted as dropped); a bad parent or link id is reported and ignored.

Why it matters
  Spans with broken ids cannot be joined into their traces: parents look missing and
  traces look split.

Example
  sample-traces/checks/I004-invalid-id.jsonl:4: span dropped: spanId \"abc\" has 3 characters,
  which is neither hex nor base64 of the expected size

How to fix
  Check the exporter or the code that converts ids: OTLP/JSON wants lowercase hex; protobuf
  JSON mappings write base64. Never truncate ids or generate zero ids.
",
};
