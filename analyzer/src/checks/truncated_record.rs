use super::{CheckInfo, Code};

/// I002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I002,
    name: "truncated-record",
    summary: "The input ends in the middle of a record",
    doc: "\
What it checks
  The last record of a file is complete: its JSON value closes before the file ends. A value
  still open at the end of the input is reported as truncated (not as merely malformed), with
  its file, line and byte offset.

Why it matters
  A cut-off record means the writer stopped mid-write: the dump is incomplete, and the spans
  of that record are missing from every result.

Example
  sample-traces/checks/I002-truncated-record.jsonl:4: record cut off: the input ends after 498
  bytes of an unclosed JSON value

How to fix
  Copy the dump only after the writer has flushed and closed it (stop the Collector, or use
  its rotation and take closed files). Check the disk did not fill up.
",
};
