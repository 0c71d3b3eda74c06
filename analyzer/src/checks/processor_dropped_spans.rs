use super::{CheckInfo, Code};

/// C002.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::C002,
    name: "processor-dropped-spans",
    summary: "A Collector processor dropped or refused spans, or passed on fewer than it was given",
    doc: "\
What it checks
  Per Collector instance and processor: otelcol_processor_dropped_spans and
  otelcol_processor_refused_spans (older Collectors), and for newer ones the difference
  between otelcol_processor_incoming_items and otelcol_processor_outgoing_items for
  `otel.signal` traces. Any loss is reported with the counts.

Why it matters
  Spans a processor does not pass on are missing from every backend. Some processors drop
  on purpose (sampling, filtering); the finding says which processor, so a sampling
  processor can be suppressed with its reason while an unexpected loss fails the run. A
  batch processor holding a batch when the counters were read shows a small difference too.

Example
  collector metrics: Collector \"otelcol-a\" processor \"memory_limiter\" dropped 42
  span(s)

How to fix
  Raise the memory limiter's limits or the Collector's memory, or send less; for sampling
  and filter processors, suppress C002 with the reason.
",
};
