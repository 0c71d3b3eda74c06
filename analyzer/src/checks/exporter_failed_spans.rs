use super::{CheckInfo, Code};

/// C003.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::C003,
    name: "exporter-failed-spans",
    summary: "A Collector exporter failed to send spans or to queue them",
    doc: "\
What it checks
  Per Collector instance and exporter: otelcol_exporter_send_failed_spans (sending failed
  after every retry) and otelcol_exporter_enqueue_failed_spans (the sending queue was
  full), with the exporter's sent count beside them.

Why it matters
  Failed spans are lost for that exporter's destination: a backend, or the very file the
  dump was read from.

Example
  collector metrics: Collector \"otelcol-a\" exporter \"otlp/backend\" failed to send 7
  span(s) and to queue 0 (sent 14)

How to fix
  Look at the exporter's destination (reachable, fast enough, accepting the payload size),
  and at its retry and queue settings.
",
};
