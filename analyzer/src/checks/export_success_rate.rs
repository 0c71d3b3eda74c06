use super::{CheckInfo, Code};

/// C004.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::C004,
    name: "export-success-rate",
    summary: "A Collector's exporters delivered fewer spans than the success-rate threshold asks",
    doc: "\
What it checks
  Per Collector instance: spans sent / (sent + failed + enqueue failed), over all its
  exporters, against --min-export-success (99 % unless set). Reported when below.

Why it matters
  One number a service-level objective can be written against (\"export success rate
  above 99 %\"): a few failures in a large run pass, a failing backend does not.

Example
  collector metrics: Collector \"otelcol-a\" exported 83.33 % of its spans (35 sent, 7
  failed); at least 99.00 % expected

How to fix
  See the C003 findings of the same Collector for the exporter that fails.
",
};
