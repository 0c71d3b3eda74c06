use super::{CheckInfo, Code};

/// I006.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I006,
    name: "invalid-field",
    summary: "A span field has a value of the wrong type or out of range; the field was ignored",
    doc: "\
What it checks
  Span fields with a known type (kind, timestamps, status code, name) must hold a value of
  that type: a kind from 0 to 5 or a SPAN_KIND_* name, timestamps as unsigned 64-bit integers
  (numbers or decimal strings), a status code from 0 to 2 or a STATUS_CODE_* name. A value
  that is not is reported and the field treated as absent.

Why it matters
  A span with an unreadable kind or timestamp is judged on defaults, which hides what the
  emitter really wrote.

Example
  sample-traces/checks/I006-invalid-field.jsonl:4: kind is 9, expected a span kind (0-5 or
  SPAN_KIND_*); ignored

How to fix
  Check the serializer: OTLP/JSON enums are integers, timestamps are decimal strings of
  nanoseconds since the Unix epoch.
",
};
