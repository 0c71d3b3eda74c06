use super::{CheckInfo, Code};

/// I007.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I007,
    name: "record-too-large",
    summary: "A JSON record is larger than the record size limit; it was skipped unparsed",
    doc: "\
What it checks
  Every JSON record (a line of a file-exporter dump, a document, a framed record) is at most
  --max-record-size bytes (1 GiB unless set). A larger record is not parsed: it is reported
  with its file, line and byte offset, counted as skipped, and the rest of the input is
  analysed.

Why it matters
  Parsing a record needs several times its size in memory at once (a copy, its structure
  index, its tape); one multi-gigabyte line would make the whole analysis fail for want of
  memory. A record that large is also not something an exporter writes on purpose: it is
  usually many batches concatenated without newlines, or a runaway attribute.

Example
  sample-traces/healthy/checkout.jsonl:2: record of 1140 bytes is larger than the limit of
  1024 bytes (--max-record-size); skipped unparsed

How to fix
  Make the writer end every exported batch with a newline (the Collector's file exporter
  does), cap attribute value lengths in the SDK (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT), or, when
  the machine has the memory, raise --max-record-size.
",
};
