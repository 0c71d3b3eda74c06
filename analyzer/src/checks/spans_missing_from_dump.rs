use super::{CheckInfo, Code};

/// C005.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::C005,
    name: "spans-missing-from-dump",
    summary: "A Collector's receivers accepted more spans than the dump holds",
    doc: "\
What it checks
  Per Collector instance: the spans its receivers accepted (otelcol_receiver_accepted_spans,
  summed over receivers) against the spans in the dump. Reported when the receivers
  accepted more, with how many are missing.

Why it matters
  When the dump is everything one Collector wrote, each accepted span should be in it; the
  difference is loss that no other finding may show (spans dropped inside the Collector,
  a file rotated away, a dump cut short). It assumes the counters and the dump cover the
  same run: counters of a long-lived Collector cover more than one dump.

Example
  collector metrics: Collector \"otelcol-a\" accepted 63 span(s); the dump holds 21: 42
  missing

How to fix
  Find where they went with the processor and exporter findings; when the counters cover
  more than this dump (a Collector that ran before the dump began), --ignore C005.
",
};
