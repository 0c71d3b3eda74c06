use super::{CheckInfo, Code};

/// C001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::C001,
    name: "receiver-refused-spans",
    summary: "A Collector receiver refused spans (or failed to take them in): they never entered the pipeline",
    doc: "\
What it checks
  The Collector's own counters, read from metric records in the dump or from files given
  with --collector-metrics (a Prometheus scrape, OTLP JSON or protobuf):
  otelcol_receiver_refused_spans and otelcol_receiver_failed_spans, per Collector instance
  and receiver, in every spelling Collector versions use (`_total`, dots). Any above zero is
  reported with the receiver's accepted count beside it.

Why it matters
  A refused span was sent by an SDK and never reached any exporter: the dump is missing it,
  and nothing in the spans says so (its parent, if it arrived, simply has fewer children).
  Receivers refuse when the pipeline behind them pushes back: a memory limiter, a full
  exporter queue.

Example
  collector metrics: Collector \"otelcol-c\" receiver \"otlp\" refused 5 span(s)
  (accepted 21)

How to fix
  Find what pushed back (the memory limiter's limits, an exporter's queue size, a slow
  backend) from the processor and exporter findings of the same Collector.
",
};
