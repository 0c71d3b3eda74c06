use super::{CheckInfo, Code};

/// I001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::I001,
    name: "malformed-record",
    summary: "A record is not valid JSON; it was skipped and the rest of the input analysed",
    doc: "\
What it checks
  Every record of the input (a line of a JSON-lines file, or a top-level value of a JSON
  document) must parse as JSON. A record that does not is skipped and reported with its file,
  line, byte offset and the position of the first error inside it.

Why it matters
  A skipped record may hold spans; every check downstream then works on a partial picture.
  The report counts skipped records so nothing is lost silently.

Example
  sample-traces/checks/I001-malformed-record.jsonl:4: invalid JSON at column 2: key must be
  a string

How to fix
  Find what wrote the broken line: usually a process killed mid-write, two writers sharing
  one file without locking, or a tool that printed logs into the dump. Let one writer own the
  file (the Collector's file exporter does), and flush on shutdown.
",
};
